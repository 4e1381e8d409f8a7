"""Announcements: staff (owner or manager) tell a segment of members something.

The request is accepted fast: `announcement_send` checks everything, writes the
`Announcement` row and queues the fan-out task; the task (`announcement_fan_out`) walks
the segment in chunks through `notify_many` with the dedupe key `announcement:<id>`, so a
retried or re-queued task never tells anyone twice, then marks the announcement sent.

Rate limit: `RATE_LIMIT` announcements per gym per `RATE_WINDOW` (10 per 24 hours). An
announcement goes to every member's inbox and, by default, phone and mailbox: ten a day is
well above what a gym sends (a closure, a schedule change) and low enough that a stolen or
careless staff login cannot flood members. The check runs under a per-gym advisory lock so
two requests at once cannot both take the last place.
"""

from __future__ import annotations

import logging
import zlib
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing.models import MembershipPlan
from apps.bookings.models import ClassSession
from apps.common.errors import ApplicationError
from apps.common.queue import enqueue_on_commit
from apps.members.models import Member
from apps.notifications import selectors
from apps.notifications.models import Announcement, AnnouncementStatus, Notification, Segment
from apps.notifications.services.hub import notify_many

logger = logging.getLogger(__name__)

TITLE_MAX = 120
BODY_MAX = 2000
TAG_MAX = 32  # Member.tags items
RATE_LIMIT = 10
RATE_WINDOW = timedelta(hours=24)
# Members per notify_many call: one transaction and a few bulk inserts each.
FAN_OUT_CHUNK = 500
# A fan-out not finished this long after it was accepted is queued again (tick).
STALE_AFTER = timedelta(minutes=5)
PERMISSION = "notifications.add_announcement"
FAN_OUT_TASK = "apps.notifications.tasks.announcement_fan_out"


def _segment_checked(segment, segment_value) -> tuple[str, str]:
    """The segment and its value, normalised, or a clear error when the value names
    nothing in this gym (another gym's tag, class or plan is 'not found' here too)."""
    segment = str(segment or "")
    value = str(segment_value if segment_value is not None else "").strip()
    if segment not in Segment.values:
        raise ApplicationError(
            _("Choose who receives the announcement."),
            code="invalid_segment",
            details={"segment": [_("Unknown segment.")]},
        )
    if segment == Segment.ALL_ACTIVE:
        return segment, ""
    if segment == Segment.TAG:
        if not value or len(value) > TAG_MAX:
            raise _value_error(_("Enter a tag of at most %(n)d characters.") % {"n": TAG_MAX})
        if not Member.objects.filter(tags__contains=[value]).exists():
            raise _value_error(_("No member has the tag “%(tag)s”.") % {"tag": value})
        return segment, value
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        raise _value_error(_("Choose a class or a plan from the list."))
    if segment == Segment.SESSION:
        if not ClassSession.objects.filter(pk=int(value)).exists():
            raise _value_error(_("That class does not exist in this gym."))
    elif not MembershipPlan.objects.filter(pk=int(value)).exists():
        raise _value_error(_("That plan does not exist in this gym."))
    return segment, str(int(value))


def _value_error(message: str) -> ApplicationError:
    return ApplicationError(
        message, code="invalid_segment_value", details={"segment_value": [message]}
    )


def announcement_preview(*, segment, segment_value="") -> dict:
    """How many members the segment reaches now (what the Preview step shows). Only
    reads; it lives here because it validates exactly as `announcement_send` does."""
    segment, value = _segment_checked(segment, segment_value)
    count = selectors.announcement_recipients(segment=segment, segment_value=value).count()
    return {"segment": segment, "segment_value": value, "recipient_count": count}


