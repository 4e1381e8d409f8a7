"""Membership plans, and their Products and Prices at Stripe."""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext as _

from apps.billing.models import MembershipPlan, PlanInterval
from apps.billing.selectors import billing_settings_get
from apps.billing.services._shared import MAX_PRICE_MINOR, gym_currency
from apps.billing.stripe_api import call, gym_client, idempotency_key
from apps.billing.tiers import Tier
from apps.common.errors import ApplicationError

PLAN_FIELDS = frozenset(
    {
        "name",
        "description",
        "price_minor",
        "interval",
        "tier",
        "class_credits",
        "trial_days",
        "setup_fee_minor",
        "contract_min_months",
        "sold_online",
        "active",
    }
)


def _validate_plan(plan: MembershipPlan) -> None:
    errors = {}
    if not (plan.name or "").strip():
        errors["name"] = [_("Give the plan a name.")]
    for field in ("price_minor", "setup_fee_minor"):
        value = getattr(plan, field)
        if isinstance(value, float) or not isinstance(value, int) or isinstance(value, bool):
            errors[field] = [_("Amounts are whole numbers of cents, not decimals.")]
        elif not 0 <= value <= MAX_PRICE_MINOR:
            errors[field] = [_("Enter an amount from 0 to 10,000,000 cents.")]
    if plan.interval not in PlanInterval.values:
        errors["interval"] = [_("Choose month, year or pack.")]
    if plan.tier not in Tier.values:
        errors["tier"] = [_("Choose a tier.")]
    if plan.interval == PlanInterval.PACK:
        if plan.trial_days:
            errors["trial_days"] = [_("A one-off pack has no trial.")]
        if not plan.class_credits:
            errors["class_credits"] = [_("A pack must give at least one class credit.")]
    if plan.trial_days > 365:
        errors["trial_days"] = [_("A trial lasts at most 365 days.")]
    if plan.contract_min_months > 60:
        errors["contract_min_months"] = [_("A minimum contract is at most 60 months.")]
    if errors:
        raise ApplicationError(
            _("Some fields are not valid."), code="validation_error", details=errors
        )


def plan_create(*, data: dict) -> MembershipPlan:
    """A new plan, and its Product and Prices at Stripe when the gym is connected. Stripe
    is called after the row is saved (its id is in the Stripe objects' metadata and
    keys), outside any transaction; a plan Stripe refuses is not kept, as before."""
    unknown = set(data) - PLAN_FIELDS
    if unknown:
        raise ApplicationError(
            _("These fields cannot be set."),
            code="invalid_fields",
            details={f: [_("Not allowed.")] for f in sorted(unknown)},
        )
    plan = MembershipPlan(currency=gym_currency(), **data)
    _validate_plan(plan)
    plan.save()
    if billing_settings_get().connected:
        try:
            plan_sync_to_stripe(plan=plan)
        except ApplicationError:
            plan.delete()
            raise
    return plan


def plan_update(*, plan: MembershipPlan, data: dict) -> MembershipPlan:
    """Change a plan: Stripe first (new prices for new amounts, the old ones retired;
    idempotency keys make a repeat of the same change get the same prices), then the row;
    a change Stripe refuses is not saved, as before."""
    unknown = set(data) - PLAN_FIELDS
    if unknown:
        raise ApplicationError(
            _("These fields cannot be changed."),
            code="invalid_fields",
            details={f: [_("Not allowed.")] for f in sorted(unknown)},
        )
    if "interval" in data and data["interval"] != plan.interval and plan.subscriptions.exists():
        raise ApplicationError(
            _("The interval of a plan with subscribers cannot change; make a new plan."),
            code="plan_in_use",
        )
    old_price = (plan.price_minor, plan.interval)
    old_fee = plan.setup_fee_minor
    for field, value in data.items():
        setattr(plan, field, value)
    _validate_plan(plan)
    retire = []
    if (plan.price_minor, plan.interval) != old_price:
        # Stripe prices are immutable: a new one is made, the old one retired.
        retire.append(plan.stripe_price_id)
        plan.stripe_price_id = ""
    if plan.setup_fee_minor != old_fee:
        retire.append(plan.stripe_setup_price_id)
        plan.stripe_setup_price_id = ""
    if billing_settings_get().connected:
        _stripe_sync(plan, retire=[price for price in retire if price])
    plan.save()
    return plan


def plan_sync_to_stripe(*, plan: MembershipPlan, retire: list[str] = ()) -> MembershipPlan:
    """Make the plan's Stripe Product and Prices match it (new prices when amounts change;
    existing subscribers keep their price until they change plan). Called outside any
    transaction; the ids are saved after Stripe answered."""
    _stripe_sync(plan, retire=retire)
    plan.save(update_fields=["stripe_product_id", "stripe_price_id", "stripe_setup_price_id"])
    return plan


def _stripe_sync(plan: MembershipPlan, *, retire: list[str] = ()) -> None:
    """The Stripe side of `plan_sync_to_stripe`, setting the ids on `plan` (not saved).
    Creations carry idempotency keys; a new price's key names the prices it replaces, so
    going back to an earlier amount makes a new price rather than getting the retired one."""
    client = gym_client(billing_settings_get())
    meta = {"plan_id": str(plan.pk), "schema": connection.schema_name}
    if not plan.stripe_product_id:
        params = {"name": plan.name, "metadata": meta, "active": plan.active}
        product = call(
            client.v1.products.create,
            params,
            {"idempotency_key": idempotency_key("plan", plan.pk, "product", params=params)},
        )
        plan.stripe_product_id = product.id
    else:
        call(
            client.v1.products.update,
            plan.stripe_product_id,
            {"name": plan.name, "active": plan.active},
        )
    if not plan.stripe_price_id:
        params = {
            "product": plan.stripe_product_id,
            "unit_amount": plan.price_minor,
            "currency": plan.currency,
            "metadata": meta,
        }
        if plan.is_recurring:
            params["recurring"] = {"interval": plan.interval}
        key = idempotency_key("plan", plan.pk, "price", params=[params, list(retire)])
        plan.stripe_price_id = call(client.v1.prices.create, params, {"idempotency_key": key}).id
    if plan.setup_fee_minor and not plan.stripe_setup_price_id:
        params = {
            "product": plan.stripe_product_id,
            "unit_amount": plan.setup_fee_minor,
            "currency": plan.currency,
            "nickname": "setup fee",
            "metadata": {**meta, "setup_fee": "1"},
        }
        key = idempotency_key("plan", plan.pk, "setup-price", params=[params, list(retire)])
        plan.stripe_setup_price_id = call(
            client.v1.prices.create, params, {"idempotency_key": key}
        ).id
    for previous in retire:
        call(client.v1.prices.update, previous, {"active": False})
