"""Admin for classes. Writes that involve rules (cancelling a session, closures, bookings,
waivers) go through the services; bookings and penalties are read-only here."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from apps.bookings.cache import timetable_changed
from apps.bookings.models import (
    Booking,
    BookingPolicy,
    CalendarFeed,
    ClassSession,
    ClassType,
    Closure,
    Penalty,
    PTBooking,
    PTSessionType,
    Room,
    Schedule,
    TrainerAvailability,
    TrainerProfile,
    TrainerTimeOff,
)
from apps.bookings.services import closure_create, rrule_validate, session_update, sessions_generate
from apps.common.errors import ApplicationError


class TimetableAdmin(admin.ModelAdmin):
    """Edits here change what the timetable shows: drop its cached copy."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        timetable_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        timetable_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        timetable_changed()


@admin.register(Room)
class RoomAdmin(TimetableAdmin):
    list_display = ["name", "capacity"]
    search_fields = ["name"]


@admin.register(ClassType)
class ClassTypeAdmin(TimetableAdmin):
    list_display = ["name", "duration_minutes", "capacity", "level", "room", "required_tier"]
    list_filter = ["level", "required_tier", "is_active"]
    search_fields = ["name"]


class AvailabilityInline(admin.TabularInline):
    model = TrainerAvailability
    extra = 0


class TimeOffInline(admin.TabularInline):
    model = TrainerTimeOff
    extra = 0


class SessionTypeInline(admin.TabularInline):
    model = PTSessionType
    extra = 0


@admin.register(TrainerProfile)
class TrainerProfileAdmin(TimetableAdmin):
    list_display = ["display_name", "user", "hourly_price", "rating", "is_active"]
    search_fields = ["display_name", "user__email"]
    raw_id_fields = ["user"]
    inlines = [AvailabilityInline, TimeOffInline, SessionTypeInline]


@admin.register(TrainerAvailability)
class TrainerAvailabilityAdmin(admin.ModelAdmin):
    list_display = ["trainer", "weekday", "start_time", "end_time"]
    list_filter = ["trainer", "weekday"]


@admin.register(TrainerTimeOff)
class TrainerTimeOffAdmin(admin.ModelAdmin):
    list_display = ["trainer", "starts_at", "ends_at", "reason"]
    list_filter = ["trainer"]


@admin.register(PTSessionType)
class PTSessionTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "trainer", "duration_minutes", "price", "auto_confirm", "is_active"]
    list_filter = ["trainer", "auto_confirm"]


class ScheduleForm(forms.ModelForm):
    class Meta:
        model = Schedule
        fields = [
            "class_type",
            "instructor",
            "room",
            "weekdays",
            "start_time",
            "rrule",
            "starts_on",
            "ends_on",
            "capacity",
            "is_active",
        ]

    def clean_rrule(self):
        try:
            return rrule_validate(self.cleaned_data.get("rrule", ""))
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean(self):
        data = super().clean()
        if not data.get("rrule") and not data.get("weekdays"):
            raise forms.ValidationError(_("Choose weekdays or give a recurrence rule."))
        return data


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    form = ScheduleForm
    list_display = ["class_type", "start_time", "weekdays", "rrule", "instructor", "is_active"]
    list_filter = ["is_active", "class_type"]
    actions = ["generate_now"]

    @admin.action(description=_("Publish sessions now (rolling window)"))
    def generate_now(self, request, queryset):
        created = sessions_generate()
        self.message_user(request, _("%(n)s sessions created.") % {"n": created})


@admin.register(ClassSession)
class ClassSessionAdmin(TimetableAdmin):
    list_display = ["class_type", "starts_at", "instructor", "room", "capacity", "status"]
    list_filter = ["status", "class_type"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["schedule"]
    # Cancelling tells booked members: do it from the dashboard roster (the service).
    readonly_fields = ["status", "cancelled_reason", "occurrence", "no_shows_marked_at"]

    def save_model(self, request, obj, form, change):
        if not (change and "capacity" in form.changed_data):
            return super().save_model(request, obj, form, change)
        # A capacity change goes through the service, as on the dashboard: it refuses fewer
        # places than members booked and hands new places to the waitlist.
        capacity, obj.capacity = obj.capacity, form.initial["capacity"]
        super().save_model(request, obj, form, change)
        try:
            session_update(session=obj, capacity=capacity, by=request.user)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        obj.refresh_from_db()


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ["starts_on", "ends_on", "reason"]

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            saved = closure_create(
                starts_on=obj.starts_on, ends_on=obj.ends_on, reason=obj.reason, by=request.user
            )
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        obj.pk = saved.pk


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Booking)
class BookingAdmin(ReadOnlyAdmin):
    list_display = ["member", "session", "status", "credit", "created_at"]
    list_filter = ["status", "credit"]
    search_fields = ["member__first_name", "member__last_name", "member__email"]
    list_select_related = ["member", "session__class_type"]


@admin.register(Penalty)
class PenaltyAdmin(ReadOnlyAdmin):
    list_display = [
        "member",
        "kind",
        "reason",
        "amount",
        "charge__status",
        "created_at",
        "waived_at",
        "waived_by",
    ]
    list_filter = ["kind", "reason"]
    search_fields = ["member__first_name", "member__last_name"]


@admin.register(BookingPolicy)
class BookingPolicyAdmin(admin.ModelAdmin):
    # One row per gym, made on first use: the list goes straight to it. No query here
    # otherwise: the platform admin asks these permissions in the public schema too.
    def changelist_view(self, request, extra_context=None):
        policy = BookingPolicy.load()
        return redirect("admin:bookings_bookingpolicy_change", policy.pk)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PTBooking)
class PTBookingAdmin(ReadOnlyAdmin):
    list_display = ["member", "trainer", "session_type", "starts_at", "status", "price"]
    list_filter = ["status", "trainer"]
    list_select_related = ["member", "trainer", "session_type"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ReadOnlyAdmin):
    list_display = ["member", "trainer", "created_at"]
    exclude = ["token"]  # the token is the feed's only key
