"""Reads on the timetable and bookings (current gym schema).

The timetable is the hottest read: one query whatever the number of classes, with the
booked and waitlist counts and the member's own booking computed by the database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from apps.bookings.models import (
    LIVE_STATUSES,
    Booking,
    BookingStatus,
    ClassSession,
    Penalty,
)
from apps.bookings.policy import gym_zone


def _count_of(queryset) -> Subquery:
    return Coalesce(
        Subquery(
            queryset.order_by().values("session").annotate(n=Count("id")).values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def sessions_with_counts(queryset: QuerySet[ClassSession], *, member=None) -> QuerySet:
    booked = Booking.objects.filter(session=OuterRef("pk"), status=BookingStatus.BOOKED)
    waiting = Booking.objects.filter(session=OuterRef("pk"), status=BookingStatus.WAITLISTED)
    queryset = queryset.select_related("class_type", "instructor", "room").annotate(
        booked_count=_count_of(booked), waitlist_count=_count_of(waiting)
    )
    if member is not None:
        mine = Booking.objects.filter(
            session=OuterRef("pk"), member=member, status__in=LIVE_STATUSES
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
        "member", "waived_by", "booking__session__class_type"
    )
    if member is not None:
        penalties = penalties.filter(member=member)
    if not include_waived:
        penalties = penalties.filter(waived_at__isnull=True)
    return penalties


TIMETABLE_FIELDS = (
    "id",
    "starts_at",
    "ends_at",
    "capacity",
    "status",
    "cancelled_reason",
    "booked_count",
    "waitlist_count",
    "class_type_id",
    "class_type__name",
    "class_type__level",
    "class_type__required_tier",
    "class_type__duration_minutes",
    "instructor_id",
    "instructor__display_name",
    "room_id",
    "room__name",
)


def _iso(moment: datetime) -> str:
    # What DRF's DateTimeField writes for UTC: ISO 8601 with a Z.
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def timetable_rows(sessions: QuerySet[ClassSession], *, with_member: bool) -> list[dict]:
    """The timetable as plain rows (the shape of SessionSerializer), read with values():
    building 200 model instances and nested serializers cost more than the query."""
    fields = TIMETABLE_FIELDS + (("my_booking_id", "my_booking_status") if with_member else ())
    rows = []
    for r in sessions.values(*fields):
        rows.append(
            {
                "id": r["id"],
                "class_type": {
                    "id": r["class_type_id"],
                    "name": r["class_type__name"],
                    "level": r["class_type__level"],
                    "required_tier": r["class_type__required_tier"],
                    "duration_minutes": r["class_type__duration_minutes"],
                },
                "instructor": (
                    {"id": r["instructor_id"], "display_name": r["instructor__display_name"]}
                    if r["instructor_id"]
                    else None
                ),
                "room": {"id": r["room_id"], "name": r["room__name"]} if r["room_id"] else None,
                "starts_at": _iso(r["starts_at"]),
                "ends_at": _iso(r["ends_at"]),
                "capacity": r["capacity"],
                "booked_count": r["booked_count"],
                "spots_left": max(r["capacity"] - r["booked_count"], 0),
                "waitlist_count": r["waitlist_count"],
                "status": r["status"],
                "cancelled_reason": r["cancelled_reason"],
                "my_booking": (
                    {"id": r["my_booking_id"], "status": r["my_booking_status"]}
                    if with_member and r["my_booking_id"]
                    else None
                ),
            }
        )
    return rows