def _texts_checked(title, body) -> tuple[str, str]:
    title = " ".join(str(title or "").split())
    body = str(body or "").replace("\r\n", "\n").strip()
    errors = {}
    if not title:
        errors["title"] = [_("Enter a title.")]
    elif len(title) > TITLE_MAX:
        errors["title"] = [_("At most %(n)d characters.") % {"n": TITLE_MAX}]
    if not body:
        errors["body"] = [_("Enter the text.")]
    elif len(body) > BODY_MAX:
        errors["body"] = [_("At most %(n)d characters.") % {"n": BODY_MAX}]
    if errors:
        raise ApplicationError(
            _("Check the announcement's title and text."), code="invalid", details=errors
        )
    return title, body


def _lock_gym_announcements() -> None:
    """Serialise announcement_send per gym until the transaction ends (rate limit)."""
    key = zlib.crc32(f"announcements:{connection.schema_name}".encode())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def announcement_send(*, by, title, body, segment, segment_value="") -> Announcement:
    """Accept an announcement from `by` (owner or manager): checks, writes the row and
    queues the fan-out after commit. Returns at once; the task does the sending."""
    if by is None or not by.is_active or not by.has_perm(PERMISSION):
        raise ApplicationError(
            _("Only owners and managers can send announcements."),
            code="permission_denied",
            status_code=403,
        )
    title, body = _texts_checked(title, body)
    with transaction.atomic():
        _lock_gym_announcements()
        now = timezone.now()
        if selectors.announcement_sent_recently(since=now - RATE_WINDOW) >= RATE_LIMIT:
            raise ApplicationError(
                _("This gym has sent %(n)d announcements in the last 24 hours; try again later.")
                % {"n": RATE_LIMIT},
                code="rate_limited",
                status_code=429,
            )
        preview = announcement_preview(segment=segment, segment_value=segment_value)
        announcement = Announcement.objects.create(
            title=title,
            body=body,
            segment=preview["segment"],
            segment_value=preview["segment_value"],
            recipient_count=preview["recipient_count"],
            created_by=by,
            created_at=now,
        )
        enqueue_on_commit(FAN_OUT_TASK, announcement.pk)
    logger.info(
        "announcement %s accepted in %s by user %s: segment=%s value=%r recipients=%s",
        announcement.pk,
        connection.schema_name,
        by.pk,
        announcement.segment,
        announcement.segment_value,
        announcement.recipient_count,
    )
    return announcement


def announcement_fan_out(*, announcement_id: int, chunk: int = FAN_OUT_CHUNK) -> dict:
    """Tell every member of the announcement's segment, chunk by chunk; idempotent (the
    dedupe key skips those already told), so a retried task never sends twice."""
    announcement = Announcement.objects.filter(pk=announcement_id).first()
    if announcement is None or announcement.status == AnnouncementStatus.SENT:
        return {"created": 0}
    key = selectors.announcement_dedupe_key(announcement.pk)
    context = {
        "title": announcement.title,
        "body": announcement.body,
        "data": {"announcement": announcement.pk},
    }
    members = selectors.announcement_recipients(
        segment=announcement.segment, segment_value=announcement.segment_value
    )
    created, last_pk = 0, 0
    while True:
        batch = list(members.filter(pk__gt=last_pk)[:chunk])
        if not batch:
            break
        created += len(notify_many(batch, "announcement", context, dedupe_key=key))
        last_pk = batch[-1].pk
    total = Notification.objects.filter(dedupe_key=key).count()
    Announcement.objects.filter(pk=announcement.pk).update(
        status=AnnouncementStatus.SENT, sent_at=timezone.now(), recipient_count=total
    )
    logger.info(
        "announcement %s sent in %s: %s new notifications, %s in all",
        announcement.pk,
        connection.schema_name,
        created,
        total,
    )
    return {"created": created, "total": total}


def announcements_requeue_stale(*, now=None) -> int:
    """Queue the fan-out again for announcements still sending long after they were
    accepted (the broker was down, or a worker died mid-way). Runs from the tick."""
    now = now or timezone.now()
    ids = list(selectors.announcement_stale(before=now - STALE_AFTER).values_list("pk", flat=True))
    for pk in ids:
        enqueue_on_commit(FAN_OUT_TASK, pk)
    return len(ids)
