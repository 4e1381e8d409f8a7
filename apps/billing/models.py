"""Member billing in one gym's schema: the gym's Stripe account, its plans, members'
subscriptions, invoices, class credits and the webhook events received.

Money is always integer minor units (cents) in the gym's currency, never a float.
Stripe is the source of truth for subscription state; these rows are the gym's copy,
refreshed from Stripe's current objects whenever an event arrives.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.billing.tiers import Tier


class BillingSettings(models.Model):
    """The gym's Stripe account and billing rules: one row per schema (pk=1).

    Keys are stored encrypted (see `apps.billing.crypto`); only services decrypt them, to
    pass them per call to Stripe. Nothing global ever holds a gym's key.
    """

    singleton = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    stripe_account_id = models.CharField(_("Stripe account"), max_length=64, blank=True)
    # Connected through Stripe Connect: calls use the platform's key with the
    # `Stripe-Account` header, and no key of the gym is stored. Else pasted keys (below).
    stripe_connect = models.BooleanField(_("connected through Stripe Connect"), default=False)
    # The connected account as Stripe last said (onboarding return, `account.updated`).
    charges_enabled = models.BooleanField(_("charges enabled"), default=False)
    details_submitted = models.BooleanField(_("details submitted"), default=False)
    account_checked_at = models.DateTimeField(_("account last checked"), null=True, blank=True)
    secret_key_encrypted = models.TextField(blank=True, editable=False)
    publishable_key = models.CharField(_("publishable key"), max_length=255, blank=True)
    webhook_secret_encrypted = models.TextField(blank=True, editable=False)
    grace_period_days = models.PositiveSmallIntegerField(
        _("grace period (days)"),
        default=7,
        help_text=_("Days a member keeps access after a failed payment."),
    )
    freeze_min_days = models.PositiveSmallIntegerField(_("shortest freeze (days)"), default=7)
    freeze_max_days = models.PositiveSmallIntegerField(_("longest freeze (days)"), default=90)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("billing settings")
        verbose_name_plural = _("billing settings")
        constraints = [
            models.CheckConstraint(condition=models.Q(singleton=1), name="billing_settings_one"),
            models.CheckConstraint(
                condition=models.Q(freeze_min_days__lte=models.F("freeze_max_days")),
                name="billing_freeze_min_le_max",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Billing settings"))

    @property
    def uses_connect(self) -> bool:
        return self.stripe_connect and bool(self.stripe_account_id)

    @property
    def api_ready(self) -> bool:
        """Calls can reach the gym's Stripe account (a connected account, or a key)."""
        return self.uses_connect or bool(self.secret_key_encrypted)

    @property
    def connected(self) -> bool:
        """Ready to bill: a connected account that finished onboarding, or pasted keys
        with the webhook secret (the gym's own endpoint needs it)."""
        if self.uses_connect:
            return self.details_submitted
        return bool(self.secret_key_encrypted and self.webhook_secret_encrypted)


class PlanInterval(models.TextChoices):
    MONTH = "month", _("Monthly")
    YEAR = "year", _("Yearly")
    PACK = "pack", _("One-off pack")


