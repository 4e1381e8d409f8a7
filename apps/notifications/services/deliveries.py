"""Sending queued deliveries: claim, send outside the transaction, record the outcome.

Temporary failures (5xx, 429, timeouts) are retried with growing delays; permanent ones
are not. A push service saying the subscription is gone deletes the device."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.notifications import channels
from apps.notifications.channels import email as email_channel
from apps.notifications.channels import fcm as fcm_channel
from apps.notifications.channels import webpush as webpush_channel
from apps.notifications.models import Delivery, DeliveryStatus, Device
from apps.notifications.services.hub import queue_deliveries

logger = logging.getLogger(__name__)

# Seconds before retry n (1-based); after the last, the delivery has failed.
RETRY_DELAYS = (30, 120, 600, 1800, 3600)
# A delivery claimed this long ago without an outcome had its worker die: send again.
STALE_CLAIM = timedelta(minutes=5)
# A delivery queued this long ago and still not claimed lost its message (broker outage).
# Well above a busy queue's backlog: 10,000 emails take ~6 min on two workers, and a
# 2-minute window re-queued the whole backlog every minute in every gym (the reminders
# benchmark, 2026-12-07), so the workers spent their time on duplicates.
LOST_MESSAGE = timedelta(minutes=15)

SENDERS = {
    "email": email_channel.send_batch,
    "webpush": webpush_channel.send_batch,
    "fcm": fcm_channel.send_batch,
}


def deliveries_send(*, ids: list[int], now: datetime | None = None) -> dict[str, int]:
    """Send the due, still-queued deliveries among `ids`. Returns counts per outcome."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = list(
            Delivery.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("notification", "device")
            .filter(id__in=ids, status=DeliveryStatus.QUEUED)
            .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        )
        for delivery in claimed:
            delivery.status = DeliveryStatus.SENDING
            delivery.claimed_at = now
            delivery.attempts += 1
        Delivery.objects.bulk_update(claimed, ["status", "claimed_at", "attempts"])
    counts: dict[str, int] = {}
    by_channel: dict[str, list[Delivery]] = {}
    for delivery in claimed:
        by_channel.setdefault(delivery.channel, []).append(delivery)
    for channel, batch in by_channel.items():
        sender = SENDERS.get(channel)
        if sender is None:  # the channel was switched off after queueing
            outcomes = [channels.Outcome(channels.FAILED, "channel not configured")] * len(batch)
        else:
            outcomes = sender(batch)
        for outcome in outcomes:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        _record(batch, outcomes, timezone.now())
    return counts


def _record(batch: list[Delivery], outcomes, now: datetime) -> None:
    gone_devices = []
    for delivery, outcome in zip(batch, outcomes, strict=True):
        delivery.error = outcome.error[:300]
        if outcome.status == channels.SENT:
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = now
        elif outcome.status == channels.GONE:
            delivery.status = DeliveryStatus.GONE
            if delivery.device_id:
                gone_devices.append(delivery.device_id)
        elif outcome.status == channels.RETRY and delivery.attempts <= len(RETRY_DELAYS):
            delay = RETRY_DELAYS[delivery.attempts - 1]
            if outcome.retry_after:
                delay = max(delay, min(outcome.retry_after, 24 * 3600))
            delivery.status = DeliveryStatus.QUEUED
            delivery.not_before = now + timedelta(seconds=delay)
            delivery.queued_at = None  # no task until the tick releases it
        else:
            delivery.status = DeliveryStatus.FAILED
            logger.info("Delivery %s failed: %s", delivery.pk, outcome.error)
    Delivery.objects.bulk_update(batch, ["status", "error", "sent_at", "not_before", "queued_at"])
    if gone_devices:
        Device.objects.filter(pk__in=gone_devices).delete()
    used = [d.device_id for d in batch if d.device_id and d.status == DeliveryStatus.SENT]
    if used:
        Device.objects.filter(pk__in=used).update(last_used_at=now)


def deliveries_release_due(*, now: datetime | None = None) -> int:
    """Queue the deliveries whose wait is over (quiet hours, retry delay) and those whose
    worker died mid-send. Run every minute; returns how many were queued."""
    now = now or timezone.now()
    with transaction.atomic():
        Delivery.objects.filter(
            status=DeliveryStatus.SENDING, claimed_at__lt=now - STALE_CLAIM
        ).update(status=DeliveryStatus.QUEUED, queued_at=None)
        due = Q(not_before__isnull=True) | Q(not_before__lte=now)
        # No task pending (held, waiting for a retry, its worker died), or one queued long
        # ago that never claimed it. Anything else already has a task in the queue:
        # queuing it again would only add duplicates.
        waited = Q(queued_at__isnull=True)
        lost = Q(queued_at__lte=now - LOST_MESSAGE)
        ids = list(
            Delivery.objects.filter(status=DeliveryStatus.QUEUED)
            .filter(due)
            .filter(waited | lost)
            .order_by("id")
            .values_list("id", flat=True)[:20000]
        )
        Delivery.objects.filter(pk__in=ids).update(queued_at=now)
        queue_deliveries(ids)
    return len(ids)
