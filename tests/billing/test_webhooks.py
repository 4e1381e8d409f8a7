"""Webhooks: verified, stored once, processed once, order-independent, per gym."""

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from apps.accounts.roles import Role
from apps.billing.models import BillingSettings, MemberSubscription, WebhookEvent
from apps.billing.services import webhooks
from apps.billing.tasks import process_webhook_event, retry_unprocessed_events
from apps.common.errors import ApplicationError
from apps.members.models import MemberStatus
from devtools.stripe_standin import sign
from tests.billing.conftest import KEYS, SECRETS


def _checkout(gym, api, make_user, make_member, plan):
    user = make_user(gym, Role.MEMBER)
    member = make_member(gym, user=user, status=MemberStatus.LEAD)
    body = api(gym, user).post("/api/v1/billing/checkout/", {"plan": plan.pk}, format="json").json()
    return member, body["id"]


def test_duplicate_delivery_is_processed_once(
    billing_a, stripe_standin, make_user, make_member, make_plan, api, deliver
):
    plan = make_plan(billing_a)
    member, session = _checkout(billing_a, api, make_user, make_member, plan)
    events = stripe_standin.complete_checkout(KEYS["gym-a"], session)
    for event in events:
        assert deliver(billing_a, event).json()["duplicate"] is False
    for event in events:
        response = deliver(billing_a, event)
        assert response.status_code == 200 and response.json()["duplicate"] is True
    with tenant_context(billing_a):
        assert WebhookEvent.objects.count() == len(events)
        assert set(WebhookEvent.objects.values_list("process_count", flat=True)) == {1}
        assert MemberSubscription.objects.filter(member=member).count() == 1


def test_out_of_order_delivery_ends_in_stripes_current_state(
    billing_a, stripe_standin, make_user, make_member, make_plan, api, deliver_all
):
    plan = make_plan(billing_a)
    member, session = _checkout(billing_a, api, make_user, make_member, plan)
    events = stripe_standin.complete_checkout(KEYS["gym-a"], session)
    updated = [e for e in events if e["type"] == "customer.subscription.updated"]
    created = [e for e in events if e["type"] == "customer.subscription.created"]
    assert updated and created
    # subscription.updated arrives first, then created (which says "incomplete"), then the rest.
    rest = [e for e in events if e not in updated + created]
    deliver_all(billing_a, updated + created + list(reversed(rest)))
    with tenant_context(billing_a):
        sub = MemberSubscription.objects.get(member=member)
        assert sub.status == "active"  # not the "incomplete" of the older created event
        member.refresh_from_db()
        assert member.status == "active" and member.tier == "pro"


def test_bad_signature_is_400_and_stores_nothing(billing_a, stripe_standin, deliver):
    event = {"id": "evt_forged", "object": "event", "type": "invoice.paid", "data": {"object": {}}}
    body = json.dumps(event)
    cases = [
        {"secret": "whsec_wrong"},
        {"signature": "t=1,v1=deadbeef"},
        {"signature": "garbage"},
        {"signature": sign(body, "whsec_gymA_secret", timestamp=1_000_000)},  # too old
        {"payload": "not json", "signature": sign("not json", SECRETS["gym-a"])},
    ]
    for case in cases:
        response = deliver(billing_a, event, **case)
        assert response.status_code == 400, case
    response = deliver(billing_a, event, signature=sign(body, SECRETS["gym-a"]) + "x")
    assert response.status_code == 400
    with tenant_context(billing_a):
        assert WebhookEvent.objects.count() == 0


def test_no_signature_header_is_400(billing_a, web):
    response = web(billing_a).post("/billing/webhook/", data="{}", content_type="application/json")
    assert response.status_code == 400
    with tenant_context(billing_a):
        assert WebhookEvent.objects.count() == 0


def test_event_of_gym_a_at_gym_bs_endpoint_is_rejected(
    billing_a, billing_b, stripe_standin, make_user, make_member, make_plan, api, deliver
):
    plan = make_plan(billing_a)
    member, session = _checkout(billing_a, api, make_user, make_member, plan)
    events = stripe_standin.complete_checkout(KEYS["gym-a"], session)
    for event in events:
        # Signed by A's account (A's endpoint secret) but sent to B's endpoint.
        assert deliver(billing_b, event, secret=SECRETS["gym-a"]).status_code == 400
    # A Connect-style event naming A's account, even signed with B's secret, is refused.
    foreign = {**events[0], "account": stripe_standin.account_id(KEYS["gym-a"])}
    assert deliver(billing_b, foreign).status_code == 400
    with tenant_context(billing_b):
        assert WebhookEvent.objects.count() == 0
        assert MemberSubscription.objects.count() == 0


