"""Gyms paying the platform: trial, plan by active members, Checkout on the platform's
account, its webhook, warning then read-only for staff (members unaffected)."""

import datetime as dt
import json

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.common.errors import ApplicationError
from apps.members.models import Member
from apps.platform_billing import services
from apps.platform_billing.models import GymSubscription, PlatformPlan, PlatformWebhookEvent
from apps.platform_billing.services import gym_subscription_get, platform_state
from apps.platform_billing.tasks import retry_unprocessed_platform_events
from devtools.stripe_standin import sign

# dj-stripe only takes keys shaped like Stripe's (24+ letters and digits after the prefix).
PLATFORM_KEY = "sk_test_platform0123456789abcdefgh"
PLATFORM_SECRET = "whsec_platform"


@pytest.fixture
def platform(db, settings, stripe_standin):
    settings.PLATFORM_STRIPE_SECRET_KEY = settings.STRIPE_SECRET_KEY = PLATFORM_KEY
    settings.PLATFORM_STRIPE_WEBHOOK_SECRET = PLATFORM_SECRET
    PlatformPlan.objects.create(name="Small", max_active_members=100, price_minor=4900)
    PlatformPlan.objects.create(name="Large", max_active_members=None, price_minor=14900)
    return stripe_standin


def _lapse(gym, days_ago):
    sub = gym_subscription_get(gym)
    sub.status = "trialing"
    sub.trial_ends_at = timezone.now() - dt.timedelta(days=days_ago)
    sub.save()


def test_without_platform_keys_every_gym_is_paid_up(gym_a):
    assert platform_state(gym_a).state == "ok"
    assert not GymSubscription.objects.filter(gym=gym_a).exists()


def test_a_gym_starts_on_a_trial_then_is_warned_then_read_only_for_staff(
    platform, gym_a, make_user, make_member, web, api
):
    assert platform_state(gym_a).state == "trial"
    owner = make_user(gym_a, Role.OWNER)
    member_user = make_user(gym_a, Role.MEMBER)
    make_member(gym_a, user=member_user)

    _lapse(gym_a, days_ago=3)  # trial over, within the 14 grace days
    assert platform_state(gym_a).state == "warning"
    page = web(gym_a, owner).get("/dashboard/")
    assert page.status_code == 200 and b"lapsed" in page.content
    created = api(gym_a, owner).post("/api/v1/members/", {"first_name": "Still"}, format="json")
    assert created.status_code == 201  # still allowed in the grace period

    _lapse(gym_a, days_ago=15)
    assert platform_state(gym_a).state == "read_only"
    blocked = api(gym_a, owner).post("/api/v1/members/", {"first_name": "Nope"}, format="json")
    assert blocked.status_code == 403
    assert blocked.json()["error"]["code"] == "gym_read_only"
    form = web(gym_a, owner).post("/dashboard/members/new/", {"first_name": "Nope"})
    assert form.status_code == 403
    assert web(gym_a, owner).get("/dashboard/members/").status_code == 200  # reading is fine
    with tenant_context(gym_a):
        assert not Member.objects.filter(first_name="Nope").exists()
    # Members keep what they paid for: their own writes are not blocked.
    me = api(gym_a, member_user).patch("/api/v1/me/", {"phone": "+34 600 000 000"}, format="json")
    assert me.status_code == 200
    # The owner can still reach the platform billing page.
    assert web(gym_a, owner).get("/dashboard/billing/platform/").status_code == 200


def test_owner_subscribes_through_checkout_and_the_webhook_restores_the_gym(
    platform, gym_a, make_user, web, django_capture_on_commit_callbacks
):
    _lapse(gym_a, days_ago=20)
    owner = make_user(gym_a, Role.OWNER)
    client = web(gym_a, owner)
    page = client.get("/dashboard/billing/platform/")
    assert b"Small" in page.content  # 0 active members: the smallest plan
    response = client.post("/dashboard/billing/platform/")
    assert response.status_code == 302
    session_id = response["Location"].rsplit("/", 1)[-1]
    events = platform.complete_checkout(PLATFORM_KEY, session_id)
    for event in events:
        body = json.dumps(event)
        # Processed by a task queued on commit (the test's transaction never commits).
        with django_capture_on_commit_callbacks(execute=True):
            answer = web(None).post(
                "/billing/webhook/",
                data=body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=sign(body, PLATFORM_SECRET),
            )
        assert answer.status_code == 200, answer.content
    sub = GymSubscription.objects.get(gym=gym_a)
    assert sub.status == "active" and sub.plan.name == "Small" and sub.lapsed_since is None
    assert platform_state(gym_a).state == "ok"
    assert PlatformWebhookEvent.objects.filter(processed_at__isnull=False).count() == len(events)


