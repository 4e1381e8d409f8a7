"""Classes, their timetable and the bookings members make, with the gym's booking policy.

Times are stored in UTC (`ClassSession.starts_at`); schedules hold the gym's local wall
clock (`Schedule.start_time`) so a 07:00 class stays at 07:00 across daylight-saving
changes. Rules that span models live in `services/`.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.utils.translation import gettext_lazy as _

from apps.billing.models import CreditState
from apps.billing.tiers import Tier

WEEKDAY_CHOICES = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


def trainer_photo_path(trainer: TrainerProfile, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower()[:5]
    return f"{connection.schema_name}/trainers/photos/{uuid.uuid4().hex}.{ext}"


class Room(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    capacity = models.PositiveIntegerField(_("capacity"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Level(models.TextChoices):
    ALL = "all", _("All levels")
    BEGINNER = "beginner", _("Beginner")
    INTERMEDIATE = "intermediate", _("Intermediate")
    ADVANCED = "advanced", _("Advanced")


class ClassType(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"),
        default=60,
        validators=[MinValueValidator(5), MaxValueValidator(600)],
    )
    capacity = models.PositiveIntegerField(
        _("capacity"), default=12, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, default=Level.ALL)
    room = models.ForeignKey(
        Room, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("room")
    )
    required_tier = models.CharField(
        _("required tier"), max_length=12, choices=Tier.choices, default=Tier.FREE
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("class type")
        verbose_name_plural = _("class types")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TrainerProfile(models.Model):
    """A staff user who teaches classes or gives personal training."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="trainer_profile",
        verbose_name=_("login"),
    )
    display_name = models.CharField(_("display name"), max_length=120)
    bio = models.TextField(_("bio"), blank=True)
    photo = models.ImageField(_("photo"), upload_to=trainer_photo_path, blank=True)
    specialties = ArrayField(
        models.CharField(max_length=40), default=list, blank=True, verbose_name=_("specialties")
    )
    languages = ArrayField(
        models.CharField(max_length=8), default=list, blank=True, verbose_name=_("languages")
    )
    certifications = ArrayField(
        models.CharField(max_length=120),
        default=list,
        blank=True,
        verbose_name=_("certifications"),
    )
    # Price of a personal-training hour in the gym's currency, minor units (cents).
    hourly_price = models.PositiveIntegerField(_("hourly price (cents)"), default=0)
    rating = models.DecimalField(_("rating"), max_digits=3, decimal_places=2, null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("trainer")
        verbose_name_plural = _("trainers")
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name

    def clean(self):
        # Teaching is staff work: a member's login cannot be made a trainer.
        if self.user_id and not self.user.is_gym_staff:
            raise ValidationError({"user": _("Choose a staff account (for example a trainer).")})


class Schedule(models.Model):
    """A recurring class: weekly days at a local time, or an RFC 5545 RRULE."""

    class_type = models.ForeignKey(
        ClassType, on_delete=models.CASCADE, related_name="schedules", verbose_name=_("class")
    )
    instructor = models.ForeignKey(
        TrainerProfile,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="schedules",
        verbose_name=_("instructor"),
    )
    room = models.ForeignKey(
        Room, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("room")
    )
    weekdays = ArrayField(
        models.PositiveSmallIntegerField(choices=WEEKDAY_CHOICES),
        default=list,
        blank=True,
        verbose_name=_("weekdays"),
        help_text=_("0 = Monday … 6 = Sunday. Ignored when a recurrence rule is given."),
    )
    start_time = models.TimeField(_("start time (gym's local time)"))
    rrule = models.CharField(
        _("recurrence rule"),
        max_length=300,
        blank=True,
        help_text=_("Optional RFC 5545 rule, e.g. FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE"),
    )
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"), null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(5), MaxValueValidator(600)],
        help_text=_("Empty: the class type's duration."),
    )
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Empty: the class type's capacity.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("schedule")
        verbose_name_plural = _("schedules")
        ordering = ["class_type__name", "start_time"]

    def __str__(self) -> str:
        return f"{self.class_type} {self.start_time:%H:%M}"


