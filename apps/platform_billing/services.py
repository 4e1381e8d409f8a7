"""The platform's billing of gyms: trial, plan by active members, Checkout on the
platform's own Stripe account, its webhooks, and what a lapsed gym may still do.

Platform billing is on when `PLATFORM_STRIPE_SECRET_KEY` is set; without it (development)
every gym is treated as paid up.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing import stripe_api
from apps.billing.stripe_api import WebhookRejected, call, client_for_key, to_datetime
from apps.common.errors import ApplicationError
from apps.platform_billing.models import GymSubscription, PlatformPlan, PlatformWebhookEvent
from apps.tenants.models import Gym

logger = logging.getLogger(__name__)
PAID = ("active",)


def enabled() -> bool:
    return bool(getattr(settings, "PLATFORM_STRIPE_SECRET_KEY", ""))


def _client():
    return client_for_key(settings.PLATFORM_STRIPE_SECRET_KEY)


def gym_subscription_get(gym: Gym) -> GymSubscription:
    """The gym's platform subscription; a gym without one starts its trial now."""
    found = GymSubscription.objects.filter(gym_id=gym.pk).first()
    if found is not None:
        return found
    trial_end = (gym.created_at or timezone.now()) + dt.timedelta(days=settings.PLATFORM_TRIAL_DAYS)
    found, _created = GymSubscription.objects.get_or_create(
        gym_id=gym.pk, defaults={"status": "trialing", "trial_ends_at": trial_end}
    )
    return found


def plan_for_gym(gym: Gym) -> PlatformPlan | None:
    """The smallest plan that fits the gym's active members."""
    for plan in PlatformPlan.objects.filter(active=True):
        if plan.max_active_members is None or gym.active_member_count <= plan.max_active_members:
            return plan
    return None


@dataclass(frozen=True)
class PlatformState:
    state: str  # "ok", "trial", "warning" (lapsed, in grace), "read_only"
    read_only_from: dt.datetime | None = None
    trial_ends_at: dt.datetime | None = None


def platform_state(gym: Gym, now: dt.datetime | None = None) -> PlatformState:
    if not enabled() or gym.schema_name == "public":
        return PlatformState("ok")
    now = now or timezone.now()
    sub = gym_subscription_get(gym)
    if sub.status in PAID:
        return PlatformState("ok")
    if sub.status == "trialing" and sub.trial_ends_at and now < sub.trial_ends_at:
        return PlatformState("trial", trial_ends_at=sub.trial_ends_at)
    lapsed = sub.lapsed_since or sub.trial_ends_at or now
    read_only_from = lapsed + dt.timedelta(days=settings.PLATFORM_GRACE_DAYS)
    return PlatformState("read_only" if now >= read_only_from else "warning", read_only_from)


def platform_checkout_start(*, gym: Gym, success_url: str, cancel_url: str) -> str:
    """A Checkout session (the platform's account) for the gym's plan; returns its URL.
    No transaction is open while Stripe answers; each result is saved at once."""
    if not enabled():
        raise ApplicationError(_("Platform billing is not configured."), code="not_configured")
    plan = plan_for_gym(gym)
    if plan is None:
        raise ApplicationError(_("No platform plan fits this gym yet."), code="no_platform_plan")
    client = _client()
    if not plan.stripe_price_id:
        product = call(client.v1.products.create, {"name": f"Gym platform: {plan.name}"})
        plan.stripe_price_id = call(
            client.v1.prices.create,
            {
                "product": product.id,
                "unit_amount": plan.price_minor,
                "currency": plan.currency,
                "recurring": {"interval": "month"},
            },
        ).id
        plan.save(update_fields=["stripe_price_id"])
    sub = gym_subscription_get(gym)
    if not sub.stripe_customer_id:
        customer = call(
            client.v1.customers.create,
            {
                "name": gym.name,
                "email": gym.contact_email or None,
                "metadata": {"gym": gym.schema_name},
            },
        )
        sub.stripe_customer_id = customer.id
        sub.save(update_fields=["stripe_customer_id", "updated_at"])
    meta = {"gym": gym.schema_name, "plan_id": str(plan.pk)}
    session = call(
        client.v1.checkout.sessions.create,
        {
            "mode": "subscription",
            "customer": sub.stripe_customer_id,
            "line_items": [{"price": plan.stripe_price_id, "quantity": 1}],
            "success_url": success_url,
            "cancel_url": cancel_url,
            "metadata": meta,
            "subscription_data": {"metadata": meta},
        },
    )
    return session.url


