"""Reads on the timetable, bookings, a member's standing, trainers' free slots and what a
calendar feed holds (current gym schema).

The timetable is the hottest read: one query whatever the number of classes, with the
booked and waitlist counts and the member's own booking computed by the database.
"""

from __future__ import annotations

import json
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.backends.postgresql.base import CursorDebugWrapper, ServerBindingCursor
from django.db.backends.utils import CursorWrapper
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing.selectors import credit_balance, member_uses_credits
from apps.bookings.cache import (
    cache_get,
    cache_set,
    local_rows,
    pending_change,
    timetable_version,
)
from apps.bookings.models import (
    HOLDING_STATUSES,
    PT_HOLDING,
    Booking,
    BookingPolicy,
    BookingStatus,
    CalendarFeed,
    ClassSession,
    ClassType,
    Penalty,
    PenaltyKind,
    PTBooking,
    PTSessionType,
    Room,
    Schedule,
    SessionStatus,
    TrainerAvailability,
    TrainerProfile,
    TrainerTimeOff,
)
from apps.bookings.policy import blocked_until, booking_problems, gym_zone, policy_summary
from apps.common.errors import ApplicationError
from apps.members.models import Member
from apps.tenants.models import Gym

SLOT_STEP = timedelta(minutes=30)
MAX_SLOT_DAYS = 31


def current_gym() -> Gym:
    """The gym of the current schema (requests and tenant tasks set a real Gym)."""
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Gym):
        return tenant
    return Gym.objects.get(schema_name=connection.schema_name)


def sessions_with_counts(queryset: QuerySet[ClassSession], *, member=None) -> QuerySet:
    """Sessions with their room, type and instructor, and the member's own booking: a
    place, a waitlist entry, or a place already marked (a check-in at the door up to 30
    minutes before the class marks it attended).
    (booked_count / waitlist_count are columns kept by a trigger: no counting here.)"""
    queryset = queryset.select_related("class_type", "instructor", "room")
    if member is not None:
        mine = Booking.objects.filter(
            session=OuterRef("pk"), member=member, status__in=HOLDING_STATUSES
        ).order_by()
        queryset = queryset.annotate(
            my_booking_id=Subquery(mine.values("id")[:1]),
            my_booking_status=Subquery(mine.values("status")[:1]),
        )
    return queryset


def local_range(gym, first: date, last: date) -> tuple[datetime, datetime]:
    """UTC bounds of the gym-local days first..last (both included)."""
    zone = gym_zone(gym)
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return start, end


def session_timetable(
    *,
    gym,
    first: date,
    last: date,
    member=None,
    class_type_id: int | None = None,
    instructor_id: int | None = None,
) -> QuerySet[ClassSession]:
    start, end = local_range(gym, first, last)
    sessions = ClassSession.objects.filter(starts_at__gte=start, starts_at__lt=end)
    if class_type_id is not None:
        sessions = sessions.filter(class_type_id=class_type_id)
    if instructor_id is not None:
        sessions = sessions.filter(instructor_id=instructor_id)
    return sessions_with_counts(sessions, member=member).order_by("starts_at", "id")


def booking_check(*, member, session, gym) -> dict:
    """What would happen if `member` booked `session` now, and why: the one rule check
    (`policy.booking_problems`, as the service runs it), the policy in words, credits.
    Shown by the API's session detail and the member app's session page."""
    policy = BookingPolicy.load()
    full = session.booked_count >= session.capacity
    problems = booking_problems(
        member=member, session=session, policy=policy, gym=gym, waitlist=full
    )
    credits = None
    if member_uses_credits(member):
        # A place costs one credit; the waitlist costs it only on promotion.
        credits = {"uses_credits": True, "balance": credit_balance(member), "cost": 1}
    return {
        "allowed": not problems,
        "outcome": "none" if problems else ("waitlist" if full else "book"),
        "problems": [{"code": p.code, "message": p.message} for p in problems],
        "policy": policy_summary(policy),
        "credits": credits,
    }


