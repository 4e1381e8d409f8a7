"""Give the demo gym a timetable: rooms, class types, a trainer profile for the demo
trainer, weekly schedules running for the last twelve weeks and the coming ones, the past
classes with their bookings and attendance (who came, who did not, who cancelled), and
members booked into the coming week. Idempotent: a past class is filled once (it is then
marked as processed, as the no-show job marks it), a coming one only while nobody booked.

Past bookings are written directly (bulk), dated when they happened: the booking service
refuses a class that has started, as it should, and marking attendance through it would
queue reminders and fees for classes long over. The coming week's go through
`booking_create`, as a member's booking does.
"""

import random
from datetime import datetime, time, timedelta

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.billing.models import MemberSubscription
from apps.bookings.models import (
    Booking,
    BookingPolicy,
    BookingStatus,
    ClassSession,
    ClassType,
    Penalty,
    PenaltyKind,
    PenaltyReason,
    PTSessionType,
    Room,
    Schedule,
    SessionStatus,
    TrainerAvailability,
    TrainerProfile,
)
from apps.bookings.policy import gym_zone, tier_allows
from apps.bookings.services import booking_create, schedule_create, sessions_generate
from apps.common.errors import ApplicationError
from apps.common.management.demo import DemoSeedCommand
from apps.members.models import Member, MemberStatus

HISTORY_WEEKS = 12
UPCOMING_DAYS = 7
# What became of a booking in a past class (weights): most came.
OUTCOMES = [
    (BookingStatus.ATTENDED, 78),
    (BookingStatus.NO_SHOW, 7),
    (BookingStatus.CANCELLED, 10),
    (BookingStatus.LATE_CANCELLED, 5),
]

CLASSES = [
    # name, minutes, capacity, level, tier, weekdays, start
    ("Morning HIIT", 45, 14, "all", "free", [0, 2, 4], time(7, 0)),
    ("Yoga flow", 60, 18, "beginner", "free", [1, 3], time(18, 30)),
    ("Strength lab", 60, 10, "intermediate", "pro", [0, 3], time(19, 0)),
    ("Spin", 45, 20, "all", "basic", [1, 4, 5], time(12, 15)),
]


def _class_habit(member_id: int) -> float:
    """How likely a member books any one class they may take (the same on every run)."""
    rng = random.Random(f"classes:{member_id}")
    return 0.03 if rng.random() < 0.35 else rng.uniform(0.15, 0.45)