def platform_webhook_receive(*, payload: bytes, signature: str | None) -> PlatformWebhookEvent:
    """Stripe (the platform's account) -> the platform: verify with the platform's secret,
    store once, queue processing (the one path in `stripe_api.webhook_receive`; the task
    runs in the public schema, where these events live)."""
    secret = getattr(settings, "PLATFORM_STRIPE_WEBHOOK_SECRET", "")
    if not secret or not enabled():
        raise WebhookRejected(_("Platform billing is not configured."), code="not_configured")
    stored, _created = stripe_api.webhook_receive(
        payload=payload,
        signature=signature,
        secret=secret,
        model=PlatformWebhookEvent,
        task_name="apps.platform_billing.tasks.process_platform_event",
    )
    return stored


def platform_webhook_event_process(*, event_id: str) -> bool:
    """Process a stored platform event once, from the gym subscription's current state:
    Stripe is read first, then the event row is locked and the result written, so no lock
    is held while Stripe answers. False when it was already processed."""
    event = PlatformWebhookEvent.objects.get(event_id=event_id)
    if event.processed_at is not None:
        return False
    try:
        data = _subscription_of(event.payload)
        with transaction.atomic():
            row = PlatformWebhookEvent.objects.select_for_update().get(pk=event.pk)
            if row.processed_at is not None:
                return False  # a parallel run got there first
            if data is not None:
                _gym_subscription_store(data)
            row.processed_at = timezone.now()
            row.error = ""
            row.save(update_fields=["processed_at", "error"])
    except Exception as exc:
        message = getattr(exc, "message", None) or repr(exc)
        PlatformWebhookEvent.objects.filter(pk=event.pk).update(error=str(message)[:2000])
        raise
    return True


def platform_events_retry_unprocessed(*, older_than_minutes: int = 10) -> dict:
    """Stored platform events that did not process (never queued: the broker was down;
    or failed past their task's retries) are processed again, oldest first."""
    cutoff = timezone.now() - dt.timedelta(minutes=older_than_minutes)
    waiting = PlatformWebhookEvent.objects.filter(
        processed_at__isnull=True, received_at__lt=cutoff
    ).order_by("received_at")
    done = failed = 0
    for event_id in waiting.values_list("event_id", flat=True)[:200]:
        try:
            platform_webhook_event_process(event_id=event_id)
            done += 1
        except Exception:  # reported in the counts and on the row
            logger.warning("Platform event %s failed again", event_id, exc_info=True)
            failed += 1
    return {"replayed": done, "failed": failed}


def _subscription_of(event: dict):
    """The platform subscription an event is about, as Stripe holds it now, or None."""
    obj = (event.get("data") or {}).get("object") or {}
    kind = event["type"]
    sub_id = None
    if kind.startswith("customer.subscription."):
        sub_id = obj.get("id")
    elif kind == "checkout.session.completed" and obj.get("id"):
        sub_id = call(_client().v1.checkout.sessions.retrieve, obj["id"]).subscription
    elif kind.startswith("invoice."):
        parent = (obj.get("parent") or {}).get("subscription_details") or {}
        sub_id = parent.get("subscription")
    return call(_client().v1.subscriptions.retrieve, sub_id) if sub_id else None


def _gym_subscription_store(data) -> GymSubscription | None:
    metadata = data.metadata.to_dict() if data.metadata else {}
    schema = metadata.get("gym")
    sub = GymSubscription.objects.filter(stripe_subscription_id=data.id).first()
    if sub is None and schema:
        gym = Gym.objects.filter(schema_name=schema).first()
        sub = gym_subscription_get(gym) if gym else None
    if sub is None:
        logger.warning("Platform subscription %s matches no gym", data.id)
        return None
    plan_id = metadata.get("plan_id")
    sub.plan = PlatformPlan.objects.filter(pk=plan_id).first() if plan_id else sub.plan
    sub.stripe_subscription_id = data.id
    sub.stripe_customer_id = data.customer
    previous = sub.status
    sub.status = data.status
    sub.current_period_end = to_datetime(data["items"].data[0].current_period_end)
    if sub.status in PAID:
        sub.lapsed_since = None
    elif previous in PAID or sub.lapsed_since is None:
        sub.lapsed_since = timezone.now()
    sub.save()
    return sub