def test_platform_webhook_rejects_bad_signatures_and_gym_secrets(platform, web):
    event = {"id": "evt_x", "object": "event", "type": "invoice.paid", "data": {"object": {}}}
    body = json.dumps(event)
    for header in ("", "t=1,v1=00", sign(body, "whsec_gymA_secret")):
        response = web(None).post(
            "/billing/webhook/",
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=header,
        )
        assert response.status_code == 400
    assert not PlatformWebhookEvent.objects.exists()


def test_platform_billing_page_is_for_the_owner(platform, gym_a, make_user, web):
    manager = make_user(gym_a, Role.MANAGER)
    assert web(gym_a, manager).get("/dashboard/billing/platform/").status_code == 403


def test_platform_webhook_refuses_signed_bodies_that_are_not_events(platform, web):
    bodies = [
        json.dumps([1, 2]),
        json.dumps({"type": "invoice.paid"}),
        json.dumps({"id": "evt_1"}),
        json.dumps({"id": "evt_2", "type": "checkout.session.completed", "data": {"object": 3}}),
    ]
    for body in bodies:
        response = web(None).post(
            "/billing/webhook/",
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign(body, PLATFORM_SECRET),
        )
        assert response.status_code == 400, body
    huge = json.dumps({"id": "evt_3", "type": "x", "pad": "a" * 600_000})
    response = web(None).post(
        "/billing/webhook/",
        data=huge,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(huge, PLATFORM_SECRET),
    )
    assert response.status_code == 413
    assert not PlatformWebhookEvent.objects.exists()


def test_a_platform_event_that_failed_is_stored_and_retried_by_the_periodic_task(
    platform, gym_a, make_user, web, django_capture_on_commit_callbacks, monkeypatch
):
    """Stripe gets its 200 once the event is stored; processing (a task, in the public
    schema) that fails leaves the reason on the row, and the periodic job processes it
    later from the subscription's current state."""
    _lapse(gym_a, days_ago=20)
    owner = make_user(gym_a, Role.OWNER)
    response = web(gym_a, owner).post("/dashboard/billing/platform/")
    events = platform.complete_checkout(PLATFORM_KEY, response["Location"].rsplit("/", 1)[-1])
    [completed] = [e for e in events if e["type"] == "checkout.session.completed"]
    body = json.dumps(completed)

    def outage(event):
        raise ApplicationError("Stripe down", code="payment_provider_unavailable")

    monkeypatch.setattr(services, "_subscription_of", outage)
    with django_capture_on_commit_callbacks(execute=True):
        answer = web(None).post(
            "/billing/webhook/",
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign(body, PLATFORM_SECRET),
        )
    monkeypatch.undo()
    assert answer.status_code == 200 and answer.json() == {"received": completed["id"]}
    stored = PlatformWebhookEvent.objects.get(event_id=completed["id"])
    assert stored.processed_at is None and "Stripe down" in stored.error
    assert GymSubscription.objects.get(gym=gym_a).status == "trialing"
    # Too recent for the periodic retry (it waits 10 minutes) ...
    assert retry_unprocessed_platform_events() == {"replayed": 0, "failed": 0}
    PlatformWebhookEvent.objects.filter(pk=stored.pk).update(
        received_at=timezone.now() - dt.timedelta(minutes=11)
    )
    # ... then it processes it.
    assert retry_unprocessed_platform_events() == {"replayed": 1, "failed": 0}
    stored.refresh_from_db()
    assert stored.processed_at is not None and stored.error == ""
    assert GymSubscription.objects.get(gym=gym_a).status == "active"
