"""The platform's billing of gyms (public schema): plans by active members, each gym's
standing with the platform, and the platform's Stripe events as received.

Stripe's objects (customers, subscriptions, prices, invoices, events) live in dj-stripe's
tables (`djstripe.*`, public schema only); these models keep what the platform decides:
which plan fits, the trial, when a gym lapsed.

Kept apart from `apps.billing` (members paying their gym, in each gym's schema, with the
gym's own Stripe account): this is the platform's own account, configured by environment.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PlatformPlan(models.Model):
    name = models.CharField(_("name"), max_length=80)
    # The plan fits gyms with up to this many active members (null: no limit).
    max_active_members = models.PositiveIntegerField(
        _("up to active members"), null=True, blank=True
    )
    price_minor = models.PositiveIntegerField(_("price per month (minor units)"))
    currency = models.CharField(_("currency"), max_length=3, default="eur")
    # Made at Stripe on first checkout and synced by dj-stripe.
    price = models.ForeignKey(
        "djstripe.Price", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("platform plan")
        verbose_name_plural = _("platform plans")
        ordering = [models.F("max_active_members").asc(nulls_last=True), "price_minor"]

    def __str__(self) -> str:
        return self.name


class GymSubscription(models.Model):
    """A gym's standing with the platform. Every gym starts on a trial; once it subscribes,
    `subscription` is its dj-stripe subscription and `status` that subscription's status
    as last synced (kept here so the per-request access check reads one row)."""

    gym = models.OneToOneField(
        "tenants.Gym", on_delete=models.CASCADE, related_name="platform_subscription"
    )
    plan = models.ForeignKey(PlatformPlan, on_delete=models.PROTECT, null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, default="trialing")
    trial_ends_at = models.DateTimeField(_("trial ends"), null=True, blank=True)
    # When it stopped being paid for (trial over unpaid, payment failed, cancelled).
    lapsed_since = models.DateTimeField(null=True, blank=True)
    subscription = models.OneToOneField(
        "djstripe.Subscription",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="gym_subscription",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("gym subscription")
        verbose_name_plural = _("gym subscriptions")

    def __str__(self) -> str:
        return f"{self.gym} ({self.status})"


class PlatformWebhookEvent(models.Model):
    """A delivery to the platform's endpoint as it arrived (stored once, processed by a
    task); processing hands it to dj-stripe, which keeps its own `djstripe.Event`."""

    event_id = models.CharField(max_length=64, unique=True)
    type = models.CharField(max_length=64)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("platform webhook event")
        verbose_name_plural = _("platform webhook events")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return self.event_id


class ConnectedAccount(models.Model):
    """Which gym a Stripe Connect account belongs to: the platform's one Connect webhook
    endpoint reads the event's `account` and finds the gym here in one indexed lookup.
    Written when the gym connects (apps.billing.services.connect); one row per gym, so
    reconnecting with a new account replaces the old one (its events are then ignored)."""

    gym = models.OneToOneField(
        "tenants.Gym", on_delete=models.CASCADE, related_name="connected_account"
    )
    account_id = models.CharField(_("Stripe account"), max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("connected Stripe account")
        verbose_name_plural = _("connected Stripe accounts")

    def __str__(self) -> str:
        return self.account_id
