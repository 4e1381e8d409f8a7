"""django-anymail's `tracking` signal (the ESP's webhook, see services/bounces.py),
connected from `NotificationsConfig.ready()`: this module only translates the event."""

from __future__ import annotations

import logging

from anymail.signals import tracking
from django.conf import settings

from apps.notifications.services.bounces import email_event_record

logger = logging.getLogger(__name__)


def on_tracking(sender, event, esp_name, **kwargs) -> None:
    # anymail checks the webhook's basic-auth secret only when one is set, and some ESPs'
    # signature checks pass with an empty key: without the secret nothing is trusted.
    if not settings.ANYMAIL.get("WEBHOOK_SECRET"):
        logger.warning("ESP webhook ignored: ANYMAIL_WEBHOOK_SECRET is not set")
        return
    outcome = email_event_record(
        event_type=event.event_type,
        recipient=event.recipient or "",
        metadata=event.metadata,
        description=event.description or event.mta_response or "",
    )
    logger.info("%s %s event: %s", esp_name, event.event_type, outcome)


def connect() -> None:
    tracking.connect(on_tracking, dispatch_uid="notifications-esp-tracking")
