"""`make run`'s demo: the seed commands in config.devstack's order, against the Stripe
stand-in, twice. The demo gym is connected through Stripe Connect, sells plans that
exist at Stripe, has six months of invoices (paid, failed, failed then paid), months of
door visits and of classes with attendance; every demo login takes the demo password;
and the second run changes nothing."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import pytest
import stripe
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.db.models import Max, Min
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.models import User
from apps.attendance.hours import gym_tz, within_hours
from apps.attendance.models import DeniedAttempt, Visit
from apps.billing import stripe_api
from apps.billing.models import (
    Invoice,
    MembershipPlan,
    MemberSubscription,
    SubscriptionStatus,
    WebhookEvent,
)
from apps.billing.selectors import billing_report, billing_settings_get
from apps.bookings.models import Booking, BookingStatus, ClassSession, Penalty
from apps.members.management.commands.seed_demo import PASSWORD, PLATFORM_OPERATOR, demo_logins
from apps.members.models import Member, MemberStatus
from apps.notifications.models import Notification
from apps.platform_billing.models import ConnectedAccount, GymSubscription
from apps.platform_billing.services import platform_state
from apps.tenants.models import Gym
from config import devstack
from devtools.stripe_standin import StripeStandin

pytestmark = pytest.mark.django_db


@pytest.fixture
def standin(settings):
    """The stand-in as `make run` has it: the platform's Stripe, with Connect."""
    server = StripeStandin()
    url = server.start()
    previous = stripe.api_base
    settings.STRIPE_API_BASE = stripe.api_base = url
    settings.PLATFORM_STRIPE_SECRET_KEY = settings.STRIPE_SECRET_KEY = devstack.STANDIN_PLATFORM_KEY
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = devstack.STANDIN_CONNECT_SECRET
    settings.PLATFORM_STRIPE_WEBHOOK_SECRET = devstack.STANDIN_PLATFORM_SECRET
    stripe_api._clients.clear()  # noqa: SLF001 - cached SDK clients keep the old base
    yield server
    stripe.api_base = previous
    stripe_api._clients.clear()  # noqa: SLF001 - as above
    server.stop()


def seed() -> None:
    for name in devstack.DEMO_SEEDS:
        call_command(name, stdout=io.StringIO())


def counts(gym: Gym) -> dict[str, int]:
    with tenant_context(gym):
        return {
            model.__name__: model.objects.count()
            for model in (
                User,
                Member,
                MembershipPlan,
                MemberSubscription,
                Invoice,
                WebhookEvent,
                ClassSession,
                Booking,
                Penalty,
                Visit,
                DeniedAttempt,
                Notification,
            )
        } | {
            "ConnectedAccount": ConnectedAccount.objects.count(),
            "GymSubscription": GymSubscription.objects.count(),
        }


