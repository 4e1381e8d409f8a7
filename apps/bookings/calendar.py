"""Private iCalendar feeds (RFC 5545): a member's classes and 1:1 sessions, or what a
trainer teaches. The URL carries a random token instead of a login, because calendar apps
cannot log in; rotating the token revokes the old URL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.bookings.models import (
    PT_HOLDING,
    Booking,
    BookingStatus,
    CalendarFeed,
    ClassSession,
    PTBooking,
    SessionStatus,
    TrainerProfile,
    new_feed_token,
)
from apps.common.errors import ApplicationError
from apps.members.models import Member

FEED_PAST_DAYS = 30
FEED_FUTURE_DAYS = 120


def calendar_feed_for(*, user, rotate: bool = False) -> CalendarFeed:
    """The user's feed (as trainer if they have a trainer profile, else as member)."""
    trainer = TrainerProfile.objects.filter(user=user).first()
    member = None if trainer else Member.objects.filter(user=user).first()
    if trainer is None and member is None:
        raise ApplicationError(
            _("This account has no member or trainer profile."),
            code="no_member_profile",
            status_code=404,
        )
    with transaction.atomic():
        lookup = {"trainer": trainer} if trainer else {"member": member}
        feed, created = CalendarFeed.objects.select_for_update().get_or_create(**lookup)
        if rotate and not created:
            feed.token = new_feed_token()
            feed.save(update_fields=["token"])
    return feed


def _escape(text: str) -> str:
    return (
        str(text)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space."""
    raw = line.encode()
    if len(raw) <= 75:
        return line
    parts, chunk = [], b""
    for char in line:
        encoded = char.encode()
        if len(chunk) + len(encoded) > (75 if not parts else 74):
            parts.append(chunk.decode())
            chunk = b""
        chunk += encoded
    parts.append(chunk.decode())
    return "\r\n ".join(parts)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _event(uid: str, start, end, summary: str, location: str = "", status: str = "") -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{_stamp(timezone.now())}",
        f"DTSTART:{_stamp(start)}",
        f"DTEND:{_stamp(end)}",
        f"SUMMARY:{_escape(summary)}",
    ]
    if location:
        lines.append(f"LOCATION:{_escape(location)}")
    if status:
        lines.append(f"STATUS:{status}")
    lines.append("END:VEVENT")
    return lines


def render_feed(feed: CalendarFeed) -> str:
    now = timezone.now()
    since, until = now - timedelta(days=FEED_PAST_DAYS), now + timedelta(days=FEED_FUTURE_DAYS)
    schema = connection.schema_name
    events: list[str] = []
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
            cancelled = b.session.status == SessionStatus.CANCELLED
            events += _event(
                f"booking-{b.pk}@{schema}",
                b.session.starts_at,
                b.session.ends_at,
                summary,
                b.session.room.name if b.session.room else "",
                "CANCELLED"
                if cancelled
                else "TENTATIVE"
                if b.status == "waitlisted"
                else "CONFIRMED",
            )
        pt = PTBooking.objects.filter(member_id=feed.member_id, status__in=PT_HOLDING)
    else:
        sessions = ClassSession.objects.filter(
            instructor_id=feed.trainer_id, starts_at__range=(since, until)
        ).select_related("class_type", "room")
        for s in sessions:
            events += _event(
                f"session-{s.pk}@{schema}",
                s.starts_at,
                s.ends_at,
                s.class_type.name,
                s.room.name if s.room else "",
                "CANCELLED" if s.status == SessionStatus.CANCELLED else "CONFIRMED",
            )
        pt = PTBooking.objects.filter(trainer_id=feed.trainer_id, status__in=PT_HOLDING)
    for p in pt.filter(starts_at__range=(since, until)).select_related(
        "trainer", "member", "session_type"
    ):
        who = p.trainer.display_name if feed.member_id else p.member.full_name
        events += _event(
            f"pt-{p.pk}@{schema}",
            p.starts_at,
            p.ends_at,
            f"{p.session_type.name} · {who}",
            status="CONFIRMED" if p.status == "confirmed" else "TENTATIVE",
        )
    gym_name = getattr(connection.tenant, "name", schema)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Gym platform//Bookings//EN",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_escape(gym_name)}",
        *events,
        "END:VCALENDAR",
    ]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def calendar_feed_view(request, token: str):
    """GET /calendar/<token>.ics on the gym's domain; no login (the token is the key)."""
    feed = CalendarFeed.objects.filter(token=token[:64]).first()
    if feed is None:
        raise Http404
    response = HttpResponse(render_feed(feed), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response
