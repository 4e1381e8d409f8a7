"""Stripe Connect: "Connect Stripe" makes a Standard connected account and sends the owner
through Stripe's onboarding; only the account id is stored; every call for the gym goes
with the platform's key and `Stripe-Account`; the platform's one Connect webhook endpoint
routes each event by its `account` to its gym."""

import json
import logging

import pytest
import requests
import stripe
from django.db import connection
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.billing.models import BillingSettings, MembershipPlan, MemberSubscription, WebhookEvent
from apps.billing.selectors import billing_settings_get
from apps.billing.services import connect_start, plan_create
from apps.members.models import MemberStatus
from apps.platform_billing.models import ConnectedAccount
from devtools.stripe_standin import sign
from tests.billing.conftest import CONNECT_SECRET, KEYS, PLATFORM_KEY, connect_through_connect

PLAN = {"name": "Pro monthly", "price_minor": 4900, "interval": "month", "tier": "pro"}


def _row(gym) -> BillingSettings:
    with tenant_context(gym):
        return billing_settings_get()


def test_owner_connects_stripe_with_the_button(gym_a, connect_platform, make_user, web):
    owner = make_user(gym_a, Role.OWNER)
    client = web(gym_a, owner)
    page = client.get("/dashboard/billing/stripe/").content.decode()
    assert "Not connected" in page and "Connect Stripe" in page
    response = client.post("/dashboard/billing/stripe/connect/")
    assert response.status_code == 302
    onboarding = response["Location"]
    assert onboarding.startswith(connect_platform.url + "/connect/onboarding/")
    row = _row(gym_a)
    assert row.stripe_connect and row.stripe_account_id.startswith("acct_")
    assert not row.details_submitted and not row.connected
    assert not row.secret_key_encrypted and not row.webhook_secret_encrypted  # no key stored
    assert ConnectedAccount.objects.get(gym=gym_a).account_id == row.stripe_account_id
    # Stripe's onboarding (the stand-in completes it when followed) sends the owner back.
    back = requests.get(onboarding, allow_redirects=False, timeout=5)
    assert back.status_code == 302
    assert back.headers["Location"] == "http://gym-a.localhost/dashboard/billing/stripe/return/"
    returned = client.get("/dashboard/billing/stripe/return/")
    assert returned.status_code == 302
    row = _row(gym_a)
    assert row.details_submitted and row.charges_enabled and row.connected
    page = client.get("/dashboard/billing/stripe/").content.decode()
    assert "Connected" in page and row.stripe_account_id in page


def test_clicking_twice_keeps_one_account(gym_a, connect_platform, make_user, web):
    client = web(gym_a, make_user(gym_a, Role.OWNER))
    client.post("/dashboard/billing/stripe/connect/")
    first = _row(gym_a).stripe_account_id
    again = client.get("/dashboard/billing/stripe/connect/")  # Stripe's refresh_url
    assert again.status_code == 302 and "/connect/onboarding/" in again["Location"]
    assert _row(gym_a).stripe_account_id == first
    assert ConnectedAccount.objects.filter(account_id=first).count() == 1


def test_without_a_platform_key_the_page_points_to_pasted_keys(gym_a, make_user, web, settings):
    settings.PLATFORM_STRIPE_SECRET_KEY = ""
    client = web(gym_a, make_user(gym_a, Role.OWNER))
    page = client.get("/dashboard/billing/stripe/").content.decode()
    assert 'href="/admin/billing/billingsettings/"' in page
    assert "Connect Stripe</button>" not in page
    response = client.post("/dashboard/billing/stripe/connect/", follow=True)
    assert "Stripe Connect is not set up on this platform." in response.content.decode()
    assert not _row(gym_a).stripe_account_id


def test_calls_for_a_connected_gym_use_the_platform_key_and_its_account(
    gym_a, gym_b, connect_platform
):
    account_a = connect_through_connect(gym_a, connect_platform)
    account_b = connect_through_connect(gym_b, connect_platform)
    with tenant_context(gym_a):
        plan = plan_create(data=PLAN)
    # The product lives in gym A's connected account, not the platform's nor gym B's.
    assert connect_platform.get(account_a, plan.stripe_price_id)["unit_amount"] == 4900
    with pytest.raises(KeyError):
        connect_platform.get(account_b, plan.stripe_price_id)
    with pytest.raises(KeyError):
        connect_platform.get(PLATFORM_KEY, plan.stripe_price_id)


