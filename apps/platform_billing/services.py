"""The platform's billing of gyms: trial, plan by active members, Checkout on the
platform's own Stripe account, its webhooks, and what a lapsed gym may still do.

Platform billing is on when `PLATFORM_STRIPE_SECRET_KEY` is set; without it (development)
every gym is treated as paid up.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing.stripe_api import client_for_key, provider_error
from apps.common.errors import ApplicationError
from apps.platform_billing.models import GymSubscription, PlatformPlan, PlatformWebhookEvent
from apps.tenants.models import Gym

logger = logging.getLogger(__name__)
PAID = ("active",)


def enabled() -> bool:
    return bool(getattr(settings, "PLATFORM_STRIPE_SECRET_KEY", ""))


def _client():
    return client_for_key(settings.PLATFORM_STRIPE_SECRET_KEY)


def _call(func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except stripe.StripeError as exc:
        raise provider_error(exc) from exc


def _ts(value) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(int(value), tz=dt.UTC) if value else None


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


@transaction.atomic
def platform_checkout_start(*, gym: Gym, success_url: str, cancel_url: str) -> str:
    """A Checkout session (the platform's account) for the gym's plan; returns its URL."""
    if not enabled():
        raise ApplicationError(_("Platform billing is not configured."), code="not_configured")
    plan = plan_for_gym(gym)
    if plan is None:
        raise ApplicationError(_("No platform plan fits this gym yet."), code="no_platform_plan")
    client = _client()
    if not plan.stripe_price_id:
        product = _call(client.v1.products.create, {"name": f"Gym platform: {plan.name}"})
        plan.stripe_price_id = _call(
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
        customer = _call(
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
    session = _call(
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
    """Verify with the platform's secret, store once, process (a few events a month per
    gym: processed in the request, from the subscription's current state)."""
    secret = getattr(settings, "PLATFORM_STRIPE_WEBHOOK_SECRET", "")
    if not secret or not enabled():
        raise ApplicationError(_("Platform billing is not configured."), code="not_configured")
    try:
        # The signature check alone: `construct_event` crashes (AttributeError) on a
        # signed body that is JSON but not an object; the shape is checked below.
        stripe.WebhookSignature.verify_header(
            payload, signature or "", secret, stripe.Webhook.DEFAULT_TOLERANCE
        )
        event = json.loads(payload)
    except stripe.SignatureVerificationError as exc:
        raise ApplicationError(_("Bad signature."), code="bad_signature") from exc
    except ValueError as exc:
        raise ApplicationError(_("The payload is not valid JSON."), code="bad_payload") from exc
    # Signed but not an event (a list, no id or type): refused, not a 500 on a KeyError.
    if (
        not isinstance(event, dict)
        or not str(event.get("id", "")).startswith("evt_")
        or not isinstance(event.get("type"), str)
    ):
        raise ApplicationError(_("Not a Stripe event."), code="bad_payload")
    obj = (event.get("data") or {}).get("object") or {}
    if not isinstance(obj, dict):
        raise ApplicationError(_("Not a Stripe event."), code="bad_payload")
    stored, _created = PlatformWebhookEvent.objects.get_or_create(
        event_id=event["id"][:64], defaults={"type": event["type"][:64], "payload": event}
    )
    with transaction.atomic():
        row = PlatformWebhookEvent.objects.select_for_update().get(pk=stored.pk)
        if row.processed_at is None:
            sub_id = None
            if event["type"].startswith("customer.subscription."):
                sub_id = obj.get("id")
            elif event["type"] == "checkout.session.completed" and obj.get("id"):
                sub_id = _call(_client().v1.checkout.sessions.retrieve, obj["id"]).subscription
            elif event["type"].startswith("invoice."):
                parent = (obj.get("parent") or {}).get("subscription_details") or {}
                sub_id = parent.get("subscription")
            if sub_id:
                gym_subscription_sync(stripe_subscription_id=sub_id)
            row.processed_at = timezone.now()
            row.save(update_fields=["processed_at"])
    return row


def gym_subscription_sync(*, stripe_subscription_id: str) -> GymSubscription | None:
    data = _call(_client().v1.subscriptions.retrieve, stripe_subscription_id)
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
    sub.current_period_end = _ts(data["items"].data[0].current_period_end)
    if sub.status in PAID:
        sub.lapsed_since = None
    elif previous in PAID or sub.lapsed_since is None:
        sub.lapsed_since = timezone.now()
    sub.save()
    return sub
