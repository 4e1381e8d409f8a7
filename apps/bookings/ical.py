"""The iCalendar (RFC 5545) text of a calendar feed, written by the `icalendar` package:
it escapes text, folds long lines at 75 octets and writes times in UTC."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from icalendar import Calendar, Event

from apps.bookings.selectors import CalendarEvent

PRODID = "-//Gym platform//Bookings//EN"


def calendar_ical(*, name: str, events: Iterable[CalendarEvent], now: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODID)
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    stamp = now.astimezone(UTC)
    for item in events:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", item.starts_at.astimezone(UTC))
        event.add("dtend", item.ends_at.astimezone(UTC))
        event.add("summary", item.summary)
        if item.location:
            event.add("location", item.location)
        event.add("status", item.status)
        calendar.add_component(event)
    # Properties in the order written above (the package would sort them otherwise).
    return calendar.to_ical(sorted=False)
