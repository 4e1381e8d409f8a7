"""One-off charges (fees) through the gym's Stripe account: recorded with the cause,
sent after commit by a task, taken back when waived."""

from __future__ import annotations

import datetime as dt
import logging

import stripe
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing.models import BillingCustomer, ChargeStatus, MemberCharge
from apps.billing.money import format_money
from apps.billing.selectors import billing_settings_get, member_live_subscription
from apps.billing.services._shared import MAX_PRICE_MINOR, customer_for, gym_currency
from apps.billing.stripe_api import gym_client, provider_error
from apps.common.errors import ApplicationError
from apps.common.i18n import in_gym_language
from apps.common.queue import enqueue_on_commit
from apps.members.models import Member
from apps.notifications.services import notify

logger = logging.getLogger(__name__)

CHARGE_DAYS_UNTIL_DUE = 14  # a charge on an invoice of its own is paid online within this
CHARGE_DONE = {ChargeStatus.CANCELLED, ChargeStatus.CREDITED, ChargeStatus.NOT_BILLED}


def _connected() -> bool:
    return billing_settings_get().api_ready


def charge_create(*, member: Member, amount_minor: int, description: str, source: str):
    """Bill `member` once for `source` (e.g. "penalty:12") through the gym's Stripe account.

    Call it inside the transaction that causes the charge: the row commits with it and
    `charge_push` runs after commit, so a Stripe outage loses nothing. A source that was
    already charged returns its first charge. Without a connected Stripe account the charge
    is recorded as not billed (the desk collects it)."""
    if not 0 < amount_minor <= MAX_PRICE_MINOR:
        raise ApplicationError(
            _("A charge must be more than 0 and at most %(max)s.")
            % {"max": format_money(MAX_PRICE_MINOR, gym_currency())},
            code="invalid_amount",
        )
    connected = _connected()
    charge, created = MemberCharge.objects.get_or_create(
        source=source,
        defaults={
            "member": member,
            "amount_minor": amount_minor,
            "currency": gym_currency(),
            "description": " ".join(description.split())[:200] or source,
            "status": ChargeStatus.QUEUED if connected else ChargeStatus.NOT_BILLED,
        },
    )
    if created and connected:
        _queue_push(charge.pk)
    elif created:
        _charge_notify(charge, where="desk")
    return charge


def _charge_notify(charge: MemberCharge, *, where: str, pay_url: str = "") -> None:
    """Tell the member once, when the charge is placed: `where` it will be collected."""
    notify(
        charge.member,
        "billing_charge_added",
        {
            "charge": charge,
            "amount": format_money(charge.amount_minor, charge.currency),
            "where": where,
            "pay_url": pay_url,
        },
        dedupe_key=f"charge-added:{charge.pk}",
    )


def charge_cancel(*, charge: MemberCharge, now: dt.datetime | None = None) -> MemberCharge:
    """Take a charge back (a waived fee). One never billed just ends; otherwise
    `charge_push` deletes its invoice item, or credits the invoice it is on."""
    with transaction.atomic():
        charge = MemberCharge.objects.select_for_update().get(pk=charge.pk)
        taken_back = (ChargeStatus.CANCELLED, ChargeStatus.CREDITED)
        if charge.status in taken_back or charge.cancel_requested_at is not None:
            return charge
        charge.cancel_requested_at = now or timezone.now()
        never_sent = (ChargeStatus.FAILED, ChargeStatus.NOT_BILLED)
        if charge.status in never_sent and not charge.stripe_invoice_item_id:
            charge.status = ChargeStatus.CANCELLED  # nothing at Stripe to undo
        charge.save(update_fields=["cancel_requested_at", "status", "updated_at"])
        if charge.status != ChargeStatus.CANCELLED:
            _queue_push(charge.pk)
    return charge


def charge_push(*, charge_id: int) -> MemberCharge:
    """Bring Stripe in line with the charge: send it (an invoice item; with an invoice of
    its own when the member has no live subscription), or take it back once cancelled.

    Safe to repeat: the row lock keeps two runs apart, and each Stripe call carries an
    idempotency key made from the charge, so a run that reached Stripe but did not commit
    gets the same objects back. A Stripe outage raises (the task retries); a refusal is
    kept on the row as `failed` with Stripe's message."""
    with transaction.atomic():
        charge = MemberCharge.objects.select_for_update().select_related("member").get(pk=charge_id)
        wanted = charge.cancel_requested_at is None
        if charge.status in CHARGE_DONE or (
            wanted and charge.status != ChargeStatus.QUEUED  # already sent (or refused)
        ):
            return charge
        rules = billing_settings_get()
        if not rules.api_ready:  # disconnected since: nothing can reach Stripe
            charge.status = ChargeStatus.NOT_BILLED if wanted else ChargeStatus.CANCELLED
            charge.save(update_fields=["status", "updated_at"])
            return charge
        client = gym_client(rules)
        key = f"{connection.schema_name}-charge-{charge.pk}"
        try:
            if wanted:
                _charge_send(charge, client, key)
            else:
                _charge_take_back(charge, client, key)
        except stripe.StripeError as exc:
            error = provider_error(exc)
            if error.status_code >= 500:
                raise error from exc
            logger.warning("Charge %s refused by Stripe: %s", charge.pk, error.message)
            charge.status = ChargeStatus.FAILED
            charge.error = str(error.message)[:300]
        charge.save()
    return charge


