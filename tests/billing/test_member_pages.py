"""Member web app: the membership page (/app/membership/): plan, status, next renewal,
recent invoices in the gym's currency; join through Stripe Checkout, "Change or pay" in the
customer portal, cancel/resume and freeze through the subscription services (the Stripe
stand-in answers); a gym without Stripe gets a sentence and no buttons; the home card."""

import datetime as dt

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.billing.models import CheckoutRequest, Invoice, MemberSubscription
from apps.members.models import MemberStatus
from tests.billing.conftest import KEYS
from tests.factories import MemberWithLoginFactory

pytestmark = pytest.mark.django_db

PAGE = "/app/membership/"


def _subscribed(gym, web, make_user, make_member, plan, standin, deliver_all):
    """A member who joined `plan` through this page's Checkout and paid."""
    user = make_user(gym, Role.MEMBER)
    member = make_member(gym, user=user, status=MemberStatus.LEAD)
    client = web(gym, user)
    response = client.post("/app/membership/join/", {"plan": plan.pk})
    assert response.status_code == 302 and response.url.startswith("https://checkout.stripe.com/")
    with tenant_context(gym):
        checkout = CheckoutRequest.objects.get(member=member)
        assert checkout.url == response.url
    deliver_all(gym, standin.complete_checkout(KEYS[gym.slug], checkout.stripe_session_id))
    with tenant_context(gym):
        return client, member, MemberSubscription.objects.get(member=member)


def test_a_gym_without_stripe_says_so_and_offers_no_buttons(gym_a, web):
    with tenant_context(gym_a):
        member = MemberWithLoginFactory()
    response = web(gym_a, member.user).get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Online payments are not set up at this gym yet." in html
    for action in ("/app/membership/join/", "/app/membership/portal/", "/cancel/", "/freeze/"):
        assert action not in html
    # Posting anyway: the service's refusal as a message, nothing made.
    client = web(gym_a, member.user)
    assert client.post("/app/membership/portal/").url == PAGE
    assert "no payment account" in client.get(PAGE).content.decode()


def test_a_member_without_a_plan_sees_the_plans_on_sale_and_joins_through_checkout(
    billing_a, web, make_plan
):
    make_plan(billing_a, name="Gold", price_minor=4900, trial_days=7)
    make_plan(billing_a, name="Backroom", sold_online=False)
    with tenant_context(billing_a):
        member = MemberWithLoginFactory()
    client = web(billing_a, member.user)
    html = client.get(PAGE).content.decode()
    assert "Gold" in html and "49.00 EUR" in html and "7 days free trial" in html
    assert "Backroom" not in html
    assert "No invoices yet." in html


@pytest.mark.parametrize("plan", ["hidden", "999999", "abc", "", "9" * 40])
def test_joining_a_plan_not_on_sale_or_unknown_is_404_and_opens_no_checkout(
    billing_a, web, make_plan, plan
):
    hidden = make_plan(billing_a, name="Backroom", sold_online=False)
    with tenant_context(billing_a):
        member = MemberWithLoginFactory()
    value = str(hidden.pk) if plan == "hidden" else plan
    response = web(billing_a, member.user).post("/app/membership/join/", {"plan": value})
    assert response.status_code == 404
    with tenant_context(billing_a):
        assert not CheckoutRequest.objects.exists()


def test_a_subscribed_member_sees_plan_renewal_and_invoices_and_opens_the_portal(
    billing_a, web, make_user, make_member, make_plan, stripe_standin, deliver_all
):
    plan = make_plan(billing_a, name="Gold", price_minor=4900)
    client, member, sub = _subscribed(
        billing_a, web, make_user, make_member, plan, stripe_standin, deliver_all
    )
    html = client.get(PAGE).content.decode()
    assert "Gold" in html and "Next renewal" in html and "Active" in html
    assert "49.00 EUR" in html and "Paid" in html  # the first invoice
    assert "Join a plan" not in html
    portal = client.post("/app/membership/portal/")
    assert portal.status_code == 302
    assert portal.url.startswith("https://billing.stripe.com/")
    # The home card: plan and renewal date.
    home = client.get("/app/").content.decode()
    assert "Renews on" in home and "Gold" in home


