"""The gym's billing settings: pasted Stripe keys (stored encrypted; the self-hosting
fallback to Stripe Connect, see `connect`) and its rules."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from apps.billing.crypto import encrypt
from apps.billing.models import BillingSettings
from apps.billing.selectors import billing_settings_get
from apps.billing.stripe_api import call, client_for_key
from apps.common.errors import ApplicationError
from apps.platform_billing.models import ConnectedAccount


def billing_settings_update(*, data: dict) -> BillingSettings:
    """Connect the gym's Stripe account and set its rules. A new secret key is checked
    with Stripe (the account it belongs to is recorded) before it is stored, encrypted:
    the fields are checked first, then Stripe is asked with no transaction open, then the
    row is locked, checked again and written."""
    secret_key = (data.get("secret_key") or "").strip()
    webhook_secret = (data.get("webhook_secret") or "").strip()
    _apply(billing_settings_get(), data, secret_key, webhook_secret)  # raises when invalid
    account = None
    if secret_key:
        account = call(client_for_key(secret_key).v1.accounts.retrieve_current)
    with transaction.atomic():
        row = BillingSettings.objects.select_for_update().get(pk=billing_settings_get().pk)
        _apply(row, data, secret_key, webhook_secret)
        if account is not None:
            # Pasted keys replace a Connect connection: the gym's calls use its own key.
            if row.stripe_connect:
                ConnectedAccount.objects.filter(account_id=row.stripe_account_id).delete()
            row.stripe_connect = False
            row.stripe_account_id = account.id
            row.secret_key_encrypted = encrypt(secret_key)
        if webhook_secret:
            row.webhook_secret_encrypted = encrypt(webhook_secret)
        publishable = data.get("publishable_key")
        if publishable is not None:
            row.publishable_key = publishable
        row.save()
    return row


def _apply(row: BillingSettings, data: dict, secret_key: str, webhook_secret: str) -> None:
    """Check the fields and set the rules on `row` (not saved); raises with every error."""
    errors = {}
    if secret_key and not secret_key.startswith(("sk_live_", "sk_test_", "rk_live_", "rk_test_")):
        errors["secret_key"] = [_("A Stripe secret key starts with sk_ or rk_.")]
    if webhook_secret and not webhook_secret.startswith("whsec_"):
        errors["webhook_secret"] = [_("A Stripe webhook signing secret starts with whsec_.")]
    publishable = data.get("publishable_key")
    if publishable and not publishable.startswith("pk_"):
        errors["publishable_key"] = [_("A Stripe publishable key starts with pk_.")]
    for field in ("grace_period_days", "freeze_min_days", "freeze_max_days"):
        if field in data and data[field] is not None:
            value = data[field]
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 365:
                errors[field] = [_("Use a whole number of days from 0 to 365.")]
            else:
                setattr(row, field, value)
    if row.freeze_min_days > row.freeze_max_days:
        errors["freeze_min_days"] = [_("The shortest freeze is longer than the longest.")]
    if errors:
        raise ApplicationError(
            _("Some fields are not valid."), code="validation_error", details=errors
        )
