"""What the member did, told to every part of this app that counts it.

The door (a granted entry) and the class roster (a booking marked attended) are the
automatic sources. They do not import this app: they send their signals
(`apps.attendance.signals.visit_entered`, `apps.bookings.signals.booking_attended`) after
commit, and `tasks.activity_recorded` (queued by this app's receivers) calls every
listener registered here, in the gym's schema, off the request:

    activity.register_listener("checkins", checkin_from_activity)

A listener is `fn(*, member, kind, at)` with `kind` one of `KINDS` and `at` an aware
datetime; it must be idempotent (a task can run twice). The workouts issue adds its kinds
(a logged set) and feeds goals through `progress.register_source`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from apps.common.queue import enqueue_on_commit
from apps.members.models import Member

VISIT, CLASS = "visit", "class"
KINDS = (VISIT, CLASS)

_listeners: dict[str, Callable[..., None]] = {}


def register_listener(key: str, fn: Callable[..., None]) -> None:
    _listeners[key] = fn  # by key: a second ready() (tests, autoreload) replaces


def listeners() -> list[Callable[..., None]]:
    return [fn for _key, fn in sorted(_listeners.items())]


def activity_recorded(*, member, kind: str, at: datetime) -> None:
    if kind not in KINDS:
        raise ValueError(f"Unknown activity kind {kind!r}")
    for fn in listeners():
        fn(member=member, kind=kind, at=at)


def activity_run(*, member_id: int, kind: str, at: str) -> bool:
    """The task's body: the member's activity to every listener (False: the member is gone)."""
    member = Member.objects.filter(pk=member_id).first()
    if member is None:
        return False
    activity_recorded(member=member, kind=kind, at=datetime.fromisoformat(at))
    return True


# Receivers of the door's and the roster's signals. They run inside the door's
# transaction, so they only queue (after commit): no query, and a rolled-back entry
# queues nothing. The hourly `goals_roll_periods` recounts period goals, which covers a
# message lost to a broker outage.
def _queue(kind: str, member_id: int, at: datetime) -> None:
    enqueue_on_commit("apps.goals.tasks.activity_recorded", member_id, kind, at.isoformat())


def on_visit_entered(sender, *, member_id: int, at: datetime, **kwargs) -> None:
    _queue(VISIT, member_id, at)


def on_booking_attended(sender, *, member_id: int, at: datetime, **kwargs) -> None:
    _queue(CLASS, member_id, at)