def booking_list(*, member, upcoming: bool | None = None, now=None) -> QuerySet[Booking]:
    """A member's bookings with their session and, on the waitlist, their position."""
    ahead = Booking.objects.filter(
        session=OuterRef("session"), status=BookingStatus.WAITLISTED, id__lte=OuterRef("id")
    )
    bookings = (
        Booking.objects.filter(member=member)
        .select_related("session__class_type", "session__instructor", "session__room")
        .annotate(
            waitlist_position=Subquery(
                ahead.order_by().values("session").annotate(n=Count("id")).values("n")[:1],
                output_field=IntegerField(),
            )
        )
    )
    if upcoming is True:
        bookings = bookings.filter(session__starts_at__gte=now).order_by("session__starts_at")
    elif upcoming is False:
        bookings = bookings.filter(session__starts_at__lt=now).order_by("-session__starts_at")
    else:
        bookings = bookings.order_by("-session__starts_at")
    return bookings


def session_roster(*, session: ClassSession) -> dict[str, list[Booking]]:
    bookings = list(Booking.objects.filter(session=session).select_related("member").order_by("id"))
    return {
        "places": [
            b
            for b in bookings
            if b.status in (BookingStatus.BOOKED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW)
        ],
        "waitlist": [b for b in bookings if b.status == BookingStatus.WAITLISTED],
        "cancelled": [
            b
            for b in bookings
            if b.status in (BookingStatus.CANCELLED, BookingStatus.LATE_CANCELLED)
        ],
    }


def penalty_list(*, member=None, include_waived: bool = True) -> QuerySet[Penalty]:
    penalties = Penalty.objects.select_related(
        "member", "waived_by", "booking__session__class_type", "charge"
    )
    if member is not None:
        penalties = penalties.filter(member=member)
    if not include_waived:
        penalties = penalties.filter(waived_at__isnull=True)
    return penalties


def waitlist_position(booking: Booking) -> int | None:
    if booking.status != BookingStatus.WAITLISTED:
        return None
    return Booking.objects.filter(
        session_id=booking.session_id, status=BookingStatus.WAITLISTED, id__lte=booking.id
    ).count()


def member_standing(*, member: Member, now: datetime | None = None) -> dict:
    """What a member should know about their own record: strikes that count, a block."""
    now = now or timezone.now()
    policy = BookingPolicy.load()
    strikes = Penalty.objects.filter(
        member=member,
        kind=PenaltyKind.STRIKE,
        waived_at__isnull=True,
        created_at__gt=now - timedelta(days=policy.strike_window_days),
    ).count()
    return {
        "strikes": strikes,
        "strikes_to_block": policy.strikes_to_block,
        "blocked_until": blocked_until(member=member, policy=policy, now=now),
    }


# --- Personal training ---------------------------------------------------------------


def _trainer_windows(trainer: TrainerProfile, first: date, last: date, zone) -> list[tuple]:
    """The trainer's weekly hours on first..last as UTC (start, end) pairs."""
    by_weekday: dict[int, list] = {}
    for row in TrainerAvailability.objects.filter(trainer=trainer):
        by_weekday.setdefault(row.weekday, []).append(row)
    windows = []
    day = first
    while day <= last:
        for row in by_weekday.get(day.weekday(), []):
            start = datetime.combine(day, row.start_time, tzinfo=zone)
            end = datetime.combine(day, row.end_time, tzinfo=zone)
            windows.append((start, end))
        day += timedelta(days=1)
    return windows


def trainer_busy_times(trainer: TrainerProfile, start: datetime, end: datetime) -> list[tuple]:
    """(start, end) of the trainer's time off, held sessions and classes in start..end."""
    busy = list(
        TrainerTimeOff.objects.filter(
            trainer=trainer, starts_at__lt=end, ends_at__gt=start
        ).values_list("starts_at", "ends_at")
    )
    busy += list(
        PTBooking.objects.filter(
            trainer=trainer, status__in=PT_HOLDING, starts_at__lt=end, ends_at__gt=start
        ).values_list("starts_at", "ends_at")
    )
    busy += list(
        trainer.sessions.filter(
            status="scheduled", starts_at__lt=end, ends_at__gt=start
        ).values_list("starts_at", "ends_at")
    )
    return busy


