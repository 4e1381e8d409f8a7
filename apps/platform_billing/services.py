"""The platform's billing of gyms: trial, plan by active members, Checkout on the
platform's own Stripe account, its webhooks, and what a lapsed gym may still do.

Stripe's side lives in dj-stripe's tables (public schema): the gym is the subscriber of a
`djstripe.Customer`, its plan a `djstripe.Price`, its subscription a
`djstripe.Subscription`, each event a `djstripe.Event`. Objects are made at Stripe with
our client and idempotency keys, outside any transaction, then synced with dj-stripe's
`sync_from_stripe_data`; events arrive through the project's one webhook path and are
processed by dj-stripe (`Event.process`: its handlers re-read each object from Stripe).

Platform billing is on when `PLATFORM_STRIPE_SECRET_KEY` is set; without it (development)
every gym is treated as paid up.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from djstripe.models import Customer, Event, Price, Subscription

from apps.billing import stripe_api
from apps.billing.stripe_api import WebhookRejected, call, client_for_key, idempotency_key
from apps.common.errors import ApplicationError
from apps.platform_billing.models import GymSubscription, PlatformPlan, PlatformWebhookEvent
from apps.tenants.models import Gym

logger = logging.getLogger(__name__)
PAID = ("active",)
ENDED = ("canceled", "incomplete_expired")


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
    No transaction is open while Stripe answers; each result is synced at once."""
    if not enabled():
        raise ApplicationError(_("Platform billing is not configured."), code="not_configured")
    plan = plan_for_gym(gym)
    if plan is None:
        raise ApplicationError(_("No platform plan fits this gym yet."), code="no_platform_plan")
    client = _client()
    price = plan.price or _plan_price_create(client, plan)
    customer = _gym_customer(client, gym)
    meta = {"gym": gym.schema_name, "plan_id": str(plan.pk)}
    params = {
        "mode": "subscription",
        "customer": customer.id,
        "line_items": [{"price": price.id, "quantity": 1}],
        "success_url": success_url,
        "cancel_url": cancel_url,
        "metadata": meta,
        "subscription_data": {"metadata": meta},
    }
    session = call(client.v1.checkout.sessions.create, params)
    return session.url


def _api_key() -> str:
    return settings.PLATFORM_STRIPE_SECRET_KEY


def _plan_price_create(client, plan: PlatformPlan) -> Price:
    """The plan's product and monthly price at Stripe (made once: the keys name the plan),
    synced into dj-stripe's tables."""
    params = {"name": f"Gym platform: {plan.name}", "metadata": {"platform_plan": str(plan.pk)}}
    product = call(
        client.v1.products.create,
        params,
        {"idempotency_key": idempotency_key("platform-plan", plan.pk, "product", params=params)},
    )
    params = {
        "product": product.id,
        "unit_amount": plan.price_minor,
        "currency": plan.currency,
        "recurring": {"interval": "month"},
        "metadata": {"platform_plan": str(plan.pk)},
    }
    data = call(
        client.v1.prices.create,
        params,
        {"idempotency_key": idempotency_key("platform-plan", plan.pk, "price", params=params)},
    )
    price = _synced(Price, data)
    PlatformPlan.objects.filter(pk=plan.pk).update(price=price)
    plan.price = price
    return price


def _gym_customer(client, gym: Gym) -> Customer:
    """The gym's customer on the platform's account (dj-stripe's subscriber: the gym)."""
    found = Customer.objects.filter(subscriber=gym, livemode=settings.STRIPE_LIVE_MODE).first()
    if found is not None:
        return found
    params = {
        "name": gym.name,
        "email": gym.contact_email or None,
        # dj-stripe links the customer to its subscriber by this key.
        "metadata": {"gym": gym.schema_name, "djstripe_subscriber": str(gym.pk)},
    }
    data = call(
        client.v1.customers.create,
        params,
        {"idempotency_key": idempotency_key("platform-gym", gym.pk, "customer", params=params)},
    )
    return _synced(Customer, data)


def _synced(model, data):
    """dj-stripe's copy of a Stripe object (it fetches what the object refers to and it
    does not hold yet, such as a price's product or the account), Stripe errors as ours."""
    try:
        return model.sync_from_stripe_data(data, api_key=_api_key())
    except stripe.StripeError as exc:
        raise stripe_api.provider_error(exc) from exc


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
    """Process a stored platform event once. dj-stripe processes it first (`Event.process`:
    it stores a `djstripe.Event` once and its handlers re-read the object from Stripe and
    sync it, in its own short transaction); then the subscription the event is about is
    read from dj-stripe's tables and, under the event row's lock, the gym's standing
    follows it. No lock of ours is held while Stripe answers. False when it was already
    processed.

    Order and repeats do not matter: dj-stripe always syncs Stripe's current state, and an
    event dj-stripe already has is not processed by it again (a retry after our part failed
    goes straight to our part)."""
    event = PlatformWebhookEvent.objects.get(event_id=event_id)
    if event.processed_at is not None:
        return False
    try:
        try:
            Event.process(event.payload, api_key=_api_key())
            subscription = _subscription_of(event.payload)
        except stripe.StripeError as exc:
            raise stripe_api.provider_error(exc) from exc
        with transaction.atomic():
            row = PlatformWebhookEvent.objects.select_for_update().get(pk=event.pk)
            if row.processed_at is not None:
                return False  # a parallel run got there first
            if subscription is not None:
                gym_subscription_follow(subscription)
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


def _subscription_of(event: dict) -> Subscription | None:
    """dj-stripe's copy of the subscription an event is about, as Stripe holds it now, or
    None. Subscription events were re-read by dj-stripe's handler; for a completed
    Checkout or an invoice the subscription is read again here (dj-stripe's handlers for
    those sync the session or invoice, not the subscription's new status)."""
    obj = (event.get("data") or {}).get("object") or {}
    kind = event["type"]
    if kind.startswith("customer.subscription."):
        found = Subscription.objects.filter(id=obj.get("id")).first()
        if found is not None:
            return found
        sub_id = obj.get("id")
    elif kind == "checkout.session.completed":
        sub_id = obj.get("subscription")
    elif kind.startswith("invoice."):
        parent = (obj.get("parent") or {}).get("subscription_details") or {}
        sub_id = parent.get("subscription")
    else:
        return None
    if not sub_id:
        return None
    data = stripe.Subscription.retrieve(sub_id, api_key=_api_key())
    return Subscription.sync_from_stripe_data(data, api_key=_api_key())


def gym_subscription_follow(subscription: Subscription) -> GymSubscription | None:
    """The gym's standing follows its dj-stripe subscription: status, plan, lapse date."""
    metadata = subscription.metadata or {}
    sub = GymSubscription.objects.filter(subscription=subscription).first()
    if sub is None and metadata.get("gym"):
        gym = Gym.objects.filter(schema_name=metadata["gym"]).first()
        sub = gym_subscription_get(gym) if gym else None
    if sub is None:
        logger.warning("Platform subscription %s matches no gym", subscription.id)
        return None
    current = sub.subscription
    if (
        current is not None
        and current.pk != subscription.pk
        and subscription.status in ENDED
        and current.status not in ENDED
    ):
        return sub  # late news of an old subscription: the gym has a newer, live one
    plan_id = metadata.get("plan_id")
    sub.plan = PlatformPlan.objects.filter(pk=plan_id).first() if plan_id else sub.plan
    sub.subscription = subscription
    sub.status = subscription.status
    if sub.status in PAID:
        sub.lapsed_since = None
    elif sub.lapsed_since is None:
        sub.lapsed_since = timezone.now()
    sub.save()
    return sub
