"""Writes of the notifications app; callers import from here."""

from apps.notifications.services.deliveries import deliveries_release_due, deliveries_send
from apps.notifications.services.hub import notify, notify_many, queue_deliveries
from apps.notifications.services.preferences import preference_unsubscribe, preference_update
from apps.notifications.services.reminders import (
    reminder_cancel,
    reminder_cancel_many,
    reminder_set,
    reminders_send_due,
)
from apps.notifications.services.summary import weekly_summaries_send

__all__ = [
    "deliveries_release_due",
    "deliveries_send",
    "notify",
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
