"""Reading state of the in-app inbox: one notification, or all of them, marked read."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from apps.common.errors import ApplicationError
from apps.notifications import selectors
from apps.notifications.models import Notification


def notification_mark_read(*, notification_id: int, member=None, user=None) -> Notification:
    """Mark one notification of this person's inbox read (again: a no-op). Another
    person's or another gym's id is the same 404 as an unknown one."""
    notification = selectors.inbox(member=member, user=user).filter(pk=notification_id).first()
    if notification is None:
        raise ApplicationError(_("No such notification."), code="not_found", status_code=404)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        # A conditional update: two devices marking it at once keep the first time.
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_mark_all_read(*, member=None, user=None) -> int:
    """Mark every unread notification of this person's inbox read; returns how many."""
    return (
        selectors.inbox(member=member, user=user)
        .filter(read_at__isnull=True)
        .order_by()
        .update(read_at=timezone.now())
    )
