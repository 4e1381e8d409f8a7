"""Writes of the notifications app; callers import from here."""

from apps.notifications.services.announcements import (
    announcement_fan_out,
    announcement_preview,
    announcement_send,
    announcements_requeue_stale,
)
from apps.notifications.services.deliveries import deliveries_release_due, deliveries_send
from apps.notifications.services.hub import notify, notify_each, notify_many, queue_deliveries
from apps.notifications.services.inbox import notification_mark_read, notifications_mark_all_read
from apps.notifications.services.preferences import preference_unsubscribe, preference_update
from apps.notifications.services.reminders import (
    reminder_cancel,
    reminder_cancel_many,
    reminder_set,
    reminders_send_due,
)
from apps.notifications.services.summary import weekly_summaries_send

__all__ = [
    "announcement_fan_out",
    "announcement_preview",
    "announcement_send",
    "announcements_requeue_stale",
    "deliveries_release_due",
    "deliveries_send",
    "notification_mark_read",
    "notifications_mark_all_read",
    "notify",
    "notify_each",
    "notify_many",
    "preference_unsubscribe",
    "preference_update",
    "queue_deliveries",
    "reminder_cancel",
    "reminder_cancel_many",
    "reminder_set",
    "reminders_send_due",
    "weekly_summaries_send",
]
