"""Reads on the timetable and bookings (current gym schema).

The timetable is the hottest read: one query whatever the number of classes, with the
booked and waitlist counts and the member's own booking computed by the database.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

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