def pt_slots(
    *, trainer: TrainerProfile, session_type: PTSessionType, first: date, last: date, now=None
) -> list[datetime]:
    """Start times (UTC, every 30 minutes) at which `session_type` fits the trainer's
    hours, clear of time off, classes they teach and other sessions."""
    now = now or timezone.now()
    if (last - first).days >= MAX_SLOT_DAYS or last < first:
        raise ApplicationError(
            _("Ask for 1 to %(n)s days at a time.") % {"n": MAX_SLOT_DAYS}, code="invalid_filter"
        )
    zone = gym_zone(current_gym())
    length = timedelta(minutes=session_type.duration_minutes)
    windows = _trainer_windows(trainer, first, last, zone)
    if not windows:
        return []
    busy = trainer_busy_times(trainer, min(w[0] for w in windows), max(w[1] for w in windows))
    slots = []
    for start, end in windows:
        slot = start
        while slot + length <= end:
            if slot > now and not any(b0 < slot + length and b1 > slot for b0, b1 in busy):
                slots.append(slot)
            slot += SLOT_STEP
    return sorted(slots)


# --- Calendar feeds ------------------------------------------------------------------

FEED_PAST_DAYS = 30
FEED_FUTURE_DAYS = 120


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    starts_at: datetime
    ends_at: datetime
    summary: str
    status: str  # CONFIRMED, TENTATIVE or CANCELLED
    location: str = ""


def calendar_feed_by_token(token: str) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(token=token[:64]).first()


def calendar_feed_events(*, feed: CalendarFeed, now: datetime | None = None) -> list[CalendarEvent]:
    """A member's classes (waitlist places too) and 1:1 sessions, or what a trainer teaches,
    from 30 days back to 120 days ahead."""
    now = now or timezone.now()
    since, until = now - timedelta(days=FEED_PAST_DAYS), now + timedelta(days=FEED_FUTURE_DAYS)
    schema = connection.schema_name
    events: list[CalendarEvent] = []
    if feed.member_id:
        bookings = Booking.objects.filter(
            member_id=feed.member_id,
            status__in=[BookingStatus.BOOKED, BookingStatus.WAITLISTED, BookingStatus.ATTENDED],
            session__starts_at__range=(since, until),
        ).select_related("session__class_type", "session__room")
        for b in bookings:
            summary = b.session.class_type.name
            if b.status == BookingStatus.WAITLISTED:
                summary = _("%(name)s (waitlist)") % {"name": summary}
            if b.session.status == SessionStatus.CANCELLED:
                status = "CANCELLED"
            elif b.status == BookingStatus.WAITLISTED:
                status = "TENTATIVE"
            else:
                status = "CONFIRMED"
            events.append(
                CalendarEvent(
                    uid=f"booking-{b.pk}@{schema}",
                    starts_at=b.session.starts_at,
                    ends_at=b.session.ends_at,
                    summary=summary,
                    location=b.session.room.name if b.session.room else "",
                    status=status,
                )
            )
        pt = PTBooking.objects.filter(member_id=feed.member_id, status__in=PT_HOLDING)
    else:
        sessions = ClassSession.objects.filter(
            instructor_id=feed.trainer_id, starts_at__range=(since, until)
        ).select_related("class_type", "room")
        for s in sessions:
            events.append(
                CalendarEvent(
                    uid=f"session-{s.pk}@{schema}",
                    starts_at=s.starts_at,
                    ends_at=s.ends_at,
                    summary=s.class_type.name,
                    location=s.room.name if s.room else "",
                    status="CANCELLED" if s.status == SessionStatus.CANCELLED else "CONFIRMED",
                )
            )
        pt = PTBooking.objects.filter(trainer_id=feed.trainer_id, status__in=PT_HOLDING)
    for p in pt.filter(starts_at__range=(since, until)).select_related(
        "trainer", "member", "session_type"
    ):
        who = p.trainer.display_name if feed.member_id else p.member.full_name
        events.append(
            CalendarEvent(
                uid=f"pt-{p.pk}@{schema}",
                starts_at=p.starts_at,
                ends_at=p.ends_at,
                summary=f"{p.session_type.name} · {who}",
                status="CONFIRMED" if p.status == "confirmed" else "TENTATIVE",
            )
        )
    return events


