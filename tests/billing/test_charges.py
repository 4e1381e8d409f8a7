"""Late-cancel and no-show fees billed through the gym's Stripe account (MemberCharge):
the real stripe SDK against the stand-in, signed webhooks for what Stripe sends back."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.admin.sites import site
from django.core import mail
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.billing import stripe_api
from apps.billing.models import Invoice, MemberCharge, MemberSubscription
from apps.billing.services import (
    charge_cancel,
    charge_create,
    charge_push,
    charges_push_waiting,
    subscription_freeze,
)
from apps.bookings.models import (
    BookingPolicy,
    Penalty,
    PenaltyKind,
    PTSessionType,
    PTStatus,
    TrainerProfile,
)
from apps.bookings.services.booking import (
    booking_cancel,
    booking_create,
    booking_mark_attendance,
    penalty_waive,
)
from apps.bookings.services.training import pt_mark_attendance
from apps.common.errors import ApplicationError
from tests.billing.conftest import KEYS
from tests.bookings.factories import ClassSessionFactory, PTBookingFactory
from tests.factories import MemberFactory, MemberWithLoginFactory, UserFactory

KEY = KEYS["gym-a"]


@pytest.fixture
def fee_policy(billing_a):
    with tenant_context(billing_a):
        policy = BookingPolicy.load()
        policy.late_cancel_minutes_before = 120
        policy.late_cancel_fee = 700
        policy.no_show_fee = 1200
        policy.save()
    return policy


@pytest.fixture
def subscriber(billing_a, stripe_standin, make_user, make_member, make_plan, api, deliver_all):
    """A member who joined through Checkout: a live subscription at 49.00 EUR a month."""
    plan = make_plan(billing_a)
    user = make_user(billing_a, Role.MEMBER)
    member = make_member(billing_a, user=user, status="lead", email="payer@a.test")
    response = api(billing_a, user).post("/api/v1/billing/checkout/", {"plan": plan.pk})
    assert response.status_code == 201, response.content
    deliver_all(billing_a, stripe_standin.complete_checkout(KEY, response.json()["id"]))
    with tenant_context(billing_a):
        member.refresh_from_db()
        assert member.status == "active"
    return member


def _late_cancel(member, capture):
    """A booking cancelled an hour before the class (the cutoff is two): the fee penalty."""
    with capture(execute=True):
        session = ClassSessionFactory(starts_in=timedelta(hours=1))
        booking = booking_create(member=member, session=session)
        booking_cancel(booking=booking)
    return Penalty.objects.select_related("charge").get(booking=booking, kind=PenaltyKind.FEE)


def _renew(gym, standin, member, deliver_all):
    sub = MemberSubscription.objects.get(member=member)
    deliver_all(gym, standin.renew(KEY, sub.stripe_subscription_id))


def _items(standin, customer_id):
    account = standin.account(KEY)
    return [
        o
        for o in account.objects.values()
        if o["object"] == "invoiceitem" and o["customer"] == customer_id
    ]


def test_a_late_cancel_fee_rides_on_the_next_membership_invoice(
    billing_a,
    stripe_standin,
    fee_policy,
    subscriber,
    deliver_all,
    django_capture_on_commit_callbacks,
):
    mail.outbox.clear()
    with tenant_context(billing_a):
        with translation.override("de"):  # the member's app language: not the invoice's
            penalty = _late_cancel(subscriber, django_capture_on_commit_callbacks)
        charge = penalty.charge
        assert (charge.status, charge.amount_minor, charge.currency) == ("pending", 700, "eur")
        assert charge.description.startswith("Late cancellation fee: Class ")
        # The member is told once, with the amount and when it is collected.
        assert [m.to for m in mail.outbox] == [[subscriber.email]]
        assert "7.00 EUR" in mail.outbox[0].subject
        assert "collected with your next membership payment" in mail.outbox[0].body
        item = stripe_standin.get(KEY, charge.stripe_invoice_item_id)
        assert (item["amount"], item["currency"], item["invoice"]) == (700, "eur", None)
        assert item["metadata"]["charge_id"] == str(charge.pk)
        assert item["metadata"]["schema"] == billing_a.schema_name

        _renew(billing_a, stripe_standin, subscriber, deliver_all)

        renewal = Invoice.objects.get(member=subscriber, billing_reason="subscription_cycle")
        assert renewal.amount_paid_minor == 4900 + 700
        charge.refresh_from_db()
        assert charge.status == "invoiced"
        assert charge.stripe_invoice_id == renewal.stripe_invoice_id
        # Pushing again changes nothing at Stripe.
        charge_push(charge_id=charge.pk)
        assert len(_items(stripe_standin, item["customer"])) == 1


def test_waiving_before_the_invoice_deletes_the_item(
    billing_a,
    stripe_standin,
    fee_policy,
    subscriber,
    deliver_all,
    make_user,
    django_capture_on_commit_callbacks,
):
    owner = make_user(billing_a, Role.OWNER)
    with tenant_context(billing_a):
        penalty = _late_cancel(subscriber, django_capture_on_commit_callbacks)
        item_id = penalty.charge.stripe_invoice_item_id
        with django_capture_on_commit_callbacks(execute=True):
            penalty_waive(penalty=penalty, by=owner, reason="Flat tyre")
        penalty.charge.refresh_from_db()
        assert penalty.charge.status == "cancelled"
        assert item_id not in stripe_standin.account(KEY).objects

        _renew(billing_a, stripe_standin, subscriber, deliver_all)
        renewal = Invoice.objects.get(member=subscriber, billing_reason="subscription_cycle")
        assert renewal.amount_paid_minor == 4900


def test_waiving_after_the_invoice_was_paid_credits_the_members_balance(
    billing_a,
    stripe_standin,
    fee_policy,
    subscriber,
    deliver_all,
    make_user,
    django_capture_on_commit_callbacks,
):
    owner = make_user(billing_a, Role.OWNER)
    with tenant_context(billing_a):
        penalty = _late_cancel(subscriber, django_capture_on_commit_callbacks)
        _renew(billing_a, stripe_standin, subscriber, deliver_all)
        with django_capture_on_commit_callbacks(execute=True):
            penalty_waive(penalty=penalty, by=owner, reason="Gym closed the road")
        charge = MemberCharge.objects.get(pk=penalty.charge_id)
        assert charge.status == "credited"
        note = stripe_standin.get(KEY, charge.stripe_credit_note_id)
        assert (note["amount"], note["invoice"]) == (700, charge.stripe_invoice_id)
        customer = stripe_standin.get(KEY, note["customer"])
        assert customer["balance"] == -700  # used by the next invoice


def test_a_member_without_a_subscription_gets_an_invoice_of_its_own(
    billing_a, stripe_standin, fee_policy, make_user, django_capture_on_commit_callbacks
):
    owner = make_user(billing_a, Role.OWNER)
    with tenant_context(billing_a):
        member = MemberWithLoginFactory()  # pays at the desk: no subscription
        penalty = _late_cancel(member, django_capture_on_commit_callbacks)
        charge = penalty.charge
        assert charge.status == "invoiced"
        invoice = stripe_standin.get(KEY, charge.stripe_invoice_id)
        assert invoice["status"] == "open" and invoice["collection_method"] == "send_invoice"
        assert invoice["amount_due"] == 700 and invoice["hosted_invoice_url"]
        assert invoice["hosted_invoice_url"] in mail.outbox[-1].body
        assert [line["amount"] for line in invoice["lines"]["data"]] == [700]

        # Waived while open: a credit note brings the amount due to nothing.
        with django_capture_on_commit_callbacks(execute=True):
            penalty_waive(penalty=penalty, by=owner, reason="First time")
        charge.refresh_from_db()
        assert charge.status == "credited"
        assert stripe_standin.get(KEY, charge.stripe_invoice_id)["amount_due"] == 0


def test_a_no_show_of_a_pt_session_is_charged_too(
    billing_a, stripe_standin, fee_policy, subscriber, django_capture_on_commit_callbacks
):
    with tenant_context(billing_a):
        trainer_user = UserFactory(role=Role.TRAINER, email="marta@a.test")
        trainer = TrainerProfile.objects.create(user=trainer_user, display_name="Marta")
        kind = PTSessionType.objects.create(trainer=trainer, name="PT hour", price=5000)
        booking = PTBookingFactory(
            member=subscriber,
            session_type=kind,
            starts_at=timezone.now() - timedelta(hours=1),
            status=PTStatus.CONFIRMED,
        )
        with django_capture_on_commit_callbacks(execute=True):
            pt_mark_attendance(
                booking=booking,
                attended=False,
                by=trainer_user,
                now=booking.starts_at + timedelta(minutes=5),
            )
        penalty = Penalty.objects.get(pt_booking=booking, kind=PenaltyKind.FEE)
        assert penalty.charge.status == "pending" and penalty.charge.amount_minor == 1200
        assert "No-show fee: personal training with Marta" in penalty.charge.description


def test_without_stripe_the_fee_is_recorded_for_the_desk(
    gym_a, make_user, policy_fee_a, api, django_capture_on_commit_callbacks
):
    owner = make_user(gym_a, Role.OWNER)
    with tenant_context(gym_a):
        session = ClassSessionFactory(starts_in=timedelta(hours=1))
        booking = booking_create(member=MemberWithLoginFactory(), session=session)
        with django_capture_on_commit_callbacks(execute=True):
            booking_cancel(booking=booking)
        penalty = Penalty.objects.get(booking=booking, kind=PenaltyKind.FEE)
        assert penalty.charge.status == "not_billed"
        assert "at the front desk" in mail.outbox[-1].body
    # The desk sees what to collect on the member's billing.
    seen = api(gym_a, owner).get(f"/api/v1/billing/members/{booking.member_id}/").json()
    assert [(c["amount_minor"], c["status"]) for c in seen["charges"]] == [(700, "not_billed")]
    with tenant_context(gym_a):
        penalty_waive(penalty=penalty, by=owner, reason="Desk waived it")
        penalty.charge.refresh_from_db()
        assert penalty.charge.status == "cancelled"  # the desk no longer collects it


@pytest.fixture
def policy_fee_a(gym_a):
    with tenant_context(gym_a):
        policy = BookingPolicy.load()
        policy.late_cancel_minutes_before = 120
        policy.late_cancel_fee = 700
        policy.save()


def test_stripe_down_keeps_the_charge_and_the_periodic_job_sends_it(
    billing_a, stripe_standin, django_capture_on_commit_callbacks
):
    with tenant_context(billing_a):
        member = MemberWithLoginFactory()
        with django_capture_on_commit_callbacks(execute=False):  # the task did not run
            charge = charge_create(
                member=member, amount_minor=900, description="Towel", source="test:towel"
            )
        previous = settings.STRIPE_API_BASE
        settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # discard: nothing listens
        stripe_api._clients.clear()  # noqa: SLF001 - see tests/billing/conftest.py
        try:
            with pytest.raises(ApplicationError) as exc:
                charge_push(charge_id=charge.pk)
            assert exc.value.status_code == 503
        finally:
            settings.STRIPE_API_BASE = previous
            stripe_api._clients.clear()  # noqa: SLF001 - see tests/billing/conftest.py
        charge.refresh_from_db()
        assert charge.status == "queued" and not charge.stripe_invoice_item_id

        assert charges_push_waiting(older_than_minutes=10) == 0  # too recent: its task runs
        assert charges_push_waiting(older_than_minutes=-1) == 1
        charge.refresh_from_db()
        assert charge.status == "invoiced" and charge.stripe_invoice_item_id


def _pushed_but_not_committed(member, capture):
    """A charge whose push reached Stripe, then the worker died before its commit."""
    with capture(execute=False):  # its own task does not run
        charge = charge_create(member=member, amount_minor=300, description="Locker", source="t:1")
    with pytest.raises(RuntimeError), transaction.atomic():
        charge_push(charge_id=charge.pk)
        raise RuntimeError("the worker died before commit")
    return charge, MemberSubscription.objects.get(member=member).stripe_data["customer"]


def test_a_push_that_reached_stripe_but_did_not_commit_is_not_billed_twice(
    billing_a, stripe_standin, fee_policy, subscriber, django_capture_on_commit_callbacks
):
    with tenant_context(billing_a):
        charge, customer = _pushed_but_not_committed(subscriber, django_capture_on_commit_callbacks)
        charge.refresh_from_db()
        assert charge.status == "queued" and not charge.stripe_invoice_item_id
        assert len(_items(stripe_standin, customer)) == 1  # Stripe has it

        charge_push(charge_id=charge.pk)
        charge.refresh_from_db()
        assert charge.status == "pending"
        assert [i["id"] for i in _items(stripe_standin, customer)] == [
            charge.stripe_invoice_item_id
        ]


def test_cancelling_finds_an_item_the_row_never_recorded(
    billing_a, stripe_standin, fee_policy, subscriber, django_capture_on_commit_callbacks
):
    with tenant_context(billing_a):
        charge, customer = _pushed_but_not_committed(subscriber, django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=True):
            charge_cancel(charge=charge)
        charge.refresh_from_db()
        assert charge.status == "cancelled"
        assert _items(stripe_standin, customer) == []


def test_one_charge_per_source_and_amounts_are_checked(
    billing_a, stripe_standin, django_capture_on_commit_callbacks
):
    with tenant_context(billing_a):
        member = MemberWithLoginFactory()
        with django_capture_on_commit_callbacks(execute=True):
            first = charge_create(member=member, amount_minor=500, description="A", source="x:1")
            again = charge_create(member=member, amount_minor=500, description="A", source="x:1")
        assert first.pk == again.pk and MemberCharge.objects.count() == 1
        for amount in (0, -5, 10_000_001):
            with pytest.raises(ApplicationError) as exc:
                charge_create(member=member, amount_minor=amount, description="B", source="x:2")
            assert exc.value.code == "invalid_amount"
        assert MemberCharge.objects.count() == 1


def test_a_refused_charge_is_kept_with_stripes_reason_and_can_be_sent_again(
    billing_a, stripe_standin, make_user, django_capture_on_commit_callbacks
):
    owner = make_user(billing_a, Role.OWNER)
    with tenant_context(billing_a):
        member = MemberFactory(email="")  # Stripe cannot email an invoice to nobody
        with django_capture_on_commit_callbacks(execute=True):
            charge = charge_create(
                member=member, amount_minor=500, description="No-show", source="x:3"
            )
        charge.refresh_from_db()
        assert charge.status == "failed" and "email" in charge.error

        # Staff fix the email at Stripe's side (the customer) and send it again.
        customer = stripe_standin.account(KEY).objects[member.billing_customer.stripe_customer_id]
        customer["email"] = "found@a.test"
        admin_view = site._registry[MemberCharge]  # noqa: SLF001 - where the admin keeps it
        request = RequestFactory().post("/")
        request.user = owner
        request._messages = _Messages()  # noqa: SLF001 - MessageMiddleware's, not run here
        with django_capture_on_commit_callbacks(execute=True):
            admin_view.send_again(request, MemberCharge.objects.filter(pk=charge.pk))
        charge.refresh_from_db()
        assert charge.status == "invoiced" and charge.error == ""
        assert admin_view.get_actions(request).get("send_again")


class _Messages:
    def add(self, *args, **kwargs):
        pass


def test_the_penalties_page_shows_the_fee_and_where_it_is(
    billing_a,
    stripe_standin,
    fee_policy,
    subscriber,
    make_user,
    web,
    django_capture_on_commit_callbacks,
):
    with tenant_context(billing_a):
        _late_cancel(subscriber, django_capture_on_commit_callbacks)
    page = web(billing_a, make_user(billing_a, Role.OWNER)).get("/dashboard/classes/penalties/")
    assert page.status_code == 200
    assert b"7.00 EUR" in page.content and b"On the next invoice" in page.content


def test_charges_never_cross_gyms(
    billing_a, billing_b, stripe_standin, django_capture_on_commit_callbacks
):
    with tenant_context(billing_a):
        member = MemberWithLoginFactory()
        with django_capture_on_commit_callbacks(execute=True):
            charge = charge_create(member=member, amount_minor=500, description="A", source="y:1")
        charge.refresh_from_db()
    assert charge.stripe_invoice_item_id in stripe_standin.account(KEY).objects
    assert charge.stripe_invoice_item_id not in stripe_standin.account(KEYS["gym-b"]).objects
    with tenant_context(billing_b):
        assert not MemberCharge.objects.exists()
        with pytest.raises(MemberCharge.DoesNotExist):
            charge_push(charge_id=charge.pk)


def test_members_see_their_own_fees_in_the_app(
    billing_a,
    stripe_standin,
    fee_policy,
    subscriber,
    make_user,
    api,
    django_capture_on_commit_callbacks,
):
    with tenant_context(billing_a):
        penalty = _late_cancel(subscriber, django_capture_on_commit_callbacks)
        other = MemberWithLoginFactory()
        _late_cancel(other, django_capture_on_commit_callbacks)
    mine = api(billing_a, subscriber.user).get("/api/v1/billing/charges/")
    assert mine.status_code == 200
    rows = mine.json()["results"]
    assert [(r["id"], r["amount_minor"], r["currency"], r["status"]) for r in rows] == [
        (penalty.charge_id, 700, "eur", "pending")
    ]
    assert rows[0]["status_label"] == "On the next invoice"
    staff = api(billing_a, make_user(billing_a, Role.OWNER)).get("/api/v1/billing/charges/")
    assert staff.status_code == 404 and staff.json()["error"]["code"] == "no_member_profile"


def test_correcting_a_no_show_to_attended_takes_the_fee_back(
    billing_a, stripe_standin, fee_policy, subscriber, make_user, django_capture_on_commit_callbacks
):
    trainer = make_user(billing_a, Role.TRAINER)
    with tenant_context(billing_a):
        session = ClassSessionFactory(starts_in=timedelta(hours=3))
        booking = booking_create(member=subscriber, session=session)
        started = session.starts_at + timedelta(minutes=10)
        with django_capture_on_commit_callbacks(execute=True):
            booking_mark_attendance(booking=booking, attended=False, by=trainer, now=started)
        penalty = Penalty.objects.get(booking=booking, kind=PenaltyKind.FEE)
        item_id = penalty.charge.stripe_invoice_item_id
        assert penalty.charge.status == "pending" and penalty.charge.amount_minor == 1200

        with django_capture_on_commit_callbacks(execute=True):
            booking_mark_attendance(booking=booking, attended=True, by=trainer, now=started)
        penalty.refresh_from_db()
        penalty.charge.refresh_from_db()
        assert penalty.waiver_reason == "Attendance corrected."
        assert penalty.charge.status == "cancelled"
        assert item_id not in stripe_standin.account(KEY).objects


def test_a_frozen_member_gets_the_fee_on_an_invoice_of_its_own(
    billing_a, stripe_standin, fee_policy, subscriber, django_capture_on_commit_callbacks
):
    # Invoices in a freeze are voided, with any pending item on them: not collected.
    with tenant_context(billing_a):
        # Booked from tomorrow (today they may still book and cancel).
        tomorrow = timezone.localdate() + timedelta(days=1)
        subscription_freeze(member=subscriber, start=tomorrow, days=14)
        penalty = _late_cancel(subscriber, django_capture_on_commit_callbacks)
        charge = penalty.charge
        assert charge.status == "invoiced"
        invoice = stripe_standin.get(KEY, charge.stripe_invoice_id)
        assert invoice["collection_method"] == "send_invoice" and invoice["amount_due"] == 700


def test_a_charges_description_is_one_line_of_at_most_200_characters(
    gym_a, django_capture_on_commit_callbacks
):
    with tenant_context(gym_a):  # no Stripe: recorded for the desk
        member = MemberWithLoginFactory()
        with django_capture_on_commit_callbacks(execute=True):
            empty = charge_create(member=member, amount_minor=100, description=" \n ", source="d:1")
            huge = charge_create(
                member=member, amount_minor=100, description="Fee\n\t" + "x" * 5000, source="d:2"
            )
        assert empty.description == "d:1"  # nothing said: the cause's name
        assert huge.description.startswith("Fee x") and len(huge.description) == 200
        assert MemberCharge.objects.filter(member=member).count() == 2
