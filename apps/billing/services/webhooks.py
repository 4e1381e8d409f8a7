"""Stripe's webhooks for this gym: verified, stored once (by event id), processed by a
task from the objects' *current* state at Stripe, so duplicates are no-ops and the order
of delivery does not matter."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from apps.billing import stripe_api
from apps.billing.crypto import decrypt
from apps.billing.models import CheckoutRequest, MembershipPlan, WebhookEvent
from apps.billing.selectors import billing_settings_get
from apps.billing.services._shared import member_from
from apps.billing.services.connect import account_fetch, connect_deauthorized
from apps.billing.services.credits import credit_grant
from apps.billing.services.subscriptions import (
    invoice_fetch,
    invoice_store,
    subscription_fetch,
    subscription_store,
)
from apps.billing.stripe_api import WebhookRejected, call, gym_client, to_datetime, to_plain
from apps.common.errors import ApplicationError
from apps.platform_billing.models import ConnectedAccount

logger = logging.getLogger(__name__)


def _checkout_fetch(data: dict, client):
    """Read a completed Checkout session (and its subscription) from Stripe; returns the
    write to make under the lock."""
    read_at = timezone.now()
    session = to_plain(call(client.v1.checkout.sessions.retrieve, data["id"]))
    sub_data = None
    if session.get("subscription"):
        sub_data = subscription_fetch(client=client, stripe_subscription_id=session["subscription"])

    def write() -> None:
        request = CheckoutRequest.objects.filter(stripe_session_id=session["id"]).first()
        if sub_data is not None:
            subscription_store(sub_data, read_at=read_at, client=client)
        elif session.get("payment_status") == "paid":
            member = request.member if request else member_from(session.get("metadata"), None)
            plan_id = (session.get("metadata") or {}).get("plan_id")
            plan = request.plan if request else MembershipPlan.objects.filter(pk=plan_id).first()
            if member is None or plan is None:
                raise ApplicationError(
                    _("This payment belongs to no member or plan of this gym."),
                    code="unknown_checkout",
                )
            credit_grant(
                member=member,
                credits=plan.class_credits,
                reason="pack",
                source=f"checkout:{session['id']}",
            )
        if request and request.completed_at is None:
            request.completed_at = timezone.now()
            request.save(update_fields=["completed_at"])

    return write


SUBSCRIPTION_EVENTS = {
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
    "customer.subscription.trial_will_end",
}
# invoice.payment_succeeded is left out: Stripe sends invoice.paid for every successful
# attempt as well (and for payments out of band), so processing both doubled the work.
INVOICE_EVENTS = {
    "invoice.finalized",
    "invoice.paid",
    "invoice.payment_failed",
    "invoice.voided",
    "invoice.marked_uncollectible",
}


def _fetch(event: dict, client):
    """Read what the event is about from Stripe (its current state, never the event's
    copy), before any lock; returns the write to make under the lock."""
    kind = event["type"]
    obj = event["data"]["object"]
    read_at = timezone.now()
    if kind in SUBSCRIPTION_EVENTS:
        data = subscription_fetch(client=client, stripe_subscription_id=obj["id"])
        return lambda: subscription_store(data, read_at=read_at, client=client)
    if kind in INVOICE_EVENTS:
        fetched = invoice_fetch(client=client, stripe_invoice_id=obj["id"])
        return lambda: invoice_store(fetched, client=client)
    if kind == "checkout.session.completed":
        return _checkout_fetch(obj, client)
    if kind == "account.updated":
        return account_fetch(event.get("account") or obj.get("id") or "")
    if kind == "account.application.deauthorized":
        return connect_deauthorized(event.get("account") or "")
    return lambda: None  # other types are stored and marked processed: nothing to do


def webhook_receive(*, payload: bytes, signature: str | None) -> tuple[WebhookEvent, bool]:
    """Stripe -> this gym: verify, store once, queue processing (the one path in
    `stripe_api.webhook_receive`). Returns (event, new).

    A bad signature, or an event of another Stripe account, is rejected before anything
    is stored. A duplicate delivery finds the stored event and changes nothing. With the
    broker down the event stays stored: Stripe got its 2xx either way, and
    `retry_unprocessed_events` processes it after 10 minutes.
    """
    settings_row = billing_settings_get()
    secret = decrypt(settings_row.webhook_secret_encrypted)
    if not secret or not settings_row.secret_key_encrypted:
        raise WebhookRejected(_("Billing is not connected."), code="billing_not_connected")

    def accept(event: dict) -> None:
        account = event.get("account") or ""
        if account and settings_row.stripe_account_id and account != settings_row.stripe_account_id:
            raise WebhookRejected(
                _("This event belongs to another Stripe account."), code="wrong_account"
            )

    return stripe_api.webhook_receive(
        payload=payload,
        signature=signature,
        secret=secret,
        model=WebhookEvent,
        task_name=TASK,
        accept=accept,
        columns=_columns,
    )


TASK = "apps.billing.tasks.process_webhook_event"


def _columns(event: dict) -> dict:
    return {
        "account": (event.get("account") or "")[:64],
        "created": to_datetime(event.get("created")) or timezone.now(),
        "process_count": 0,
        "replay_count": 0,
    }


def connect_webhook_receive(*, payload: bytes, signature: str | None):
    """Stripe -> the platform's Connect endpoint (public schema): verify with the
    platform's Connect signing secret, find the gym by the event's `account` (one lookup
    in `ConnectedAccount`), then store and queue the event in that gym's schema, where the
    usual processing runs. Returns (gym, event, new), or None for an event of an account
    no gym uses (now): Stripe gets a 200 and stops retrying, as there is nothing to do.
    """
    secret = settings.STRIPE_CONNECT_WEBHOOK_SECRET
    if not secret:
        raise WebhookRejected(_("Stripe Connect is not set up."), code="connect_not_configured")
    event = stripe_api.verified_event(payload, signature, secret)
    account_id = event.get("account")
    if not isinstance(account_id, str) or not account_id:
        raise WebhookRejected(_("The event names no connected account."), code="no_account")
    found = ConnectedAccount.objects.select_related("gym").filter(account_id=account_id).first()
    if found is None:
        logger.info("Connect event %s of unknown account %s ignored", event["id"], account_id)
        return None
    with tenant_context(found.gym):
        stored, new = stripe_api.event_store_and_queue(
            event=event, model=WebhookEvent, task_name=TASK, columns=_columns(event)
        )
    return found.gym, stored, new


def webhook_event_process(*, event_id: str, replay: bool = False) -> bool:
    """Process a stored event once (or again, for `replay`). Processing reads the current
    state from Stripe, so it is safe to repeat and independent of delivery order. Stripe
    is read first, then the event row is locked and the result written: no lock is held
    while Stripe answers."""
    client = gym_client(billing_settings_get())
    try:
        event = WebhookEvent.objects.only("payload", "processed_at").get(event_id=event_id)
        if event.processed_at is not None and not replay:
            return False
        write = _fetch(event.payload, client)
        with transaction.atomic():
            event = WebhookEvent.objects.select_for_update().get(event_id=event_id)
            if event.processed_at is not None and not replay:
                return False  # a parallel run processed it meanwhile
            write()
            event.processed_at = timezone.now()
            event.error = ""
            if replay:
                event.replay_count += 1
            else:
                event.process_count += 1
            event.save(update_fields=["processed_at", "error", "process_count", "replay_count"])
    except Exception as exc:
        message = getattr(exc, "message", None) or repr(exc)
        WebhookEvent.objects.filter(event_id=event_id).update(error=str(message)[:2000])
        raise
    return True


def webhook_events_replay(
    *,
    only_failed: bool = True,
    types: list[str] | None = None,
    older_than_minutes: int = 0,
) -> dict:
    """Re-process stored events of this gym, oldest first (see the `billing_replay`
    command). Returns counts."""
    events = WebhookEvent.objects.order_by("created", "received_at")
    if only_failed:
        events = events.filter(processed_at__isnull=True)
    if older_than_minutes:
        cutoff = timezone.now() - dt.timedelta(minutes=older_than_minutes)
        events = events.filter(received_at__lt=cutoff)
    if types:
        events = events.filter(type__in=types)
    done = failed = 0
    for event_id in events.values_list("event_id", flat=True):
        try:
            webhook_event_process(event_id=event_id, replay=True)
            done += 1
        except Exception:  # reported in the counts and on the row
            logger.warning("Replay of %s failed", event_id, exc_info=True)
            failed += 1
    return {"replayed": done, "failed": failed}