# --- Timetable as JSON ---------------------------------------------------------------


# The JSON is written by the database, spelled exactly as json_build_object/json_agg spell
# it (`"key" : value`, items joined by ", "; CachedRows relies on that spelling). Measured
# (200-class week, PostgreSQL 16): json_build_object per row cost ~16 us of the backend's
# CPU per row (it looks up every argument's type category on every call), ~3.3 of the
# query's ~4.5 ms. So the class type, trainer and room objects are built once per row of
# their (small) tables, and each session's object is one format() of plain values:
# ~2.5 ms for the whole query, byte for byte the same text.
# Text values need JSON escaping (to_json); the statuses are spelled out for the values
# the model allows (the booking's status is one of those the query filters on: the
# member's HOLDING_STATUSES, as sessions_with_counts).
# Times as DRF writes them for UTC: ISO 8601, microseconds only when there are any, a Z.
# (%% is a literal percent sign: the query takes named parameters.)
_TIME = """to_char(({c} AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN date_part('microseconds', {c})::bigint %% 1000000 = 0 THEN ''
           ELSE to_char(({c} AT TIME ZONE 'UTC'), '.US') END"""
_ROW = (
    """format('{"id" : %%s, "class_type" : %%s, "instructor" : %%s, "room" : %%s, \
"starts_at" : "%%sZ", "ends_at" : "%%sZ", "capacity" : %%s, "booked_count" : %%s, \
"spots_left" : %%s, "waitlist_count" : %%s, "status" : %%s, "cancelled_reason" : %%s, \
"my_booking" : %%s}',
    s.id, ct.j, COALESCE(t.j, 'null'), COALESCE(r.j, 'null'),
    """
    + _TIME.format(c="s.starts_at")
    + """,
    """
    + _TIME.format(c="s.ends_at")
    + """,
    s.capacity, s.booked_count, GREATEST(s.capacity - s.booked_count, 0), s.waitlist_count,
    CASE s.status WHEN 'scheduled' THEN '"scheduled"' WHEN 'cancelled' THEN '"cancelled"'
        ELSE COALESCE(to_json(s.status)::text, 'null') END,
    CASE WHEN s.cancelled_reason = '' THEN '""'
        ELSE COALESCE(to_json(s.cancelled_reason)::text, 'null') END,
    CASE WHEN mine.id IS NULL THEN 'null'
        ELSE '{"id" : ' || mine.id || ', "status" : "' || mine.status || '"}' END)"""
)
_WITH = """
WITH ct AS MATERIALIZED (
    SELECT id, json_build_object('id', id, 'name', name, 'level', level,
        'required_tier', required_tier, 'duration_minutes', duration_minutes)::text AS j
    FROM bookings_classtype
), t AS MATERIALIZED (
    SELECT id, json_build_object('id', id, 'display_name', display_name)::text AS j
    FROM bookings_trainerprofile
), r AS MATERIALIZED (
    SELECT id, json_build_object('id', id, 'name', name)::text AS j FROM bookings_room
)
"""
_FROM = """
FROM bookings_classsession s
JOIN ct ON ct.id = s.class_type_id
LEFT JOIN t ON t.id = s.instructor_id
LEFT JOIN r ON r.id = s.room_id
LEFT JOIN LATERAL (
    SELECT b.id, b.status FROM bookings_booking b
    WHERE b.session_id = s.id AND b.member_id = (
        SELECT m.id FROM members_member m WHERE m.user_id = %(user)s)
      AND b.status IN ('booked', 'waitlisted', 'attended', 'no_show')
    LIMIT 1
) mine ON true
WHERE s.starts_at >= %(start)s AND s.starts_at < %(end)s
  AND (%(type)s::bigint IS NULL OR s.class_type_id = %(type)s::bigint)
  AND (%(instructor)s::bigint IS NULL OR s.instructor_id = %(instructor)s::bigint)
"""
# The whole range as one JSON array (no cache)...
TIMETABLE_SQL = (
    _WITH
    + "SELECT COALESCE('[' || string_agg("
    + _ROW
    + ", ', ' ORDER BY s.starts_at, s.id) || ']', '[]')"
    + _FROM
)
# ...or one JSON text per row, for the cache: a member's booking is then spliced into
# the few rows that need it without parsing the others.
TIMETABLE_ROWS_SQL = _WITH + "SELECT " + _ROW + _FROM + " ORDER BY s.starts_at, s.id"