class Command(DemoSeedCommand):
    help = "Add a class timetable to the demo gym (run seed_demo first)."

    def handle(self, *args, **options):
        gym = self.demo_gym(options)
        with tenant_context(gym):
            zone = gym_zone(gym)
            today = timezone.now().astimezone(zone).date()
            first_day = today - timedelta(weeks=HISTORY_WEEKS)
            studio, _ = Room.objects.get_or_create(name="Studio", defaults={"capacity": 20})
            box, _ = Room.objects.get_or_create(name="Box", defaults={"capacity": 12})
            user = User.objects.filter(role="trainer").order_by("pk").first()
            trainer = None
            if user is not None:
                trainer, created = TrainerProfile.objects.get_or_create(
                    user=user,
                    defaults={
                        "display_name": user.full_name or user.email,
                        "bio": "Strength and mobility coach.",
                        "specialties": ["strength", "mobility", "weight loss"],
                        "languages": ["en", "de"],
                        "hourly_price": 6000,
                        "rating": 4.7,
                    },
                )
                if created:
                    for weekday in range(5):
                        TrainerAvailability.objects.create(
                            trainer=trainer, weekday=weekday, start_time=time(9), end_time=time(13)
                        )
                    PTSessionType.objects.create(
                        trainer=trainer, name="Personal training", price=6000
                    )
                    PTSessionType.objects.create(
                        trainer=trainer,
                        name="Form check",
                        duration_minutes=30,
                        price=2500,
                        auto_confirm=True,
                    )
            for name, minutes, capacity, level, tier, weekdays, start in CLASSES:
                class_type, created = ClassType.objects.get_or_create(
                    name=name,
                    defaults={
                        "duration_minutes": minutes,
                        "capacity": capacity,
                        "level": level,
                        "required_tier": tier,
                        "room": box if capacity <= 12 else studio,
                    },
                )
                if not Schedule.objects.filter(class_type=class_type).exists():
                    # Through the dashboard's service: the rule is stored as the form
                    # stores it, and the sessions are published at once.
                    schedule_create(
                        data={
                            "class_type": class_type,
                            "instructor": trainer,
                            "weekdays": weekdays,
                            "start_time": start,
                            "starts_on": first_day,
                        }
                    )
            # A demo made before the timetable had a history: its schedules began on the
            # day of the first seed. They ran for the twelve weeks before, too.
            Schedule.objects.filter(
                class_type__name__in=[row[0] for row in CLASSES], starts_on__gt=first_day
            ).update(starts_on=first_day)
            weeks = HISTORY_WEEKS + BookingPolicy.load().generate_weeks_ahead
            created = sessions_generate(today=first_day, weeks=weeks)
            past = self._history(zone, first_day)
            upcoming = self._upcoming()
        self.stdout.write(
            f"Demo classes ready in {gym.slug}: {created} new sessions, {past} past bookings, "
            f"{upcoming} coming bookings."
        )

    @staticmethod
    def _members_at():
        """member -> [(from, until, tier)]: when each member could book, and with which
        tier (their subscriptions; without billing, members active now, always)."""
        windows: dict[int, list] = {}
        subs = MemberSubscription.objects.select_related("plan").exclude(started_at=None)
        for sub in subs:
            windows.setdefault(sub.member_id, []).append(
                (sub.started_at, sub.canceled_at, sub.plan.tier)
            )
        if not windows:
            for member_id, tier in Member.objects.filter(
                status__in=[MemberStatus.ACTIVE, MemberStatus.TRIAL]
            ).values_list("pk", "tier"):
                windows[member_id] = [(None, None, tier)]
        return windows

    def _history(self, zone, first_day) -> int:
        """Bookings of the past classes not filled yet, with attendance, dated when they
        happened; strikes for the no-shows and late cancels, as the policy gives them."""
        now = timezone.now()
        start = datetime.combine(first_day, time.min, tzinfo=zone)
        sessions = list(
            ClassSession.objects.filter(
                starts_at__gte=start,
                starts_at__lt=now,
                status=SessionStatus.SCHEDULED,
                no_shows_marked_at__isnull=True,
            )
            .select_related("class_type", "instructor")
            .order_by("starts_at")
        )
        if not sessions:
            return 0
        windows = self._members_at()
        policy = BookingPolicy.load()
        marked_by = {t.pk: t.user_id for t in TrainerProfile.objects.filter(user__isnull=False)}
        bookings, session_ids = [], []
        for session in sessions:
            rng = random.Random(f"{session.class_type_id}:{session.starts_at.isoformat()}")
            could = [
                member_id
                for member_id, spans in windows.items()
                if any(
                    (since is None or since <= session.starts_at)
                    and (until is None or until > session.starts_at)
                    and tier_allows(tier, session.class_type.required_tier)
                    for since, until, tier in spans
                )
            ]
            # Some members never miss their classes, some hardly take any; evening classes
            # fill up, a lunch class less so.
            evening = session.starts_at.astimezone(zone).hour >= 17
            could.sort()
            rng.shuffle(could)  # first come, first served when it is full
            chosen = [
                member_id
                for member_id in could
                if rng.random() < _class_habit(member_id) * (1.4 if evening else 0.8)
            ][: session.capacity]
            statuses = rng.choices(
                [o for o, _w in OUTCOMES], weights=[w for _o, w in OUTCOMES], k=len(chosen)
            )
            for member_id, status in zip(chosen, statuses, strict=True):
                booking = Booking(member_id=member_id, session=session, status=status)
                if status == BookingStatus.ATTENDED:
                    # Checked in at the door just before the class, which marked it (the
                    # attendance seed makes that visit).
                    booking.attendance_marked_at = session.starts_at - timedelta(
                        minutes=rng.randint(2, 14)
                    )
                elif status == BookingStatus.NO_SHOW:
                    # Marked on the roster by the class's trainer after the class.
                    booking.attendance_marked_at = session.ends_at + timedelta(minutes=10)
                    booking.attendance_marked_by_id = marked_by.get(session.instructor_id)
                elif status == BookingStatus.LATE_CANCELLED:
                    booking.cancelled_at = session.starts_at - timedelta(hours=rng.uniform(1, 8))
                else:
                    booking.cancelled_at = session.starts_at - timedelta(hours=rng.uniform(24, 72))
                bookings.append(booking)
            session_ids.append(session.pk)
        Booking.objects.bulk_create(bookings, batch_size=1000)
        # created_at is auto_now_add (bulk_create sets it to now): a past booking was made
        # one to six days before its class.
        table, sessions_table = Booking._meta.db_table, ClassSession._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} b SET created_at = s.starts_at "  # noqa: S608 - our tables
                "- (1 + b.id %% 6) * interval '1 day' - (b.id %% 11) * interval '1 hour' "
                f"FROM {sessions_table} s WHERE s.id = b.session_id AND b.id = ANY(%s)",
                [[b.pk for b in bookings]],
            )
        penalties = []
        for booking in bookings:
            if booking.status not in (BookingStatus.NO_SHOW, BookingStatus.LATE_CANCELLED):
                continue
            reason = (
                PenaltyReason.NO_SHOW
                if booking.status == BookingStatus.NO_SHOW
                else PenaltyReason.LATE_CANCEL
            )
            strike, _fee, _credit = policy.consequences(reason)
            if strike:  # fees of classes long over are not billed now
                penalties.append(
                    Penalty(
                        member_id=booking.member_id,
                        booking=booking,
                        kind=PenaltyKind.STRIKE,
                        reason=reason,
                        created_at=booking.attendance_marked_at or booking.cancelled_at,
                    )
                )
        Penalty.objects.bulk_create(penalties, batch_size=1000)
        # Processed, as the no-show job marks a class once it is over (it would otherwise
        # mark these now, with fees at today's date).
        ClassSession.objects.filter(pk__in=session_ids).update(no_shows_marked_at=now)
        return len(bookings)

    @staticmethod
    def _upcoming() -> int:
        """Members book the coming week's classes as members do (the booking service)."""
        now = timezone.now()
        sessions = ClassSession.objects.filter(
            starts_at__gt=now,
            starts_at__lt=now + timedelta(days=UPCOMING_DAYS),
            status=SessionStatus.SCHEDULED,
            bookings__isnull=True,
        ).select_related("class_type")
        members = list(
            Member.objects.filter(
                Q(status=MemberStatus.ACTIVE) | Q(status=MemberStatus.TRIAL)
            ).order_by("number")
        )
        made = 0
        for session in sessions:
            rng = random.Random(f"{session.class_type_id}:{session.starts_at.isoformat()}")
            days = (session.starts_at - now).days
            wanted = round(session.capacity * rng.uniform(0.3, 0.9) / (1 + days / 3))
            for member in rng.sample(members, min(wanted, len(members))):
                try:
                    booking_create(member=member, session=session, join_waitlist=False)
                    made += 1
                except ApplicationError:
                    continue  # their tier, their limits: as the app would have said
        return made
