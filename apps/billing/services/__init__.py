"""Writes on member billing, one module per concern; callers import from here.

- `settings`: the gym's Stripe account and billing rules (pasted keys: self-hosting)
- `connect`: Stripe Connect (the gym's connected account, onboarding, its flags)
- `plans`: membership plans and their Stripe Products and Prices
- `checkout`: joining through Stripe Checkout, the customer portal
- `subscriptions`: the member's access, syncing from Stripe, grace, plan changes, freezes
- `webhooks`: Stripe's events: verified, stored once, processed by a task
- `charges`: one-off charges (fees)
- `credits`: the class-credit ledger

Stripe holds the truth about subscriptions: every webhook is processed by re-reading the
object's current state from Stripe, so duplicates are no-ops and the order of delivery
does not matter. Member access changes in one place, `member_billing_refresh`. Reads are
in `apps.billing.selectors`.
"""

from apps.billing.services._shared import MAX_PRICE_MINOR, add_months
from apps.billing.services.charges import (
    charge_cancel,
    charge_create,
    charge_push,
    charge_retry,
    charges_push_waiting,
)
from apps.billing.services.checkout import checkout_start, portal_session_url
from apps.billing.services.connect import connect_refresh, connect_start
from apps.billing.services.credits import (
    credit_forfeit,
    credit_give_back,
    credit_grant,
    credit_spend,
    credit_spend_again,
)
from apps.billing.services.plans import PLAN_FIELDS, plan_create, plan_sync_to_stripe, plan_update
from apps.billing.services.settings import billing_settings_update
from apps.billing.services.subscriptions import (
    billing_enforce_grace,
    member_billing_refresh,
    subscription_cancel,
    subscription_change_plan,
    subscription_freeze,
    subscription_resume,
    subscription_unfreeze,
)
from apps.billing.services.webhooks import (
    connect_webhook_receive,
    webhook_event_process,
    webhook_events_replay,
    webhook_receive,
)

__all__ = [
    "MAX_PRICE_MINOR",
    "PLAN_FIELDS",
    "add_months",
    "billing_enforce_grace",
    "billing_settings_update",
    "charge_cancel",
    "charge_create",
    "charge_push",
    "charge_retry",
    "charges_push_waiting",
    "checkout_start",
    "connect_refresh",
    "connect_start",
    "connect_webhook_receive",
    "credit_forfeit",
    "credit_give_back",
    "credit_grant",
    "credit_spend",
    "credit_spend_again",
    "member_billing_refresh",
    "plan_create",
    "plan_sync_to_stripe",
    "plan_update",
    "portal_session_url",
    "subscription_cancel",
    "subscription_change_plan",
    "subscription_freeze",
    "subscription_resume",
    "subscription_unfreeze",
    "webhook_event_process",
    "webhook_events_replay",
    "webhook_receive",
]
