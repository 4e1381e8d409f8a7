"""Goals, daily check-ins, streaks, badges, challenges and motivation messages.

Values are `Decimal` with an explicit unit (`units.py` converts kg/lb in one place).
What a read needs often (a goal's progress and status, a member's streak) is stored on the
row and kept up to date by the services on each write, never recomputed from history on
a read."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class GoalType(models.TextChoices):
    VISITS = "visits", _("Gym visits")
    CLASSES = "classes", _("Classes attended")
    BODY_WEIGHT = "body_weight", _("Body weight")
    STRENGTH = "strength", _("Strength")
    VOLUME = "volume", _("Training volume")
    ENDURANCE = "endurance", _("Endurance")
    CUSTOM = "custom", _("Custom")


class Period(models.TextChoices):
    """For goals counted per period (visits, classes, volume, endurance)."""

    WEEK = "week", _("per week")
    MONTH = "month", _("per month")


class GoalStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    JUST_STARTED = "just_started", _("Just started")
    ON_TRACK = "on_track", _("On track")
    ALMOST_THERE = "almost_there", _("Almost there")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")


class Pace(models.TextChoices):
    AHEAD = "ahead", _("Ahead")
    ON_PACE = "on_pace", _("On pace")
    BEHIND = "behind", _("Behind")


class Goal(models.Model):
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="goals")
    title = models.CharField(_("title"), max_length=120)
    type = models.CharField(_("type"), max_length=12, choices=GoalType.choices)
    # Counted goals only (visits, classes, volume, endurance): the target is per period.
    period = models.CharField(_("period"), max_length=8, choices=Period.choices, blank=True)
    target = models.DecimalField(_("target"), max_digits=10, decimal_places=2)
    # kg/lb, visits, classes, min, km, or the member's own word for a custom goal.
    unit = models.CharField(_("unit"), max_length=16)
    start_value = models.DecimalField(
        _("start value"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    # Strength goals: the exercise (a name now; the exercise library links it later).
    exercise = models.CharField(_("exercise"), max_length=80, blank=True)
    start_date = models.DateField(_("start date"), default=timezone.localdate)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)

    # Kept by the services on each entry/visit/attended class (see services).
    current_value = models.DecimalField(
        _("current value"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    progress = models.DecimalField(_("progress %"), max_digits=6, decimal_places=1, default=0)
    status = models.CharField(
        _("status"), max_length=12, choices=GoalStatus.choices, default=GoalStatus.NOT_STARTED
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # Counted goals: consecutive periods that met the target, and the last period counted.
    week_streak = models.PositiveIntegerField(_("period streak"), default=0)
    longest_week_streak = models.PositiveIntegerField(_("longest period streak"), default=0)
    streak_period_start = models.DateField(_("last period counted"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(target__gt=0), name="goal_target_positive"),
            models.CheckConstraint(
                condition=Q(deadline__isnull=True) | Q(deadline__gte=models.F("start_date")),
                name="goal_deadline_after_start",
            ),
        ]
        indexes = [
            models.Index(
                fields=["member", "type"], condition=Q(archived_at__isnull=True), name="goal_active"
            )
        ]

    def __str__(self) -> str:
        return self.title


class EntrySource(models.TextChoices):
    MANUAL = "manual", _("Entered by the member")
    STAFF = "staff", _("Entered by staff")
    WORKOUTS = "workouts", _("Logged workout")


class GoalEntry(models.Model):
    """A manual (or, later, workout-fed) value for a goal: a lift, minutes, km, a number."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="entries")
    value = models.DecimalField(_("value"), max_digits=10, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=16)
    on = models.DateField(_("date"), default=timezone.localdate)
    source = models.CharField(
        _("source"), max_length=10, choices=EntrySource.choices, default=EntrySource.MANUAL
    )
    # Where a fed entry came from ("workout-set:<uuid>"): a replayed feed adds nothing.
    source_ref = models.CharField(_("source reference"), max_length=80, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("goal entry")
        verbose_name_plural = _("goal entries")
        ordering = ["-on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["goal", "source_ref"], condition=~Q(source_ref=""), name="goalentry_ref"
            )
        ]
        indexes = [models.Index(fields=["goal", "on"], name="goalentry_goal_on")]

    def __str__(self) -> str:
        return f"{self.value} {self.unit}"


class BodyWeight(models.Model):
    """One weight per member per day (a second entry the same day replaces it)."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="body_weights"
    )
    on = models.DateField(_("date"), default=timezone.localdate)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=5, decimal_places=2)
    source = models.CharField(
        _("source"), max_length=10, choices=EntrySource.choices, default=EntrySource.MANUAL
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("body weight")
        verbose_name_plural = _("body weights")
        ordering = ["-on"]
        constraints = [
            models.UniqueConstraint(fields=["member", "on"], name="bodyweight_one_per_day"),
            models.CheckConstraint(
                condition=Q(weight_kg__gt=0) & Q(weight_kg__lt=400), name="bodyweight_plausible"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.weight_kg} kg"


class Milestone(models.Model):
    """25/50/75/100 % of a goal, reached once (the unique row is the 'once')."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="milestones")
    percent = models.PositiveSmallIntegerField(_("percent"))
    reached_at = models.DateTimeField(_("reached at"), default=timezone.now)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["goal", "percent"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "percent"], name="milestone_once"),
        ]

    def __str__(self) -> str:
        return f"{self.goal} {self.percent} %"