def test_demo_seed_shows_a_gym_with_history_and_a_second_run_adds_nothing(standin):
    seed()
    gym = Gym.objects.get(slug="demo")
    first = counts(gym)
    seed()
    assert counts(gym) == first

    now = timezone.now()
    with tenant_context(gym):
        # Connected through Stripe Connect: the account exists at Stripe, onboarded.
        row = billing_settings_get()
        assert row.connected and row.uses_connect and row.charges_enabled
        assert ConnectedAccount.objects.get(gym=gym).account_id == row.stripe_account_id
        assert standin.connected[row.stripe_account_id].profile["details_submitted"]
        # Three plans, each with its price at Stripe.
        plans = list(MembershipPlan.objects.all())
        assert len(plans) == 3
        for plan in plans:
            price = standin.get(row.stripe_account_id, plan.stripe_price_id)
            assert price["unit_amount"] == plan.price_minor

        # Most members pay; the billing page has figures for each of six months.
        subs = MemberSubscription.objects.all()
        assert subs.count() >= 0.75 * Member.objects.count()
        report = billing_report()
        assert report["mrr_minor"] > 0
        assert all(month["collected_minor"] > 0 for month in report["collected_by_month"])
        assert report["failed_payments"] == 2 and report["failed_amount_minor"] > 0
        assert report["churned_30_days"] >= 1
        assert subs.filter(status=SubscriptionStatus.CANCELED).count() >= 2
        assert subs.filter(status=SubscriptionStatus.PAST_DUE).count() == 2
        paid = Invoice.objects.filter(status="paid")
        oldest = paid.aggregate(at=Min("paid_at"))["at"]
        assert oldest < now - dt.timedelta(days=150)
        # Failed once, paid on the retry: the invoice shows both attempts.
        assert paid.filter(attempt_count__gte=2).count() >= 2
        # Every invoice is the gym's copy of one at Stripe, dated when it happened.
        for invoice in Invoice.objects.order_by("?")[:10]:
            held = standin.get(row.stripe_account_id, invoice.stripe_invoice_id)
            assert (held["status"], held["created"]) == (
                invoice.status,
                int(invoice.created.timestamp()),
            )
        assert Member.objects.filter(status=MemberStatus.FROZEN).count() == 1

        # Months of door visits, within opening hours, busier on Mondays than Sundays.
        visits = Visit.objects.all()
        span = visits.aggregate(first=Min("entered_at"), last=Max("entered_at"))
        assert span["last"] - span["first"] > dt.timedelta(days=100)
        tz = gym_tz()
        entries = visits.values_list("entered_at", flat=True)
        weekdays = Counter(at.astimezone(tz).weekday() for at in entries)
        assert weekdays[0] > weekdays[6] > 0
        assert all(within_hours(gym.opening_hours, v.entered_at) for v in visits)
        # Past classes: members came (the door marked them) or did not; each class over.
        past = Booking.objects.filter(session__starts_at__lt=now)
        statuses = set(past.values_list("status", flat=True))
        assert {BookingStatus.ATTENDED, BookingStatus.NO_SHOW, BookingStatus.CANCELLED} <= statuses
        weeks = {
            s.isocalendar()[:2]
            for s in past.filter(status=BookingStatus.ATTENDED).values_list(
                "session__starts_at", flat=True
            )
        }
        assert len(weeks) >= 10
        for booking in past.filter(status=BookingStatus.ATTENDED).order_by("?")[:20]:
            # The door let them in just before the class (or before an earlier one that
            # day: one visit a day).
            marked = booking.attendance_marked_at
            assert visits.filter(
                member_id=booking.member_id,
                entered_at__range=(marked - dt.timedelta(hours=16), marked),
            ).exists()
        assert not ClassSession.objects.filter(
            ends_at__lt=now, no_shows_marked_at__isnull=True, bookings__isnull=False
        ).exists()
        # The coming week has bookings made through the booking service.
        assert Booking.objects.filter(
            session__starts_at__gt=now, status=BookingStatus.BOOKED
        ).exists()

        # Every demo login takes the demo password (member1..member30 too).
        for email in demo_logins():
            answer = Client(HTTP_HOST="demo.localhost").post(
                "/accounts/login/", {"login": email, "password": PASSWORD}
            )
            assert answer.status_code == 302, email
            assert "/accounts/login/" not in answer["Location"], email
    assert check_password(PASSWORD, User.objects.get(email=PLATFORM_OPERATOR).password)
    # The demo gym pays the platform (Connect turned platform billing on).
    assert platform_state(gym).state == "ok"


def test_an_older_demo_gets_a_login_for_every_member_and_the_demo_password_back():
    call_command("seed_demo", stdout=io.StringIO())
    gym = Gym.objects.get(slug="demo")
    with tenant_context(gym):
        # As the demo was before: only member1-3 could log in; and a changed password.
        older = Member.objects.exclude(email__in=[f"member{i}@demo.localhost" for i in (1, 2, 3)])
        users = list(older.values_list("user_id", flat=True))
        older.update(user=None)
        User.objects.filter(pk__in=users).delete()
        owner = User.objects.get(email="owner@demo.localhost")
        owner.set_password("something-else-42")
        owner.save()
    call_command("seed_demo", stdout=io.StringIO())
    with tenant_context(gym):
        assert not Member.objects.filter(user__isnull=True).exists()
        for email in demo_logins():
            user = User.objects.get(email=email)
            assert user.check_password(PASSWORD) and user.role, email
        assert Member.objects.get(email="member30@demo.localhost").user.role == "member"
