"""What the ESP tells us about sent email (django-anymail's tracking webhooks): hard
bounces and spam complaints suppress the address for optional email; an unsubscribe
switches the category's email off.

The webhook is one URL on the platform host for every gym (one ESP account). Each
message carries anymail metadata `{"schema", "delivery"}` (channels/email.py); the event
is handled in the schema it names, and only if that is a real gym. A delivery id is
taken only when that delivery went to the event's address: an event naming another gym's
schema, or a stale id, cannot mark a delivery it did not send."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.db import transaction
from django_tenants.utils import get_public_schema_name, schema_context

from apps.members.models import Member
from apps.notifications import kinds
from apps.notifications.models import (
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    EmailSuppression,
    SuppressionReason,
)
from apps.notifications.services.preferences import preference_update
from apps.tenants.models import Gym

logger = logging.getLogger(__name__)

# anymail's normalized event types we act on.
BOUNCED, COMPLAINED, UNSUBSCRIBED = "bounced", "complained", "unsubscribed"
SUPPRESSING = {BOUNCED: SuppressionReason.BOUNCED, COMPLAINED: SuppressionReason.COMPLAINED}


def _gym_schema(name) -> str | None:
    if not isinstance(name, str) or not name or name == get_public_schema_name():
        return None
    found = Gym.objects.filter(schema_name=name).values_list("schema_name", flat=True).first()
    return found


def _delivery_id(value) -> int | None:
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def _owned_delivery(delivery_id: int | None, address: str) -> Delivery | None:
    """The email delivery with this id, if it was sent to `address`."""
    if delivery_id is None:
        return None
    delivery = (
        Delivery.objects.select_related("notification")
        .filter(pk=delivery_id, channel=DeliveryChannel.EMAIL)
        .first()
    )
    if delivery is None or str(delivery.payload.get("to", "")).lower() != address:
        return None
    return delivery


def _known_address(address: str) -> bool:
    return (
        Member.objects.filter(email__iexact=address).exists()
        or get_user_model().objects.filter(email__iexact=address).exists()
    )


def email_event_record(
    *, event_type: str, recipient: str, metadata: dict | None, description: str = ""
) -> str:
    """Act on one ESP event. Returns what was done (for logs and tests): `suppressed`,
    `unsubscribed`, or `ignored:<why>`."""
    if event_type not in (*SUPPRESSING, UNSUBSCRIBED):
        return "ignored:event"
    metadata = metadata if isinstance(metadata, dict) else {}
    schema = _gym_schema(metadata.get("schema"))
    address = (recipient or "").strip().lower()[:254]
    if schema is None:
        logger.info("ESP %s event for an unknown gym ignored", event_type)
        return "ignored:gym"
    if not address:
        return "ignored:address"
    with schema_context(schema), transaction.atomic():
        delivery = _owned_delivery(_delivery_id(metadata.get("delivery")), address)
        if event_type == UNSUBSCRIBED:
            return _unsubscribe(delivery)
        if delivery is None and not _known_address(address):
            return "ignored:address"
        EmailSuppression.objects.update_or_create(
            address=address,
            defaults={"reason": SUPPRESSING[event_type], "detail": (description or "")[:300]},
        )
        if delivery is not None:
            delivery.error = f"{event_type}: {description}"[:300]
            fields = ["error"]
            if event_type == BOUNCED:
                delivery.status = DeliveryStatus.FAILED
                fields.append("status")
            delivery.save(update_fields=fields)
    return "suppressed"


def _unsubscribe(delivery: Delivery | None) -> str:
    """The ESP's own unsubscribe link or list-unsubscribe: that category's email off, for
    the person the delivery went to."""
    if delivery is None:
        return "ignored:delivery"
    notification = delivery.notification
    who = {"member": notification.member} if notification.member_id else {"user": notification.user}
    preference_update(**who, channels={notification.category: {kinds.EMAIL: False}})
    return "unsubscribed"