def _timetable_query(*, start, end, user_id, class_type_id, instructor_id, per_row: bool = False):
    params = {
        "user": user_id,
        "start": start,
        "end": end,
        "type": class_type_id,
        "instructor": instructor_id,
    }
    with _prepared_cursor() as cursor:
        if per_row:
            cursor.execute(TIMETABLE_ROWS_SQL, params)
            return [row for (row,) in cursor.fetchall()]
        cursor.execute(TIMETABLE_SQL, params)
        return cursor.fetchone()[0]


class _PreparedCursor(ServerBindingCursor):
    """Parameters bound by the server, and every statement prepared once per connection
    (psycopg keeps the names): planning the timetable query cost ~0.6-0.9 ms of the
    backend's CPU per request, a third of the query. The connection must allow preparing
    (DATABASES OPTIONS prepare_threshold, config/settings/base.py); Django's own cursors
    bind on the client and are never prepared. A prepared statement is parsed again by
    PostgreSQL whenever search_path changes, so one connection serving several gyms
    reads each gym's tables (tests/bookings/test_timetable_json.py)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


class _PreparedDebugCursor(CursorDebugWrapper):
    """Django's debug wrapper (tests, DEBUG) logs the SQL psycopg last sent as text, and
    psycopg keeps none for a prepared statement: log it with its parameters composed."""

    def execute(self, sql, params=None):
        with self.debug_sql(self.db.ops.compose_sql(sql, params)):
            return CursorWrapper.execute(self, sql, params)  # not the parent's logging


@contextmanager
def _prepared_cursor():
    with connection.cursor():  # connects, and django-tenants sets the gym's search_path
        pass
    raw = _PreparedCursor(connection.connection)
    # Django's wrapper: its error translation, and the query in connection.queries.
    if connection.queries_logged:
        cursor = _PreparedDebugCursor(raw, connection)
    else:
        cursor = connection.make_cursor(raw)
    try:
        yield cursor
    finally:
        raw.close()


# The member's own bookings holding a place or a waitlist entry in the range (for the
# cached rows), found by their user: no separate query for the member.
MY_BOOKINGS_SQL = """
SELECT b.session_id, b.id, b.status
FROM bookings_booking b
JOIN members_member m ON m.id = b.member_id
JOIN bookings_classsession s ON s.id = b.session_id
WHERE m.user_id = %(user)s AND b.status IN ('booked', 'waitlisted', 'attended', 'no_show')
  AND s.starts_at >= %(start)s AND s.starts_at < %(end)s
