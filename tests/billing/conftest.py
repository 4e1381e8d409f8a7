"""Billing fixtures: the Stripe stand-in (one per test session, a thread on a free port),
gyms A and B connected to their own Stripe accounts, and helpers to deliver signed events."""

from __future__ import annotations

import json

import pytest
import stripe
from django.conf import settings
from django_tenants.utils import tenant_context

from apps.billing import stripe_api
from apps.billing.selectors import billing_settings_get
from apps.billing.services import (
    billing_settings_update,
    connect_refresh,
    connect_start,
    plan_create,
)
from apps.billing.tiers import Tier
from devtools.stripe_standin import StripeStandin, sign
from tests.conftest import host

KEYS = {"gym-a": "sk_test_gymA_0123456789", "gym-b": "sk_test_gymB_0123456789"}
SECRETS = {"gym-a": "whsec_gymA_secret", "gym-b": "whsec_gymB_secret"}


@pytest.fixture(scope="session")
def stripe_standin():
    standin = StripeStandin()
    url = standin.start()
    previous = settings.STRIPE_API_BASE, stripe.api_base
    settings.STRIPE_API_BASE = stripe.api_base = url  # the global one: dj-stripe's calls
    stripe_api._clients.clear()  # noqa: SLF001 - cached SDK clients keep the old base
    yield standin
    settings.STRIPE_API_BASE, stripe.api_base = previous
    stripe_api._clients.clear()  # noqa: SLF001 - cached SDK clients keep the old base
    standin.stop()


def connect(gym) -> None:
    with tenant_context(gym):
        billing_settings_update(
            data={
                "secret_key": KEYS[gym.slug],
                "webhook_secret": SECRETS[gym.slug],
                "grace_period_days": 3,
            }
        )


@pytest.fixture
def billing_a(gym_a, stripe_standin):
    connect(gym_a)
    return gym_a


@pytest.fixture
def billing_b(gym_b, stripe_standin):
    connect(gym_b)
    return gym_b


@pytest.fixture
def make_plan():
    def make(gym, **data):
        data = {
            "name": "Pro monthly",
            "price_minor": 4900,
            "interval": "month",
            "tier": Tier.PRO,
            **data,
        }
        with tenant_context(gym):
            return plan_create(data=data)

    return make


@pytest.fixture
def deliver(web, django_capture_on_commit_callbacks):
    """deliver(gym, event, secret=None) -> the response of the gym's webhook endpoint.

    The endpoint queues processing on commit; the test's transaction never commits, so
    the callbacks (the eager Celery task, then its emails) run when the request ends."""

    def send(gym, event, *, secret=None, signature=None, payload=None):
        body = payload if payload is not None else json.dumps(event)
        header = signature or sign(body, secret or SECRETS[gym.slug])
        with django_capture_on_commit_callbacks(execute=True):
            return web(gym).post(
                "/billing/webhook/",
                data=body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=header,
            )

    return send


@pytest.fixture
def deliver_all(deliver):
    def send(gym, events):
        responses = [deliver(gym, event) for event in events]
        assert [r.status_code for r in responses] == [200] * len(events), [
            r.content for r in responses
        ]
        return responses

    return send


PLATFORM_KEY = "sk_test_platformConnect0123"
CONNECT_SECRET = "whsec_platform_connect"


@pytest.fixture
def connect_platform(settings, stripe_standin):
    """The platform runs Stripe Connect (its key, its Connect endpoint's secret)."""
    settings.PLATFORM_STRIPE_SECRET_KEY = PLATFORM_KEY
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = CONNECT_SECRET
    return stripe_standin


def connect_through_connect(gym, standin) -> str:
    """The owner's "Connect Stripe", onboarding finished, the return page: the account id."""
    with tenant_context(gym):
        connect_start(return_url="https://x.test/back", refresh_url="https://x.test/again")
        account_id = billing_settings_get().stripe_account_id
        standin.complete_onboarding(account_id)
        connect_refresh()
    return account_id


@pytest.fixture
def deliver_connect(web, django_capture_on_commit_callbacks):
    """deliver_connect(event) -> the response of the platform's Connect endpoint (platform
    domain), signed with the platform's Connect secret as Stripe signs it."""

    def send(event, *, secret=CONNECT_SECRET, payload=None):
        body = payload if payload is not None else json.dumps(event)
        with django_capture_on_commit_callbacks(execute=True):
            return web(None).post(
                "/billing/connect/webhook/",
                data=body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=sign(body, secret),
            )

    return send


__all__ = ["CONNECT_SECRET", "KEYS", "PLATFORM_KEY", "SECRETS", "host"]
