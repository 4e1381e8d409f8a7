"""Admin for goals. Rows that carry rules (progress, streaks, milestones) are read-only
here: they are kept by the services."""

from django.contrib import admin

from apps.goals.models import (
    AIUsage,
    Badge,
    BodyWeight,
    Challenge,
    ChallengeEntry,
    ChallengeParticipant,
    CheckIn,
    CheckInChange,
    Goal,
    GoalEntry,
    GoalSettings,
    Milestone,
    Motivation,
    Streak,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class GoalEntryInline(admin.TabularInline):
    model = GoalEntry
    extra = 0
    readonly_fields = ["value", "unit", "on", "source", "source_ref", "note", "created_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    can_delete = False
    readonly_fields = ["percent", "reached_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Goal)
class GoalAdmin(ReadOnlyAdmin):
    # --- Goals ---
    list_display = [
        "title",
        "member",
        "type",
        "period",
        "target",
        "unit",
        "current_value",
        "progress",
        "status",
        "week_streak",
        "deadline",
        "archived_at",
    ]
    list_filter = ["type", "status", "period", ("archived_at", admin.EmptyFieldListFilter)]
    search_fields = [
        "title",
        "exercise",
        "member__first_name",
        "member__last_name",
        "member__email",
    ]
    raw_id_fields = ["member"]
    date_hierarchy = "created_at"
    inlines = [GoalEntryInline, MilestoneInline]


@admin.register(GoalEntry)
class GoalEntryAdmin(ReadOnlyAdmin):
    list_display = ["goal", "value", "unit", "on", "source", "created_at"]
    list_filter = ["source", "goal__type"]
    search_fields = ["goal__title", "goal__member__first_name", "goal__member__last_name", "note"]
    raw_id_fields = ["goal"]
    date_hierarchy = "on"


@admin.register(BodyWeight)
class BodyWeightAdmin(ReadOnlyAdmin):
    list_display = ["member", "on", "weight_kg", "source"]
    list_filter = ["source"]
    search_fields = ["member__first_name", "member__last_name", "member__email"]
    raw_id_fields = ["member"]
    date_hierarchy = "on"


@admin.register(Milestone)
class MilestoneAdmin(ReadOnlyAdmin):
    list_display = ["goal", "percent", "reached_at"]
    list_filter = ["percent", "goal__type"]
    search_fields = ["goal__title", "goal__member__first_name", "goal__member__last_name"]
    raw_id_fields = ["goal"]


@admin.register(Badge)
class BadgeAdmin(ReadOnlyAdmin):
    list_display = ["title", "member", "key", "ref", "awarded_at"]
    list_filter = ["key"]
    search_fields = ["title", "ref", "member__first_name", "member__last_name"]
    raw_id_fields = ["member"]
    date_hierarchy = "awarded_at"


@admin.register(GoalSettings)
class GoalSettingsAdmin(ReadOnlyAdmin):
    list_display = ["member", "tone", "motivation", "weight_unit", "reminder_time"]
    list_filter = ["tone", "motivation"]
    raw_id_fields = ["member"]


class CheckInChangeInline(admin.TabularInline):
    model = CheckInChange
    extra = 0
    can_delete = False
    readonly_fields = ["status", "source", "reflection", "mood", "energy", "changed_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyAdmin):
    list_display = ["member", "on", "status", "source", "mood", "energy"]
    list_filter = ["status", "source"]
    raw_id_fields = ["member"]
    date_hierarchy = "on"
    inlines = [CheckInChangeInline]


@admin.register(Streak)
class StreakAdmin(ReadOnlyAdmin):
    list_display = ["member", "current", "longest", "habit_score", "freezes", "last_day"]
    raw_id_fields = ["member"]


class ParticipantInline(admin.TabularInline):
    model = ChallengeParticipant
    extra = 0
    can_delete = False
    raw_id_fields = ["member"]
    readonly_fields = [
        "member",
        "on_leaderboard",
        "progress",
        "progress_at",
        "completed_at",
        "joined_at",
        "left_at",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Challenge)
class ChallengeAdmin(ReadOnlyAdmin):
    list_display = ["title", "type", "target", "starts_on", "ends_on", "archived_at"]
    list_filter = ["type"]
    inlines = [ParticipantInline]


@admin.register(ChallengeEntry)
class ChallengeEntryAdmin(ReadOnlyAdmin):
    list_display = ["participant", "value", "on"]


@admin.register(Motivation)
class MotivationAdmin(ReadOnlyAdmin):
    list_display = ["member", "situation", "tone", "language", "source", "helpful", "created_at"]
    list_filter = ["source", "tone", "language", "situation", "helpful"]
    raw_id_fields = ["member", "checkin"]


@admin.register(AIUsage)
class AIUsageAdmin(ReadOnlyAdmin):
    list_display = ["day", "calls", "tokens"]