class Closure(models.Model):
    """Holiday closure: no classes on these local dates (both included)."""

    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="closure_dates_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.starts_on}–{self.ends_on}: {self.reason}"


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CANCELLED = "cancelled", _("Cancelled")


class ClassSession(models.Model):
    """One occurrence of a class. Generated from a schedule or added by hand."""

    schedule = models.ForeignKey(
        Schedule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("schedule"),
    )
    # The schedule's occurrence this session stands for (UTC); stays when staff move the
    # session, so regenerating never recreates a moved or cancelled occurrence.
    occurrence = models.DateTimeField(null=True, blank=True, editable=False)
    class_type = models.ForeignKey(
        ClassType, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("class")
    )
    instructor = models.ForeignKey(
        TrainerProfile,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("instructor"),
    )
    room = models.ForeignKey(
        Room, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("room")
    )
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(_("capacity"), validators=[MinValueValidator(1)])
    status = models.CharField(
        _("status"), max_length=12, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    cancelled_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    no_shows_marked_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Places taken (booked, attended, no-show) and members waiting. Kept by a database
    # trigger on bookings_booking (migration 0003) in the same transaction as every
    # booking write, whoever makes it; never written from Python (see save()).
    booked_count = models.PositiveIntegerField(_("booked"), default=0, editable=False)
    waitlist_count = models.PositiveIntegerField(_("on the waitlist"), default=0, editable=False)

    class Meta:
        verbose_name = _("class session")
        verbose_name_plural = _("class sessions")
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "occurrence"], name="session_one_per_occurrence"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="session_ends_after"
            ),
        ]
        indexes = [
            # The waitlist tidy job's scan: only sessions someone still waits for.
            models.Index(
                fields=["starts_at"],
                condition=models.Q(waitlist_count__gt=0),
                name="session_waiting_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.class_type} {self.starts_at:%Y-%m-%d %H:%M} UTC"

    def save(self, *args, **kwargs):
        # The counters belong to the trigger: an update never writes back the (possibly
        # stale) values this instance loaded, e.g. an admin form opened before a booking.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in SESSION_COUNTERS
            ]
        elif kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = [
                f for f in kwargs["update_fields"] if f not in SESSION_COUNTERS
            ]
        super().save(*args, **kwargs)


SESSION_COUNTERS = ("booked_count", "waitlist_count")


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    WAITLISTED = "waitlisted", _("On the waitlist")
    CANCELLED = "cancelled", _("Cancelled")
    LATE_CANCELLED = "late_cancelled", _("Cancelled late")
    ATTENDED = "attended", _("Attended")
    NO_SHOW = "no_show", _("No-show")


LIVE_STATUSES = (BookingStatus.BOOKED, BookingStatus.WAITLISTED)
# Statuses that take one of the class's places: attendance marking (which may start
# before the class) must not free a place for someone else.
PLACE_STATUSES = (BookingStatus.BOOKED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW)
# What counts towards a member's limits (this class, upcoming, per day).
HOLDING_STATUSES = (*PLACE_STATUSES, BookingStatus.WAITLISTED)


class Booking(models.Model):
    """A member's place (or place in the queue) in one session. The waitlist is ordered
    by id: ids are taken while the session row is locked, so in arrival order."""

    member = models.ForeignKey(
        "members.Member",
        on_delete=models.CASCADE,
        related_name="bookings",
        verbose_name=_("member"),
    )
    session = models.ForeignKey(
        ClassSession, on_delete=models.CASCADE, related_name="bookings", verbose_name=_("class")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=BookingStatus.choices, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    promoted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    attendance_marked_at = models.DateTimeField(null=True, blank=True)
    attendance_marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    credit = models.CharField(
        _("class credit"), max_length=10, choices=CreditState.choices, default="", blank=True
    )

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["id"]
        constraints = [
            # One live booking (booked or waitlisted) per member and session.
            models.UniqueConstraint(
                fields=["member", "session"],
                condition=models.Q(status__in=["booked", "waitlisted"]),
                name="booking_one_live_per_member",
                violation_error_message=_("You already have a place in this class."),
            ),
        ]
        indexes = [models.Index(fields=["session", "status"], name="booking_session_status")]

    def __str__(self) -> str:
        return f"{self.member} · {self.session} · {self.status}"


class BookingPolicy(models.Model):
    """The gym's booking rules: one row per gym schema (pk 1)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    opens_days_before = models.PositiveIntegerField(
        _("booking opens (days before)"), default=7, validators=[MaxValueValidator(365)]
    )
    closes_minutes_before = models.PositiveIntegerField(
        _("booking closes (minutes before)"), default=0
    )
    max_active_bookings = models.PositiveIntegerField(
        _("most upcoming bookings per member"),
        null=True,
        blank=True,
        help_text=_("Empty: what the member's tier allows."),
    )
    max_per_day = models.PositiveIntegerField(_("most classes per member per day"), default=2)
    waitlist_closes_minutes_before = models.PositiveIntegerField(
        _("waitlist closes (minutes before)"), default=60
    )
    late_cancel_minutes_before = models.PositiveIntegerField(
        _("cancelling is late within (minutes before)"), default=120
    )
    late_cancel_strike = models.BooleanField(_("late cancel gives a strike"), default=True)
    late_cancel_fee = models.PositiveIntegerField(_("late cancel fee (cents)"), default=0)
    late_cancel_forfeits_credit = models.BooleanField(
        _("late cancel forfeits the class credit"), default=False
    )
    no_show_strike = models.BooleanField(_("no-show gives a strike"), default=True)
    no_show_fee = models.PositiveIntegerField(_("no-show fee (cents)"), default=0)
    no_show_forfeits_credit = models.BooleanField(
        _("no-show forfeits the class credit"), default=False
    )
    strikes_to_block = models.PositiveIntegerField(
        _("strikes that block booking"), default=3, validators=[MinValueValidator(1)]
    )
    strike_window_days = models.PositiveIntegerField(
        _("strikes count within (days)"), default=30, validators=[MinValueValidator(1)]
    )
    block_days = models.PositiveIntegerField(_("block lasts (days)"), default=7)
    reminder_minutes_before = models.PositiveIntegerField(
        _("reminder (minutes before, 0 = none)"), default=120
    )
    auto_mark_no_shows = models.BooleanField(
        _("mark unmarked bookings as no-shows after class"),
        default=False,
        help_text=_("Only when attendance is always taken; otherwise staff mark the roster."),
    )
    generate_weeks_ahead = models.PositiveIntegerField(
        _("publish classes (weeks ahead)"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(26)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("booking policy")
        verbose_name_plural = _("booking policy")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="policy_singleton")]

    def __str__(self) -> str:
        return str(_("Booking policy"))

    @classmethod
    def load(cls) -> BookingPolicy:
        policy, _created = cls.objects.get_or_create(id=1)
        return policy

    def consequences(self, reason: str) -> tuple[bool, int, bool]:
        """(strike, fee in cents, credit forfeited) for a late cancel or a no-show."""
        if reason == PenaltyReason.LATE_CANCEL:
            return self.late_cancel_strike, self.late_cancel_fee, self.late_cancel_forfeits_credit
        return self.no_show_strike, self.no_show_fee, self.no_show_forfeits_credit


class PenaltyKind(models.TextChoices):
    STRIKE = "strike", _("Strike")
    FEE = "fee", _("Fee")
    CREDIT_FORFEIT = "credit_forfeit", _("Class credit forfeited")


class PenaltyReason(models.TextChoices):
    LATE_CANCEL = "late_cancel", _("Late cancellation")
    NO_SHOW = "no_show", _("No-show")


class Penalty(models.Model):
    """A consequence of a late cancel or no-show. Waiving keeps the row (audit)."""

    member = models.ForeignKey(
        "members.Member",
        on_delete=models.CASCADE,
        related_name="penalties",
        verbose_name=_("member"),
    )
    booking = models.ForeignKey(
        Booking,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="penalties",
        verbose_name=_("booking"),
    )
    pt_booking = models.ForeignKey(
        "PTBooking",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="penalties",
        verbose_name=_("personal training session"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=PenaltyKind.choices)
    reason = models.CharField(_("reason"), max_length=16, choices=PenaltyReason.choices)
    amount = models.PositiveIntegerField(_("amount (cents)"), default=0)
    created_at = models.DateTimeField(_("given at"), db_index=True)
    waived_at = models.DateTimeField(_("waived at"), null=True, blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("waived by"),
    )
    waiver_reason = models.CharField(_("reason for waiving"), max_length=300, blank=True)
    # A fee is billed through Stripe by billing (MemberCharge); waiving it cancels that.
    charge = models.OneToOneField(
        "billing.MemberCharge",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="penalty",
        verbose_name=_("charge"),
    )

    class Meta:
        verbose_name = _("penalty")
        verbose_name_plural = _("penalties")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(waived_at__isnull=True) | ~models.Q(waiver_reason=""),
                name="penalty_waiver_has_reason",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.get_kind_display()} · {self.get_reason_display()}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """A private iCalendar URL for a member's bookings or a trainer's classes and
    sessions; rotating the token revokes the old URL."""

    member = models.OneToOneField(
        "members.Member",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="calendar_feed",
    )
    trainer = models.OneToOneField(
        TrainerProfile,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="calendar_feed",
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(member__isnull=True) ^ models.Q(trainer__isnull=True),
                name="feed_member_xor_trainer",
            )
        ]

    def __str__(self) -> str:
        return str(self.member or self.trainer)


# --- Personal training -----------------------------------------------------------------


class TrainerAvailability(models.Model):
    """Weekly hours a trainer takes personal-training clients (gym's local time)."""

    trainer = models.ForeignKey(
        TrainerProfile, on_delete=models.CASCADE, related_name="availability"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=WEEKDAY_CHOICES)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("trainer availability")
        verbose_name_plural = _("trainer availability")
        ordering = ["trainer", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")),
                name="availability_ends_after",
            )
        ]

    def __str__(self) -> str:
        hours = f"{self.start_time:%H:%M}-{self.end_time:%H:%M}"
        return f"{self.trainer} {self.get_weekday_display()} {hours}"


class TrainerTimeOff(models.Model):
    """An exception to the weekly hours: the trainer is away (UTC instants)."""

    trainer = models.ForeignKey(TrainerProfile, on_delete=models.CASCADE, related_name="time_off")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("trainer time off")
        verbose_name_plural = _("trainer time off")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="time_off_ends_after"
            )
        ]

    def __str__(self) -> str:
        return f"{self.trainer} {self.starts_at:%Y-%m-%d}"


