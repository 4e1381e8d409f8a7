"""The ESP's tracking webhook (django-anymail, Mailgun's signed JSON format): hard bounces
and complaints stop optional email to the address, never transactional email; events
reach only the gym (and the delivery) they belong to; forged events store nothing."""

import base64
import hashlib
import hmac
import json
import time

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client, override_settings
from django_tenants.utils import tenant_context

from apps.notifications import kinds
from apps.notifications.models import (
    Delivery,
    DeliveryStatus,
    EmailSuppression,
    Preference,
    SuppressionReason,
)
from apps.notifications.services import notify
from tests.notifications.texts import templates_with

SIGNING_KEY = "key-mailgun-webhook-signing-test"
SECRET = "anymail:hook-secret-for-tests"
URL = "/anymail/mailgun/tracking/"

MESSAGES = {
    "notifications/receipt_tx_subject.txt": "Receipt",
    "notifications/receipt_tx_message.txt": "Your receipt",
}
TEMPLATES = templates_with(MESSAGES)


@pytest.fixture(autouse=True)
def _esp(monkeypatch):
    monkeypatch.setitem(
        kinds.KINDS, "receipt_tx", kinds.Kind("receipt_tx", "billing", transactional=True)
    )
    anymail = {
        **settings.ANYMAIL,
        "WEBHOOK_SECRET": SECRET,
        "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY,
    }
    with override_settings(TEMPLATES=TEMPLATES, ANYMAIL=anymail):
        yield


def mailgun_event(event, recipient, user_variables, *, key=SIGNING_KEY, **extra) -> dict:
    """A Mailgun tracking webhook body as Mailgun sends it, signed with `key`."""
    timestamp, token = str(int(time.time())), hashlib.sha256(recipient.encode()).hexdigest()[:50]
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    data = {
        "event": event,
        "id": "G9Bn5sl1TC6nu79C8C0bwg",
        "timestamp": float(timestamp),
        "recipient": recipient,
        "recipient-domain": recipient.split("@")[-1],
        "tags": ["announcement"],
        "user-variables": user_variables,
        "message": {
            "headers": {
                "to": recipient,
                "message-id": "20130503192659.13651.20287@mg.example.com",
                "from": "Gym <gym@example.com>",
                "subject": "News",
            },
            "attachments": [],
            "size": 111,
        },
        **extra,
    }
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": data,
    }


def bounce(recipient, user_variables, **kwargs) -> dict:
    return mailgun_event(
        "failed",
        recipient,
        user_variables,
        severity="permanent",
        reason="bounce",
        **{
            "delivery-status": {
                "code": 550,
                "message": "5.1.1 The email account that you tried to reach does not exist",
                "description": "",
                "attempt-no": 1,
            }
        },
        **kwargs,
    )


def post(body, *, auth=SECRET):
    headers = {}
    if auth:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(auth.encode()).decode()
    return Client(HTTP_HOST="localhost").post(
        URL, json.dumps(body), content_type="application/json", **headers
    )


def _announce(gym, member, capture):
    with tenant_context(gym), capture(execute=True):
        notification = notify(member, "announcement", {"title": "News", "body": "Hi"})
    with tenant_context(gym):
        return Delivery.objects.get(notification=notification)


