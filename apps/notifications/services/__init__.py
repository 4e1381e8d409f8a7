"""Writes of the notifications app; callers import from here."""

from apps.notifications.services.deliveries import deliveries_release_due, deliveries_send
from apps.notifications.services.hub import notify, notify_many, queue_deliveries
from apps.notifications.services.inbox import notification_mark_read, notifications_mark_all_read
from apps.notifications.services.preferences import preference_unsubscribe, preference_update

__all__ = [
    "deliveries_release_due",
    "deliveries_send",
    "notification_mark_read",
    "notifications_mark_all_read",
    "notify",
    "notify_many",
    "preference_unsubscribe",
    "preference_update",
    "queue_deliveries",
]