def charge_retry(*, charge: MemberCharge) -> MemberCharge:
    """Send a charge Stripe refused again (staff fixed the cause, e.g. the member's email).
    Other charges are left as they are."""
    with transaction.atomic():
        charge = MemberCharge.objects.select_for_update().get(pk=charge.pk)
        if charge.status != ChargeStatus.FAILED or charge.cancel_requested_at is not None:
            return charge
        charge.status, charge.error = ChargeStatus.QUEUED, ""
        charge.save(update_fields=["status", "error", "updated_at"])
        _queue_push(charge.pk)
    return charge


def _charge_send(charge: MemberCharge, client, key: str) -> None:
    customer = customer_for(charge.member, client)
    metadata = {
        "charge_id": str(charge.pk),
        "source": charge.source,
        "schema": connection.schema_name,
        "member_id": str(charge.member_id),
    }
    invoice = None
    sub = member_live_subscription(charge.member)
    # A freeze (now or booked) voids the invoices in it, and pending items on a voided
    # invoice are never collected: then, as with no subscription, nothing would pick a
    # pending item up.
    frozen = sub is not None and sub.frozen_until and sub.frozen_until >= timezone.localdate()
    if sub is None or frozen:
        # An invoice of its own, emailed by Stripe and paid online. Drafted first so the
        # item lands on it and nowhere else.
        invoice = client.v1.invoices.create(
            {
                "customer": customer,
                "collection_method": "send_invoice",
                "days_until_due": CHARGE_DAYS_UNTIL_DUE,
                "pending_invoice_items_behavior": "exclude",
                "auto_advance": False,
                "description": charge.description,
                "metadata": metadata,
            },
            {"idempotency_key": f"{key}-invoice"},
        )
    params = {
        "customer": customer,
        "amount": charge.amount_minor,
        "currency": charge.currency,
        "description": charge.description,
        "metadata": metadata,
    }
    if invoice is not None:
        params["invoice"] = invoice.id
    item = client.v1.invoice_items.create(params, {"idempotency_key": f"{key}-item"})
    charge.stripe_invoice_item_id = item.id
    charge.error = ""
    if invoice is None:
        charge.status = ChargeStatus.PENDING  # on the member's next subscription invoice
        _charge_notify(charge, where="next_invoice")
        return
    invoice = client.v1.invoices.finalize_invoice(
        invoice.id, {"auto_advance": True}, {"idempotency_key": f"{key}-finalize"}
    )
    charge.stripe_invoice_id = invoice.id
    charge.status = ChargeStatus.INVOICED
    _charge_notify(charge, where="invoice", pay_url=invoice.hosted_invoice_url or "")


def _charge_item(charge: MemberCharge, client):
    """The charge's invoice item at Stripe, also when a run created it but did not commit
    (found by its metadata among the customer's items), or None."""
    if charge.stripe_invoice_item_id:
        return client.v1.invoice_items.retrieve(charge.stripe_invoice_item_id)
    customer = BillingCustomer.objects.filter(member_id=charge.member_id).first()
    if customer is None:
        return None
    items = client.v1.invoice_items.list({"customer": customer.stripe_customer_id, "limit": 100})
    return next(
        (
            i
            for i in items.auto_paging_iter()
            if i.metadata.to_dict().get("charge_id") == str(charge.pk)
        ),
        None,
    )


def _charge_take_back(charge: MemberCharge, client, key: str) -> None:
    item = _charge_item(charge, client)
    invoice = client.v1.invoices.retrieve(item.invoice) if item and item.invoice else None
    if item is None or invoice is None or invoice.status == "draft":
        if item is not None:
            try:
                client.v1.invoice_items.delete(item.id)
            except stripe.InvalidRequestError as exc:
                if exc.http_status != 404:  # 404: deleted by an earlier run
                    raise
        if invoice is not None:  # its own draft: nothing else is on it
            client.v1.invoices.delete(invoice.id)
        charge.status = ChargeStatus.CANCELLED
        return
    charge.stripe_invoice_id = invoice.id
    if invoice.status in ("void", "uncollectible"):
        charge.status = ChargeStatus.CANCELLED  # nobody will collect it
        return
    with in_gym_language():  # the credit note is the member's document, like the invoice
        memo = _("Waived: %(charge)s") % {"charge": charge.description}
    params = {
        "invoice": invoice.id,
        "amount": charge.amount_minor,
        "reason": "order_change",
        "memo": memo,
        "metadata": {"charge_id": str(charge.pk), "schema": connection.schema_name},
    }
    if invoice.status == "paid":
        # Paid already: the amount goes to the member's balance, used by the next invoice.
        params["credit_amount"] = charge.amount_minor
    note = client.v1.credit_notes.create(params, {"idempotency_key": f"{key}-credit"})
    charge.stripe_credit_note_id = note.id
    charge.status = ChargeStatus.CREDITED


def _queue_push(charge_id: int) -> None:
    # With the broker down the charge stays queued: `push_waiting_charges` sends it later.
    enqueue_on_commit("apps.billing.tasks.push_charge", charge_id)


def charges_push_waiting(*, older_than_minutes: int = 10) -> int:
    """Charges whose push never ran or ran into an outage past its retries, sent again."""
    cutoff = timezone.now() - dt.timedelta(minutes=older_than_minutes)
    waiting = MemberCharge.objects.filter(updated_at__lt=cutoff).filter(
        Q(status=ChargeStatus.QUEUED)
        | Q(
            cancel_requested_at__isnull=False,
            status__in=[ChargeStatus.PENDING, ChargeStatus.INVOICED],
        )
    )
    count = 0
    for charge_id in waiting.values_list("pk", flat=True)[:200]:
        try:
            charge_push(charge_id=charge_id)
            count += 1
        except ApplicationError as exc:
            logger.warning("Charge %s not pushed: %s", charge_id, exc.message)
    return count