"""

# How a row written by the database ends when the member has no booking in it.
_NO_BOOKING_END = '"my_booking" : null}'
_ROW_ID = re.compile(r'\{"id" : ([0-9]+),')


class CachedRows:
    """A timetable's shared rows as JSON texts, with each session's position, and the
    whole array ready for readers with no booking in the range."""

    __slots__ = ("rows", "position", "joined")

    def __init__(self, rows: list[str]):
        self.rows = rows
        self.position = {}
        for i, row in enumerate(rows):
            found = _ROW_ID.match(row)
            if found is None or not row.endswith(_NO_BOOKING_END):
                self.position = None  # an unexpected spelling: parse instead (below)
                break
            self.position[int(found.group(1))] = i
        self.joined = "[" + ",".join(rows) + "]"

    def with_bookings(self, mine: dict[int, dict]) -> str:
        if not mine:
            return self.joined
        if self.position is None:
            rows = []
            for row in self.rows:
                data = json.loads(row)
                data["my_booking"] = mine.get(data["id"])
                rows.append(json.dumps(data))
            return "[" + ",".join(rows) + "]"
        rows = list(self.rows)
        cut = len("null}")
        for session_id, booking in mine.items():
            i = self.position.get(session_id)
            if i is not None:
                rows[i] = rows[i][:-cut] + json.dumps(booking) + "}"
        return "[" + ",".join(rows) + "]"


def timetable_json(
    *,
    gym,
    first: date,
    last: date,
    user=None,
    class_type_id: int | None = None,
    instructor_id: int | None = None,
) -> str:
    """The timetable rows as a JSON array, with `user`'s own booking (as a member) in each.

    Same rows, order and shape as `session_timetable` + SessionSerializer (a test compares
    them). Measured on the 200-class week: the ORM path spent most of its time compiling
    the query, loading 400 datetimes through Django's converters and building nested
    dicts, then encoding them again; here the database writes the JSON once.

    With the cache on (BOOKINGS_TIMETABLE_CACHE_SECONDS, see apps.bookings.cache) the
    shared rows come from the worker's memory or Redis under the gym's current version,
    and one small query reads the member's own bookings in the range.
    """
    start, end = local_range(gym, first, last)
    user_id = getattr(user, "pk", None)
    seconds = settings.BOOKINGS_TIMETABLE_CACHE_SECONDS
    if seconds <= 0 or pending_change() or (version := timetable_version()) < 0:
        return _timetable_query(
            start=start,
            end=end,
            user_id=user_id,
            class_type_id=class_type_id,
            instructor_id=instructor_id,
        )
    schema = connection.schema_name
    key = f"bookings:timetable:{schema}:{version}:{first}:{last}:{class_type_id}:{instructor_id}"
    cached = local_rows.get(key)
    if cached is None:
        stored = cache_get(key)  # (built at, rows) from another worker
        if stored is None:
            stored = (
                time.time(),
                _timetable_query(
                    start=start,
                    end=end,
                    user_id=None,
                    class_type_id=class_type_id,
                    instructor_id=instructor_id,
                    per_row=True,
                ),
            )
            cache_set(key, stored, seconds)
        built_at, rows = stored
        cached = CachedRows(rows)
        # Kept here no longer than in Redis (writes outside the ORM are bounded by it).
        left = seconds - (time.time() - built_at)
        if left > 0:
            local_rows.set(key, cached, left)
    mine = {}
    if user_id is not None:
        with _prepared_cursor() as cursor:  # prepared too (see _PreparedCursor)
            cursor.execute(MY_BOOKINGS_SQL, {"user": user_id, "start": start, "end": end})
            mine = {
                session_id: {"id": booking_id, "status": status}
                for session_id, booking_id, status in cursor.fetchall()
            }
    return cached.with_bookings(mine)


def class_type_list() -> QuerySet[ClassType]:
    return ClassType.objects.select_related("room").order_by("-is_active", "name")


def room_list() -> QuerySet[Room]:
    return Room.objects.annotate(class_types=Count("classtype", distinct=True)).order_by("name")


def schedule_list() -> QuerySet[Schedule]:
    return Schedule.objects.select_related("class_type", "instructor", "room").order_by(
        "-is_active", "class_type__name", "start_time", "pk"
    )


def schedule_booked_upcoming_count(schedule: Schedule) -> int:
    """Upcoming classes of this schedule that someone holds a place (or waits) in: an edit
    keeps those as they are."""
    return schedule.sessions.filter(
        Q(booked_count__gt=0) | Q(waitlist_count__gt=0),
        starts_at__gt=timezone.now(),
        status="scheduled",
    ).count()


def setup_schedule_done() -> bool:
    return Schedule.objects.filter(is_active=True).exists()
