"""A slow Stripe holds no lock: Stripe is called with no transaction open, and its
answer written in a short atomic block. Committed data and real parallel connections
(another connection cannot see a test's open transaction, nor wait on its locks)."""

import json
import threading
import time

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context

from apps.billing.models import (
    BillingCustomer,
    BillingSettings,
    CheckoutRequest,
    CreditEntry,
    Invoice,
    MemberCharge,
    MembershipPlan,
    MemberSubscription,
    WebhookEvent,
)
from apps.billing.services import checkout_start, plan_create, subscription_change_plan
from apps.billing.tiers import Tier
from apps.members.models import Member, MemberStatus
from devtools.stripe_standin import sign
from tests.billing.conftest import KEYS, SECRETS, connect
from tests.conftest import host
from tests.factories import MemberFactory

DELAY = 0.6  # seconds the stand-in waits before each answer
MONTHLY = {"interval": "month"}


@pytest.fixture
def committed_billing(committed_gym_a, stripe_standin):
    gym = committed_gym_a
    connect(gym)
    yield gym
    stripe_standin.delay = 0.0
    with tenant_context(gym):
        for model in (
            WebhookEvent,
            Invoice,
            MemberCharge,
            CreditEntry,
            CheckoutRequest,
            MemberSubscription,
            BillingCustomer,
            MembershipPlan,
            BillingSettings,
        ):
            model.objects.all().delete()


def _subscribed(gym, standin, plan) -> Member:
    """A member with a live subscription to `plan`, through Checkout and the webhook."""
    with tenant_context(gym):
        member = MemberFactory(status=MemberStatus.LEAD)
        request = checkout_start(
            member=member, plan=plan, success_url="https://x/ok", cancel_url="https://x/no"
        )
    for event in standin.complete_checkout(KEYS[gym.slug], request.stripe_session_id):
        body = json.dumps(event)
        response = Client(HTTP_HOST=host(gym)).post(
            "/billing/webhook/",
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign(body, SECRETS[gym.slug]),
        )
        assert response.status_code == 200, response.content
    with tenant_context(gym):
        member.refresh_from_db()
        assert member.status == MemberStatus.ACTIVE and member.tier == Tier.BASIC
    return member


def test_a_slow_stripe_does_not_hold_the_members_row_during_a_plan_change(
    committed_billing, stripe_standin
):
    """An upgrade asks Stripe three times (the change, its invoice, the subscription) and
    changes the member's tier. While Stripe takes DELAY seconds per answer, other writes
    to the member's row from another connection go through at once. (Before, the tier
    was written first and the invoice read under the row lock: writes waited ~2 x DELAY.)"""
    gym = committed_billing
    with tenant_context(gym):
        basic = plan_create(
            data={**MONTHLY, "name": "Basic", "price_minor": 2900, "tier": Tier.BASIC}
        )
        pro = plan_create(data={**MONTHLY, "name": "Pro", "price_minor": 4900, "tier": Tier.PRO})
    member = _subscribed(gym, stripe_standin, basic)

    stripe_standin.delay = DELAY
    done = threading.Event()
    waits: list[float] = []
    outcome: dict = {}

    def change() -> None:
        try:
            with tenant_context(gym):
                outcome["sub"] = subscription_change_plan(member=member, plan=pro)
        except Exception as exc:  # noqa: BLE001 - reported by the assertions below
            outcome["error"] = exc
        finally:
            done.set()
            connection.close()

    def other_writes() -> None:
        try:
            with tenant_context(gym):
                n = 0
                while not done.is_set():
                    n += 1
                    started = time.monotonic()
                    Member.objects.filter(pk=member.pk).update(notes=f"desk note {n}")
                    waits.append(time.monotonic() - started)
                    time.sleep(0.05)
        finally:
            connection.close()

    changer = threading.Thread(target=change)
    writer = threading.Thread(target=other_writes)
    started = time.monotonic()
    changer.start()
    writer.start()
    changer.join(timeout=60)
    writer.join(timeout=60)
    elapsed = time.monotonic() - started
    stripe_standin.delay = 0.0

    assert "error" not in outcome, outcome
    assert elapsed >= 3 * DELAY  # Stripe was slow for the whole change ...
    assert len(waits) >= 10  # ... and the other connection kept writing meanwhile,
    assert max(waits) < DELAY / 2, waits  # never waiting on the member's row
    with tenant_context(gym):
        member.refresh_from_db()
        assert member.tier == Tier.PRO and member.notes.startswith("desk note")
        assert outcome["sub"].plan_id == pro.pk