def test_cancel_then_keep_the_membership(
    billing_a, web, make_user, make_member, make_plan, stripe_standin, deliver_all
):
    plan = make_plan(billing_a, name="Gold")
    client, member, sub = _subscribed(
        billing_a, web, make_user, make_member, plan, stripe_standin, deliver_all
    )
    response = client.post("/app/membership/cancel/")
    assert response.status_code == 302 and response.url == PAGE
    with tenant_context(billing_a):
        sub.refresh_from_db()
        assert sub.cancel_at_period_end or sub.cancel_at
    html = client.get(PAGE).content.decode()
    assert "Ends on" in html and "Keep my membership" in html
    client.post("/app/membership/resume/")
    with tenant_context(billing_a):
        sub.refresh_from_db()
        assert not sub.cancel_at_period_end and not sub.cancel_at


def test_freeze_with_good_dates_freezes_and_ends_early(
    billing_a, web, make_user, make_member, make_plan, stripe_standin, deliver_all
):
    plan = make_plan(billing_a, name="Gold")
    client, member, sub = _subscribed(
        billing_a, web, make_user, make_member, plan, stripe_standin, deliver_all
    )
    today = timezone.localdate()
    response = client.post("/app/membership/freeze/", {"start": today.isoformat(), "days": 14})
    assert response.status_code == 302
    with tenant_context(billing_a):
        sub.refresh_from_db()
        assert sub.frozen_until == today + dt.timedelta(days=14)
    assert "End the freeze now" in client.get(PAGE).content.decode()
    assert client.post("/app/membership/unfreeze/").status_code == 302


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"start": "tomorrow", "days": "14"}, "Enter a valid date"),
        ({"start": "today", "days": "0"}, "greater than or equal to 1"),
        ({"start": "today", "days": "9" * 50}, "less than or equal to 365"),
        ({"start": "today", "days": "2"}, "A freeze lasts from 7 to 90 days"),
        ({"start": "past", "days": "14"}, "starts today or within 90 days"),
    ],
)
def test_a_bad_freeze_is_refused_with_a_message_and_changes_nothing(
    billing_a, web, make_user, make_member, make_plan, stripe_standin, deliver_all, data, message
):
    plan = make_plan(billing_a, name="Gold")
    client, member, sub = _subscribed(
        billing_a, web, make_user, make_member, plan, stripe_standin, deliver_all
    )
    today = timezone.localdate()
    days = {"today": today, "past": today - dt.timedelta(days=3)}
    data = {**data, "start": str(days.get(data["start"], data["start"]))}
    response = client.post("/app/membership/freeze/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    with tenant_context(billing_a):
        sub.refresh_from_db()
        assert sub.frozen_until is None and sub.freeze_days_total == 0


def test_a_failed_payment_is_the_home_card_and_a_warning_on_the_page(
    billing_a, web, make_user, make_member, make_plan, stripe_standin, deliver_all
):
    plan = make_plan(billing_a, name="Gold", price_minor=4900)
    client, member, sub = _subscribed(
        billing_a, web, make_user, make_member, plan, stripe_standin, deliver_all
    )
    with tenant_context(billing_a):
        Invoice.objects.create(
            member=member,
            subscription=sub,
            stripe_invoice_id="in_failed_1",
            status="open",
            amount_due_minor=4900,
            currency="eur",
            attempt_count=1,
            created=timezone.now(),
        )
    home = client.get("/app/").content.decode()
    assert "Payment failed" in home and "We could not collect 49.00 EUR" in home
    page = client.get(PAGE).content.decode()
    assert 'role="alert"' in page and "Update card" in page


def test_no_membership_no_home_card(gym_a, web):
    with tenant_context(gym_a):
        member = MemberWithLoginFactory()
    assert 'href="/app/membership/"' not in web(gym_a, member.user).get("/app/").content.decode()


@pytest.mark.parametrize(
    "path",
    [
        PAGE,
        "/app/membership/join/",
        "/app/membership/portal/",
        "/app/membership/cancel/",
        "/app/membership/freeze/",
    ],
)
def test_anonymous_goes_to_login_and_staff_to_the_dashboard(gym_a, web, make_user, path):
    method = "get" if path == PAGE else "post"
    response = getattr(web(gym_a), method)(path)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    staff = web(gym_a, make_user(gym_a, Role.OWNER))
    assert getattr(staff, method)(path).url == "/dashboard/"
