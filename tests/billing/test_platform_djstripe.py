"""The platform's own billing on dj-stripe: Stripe's objects in dj-stripe's tables (public
schema only), events through the project's one webhook path then dj-stripe, and the
gym's access following its dj-stripe subscription."""

import datetime as dt
import json
import random

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context
from djstripe.models import APIKey, Customer, Event, Price, Subscription

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.platform_billing.models import GymSubscription, PlatformPlan, PlatformWebhookEvent
from apps.platform_billing.services import platform_state
from apps.tenants.template_schema import template_schema_missing_migrations
from devtools.stripe_standin import sign
from tests.billing.test_platform import PLATFORM_KEY, PLATFORM_SECRET, _lapse
from tests.factories import PASSWORD


@pytest.fixture
def platform(db, settings, stripe_standin):
    settings.PLATFORM_STRIPE_SECRET_KEY = settings.STRIPE_SECRET_KEY = PLATFORM_KEY
    settings.PLATFORM_STRIPE_WEBHOOK_SECRET = PLATFORM_SECRET
    PlatformPlan.objects.create(name="Small", max_active_members=100, price_minor=4900)
    return stripe_standin


@pytest.fixture
def post_event(web, django_capture_on_commit_callbacks):
    def post(event):
        body = json.dumps(event)
        with django_capture_on_commit_callbacks(execute=True):
            answer = web(None).post(
                "/billing/webhook/",
                data=body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=sign(body, PLATFORM_SECRET),
            )
        assert answer.status_code == 200, answer.content
        assert answer.json() == {"received": event["id"]}
        return answer

    return post


def _subscribe(platform, gym, owner, web):
    """The owner opens Checkout and pays: the events Stripe sends, in order."""
    _lapse(gym, days_ago=20)
    response = web(gym, owner).post("/dashboard/billing/platform/")
    assert response.status_code == 302
    return platform.complete_checkout(PLATFORM_KEY, response["Location"].rsplit("/", 1)[-1])


def test_a_gyms_platform_subscription_lives_in_djstripe_tables(
    platform, gym_a, make_user, web, post_event
):
    events = _subscribe(platform, gym_a, make_user(gym_a, Role.OWNER), web)
    for event in events:
        post_event(event)
    customer = Customer.objects.get(subscriber=gym_a)
    subscription = Subscription.objects.get(customer=customer)
    assert subscription.status == "active"
    assert subscription.metadata["gym"] == gym_a.schema_name
    standing = GymSubscription.objects.get(gym=gym_a)
    assert standing.subscription == subscription and standing.status == "active"
    plan = PlatformPlan.objects.get(name="Small")
    assert isinstance(plan.price, Price) and plan.price.unit_amount == 4900
    assert plan.price.product.name == "Gym platform: Small"
    # dj-stripe kept each event once, as its own record of what it processed.
    assert set(Event.objects.values_list("id", flat=True)) == {e["id"] for e in events}
    # Only the platform's key reaches dj-stripe's tables (it stores the keys it syncs
    # with); the gyms' keys never go through dj-stripe.
    assert list(APIKey.objects.values_list("secret", flat=True)) == [PLATFORM_KEY]
    assert platform_state(gym_a).state == "ok"


def test_a_failed_renewal_lapses_the_gym_into_grace_then_read_only_and_paying_resumes_it(
    platform, gym_a, make_user, api, web, post_event
):
    owner = make_user(gym_a, Role.OWNER)
    for event in _subscribe(platform, gym_a, owner, web):
        post_event(event)
    sub_id = GymSubscription.objects.get(gym=gym_a).subscription.id

    renewal = platform.renew(PLATFORM_KEY, sub_id, pay=False)
    for event in renewal:
        post_event(event)
    assert Subscription.objects.get(id=sub_id).status == "past_due"
    standing = GymSubscription.objects.get(gym=gym_a)
    assert standing.status == "past_due" and standing.lapsed_since is not None
    assert platform_state(gym_a).state == "warning"
    body = {"first_name": "Writer"}
    assert api(gym_a, owner).post("/api/v1/members/", body, format="json").status_code == 201

    GymSubscription.objects.filter(pk=standing.pk).update(
        lapsed_since=timezone.now() - dt.timedelta(days=django_settings.PLATFORM_GRACE_DAYS + 1)
    )
    assert platform_state(gym_a).state == "read_only"
    blocked = api(gym_a, owner).post("/api/v1/members/", body, format="json")
    assert blocked.status_code == 403 and blocked.json()["error"]["code"] == "gym_read_only"

    [failed] = [e for e in renewal if e["type"] == "invoice.payment_failed"]
    for event in platform.retry_invoice(PLATFORM_KEY, failed["data"]["object"]["id"]):
        post_event(event)
    standing.refresh_from_db()
    assert standing.status == "active" and standing.lapsed_since is None
    assert Subscription.objects.get(id=sub_id).status == "active"
    assert platform_state(gym_a).state == "ok"
    assert api(gym_a, owner).post("/api/v1/members/", body, format="json").status_code == 201