class MembershipPlan(models.Model):
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    price_minor = models.PositiveIntegerField(
        _("price (minor units)"),
        help_text=_("In cents of the gym's currency (49.90 EUR is 4990; JPY has none)."),
    )
    currency = models.CharField(_("currency"), max_length=3, editable=False)
    interval = models.CharField(_("interval"), max_length=8, choices=PlanInterval.choices)
    tier = models.CharField(_("tier granted"), max_length=12, choices=Tier.choices)
    class_credits = models.PositiveSmallIntegerField(
        _("class credits per period"), default=0, help_text=_("0: unlimited or none.")
    )
    trial_days = models.PositiveSmallIntegerField(_("trial days"), default=0)
    setup_fee_minor = models.PositiveIntegerField(
        _("setup fee (minor units)"),
        default=0,
        help_text=_("In cents of the gym's currency, like the price."),
    )
    contract_min_months = models.PositiveSmallIntegerField(
        _("minimum contract (months)"), default=0
    )
    sold_online = models.BooleanField(_("sold online"), default=True)
    active = models.BooleanField(_("active"), default=True)
    stripe_product_id = models.CharField(max_length=64, blank=True, editable=False)
    stripe_price_id = models.CharField(max_length=64, blank=True, editable=False)
    stripe_setup_price_id = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("membership plan")
        verbose_name_plural = _("membership plans")
        ordering = ["price_minor", "name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(interval="pack") | models.Q(trial_days=0),
                name="billing_pack_has_no_trial",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_recurring(self) -> bool:
        return self.interval != PlanInterval.PACK


class BillingCustomer(models.Model):
    """A member's Stripe customer in this gym's account."""

    member = models.OneToOneField(
        "members.Member", on_delete=models.CASCADE, related_name="billing_customer"
    )
    stripe_customer_id = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("billing customer")
        verbose_name_plural = _("billing customers")

    def __str__(self) -> str:
        return self.stripe_customer_id


class SubscriptionStatus(models.TextChoices):
    # Stripe's statuses, kept as Stripe spells them.
    INCOMPLETE = "incomplete", _("Incomplete")
    INCOMPLETE_EXPIRED = "incomplete_expired", _("Incomplete, expired")
    TRIALING = "trialing", _("Trial")
    ACTIVE = "active", _("Active")
    PAST_DUE = "past_due", _("Past due")
    UNPAID = "unpaid", _("Unpaid")
    CANCELED = "canceled", _("Cancelled")
    PAUSED = "paused", _("Paused")


LIVE_STATUSES = (
    SubscriptionStatus.TRIALING,
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.PAST_DUE,
    SubscriptionStatus.UNPAID,
    SubscriptionStatus.PAUSED,
)


class MemberSubscription(models.Model):
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="subscriptions"
    )
    plan = models.ForeignKey(MembershipPlan, on_delete=models.PROTECT, related_name="subscriptions")
    stripe_subscription_id = models.CharField(max_length=64, unique=True)
    stripe_item_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=SubscriptionStatus.choices, db_index=True
    )
    amount_minor = models.PositiveIntegerField(_("amount (minor units)"), default=0)
    currency = models.CharField(max_length=3)
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    trial_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    cancel_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # When it first went past_due (cleared when paid): the grace period counts from here.
    past_due_since = models.DateTimeField(null=True, blank=True)
    # The minimum contract runs to here (start + plan minimum + freezes).
    contract_ends_on = models.DateField(null=True, blank=True)
    frozen_from = models.DateField(null=True, blank=True)
    frozen_until = models.DateField(null=True, blank=True)
    freeze_days_total = models.PositiveSmallIntegerField(default=0)
    # The Stripe object as last retrieved (for support and replays).
    stripe_data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("member subscription")
        verbose_name_plural = _("member subscriptions")
        ordering = ["-created_at"]
        permissions = [("view_billing_reports", _("Can view billing reports (revenue)"))]
        indexes = [models.Index(fields=["member", "status"], name="billing_sub_member_status")]

    def __str__(self) -> str:
        return f"{self.stripe_subscription_id} ({self.status})"


class Invoice(models.Model):
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="invoices", null=True
    )
    subscription = models.ForeignKey(
        MemberSubscription, on_delete=models.SET_NULL, null=True, related_name="invoices"
    )
    stripe_invoice_id = models.CharField(max_length=64, unique=True)
    number = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20, db_index=True)
    billing_reason = models.CharField(max_length=40, blank=True)
    amount_due_minor = models.IntegerField(default=0)
    amount_paid_minor = models.IntegerField(default=0)
    currency = models.CharField(max_length=3)
    attempt_count = models.PositiveSmallIntegerField(default=0)
    next_payment_attempt = models.DateTimeField(null=True, blank=True)
    hosted_invoice_url = models.URLField(max_length=500, blank=True)
    invoice_pdf = models.URLField(max_length=500, blank=True)
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    # The attempt the member was last told about, so a retry or replay never re-sends.
    failure_notified_attempt = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.number or self.stripe_invoice_id