class PTSessionType(models.Model):
    trainer = models.ForeignKey(
        TrainerProfile, on_delete=models.CASCADE, related_name="session_types"
    )
    name = models.CharField(_("name"), max_length=80)
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"),
        default=60,
        validators=[MinValueValidator(15), MaxValueValidator(240)],
    )
    price = models.PositiveIntegerField(_("price (cents)"), default=0)
    auto_confirm = models.BooleanField(_("confirm requests automatically"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("personal training type")
        verbose_name_plural = _("personal training types")
        ordering = ["trainer", "name"]

    def __str__(self) -> str:
        return f"{self.trainer}: {self.name}"


class PTStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    CONFIRMED = "confirmed", _("Confirmed")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")
    LATE_CANCELLED = "late_cancelled", _("Cancelled late")
    ATTENDED = "attended", _("Attended")
    NO_SHOW = "no_show", _("No-show")


PT_HOLDING = (PTStatus.REQUESTED, PTStatus.CONFIRMED)


class PTBooking(models.Model):
    """A member's 1:1 session with a trainer. Requested and confirmed sessions hold the
    trainer's time; overlaps are refused under a lock on the trainer's row."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="pt_bookings"
    )
    trainer = models.ForeignKey(
        TrainerProfile, on_delete=models.CASCADE, related_name="pt_bookings"
    )
    session_type = models.ForeignKey(PTSessionType, on_delete=models.PROTECT)
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    price = models.PositiveIntegerField(_("price (cents)"))
    status = models.CharField(_("status"), max_length=16, choices=PTStatus.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    attendance_marked_at = models.DateTimeField(null=True, blank=True)
    attendance_marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("personal training session")
        verbose_name_plural = _("personal training sessions")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="pt_ends_after"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.trainer} · {self.starts_at:%Y-%m-%d %H:%M}"