def test_events_out_of_order_and_twice_end_in_stripes_current_state(
    platform, gym_a, make_user, web, post_event
):
    events = _subscribe(platform, gym_a, make_user(gym_a, Role.OWNER), web)
    shuffled = list(reversed(events)) + random.Random(13).sample(events, len(events))
    for event in shuffled:
        post_event(event)
    standing = GymSubscription.objects.get(gym=gym_a)
    assert standing.status == "active" and standing.subscription.status == "active"
    assert PlatformWebhookEvent.objects.count() == len(events)
    assert not PlatformWebhookEvent.objects.filter(processed_at__isnull=True).exists()
    assert Event.objects.count() == len(events)
    assert Subscription.objects.count() == 1 and Customer.objects.count() == 1


def test_a_late_event_of_an_ended_subscription_does_not_displace_the_live_one(
    platform, gym_a, make_user, web, post_event
):
    owner = make_user(gym_a, Role.OWNER)
    for event in _subscribe(platform, gym_a, owner, web):
        post_event(event)
    old = GymSubscription.objects.get(gym=gym_a).subscription
    # Cancelled at Stripe; the gym subscribes again before the old news arrives.
    cancelled = platform.handle("DELETE", f"/v1/subscriptions/{old.id}", PLATFORM_KEY, {})
    assert cancelled["status"] == "canceled"
    [ended] = [e for e in platform.accounts[PLATFORM_KEY].events if e["type"].endswith("deleted")]
    for event in _subscribe(platform, gym_a, owner, web):
        post_event(event)
    new = GymSubscription.objects.get(gym=gym_a).subscription
    assert new != old and new.status == "active"
    post_event(ended)
    standing = GymSubscription.objects.get(gym=gym_a)
    assert standing.subscription == new and standing.status == "active"
    assert Subscription.objects.get(id=old.id).status == "canceled"


def test_djstripe_admin_is_on_the_platform_host_only(platform, gym_a, make_user, web):
    operator = User.objects.create_superuser("op@platform.test", PASSWORD)
    client = web(None)
    client.force_login(operator, backend="django.contrib.auth.backends.ModelBackend")
    index = client.get("/admin/")
    assert index.status_code == 200 and b"/admin/djstripe/" in index.content
    for page in ("subscription", "customer", "event", "price"):
        assert client.get(f"/admin/djstripe/{page}/").status_code == 200, page
    owner = make_user(gym_a, Role.OWNER)
    with tenant_context(gym_a):  # every permission: only the schema can hide dj-stripe
        User.objects.filter(pk=owner.pk).update(is_superuser=True, is_staff=True)
        owner.refresh_from_db()
    gym_admin = web(gym_a, owner)
    index = gym_admin.get("/admin/")
    assert index.status_code == 200 and b"djstripe" not in index.content
    assert gym_admin.get("/admin/djstripe/subscription/").status_code == 404


def test_djstripe_has_tables_in_the_public_schema_only(gym_a):
    def tables(schema):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = %s AND table_name LIKE 'djstripe%%'",
                [schema],
            )
            return cursor.fetchone()[0]

    assert tables("public") > 50
    assert tables(gym_a.schema_name) == 0
    assert tables(django_settings.TENANT_BASE_SCHEMA) == 0
    # Recorded as applied in the template (never run there), so the template is current.
    with schema_context(django_settings.TENANT_BASE_SCHEMA), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations WHERE app = 'djstripe'")
        assert cursor.fetchone()[0] == 3
    assert template_schema_missing_migrations() == []