class CreditEntry(models.Model):
    """Class credits: a ledger, so the balance is a sum and every grant is traceable.
    `source` (an invoice or Checkout session id) is unique: a grant happens once."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="credit_entries"
    )
    delta = models.IntegerField()
    reason = models.CharField(max_length=40)
    source = models.CharField(max_length=80, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("class credit entry")
        verbose_name_plural = _("class credit entries")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.delta:+d} {self.reason}"


class CreditState(models.TextChoices):
    """What happened to the class credit a booking holds (`Booking.credit`; members whose
    plan pays classes with credits), kept by apps.billing.services.credits next to the
    ledger entries it writes (source `booking:<id>:...`)."""

    NONE = "", _("No credit")
    SPENT = "spent", _("Credit spent")
    RETURNED = "returned", _("Credit returned")
    FORFEITED = "forfeited", _("Credit forfeited")


class WebhookEvent(models.Model):
    """Every verified event from the gym's Stripe account, stored before it is processed.

    The unique event id makes a duplicate delivery a no-op; `process_count` counts how
    often the normal path processed it (the benchmark checks it never exceeds 1).
    """

    event_id = models.CharField(max_length=64, unique=True)
    type = models.CharField(max_length=64, db_index=True)
    account = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField()
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    process_count = models.PositiveIntegerField(default=0)
    replay_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class CheckoutRequest(models.Model):
    """A Checkout session we opened: who asked, for what. Completion comes by webhook."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="checkout_requests"
    )
    plan = models.ForeignKey(MembershipPlan, on_delete=models.PROTECT)
    stripe_session_id = models.CharField(max_length=120, unique=True)
    url = models.URLField(max_length=1000)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("checkout request")
        verbose_name_plural = _("checkout requests")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.stripe_session_id


class ChargeStatus(models.TextChoices):
    QUEUED = "queued", _("Being sent to Stripe")
    PENDING = "pending", _("On the next invoice")
    INVOICED = "invoiced", _("Invoiced")
    NOT_BILLED = "not_billed", _("Not billed: Stripe is not connected")
    CANCELLED = "cancelled", _("Cancelled")
    CREDITED = "credited", _("Credited back")
    FAILED = "failed", _("Refused by Stripe")


class MemberCharge(models.Model):
    """A one-off amount a member owes (a late-cancel or no-show fee, ...), billed through
    the gym's Stripe account as an invoice item: it rides on the member's next subscription
    invoice, or on an invoice of its own when the member has no live subscription.

    The row is written in the transaction that caused it and pushed to Stripe by a task
    afterwards, so nothing is lost while Stripe is unreachable. `source` is unique: one
    cause is charged once. Cancelling deletes the item while it waits for an invoice and
    issues a credit note once it is on one.
    """

    member = models.ForeignKey(
        "members.Member",
        on_delete=models.CASCADE,
        related_name="charges",
        verbose_name=_("member"),
    )
    source = models.CharField(_("source"), max_length=80, unique=True)
    description = models.CharField(_("description"), max_length=200)
    amount_minor = models.PositiveIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ChargeStatus.choices,
        default=ChargeStatus.QUEUED,
        db_index=True,
    )
    cancel_requested_at = models.DateTimeField(_("cancellation requested"), null=True, blank=True)
    stripe_invoice_item_id = models.CharField(max_length=64, blank=True, db_index=True)
    stripe_invoice_id = models.CharField(max_length=64, blank=True)
    stripe_credit_note_id = models.CharField(max_length=64, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("member charge")
        verbose_name_plural = _("member charges")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.description
