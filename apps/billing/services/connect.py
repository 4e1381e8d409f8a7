"""Stripe Connect: the gym's owner clicks "Connect Stripe", the platform makes a Standard
connected account for the gym and sends the owner through Stripe's onboarding (an Account
Link); afterwards only the account id and its flags are stored. Every call for the gym
then goes with the platform's key and the `Stripe-Account` header (`stripe_api.gym_client`).

The account -> gym mapping (`platform_billing.ConnectedAccount`, public schema) is written
here, when the account is made, so the platform's one Connect webhook endpoint finds the
gym of an event in one lookup.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from apps.billing.models import BillingSettings
from apps.billing.selectors import billing_settings_get
from apps.billing.stripe_api import call, idempotency_key, platform_client
from apps.platform_billing.models import ConnectedAccount


def connect_start(*, return_url: str, refresh_url: str) -> str:
    """The URL of Stripe's onboarding for this gym's connected account, made first if the
    gym has none (idempotency key: the schema, so a double click makes one account).
    Stripe is called with no transaction open; the account id is written at once, so an
    owner who leaves onboarding half-way continues with the same account next time."""
    gym = connection.tenant
    client = platform_client()
    row = billing_settings_get()
    account_id = row.stripe_account_id if row.uses_connect else ""
    if not account_id:
        params = {
            "type": "standard",
            "business_profile": {"name": gym.name},
            "metadata": {"schema": connection.schema_name, "gym": gym.slug},
        }
        account = call(
            client.v1.accounts.create,
            params,
            {"idempotency_key": idempotency_key("connect", "account", params=params)},
        )
        account_id = account.id
        _store(account_id, account)
    link = call(
        client.v1.account_links.create,
        {
            "account": account_id,
            "type": "account_onboarding",
            "refresh_url": refresh_url,
            "return_url": return_url,
        },
    )
    return link.url


def connect_refresh() -> BillingSettings:
    """Read the connected account from Stripe (onboarding return, `account.updated`) and
    keep its flags. No-op for a gym not connected through Connect."""
    row = billing_settings_get()
    if not row.uses_connect:
        return row
    account = call(platform_client().v1.accounts.retrieve, row.stripe_account_id)
    return account_store(account)


def account_fetch(account_id: str):
    """For the webhook task: read the account from Stripe (no lock held); returns the
    write to make under the event's lock."""
    row = billing_settings_get()
    if not row.uses_connect or row.stripe_account_id != account_id:
        return lambda: None  # an account this gym no longer uses: nothing to refresh
    account = call(platform_client().v1.accounts.retrieve, account_id)
    return lambda: account_store(account)


def account_store(account) -> BillingSettings:
    with transaction.atomic():
        row = BillingSettings.objects.select_for_update().get(pk=billing_settings_get().pk)
        if row.stripe_connect and row.stripe_account_id == account.id:
            row.charges_enabled = bool(account.get("charges_enabled"))
            row.details_submitted = bool(account.get("details_submitted"))
            row.account_checked_at = timezone.now()
            row.save()
    return row


def _store(account_id: str, account) -> None:
    with transaction.atomic():
        row = BillingSettings.objects.select_for_update().get(pk=billing_settings_get().pk)
        row.stripe_account_id = account_id
        row.stripe_connect = True
        row.charges_enabled = bool(account.get("charges_enabled"))
        row.details_submitted = bool(account.get("details_submitted"))
        row.account_checked_at = timezone.now()
        row.save()
        ConnectedAccount.objects.update_or_create(
            gym=connection.tenant, defaults={"account_id": account_id}
        )


def connect_deauthorized(account_id: str):
    """The owner disconnected the platform in their Stripe dashboard: the platform can no
    longer reach the account, so the gym is not connected any more (it can connect again).
    Returns the write to make under the event's lock."""

    def write() -> None:
        row = BillingSettings.objects.select_for_update().get(pk=billing_settings_get().pk)
        if row.stripe_connect and row.stripe_account_id == account_id:
            row.stripe_connect = False
            row.stripe_account_id = ""
            row.charges_enabled = row.details_submitted = False
            row.account_checked_at = timezone.now()
            row.save()
            ConnectedAccount.objects.filter(account_id=account_id).delete()

    return write