class Badge(models.Model):
    """Something a member earned: a goal milestone, a finished challenge, a streak."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="badges")
    # goal_milestone, challenge_finished, streak_7, ... (see services.badges)
    key = models.CharField(_("badge"), max_length=32)
    # What it was for ("goal:12:50", "challenge:3"): one badge per thing.
    ref = models.CharField(_("for"), max_length=64)
    title = models.CharField(_("title"), max_length=160)
    awarded_at = models.DateTimeField(_("awarded at"), default=timezone.now)

    class Meta:
        verbose_name = _("badge")
        verbose_name_plural = _("badges")
        ordering = ["-awarded_at"]
        constraints = [
            models.UniqueConstraint(fields=["member", "key", "ref"], name="badge_once"),
        ]

    def __str__(self) -> str:
        return self.title


class Tone(models.TextChoices):
    FRIENDLY = "friendly", _("Friendly")
    TOUGH_LOVE = "tough_love", _("Tough love")
    CALM = "calm", _("Calm")


class GoalSettings(models.Model):
    """A member's choices for this app (created on first use with the defaults)."""

    member = models.OneToOneField(
        "members.Member", on_delete=models.CASCADE, related_name="goal_settings"
    )
    tone = models.CharField(_("tone"), max_length=12, choices=Tone.choices, default=Tone.FRIENDLY)
    motivation = models.BooleanField(_("motivation messages"), default=True)
    weight_unit = models.CharField(
        _("weight unit"), max_length=2, choices=[("kg", "kg"), ("lb", "lb")], default="kg"
    )
    # ISO weekdays (1 = Monday) planned as rest days: they never break a streak.
    rest_weekdays = ArrayField(
        models.PositiveSmallIntegerField(), default=list, blank=True, verbose_name=_("rest days")
    )
    # The daily check-in reminder (a notifications Reminder with source "goals:<member>").
    reminder_time = models.TimeField(_("reminder time"), null=True, blank=True)
    reminder_weekdays = ArrayField(
        models.PositiveSmallIntegerField(),
        default=list,
        blank=True,
        verbose_name=_("reminder days"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("goal settings")
        verbose_name_plural = _("goal settings")

    def __str__(self) -> str:
        return str(self.member)


class CheckInStatus(models.TextChoices):
    WENT = "went", _("Went")
    REST = "rest", _("Rest day")
    MISSED = "missed", _("Missed")


class CheckInSource(models.TextChoices):
    MEMBER = "member", _("Member")
    DOOR = "door", _("Door entry")
    CLASS = "class", _("Class attended")
    FREEZE = "freeze", _("Streak freeze")


class CheckIn(models.Model):
    """ "Did you go today?": one per member per local day."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="checkins")
    on = models.DateField(_("day"))
    status = models.CharField(_("answer"), max_length=8, choices=CheckInStatus.choices)
    source = models.CharField(
        _("source"), max_length=8, choices=CheckInSource.choices, default=CheckInSource.MEMBER
    )
    reflection = models.CharField(_("reflection"), max_length=500, blank=True)
    mood = models.PositiveSmallIntegerField(_("mood"), null=True, blank=True)
    energy = models.PositiveSmallIntegerField(_("energy"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-on"]
        constraints = [
            models.UniqueConstraint(fields=["member", "on"], name="checkin_one_per_day"),
            models.CheckConstraint(
                condition=Q(mood__isnull=True) | Q(mood__gte=1, mood__lte=5),
                name="checkin_mood_1_5",
            ),
            models.CheckConstraint(
                condition=Q(energy__isnull=True) | Q(energy__gte=1, energy__lte=5),
                name="checkin_energy_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.on} {self.status}"


class CheckInChange(models.Model):
    """The answer a check-in had before it was changed (its history)."""

    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="changes")
    status = models.CharField(_("answer"), max_length=8, choices=CheckInStatus.choices)
    source = models.CharField(_("source"), max_length=8, choices=CheckInSource.choices)
    reflection = models.CharField(_("reflection"), max_length=500, blank=True)
    mood = models.PositiveSmallIntegerField(_("mood"), null=True, blank=True)
    energy = models.PositiveSmallIntegerField(_("energy"), null=True, blank=True)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("check-in change")
        verbose_name_plural = _("check-in changes")
        ordering = ["-changed_at"]

    def __str__(self) -> str:
        return f"{self.checkin_id} was {self.status}"


class Streak(models.Model):
    """A member's day streak, kept incrementally on each check-in."""

    member = models.OneToOneField("members.Member", on_delete=models.CASCADE, related_name="streak")
    current = models.PositiveIntegerField(_("current streak"), default=0)
    longest = models.PositiveIntegerField(_("longest streak"), default=0)
    # The last day the streak has been settled up to (answered, rested or frozen).
    last_day = models.DateField(_("counted up to"), null=True, blank=True)
    # Loop Habit Tracker's score, 0..1 (see services.streaks).
    habit_score = models.FloatField(_("habit strength"), default=0)
    freezes = models.PositiveSmallIntegerField(_("streak freezes held"), default=0)
    # When the streak last broke (the staff list "streak broke in the last 7 days").
    broken_on = models.DateField(_("broke on"), null=True, blank=True)
    broken_length = models.PositiveIntegerField(_("length when it broke"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("streak")
        verbose_name_plural = _("streaks")
        constraints = [
            models.CheckConstraint(condition=Q(freezes__lte=2), name="streak_max_two_freezes"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.current}"


class ChallengeType(models.TextChoices):
    VISITS = "visits", _("Gym visits")
    CLASSES = "classes", _("Classes attended")
    CHECKINS = "checkins", _("Check-ins")
    CUSTOM = "custom", _("Custom total")


class Challenge(models.Model):
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    type = models.CharField(_("type"), max_length=10, choices=ChallengeType.choices)
    target = models.DecimalField(_("target"), max_digits=10, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    prize = models.CharField(_("prize"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("challenge")
        verbose_name_plural = _("challenges")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(target__gt=0), name="challenge_target_positive"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="challenge_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ChallengeParticipant(models.Model):
    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="participants")
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="challenges"
    )
    # Opt-in: a member who did not choose it appears on no leaderboard.
    on_leaderboard = models.BooleanField(_("show on the leaderboard"), default=False)
    progress = models.DecimalField(_("progress"), max_digits=10, decimal_places=2, default=0)
    # When the member did what brought them to `progress` (the activity's own time, so a
    # recount gives the same answer): the leaderboard's tie-break, earliest first.
    progress_at = models.DateTimeField(_("progress reached at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)

    class Meta:
        verbose_name = _("challenge participant")
        verbose_name_plural = _("challenge participants")
        ordering = ["-progress", "joined_at"]
        constraints = [
            models.UniqueConstraint(fields=["challenge", "member"], name="participant_once"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} in {self.challenge_id}"


class ChallengeEntry(models.Model):
    """A member's own number for a custom-total challenge."""

    participant = models.ForeignKey(
        ChallengeParticipant, on_delete=models.CASCADE, related_name="entries"
    )
    value = models.DecimalField(_("value"), max_digits=10, decimal_places=2)
    on = models.DateField(_("date"), default=timezone.localdate)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("challenge entry")
        verbose_name_plural = _("challenge entries")
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return str(self.value)


class Situation(models.TextChoices):
    """What a motivation message is about (the library is written per situation)."""

    FIRST_CHECKIN = "first_checkin", _("First check-in")
    STREAK_UP = "streak_up", _("Streak growing")
    MILESTONE = "milestone", _("Milestone reached")
    STREAK_BROKEN = "streak_broken", _("Streak broken")
    COMEBACK = "comeback", _("Back after a break")
    REST_DAY = "rest_day", _("Rest day")
    MORNING = "morning", _("Morning reminder")


class MessageSource(models.TextChoices):
    AI = "ai", _("AI")
    LIBRARY = "library", _("Library")


class Motivation(models.Model):
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="motivations"
    )
    checkin = models.ForeignKey(
        CheckIn, on_delete=models.SET_NULL, null=True, blank=True, related_name="motivations"
    )
    situation = models.CharField(_("situation"), max_length=16, choices=Situation.choices)
    text = models.CharField(_("message"), max_length=280)
    tone = models.CharField(_("tone"), max_length=12, choices=Tone.choices)
    language = models.CharField(_("language"), max_length=8)
    source = models.CharField(_("source"), max_length=8, choices=MessageSource.choices)
    # The library entry ("friendly.streak_up.3"), so the last 5 a member saw do not repeat.
    library_key = models.CharField(_("library entry"), max_length=48, blank=True)
    prompt_tokens = models.PositiveIntegerField(_("prompt tokens"), default=0)
    completion_tokens = models.PositiveIntegerField(_("completion tokens"), default=0)
    # Why the library answered instead of the AI (no_key, timeout, budget, rejected, ...).
    fallback_reason = models.CharField(_("fallback reason"), max_length=32, blank=True)
    helpful = models.BooleanField(_("helpful"), null=True, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("motivation message")
        verbose_name_plural = _("motivation messages")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One message per check-in: a retried task adds nothing.
            models.UniqueConstraint(
                fields=["checkin", "situation"],
                condition=Q(checkin__isnull=False),
                name="motivation_once_per_checkin",
            ),
        ]
        indexes = [models.Index(fields=["member", "-created_at"], name="motivation_member")]

    def __str__(self) -> str:
        return self.text[:40]


class AIUsage(models.Model):
    """The gym's AI calls and tokens per day (its daily budget)."""

    day = models.DateField(_("day"), unique=True)
    calls = models.PositiveIntegerField(_("calls"), default=0)
    tokens = models.PositiveIntegerField(_("tokens"), default=0)

    class Meta:
        verbose_name = _("AI usage")
        verbose_name_plural = _("AI usage")
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day}: {self.calls}"