def test_signed_event_for_objects_of_another_account_is_stored_but_changes_nothing(
    billing_a, billing_b, stripe_standin, make_user, make_member, make_plan, api, deliver
):
    # B's secret leaked into A's events (misconfiguration): the objects cannot be read with
    # B's key, so nothing changes in B and the event records why.
    plan = make_plan(billing_a)
    member, session = _checkout(billing_a, api, make_user, make_member, plan)
    events = stripe_standin.complete_checkout(KEYS["gym-a"], session)
    sub_event = next(e for e in events if e["type"] == "customer.subscription.created")
    response = deliver(billing_b, sub_event)
    assert response.status_code == 200  # stored; processing finds nothing of B's
    with tenant_context(billing_b):
        assert MemberSubscription.objects.count() == 0
        stored = WebhookEvent.objects.get()
        assert stored.processed_at is None and "No such subscription" in stored.error


def test_replay_command_processes_stored_events_again(
    billing_a, stripe_standin, make_user, make_member, make_plan, api, deliver_all
):
    plan = make_plan(billing_a)
    member, session = _checkout(billing_a, api, make_user, make_member, plan)
    deliver_all(billing_a, stripe_standin.complete_checkout(KEYS["gym-a"], session))
    with tenant_context(billing_a):
        # Someone broke the local copy (a bug, a restore): replay repairs it from Stripe.
        MemberSubscription.objects.update(status="incomplete")
        member.refresh_from_db()
        member.tier = "free"
        member.save()
        count = WebhookEvent.objects.count()
    call_command("billing_replay", "--gym", "gym-a")  # nothing unprocessed
    with tenant_context(billing_a):
        assert MemberSubscription.objects.get().status == "incomplete"
    call_command("billing_replay", "--gym", "gym-a", "--all")
    with tenant_context(billing_a):
        assert MemberSubscription.objects.get().status == "active"
        member.refresh_from_db()
        assert member.tier == "pro"
        assert WebhookEvent.objects.count() == count
        assert set(WebhookEvent.objects.values_list("process_count", flat=True)) == {1}
        assert set(WebhookEvent.objects.values_list("replay_count", flat=True)) == {1}
    with pytest.raises(CommandError):
        call_command("billing_replay", "--gym", "nope")


def test_webhook_of_unconnected_gym_is_refused(gym_b, deliver):
    event = {"id": "evt_1", "object": "event", "type": "invoice.paid", "data": {"object": {}}}
    assert deliver(gym_b, event).status_code == 400


def test_an_event_that_failed_is_retried_by_the_periodic_task(
    billing_a, stripe_standin, make_user, make_member, make_plan, api, deliver, monkeypatch
):
    plan = make_plan(billing_a)
    member, session = _checkout(billing_a, api, make_user, make_member, plan)
    events = stripe_standin.complete_checkout(KEYS["gym-a"], session)
    completed = events[-1]
    assert completed["type"] == "checkout.session.completed"

    def outage(**kwargs):
        raise ApplicationError("Stripe down", code="payment_provider_unavailable", status_code=400)

    monkeypatch.setattr(webhooks, "subscription_fetch", outage)
    assert deliver(billing_a, completed).status_code == 200  # stored, not processed
    monkeypatch.undo()
    with tenant_context(billing_a):
        stored = WebhookEvent.objects.get(event_id=completed["id"])
        assert stored.processed_at is None and "Stripe down" in stored.error
        assert not MemberSubscription.objects.filter(member=member).exists()
        # Too recent for the periodic retry (it waits 10 minutes) ...
        assert retry_unprocessed_events() == {"replayed": 0, "failed": 0}
        WebhookEvent.objects.filter(pk=stored.pk).update(
            received_at=timezone.now() - dt.timedelta(minutes=11)
        )
        # ... then it processes it from Stripe's current state.
        assert retry_unprocessed_events() == {"replayed": 1, "failed": 0}
        assert MemberSubscription.objects.get(member=member).status == "active"
        stored.refresh_from_db()
        assert stored.processed_at is not None and stored.error == ""


def test_owner_connects_stripe_in_the_gym_admin(gym_b, stripe_standin, make_user, web):
    owner = make_user(gym_b, Role.OWNER)
    client = web(gym_b, owner)
    assert client.get("/admin/billing/billingsettings/add/").status_code == 200
    response = client.post(
        "/admin/billing/billingsettings/add/",
        {
            "secret_key": KEYS["gym-b"],
            "webhook_secret": SECRETS["gym-b"],
            "publishable_key": "pk_test_b",
            "grace_period_days": 5,
            "freeze_min_days": 7,
            "freeze_max_days": 60,
        },
    )
    assert response.status_code == 302, response.content[:2000]
    with tenant_context(gym_b):
        row = BillingSettings.objects.get()
        assert row.connected and row.grace_period_days == 5
        assert KEYS["gym-b"] not in row.secret_key_encrypted
    page = client.get("/admin/billing/billingsettings/1/change/")
    assert page.status_code == 200 and KEYS["gym-b"].encode() not in page.content
    bad = client.post(
        "/admin/billing/billingsettings/1/change/",
        {"secret_key": "nope", "grace_period_days": 5, "freeze_min_days": 7, "freeze_max_days": 60},
    )
    assert bad.status_code == 200 and b"sk_ or rk_" in bad.content


def test_webhook_task_without_a_gym_schema_does_nothing(db):
    with schema_context("public"):
        assert process_webhook_event.run("evt_nowhere") is False
