"""Reminders: something to tell someone at a local time, on one date or every listed
weekday, sent by the per-minute tick (`reminders_send_due`).

Times are wall-clock times in the reminder's time zone; `next_at` (UTC) is the next
occurrence, computed with `timing.at_local`: a local time skipped by a DST change fires at
the same wall-clock distance after the change (02:30 on a spring-forward night -> 03:30),
an ambiguous one (fall back) fires once, at its first instance.

Each occurrence is sent once: the notification's dedupe key is
`reminder:<id>:<occurrence>` (the occurrence's UTC minute), due rows are claimed with
SKIP LOCKED and moved to their next occurrence in the same transaction, so a job that runs
twice or concurrently sends nothing twice. A reminder due long ago (the worker was down)
is sent once, then moved to its next occurrence after now: missed occurrences are not
replayed one by one.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.common.errors import ApplicationError
from apps.members.models import Member
from apps.notifications import kinds
from apps.notifications.models import Reminder
from apps.notifications.services.hub import notify_each
from apps.notifications.timing import at_local

logger = logging.getLogger(__name__)

# Reminders claimed per transaction: one transaction holds their row locks while their
# notifications are written, so a concurrent run takes the next batch instead of waiting.
SEND_BATCH = 200
# Batches per run: a bound so a run always ends (the next tick goes on).
MAX_BATCHES = 100
UTC = ZoneInfo("UTC")


def next_occurrence(
    *,
    local_time: time,
    time_zone: str,
    on_date: date | None = None,
    weekdays=(),
    after: datetime,
) -> datetime | None:
    """The first occurrence strictly after `after` (UTC), or None when there is none
    (a one-date reminder whose moment has passed)."""
    if on_date is not None:
        at = at_local(on_date, local_time, time_zone).astimezone(UTC)
        return at if at > after else None
    days = set(weekdays)
    if not days:
        return None
    start = after.astimezone(ZoneInfo(time_zone)).date()
    # 8 days: today may be a listed weekday whose time has passed.
    for offset in range(9):
        day = start + timedelta(days=offset)
        if day.isoweekday() in days:
            at = at_local(day, local_time, time_zone).astimezone(UTC)
            if at > after:
                return at
    return None  # unreachable with a valid weekday


def _clean(*, kind: str, local_time, time_zone: str, on_date, weekdays) -> list[int]:
    kinds.get(kind)
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ApplicationError(
            _("Unknown time zone “%(zone)s”.") % {"zone": time_zone}, code="invalid_time_zone"
        ) from None
    days = sorted(set(weekdays or ()))
    if any(not isinstance(d, int) or not 1 <= d <= 7 for d in days):
        raise ApplicationError(_("Weekdays are 1 (Monday) to 7 (Sunday)."), code="invalid_weekdays")
    if (on_date is None) == (not days):
        raise ApplicationError(
            _("A reminder has one date or weekdays (not both, not neither)."),
            code="invalid_reminder",
        )
    if not isinstance(local_time, time):
        raise ApplicationError(_("The local time must be a time."), code="invalid_reminder")
    return days


def reminder_set(
    *,
    recipient,
    kind: str,
    local_time: time,
    time_zone: str,
    on_date: date | None = None,
    weekdays=(),
    context: dict | None = None,
    source: str = "",
    now: datetime | None = None,
) -> Reminder:
    """Create or (same kind and source) update a reminder for `recipient` (a Member or a
    User). Setting it again re-arms it: `next_at` is the first occurrence after now, or,
    for a one-date reminder, its moment even if that has just passed (it goes out at the
    next tick), so a class booked inside the lead time still gets its reminder."""
    now = now or timezone.now()
    days = _clean(
        kind=kind, local_time=local_time, time_zone=time_zone, on_date=on_date, weekdays=weekdays
    )
    local_time = local_time.replace(tzinfo=None, second=0, microsecond=0)
    if on_date is not None:
        next_at = at_local(on_date, local_time, time_zone).astimezone(UTC)
    else:
        next_at = next_occurrence(
            local_time=local_time, time_zone=time_zone, weekdays=days, after=now
        )
    is_member = isinstance(recipient, Member)
    values = {
        "member": recipient if is_member else None,
        "user": None if is_member else recipient,
        "local_time": local_time,
        "time_zone": time_zone,
        "on_date": on_date,
        "weekdays": days,
        "context": context or {},
        "next_at": next_at,
        "active": next_at is not None,
    }
    if not source:
        return Reminder.objects.create(kind=kind, **values)
    reminder, _created = Reminder.objects.update_or_create(
        kind=kind, source=source, defaults=values
    )
    return reminder


def reminder_cancel(*, kind: str, source: str) -> int:
    """Switch off the reminder of `kind` made by `source` (if any). Returns how many."""
    if not source:
        return 0
    return Reminder.objects.filter(kind=kind, source=source, active=True).update(
        active=False, next_at=None
    )


def reminder_cancel_many(*, kind: str, sources) -> int:
    sources = [s for s in sources if s]
    if not sources:
        return 0
    return Reminder.objects.filter(kind=kind, source__in=sources, active=True).update(
        active=False, next_at=None
    )


def occurrence_key(reminder: Reminder) -> str:
    return f"reminder:{reminder.pk}:{reminder.next_at.astimezone(UTC):%Y%m%dT%H%MZ}"


def _contexts(batch: list[Reminder]) -> dict[int, dict | None]:
    by_kind: dict[str, list[Reminder]] = {}
    for reminder in batch:
        by_kind.setdefault(reminder.kind, []).append(reminder)
    out: dict[int, dict | None] = {}
    for kind, reminders in by_kind.items():
        resolver = kinds.RESOLVERS.get(kind)
        if resolver is None:
            out.update({r.pk: dict(r.context) for r in reminders})
            continue
        try:
            out.update(resolver(reminders))
        except Exception:  # a broken resolver must not stop the other kinds' reminders
            logger.exception("Reminder resolver for %s failed; these are retried", kind)
            for r in reminders:
                out[r.pk] = _RETRY
    return out


_RETRY = object()


def reminders_send_due(*, now: datetime | None = None, batch_size: int = SEND_BATCH) -> int:
    """Send every active reminder whose `next_at` has come (once per occurrence), then
    move it to its next occurrence or switch a one-date reminder off. Safe to run twice
    or concurrently. Returns how many notifications were sent."""
    now = now or timezone.now()
    sent = 0
    failed: set[int] = set()
    for _batch in range(MAX_BATCHES):
        with transaction.atomic():
            batch = list(
                Reminder.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("member", "user")
                .filter(active=True, next_at__lte=now)
                .exclude(pk__in=failed)
                .order_by("next_at", "id")[:batch_size]
            )
            if not batch:
                break
            contexts = _contexts(batch)
            due: dict[str, list[Reminder]] = {}
            done = []
            for reminder in batch:
                context = contexts.get(reminder.pk, kinds.SKIP)
                if context is _RETRY:
                    failed.add(reminder.pk)
                    continue
                if context is not kinds.SKIP:
                    due.setdefault(reminder.kind, []).append(reminder)
                done.append(reminder)
            for kind, reminders in due.items():
                sent += _send(kind, reminders, contexts, now)
            for reminder in done:
                reminder.next_at = next_occurrence(
                    local_time=reminder.local_time,
                    time_zone=reminder.time_zone,
                    on_date=reminder.on_date,
                    weekdays=reminder.weekdays,
                    after=now,
                )
                reminder.active = reminder.next_at is not None
            Reminder.objects.bulk_update(done, ["last_sent_at", "next_at", "active"])
        if len(batch) < batch_size:
            break
    return sent


def _send(kind: str, reminders: list[Reminder], contexts: dict, now: datetime) -> int:
    """One bulk notify for the due reminders of one kind (each its own context and
    occurrence key); a reminder whose texts fail to render is logged and skipped, the
    others go out."""
    created = notify_each(
        kind,
        [(r.member or r.user, contexts[r.pk], occurrence_key(r)) for r in reminders],
        isolate_errors=True,
    )
    for reminder, notification in zip(reminders, created, strict=True):
        if notification is not None:
            reminder.last_sent_at = now
    return sum(1 for n in created if n is not None)