def test_member_pays_a_connected_gym_and_connect_events_reach_it(
    gym_a, gym_b, connect_platform, make_user, make_member, api, deliver_connect
):
    account_a = connect_through_connect(gym_a, connect_platform)
    connect_through_connect(gym_b, connect_platform)
    with tenant_context(gym_a):
        plan = plan_create(data=PLAN)
    user = make_user(gym_a, Role.MEMBER)
    member = make_member(gym_a, user=user, status=MemberStatus.LEAD)
    body = api(gym_a, user).post("/api/v1/billing/checkout/", {"plan": plan.pk}, format="json")
    assert body.status_code == 201, body.content
    events = connect_platform.complete_checkout(account_a, body.json()["id"])
    assert {e["account"] for e in events} == {account_a}
    for event in events:
        response = deliver_connect(event)
        assert response.status_code == 200 and response.json()["duplicate"] is False
    with tenant_context(gym_a):
        sub = MemberSubscription.objects.get(member=member)
        assert sub.status == "active"
        assert set(WebhookEvent.objects.values_list("account", flat=True)) == {account_a}
    with tenant_context(gym_b):
        assert not WebhookEvent.objects.exists()  # gym A's account never touches gym B


def test_a_connect_event_delivered_twice_is_processed_once(
    gym_a, connect_platform, deliver_connect
):
    account_a = connect_through_connect(gym_a, connect_platform)
    with tenant_context(gym_a):
        BillingSettings.objects.update(charges_enabled=False)
    # The event of the onboarding just finished (the stand-in keeps the account's earlier
    # ones: the account is made under the same idempotency key in every test).
    event = [
        e for e in connect_platform.connected[account_a].events if e["type"] == "account.updated"
    ][-1]
    first, second = deliver_connect(event), deliver_connect(event)
    assert first.json()["duplicate"] is False and second.json()["duplicate"] is True
    with tenant_context(gym_a):
        stored = WebhookEvent.objects.get(event_id=event["id"])
        assert stored.process_count == 1 and stored.processed_at is not None
        assert billing_settings_get().charges_enabled  # account.updated re-read the account


def test_account_updated_refreshes_charges_enabled(gym_a, connect_platform, deliver_connect):
    account_a = connect_through_connect(gym_a, connect_platform)
    connect_platform.connected[account_a].profile["charges_enabled"] = False
    event = connect_platform._event(  # noqa: SLF001 - Stripe disabling charges by itself
        connect_platform.connected[account_a],
        "account.updated",
        connect_platform.connected[account_a].profile,
    )
    assert deliver_connect(event).status_code == 200
    assert not _row(gym_a).charges_enabled


def test_event_of_an_unknown_account_is_200_logged_and_stored_nowhere(
    gym_a, connect_platform, deliver_connect, caplog
):
    connect_through_connect(gym_a, connect_platform)
    event = {
        "id": "evt_unknownacct1",
        "object": "event",
        "type": "account.updated",
        "account": "acct_nobodyknows",
        "created": 1,
        "data": {"object": {"id": "acct_nobodyknows", "object": "account"}},
    }
    with caplog.at_level(logging.INFO, logger="apps.billing.services.webhooks"):
        response = deliver_connect(event)
    assert response.status_code == 200 and response.json()["ignored"] == "unknown_account"
    assert "acct_nobodyknows" in caplog.text
    with tenant_context(gym_a):
        assert not WebhookEvent.objects.filter(event_id="evt_unknownacct1").exists()


