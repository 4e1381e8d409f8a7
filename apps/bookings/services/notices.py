"""What every class notice (reminder, cancellation, promotion) tells about its session, on
its own so the services that send them (booking, schedule, reminders) share it without
importing each other."""

from __future__ import annotations

from apps.bookings.models import ClassSession
from apps.bookings.policy import gym_zone
from apps.tenants.models import Gym


def session_notice_context(session: ClassSession, gym: Gym) -> dict:
    # Templates get the gym's wall-clock time as a naive datetime: the template engine
    # would otherwise convert an aware one to the server's zone.
    local = session.starts_at.astimezone(gym_zone(gym)).replace(tzinfo=None)
    return {"session": session, "class_name": session.class_type.name, "starts_local": local}