def test_a_hard_bounce_stops_optional_email_but_not_transactional(
    gym_a, make_member, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, email="Ana.Bounce@Example.com")
    delivery = _announce(gym_a, member, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.SENT and len(mail.outbox) == 1
    response = post(
        bounce(
            "Ana.Bounce@Example.com", {"schema": gym_a.schema_name, "delivery": str(delivery.pk)}
        )
    )
    assert response.status_code == 200
    with tenant_context(gym_a):
        suppression = EmailSuppression.objects.get()
        assert suppression.address == "ana.bounce@example.com"
        assert suppression.reason == SuppressionReason.BOUNCED
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.FAILED and delivery.error.startswith("bounced")
    mail.outbox.clear()
    skipped = _announce(gym_a, member, django_capture_on_commit_callbacks)
    assert skipped.status == DeliveryStatus.SKIPPED and mail.outbox == []
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        notify(member, "receipt_tx")
    assert [m.subject for m in mail.outbox] == [f"[{gym_a.name}] Receipt"]


def test_a_complaint_suppresses_and_keeps_the_delivery_sent(
    gym_a, make_member, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, email="cy@example.com")
    delivery = _announce(gym_a, member, django_capture_on_commit_callbacks)
    body = mailgun_event(
        "complained", "cy@example.com", {"schema": gym_a.schema_name, "delivery": str(delivery.pk)}
    )
    assert post(body).status_code == 200
    assert post(body).status_code == 200  # Mailgun retries: the same outcome
    with tenant_context(gym_a):
        assert EmailSuppression.objects.get().reason == SuppressionReason.COMPLAINED
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.SENT and delivery.error.startswith("complained")


def test_an_unsubscribe_switches_that_categorys_email_off(
    gym_a, make_member, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, email="di@example.com")
    delivery = _announce(gym_a, member, django_capture_on_commit_callbacks)
    body = mailgun_event(
        "unsubscribed",
        "di@example.com",
        {"schema": gym_a.schema_name, "delivery": str(delivery.pk)},
    )
    assert post(body).status_code == 200
    with tenant_context(gym_a):
        assert Preference.objects.get(member=member).channels == {"announcements": {"email": False}}
        assert not EmailSuppression.objects.exists()


def test_a_temporary_failure_suppresses_nothing(
    gym_a, make_member, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, email="ed@example.com")
    delivery = _announce(gym_a, member, django_capture_on_commit_callbacks)
    body = mailgun_event(
        "failed",
        "ed@example.com",
        {"schema": gym_a.schema_name, "delivery": str(delivery.pk)},
        severity="temporary",
        reason="generic",
    )
    assert post(body).status_code == 200
    with tenant_context(gym_a):
        assert not EmailSuppression.objects.exists()
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.SENT


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("bad_signature", 400),
        ("wrong_key", 400),
        ("no_basic_auth", 400),
        ("wrong_basic_auth", 400),
        ("not_json", 400),
    ],
)
def test_forged_or_broken_webhooks_are_refused_and_store_nothing(
    gym_a, make_member, django_capture_on_commit_callbacks, case, expected
):
    member = make_member(gym_a, email="fy@example.com")
    delivery = _announce(gym_a, member, django_capture_on_commit_callbacks)
    body = bounce("fy@example.com", {"schema": gym_a.schema_name, "delivery": str(delivery.pk)})
    auth = SECRET
    if case == "bad_signature":
        body["signature"]["signature"] = "0" * 64
    elif case == "wrong_key":
        body = bounce(
            "fy@example.com",
            {"schema": gym_a.schema_name, "delivery": str(delivery.pk)},
            key="someone-elses-key",
        )
    elif case == "no_basic_auth":
        auth = ""
    elif case == "wrong_basic_auth":
        auth = "anymail:guess"
    if case == "not_json":
        response = Client(HTTP_HOST="localhost").post(URL, "{nope", content_type="application/json")
    else:
        response = post(body, auth=auth)
    assert response.status_code == expected
    with tenant_context(gym_a):
        assert not EmailSuppression.objects.exists()
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.SENT


def test_without_the_webhook_secret_no_event_is_trusted(
    gym_a, make_member, django_capture_on_commit_callbacks
):
    """An empty signing key makes Mailgun signatures forgeable: the secret is required."""
    member = make_member(gym_a, email="gi@example.com")
    delivery = _announce(gym_a, member, django_capture_on_commit_callbacks)
    anymail = {**settings.ANYMAIL, "WEBHOOK_SECRET": "", "MAILGUN_WEBHOOK_SIGNING_KEY": ""}
    with override_settings(ANYMAIL=anymail):
        body = bounce(
            "gi@example.com",
            {"schema": gym_a.schema_name, "delivery": str(delivery.pk)},
            key="",
        )
        assert post(body, auth="").status_code == 200
    with tenant_context(gym_a):
        assert not EmailSuppression.objects.exists()


def test_another_gyms_schema_cannot_touch_deliveries_it_did_not_send(
    gym_a, gym_b, make_member, django_capture_on_commit_callbacks
):
    member_a = make_member(gym_a, email="ha@example.com")
    member_b = make_member(gym_b, email="hb@example.com")
    delivery_a = _announce(gym_a, member_a, django_capture_on_commit_callbacks)
    delivery_b = _announce(gym_b, member_b, django_capture_on_commit_callbacks)
    # A bounce of A's address, naming gym B and B's delivery id (and then A's id in B).
    for delivery_id in (delivery_b.pk, delivery_a.pk):
        body = bounce("ha@example.com", {"schema": gym_b.schema_name, "delivery": str(delivery_id)})
        assert post(body).status_code == 200
    with tenant_context(gym_b):
        delivery_b.refresh_from_db()
        assert delivery_b.status == DeliveryStatus.SENT and delivery_b.error == ""
        assert not EmailSuppression.objects.exists()  # not an address of gym B
    with tenant_context(gym_a):
        delivery_a.refresh_from_db()
        assert delivery_a.status == DeliveryStatus.SENT
        assert not EmailSuppression.objects.exists()


@pytest.mark.parametrize(
    "user_variables",
    [
        {"schema": "public", "delivery": "1"},
        {"schema": "no_such_gym", "delivery": "1"},
        {"schema": "", "delivery": "1"},
        {},
        {"schema": "x" * 5000},
    ],
)
def test_events_naming_no_gym_are_ignored(gym_a, make_member, user_variables):
    make_member(gym_a, email="io@example.com")
    assert post(bounce("io@example.com", user_variables)).status_code == 200
    with tenant_context(gym_a):
        assert not EmailSuppression.objects.exists()


def test_a_bad_delivery_id_still_suppresses_a_known_address_of_the_gym(gym_a, make_member):
    make_member(gym_a, email="jo@example.com")
    for delivery in ("abc", "9" * 40, "-1", "999999"):
        body = bounce("JO@example.com", {"schema": gym_a.schema_name, "delivery": delivery})
        assert post(body).status_code == 200
    with tenant_context(gym_a):
        assert list(EmailSuppression.objects.values_list("address", flat=True)) == [
            "jo@example.com"
        ]