def test_connect_endpoint_refuses_what_is_not_verified(gym_a, connect_platform, deliver_connect):
    account_a = connect_through_connect(gym_a, connect_platform)
    event = {
        "id": "evt_forgedconnect",
        "object": "event",
        "type": "account.updated",
        "account": account_a,
        "created": 1,
        "data": {"object": {"id": account_a}},
    }
    assert deliver_connect(event, secret="whsec_wrong").status_code == 400
    assert deliver_connect(event, secret=KEYS["gym-a"]).status_code == 400
    no_account = {**event, "id": "evt_noaccount"}
    del no_account["account"]
    assert deliver_connect(no_account).json() == {"error": "no_account"}
    assert deliver_connect({}, payload="[1]").status_code == 400
    with tenant_context(gym_a):
        assert not WebhookEvent.objects.filter(
            event_id__in=["evt_forgedconnect", "evt_noaccount"]
        ).exists()


def test_an_event_signed_with_a_gyms_own_secret_never_passes_as_connect(
    billing_a, connect_platform, web
):
    body = json.dumps(
        {"id": "evt_x", "type": "account.updated", "account": "acct_x", "data": {"object": {}}}
    )
    response = web(None).post(
        "/billing/connect/webhook/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(body, "whsec_gymA_secret"),
    )
    assert response.status_code == 400


def test_deauthorizing_disconnects_the_gym(gym_a, connect_platform, deliver_connect):
    account_a = connect_through_connect(gym_a, connect_platform)
    event = {
        "id": "evt_deauth1",
        "object": "event",
        "type": "account.application.deauthorized",
        "account": account_a,
        "created": 1,
        "data": {"object": {"id": "ca_platform", "object": "application"}},
    }
    assert deliver_connect(event).status_code == 200
    row = _row(gym_a)
    assert not row.stripe_connect and not row.connected and not row.stripe_account_id
    assert not ConnectedAccount.objects.filter(account_id=account_a).exists()


def test_pasted_keys_still_work_when_connect_is_off(billing_a, make_plan):
    plan = make_plan(billing_a)
    assert plan.stripe_price_id
    assert not _row(billing_a).stripe_connect


def test_standin_speaks_stripes_wire_format_to_the_sdk(connect_platform):
    client = stripe.StripeClient(PLATFORM_KEY, base_addresses={"api": connect_platform.url})
    account = client.v1.accounts.create({"type": "standard", "metadata": {"gym": "x"}})
    assert isinstance(account, stripe.Account) and account.id.startswith("acct_")
    assert account.charges_enabled is False and account.metadata["gym"] == "x"
    link = client.v1.account_links.create(
        {
            "account": account.id,
            "type": "account_onboarding",
            "refresh_url": "https://x.test/r",
            "return_url": "https://x.test/b",
        }
    )
    assert isinstance(link, stripe.AccountLink) and link.url.startswith(connect_platform.url)
    assert client.v1.accounts.retrieve(account.id).id == account.id
    on_account = stripe.StripeClient(
        PLATFORM_KEY, stripe_account=account.id, base_addresses={"api": connect_platform.url}
    )
    product = on_account.v1.products.create({"name": "Only here"})
    assert on_account.v1.products.retrieve(product.id).name == "Only here"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.products.retrieve(product.id)  # not the platform's own
    other = stripe.StripeClient(
        "sk_test_someOtherPlatform1",
        stripe_account=account.id,
        base_addresses={"api": connect_platform.url},
    )
    with pytest.raises(stripe.PermissionError):
        other.v1.products.retrieve(product.id)
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.account_links.create({"account": account.id, "type": "account_onboarding"})
    assert missing.value.param == "refresh_url"
    (event,) = connect_platform.complete_onboarding(account.id)
    body = json.dumps(event)
    parsed = stripe.Webhook.construct_event(body, sign(body, CONNECT_SECRET), CONNECT_SECRET)
    assert parsed.account == account.id and parsed.data.object.details_submitted is True


def test_connect_start_needs_the_platform_key(gym_a, settings):
    settings.PLATFORM_STRIPE_SECRET_KEY = ""
    with tenant_context(gym_a), pytest.raises(Exception, match="not set up"):
        connect_start(return_url="https://x.test", refresh_url="https://x.test")
    assert connection.schema_name == "public"
    with tenant_context(gym_a):
        assert not billing_settings_get().stripe_account_id
        assert not MembershipPlan.objects.exists()
