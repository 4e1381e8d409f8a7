"""The inbox: marking notifications read (one, or all of a person's)."""

from __future__ import annotations

from django.utils import timezone

from apps.notifications import selectors
from apps.notifications.models import Notification


def notification_mark_read(*, notification: Notification) -> Notification:
    """Mark one notification read (a second call keeps the first time)."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_mark_all_read(*, member=None, user=None) -> int:
    """Mark everything unread in this person's inbox read; returns how many."""
    return (
        selectors.inbox(member=member, user=user)
        .filter(read_at__isnull=True)
        .update(read_at=timezone.now())
    )
