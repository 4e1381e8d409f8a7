"""Web push against the local push service: real RFC 8291 encryption (the stand-in
decrypts with the subscription's own keys), VAPID checked, and each answer of the push
service mapped to an outcome."""

import json
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import tenant_context
from py_vapid import Vapid02

from apps.notifications import endpoints, tasks
from apps.notifications.channels import webpush
from apps.notifications.models import Delivery, DeliveryChannel, DeliveryStatus, Device
from apps.notifications.services import notify, notify_many, preference_update
from apps.notifications.services.devices import device_register
from tests.notifications.pushkit import (  # noqa: F401 - fixtures
    ping_kinds_fixture,
    push_on_fixture,
    standin_fixture,
)

pytestmark = pytest.mark.usefixtures("ping_kinds")


def subscribe(standin, member, name):
    sub = standin.subscription(name)
    device, _ = device_register(
        member=member,
        kind="webpush",
        endpoint=sub["endpoint"],
        p256dh=sub["keys"]["p256dh"],
        auth=sub["keys"]["auth"],
    )
    return device


def push_of(gym, notification):
    with tenant_context(gym):
        return Delivery.objects.get(notification=notification, channel=DeliveryChannel.WEBPUSH)


def test_push_arrives_encrypted_and_decrypts_to_what_was_sent(
    gym_a, make_member, push_on, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, email="")
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        device = subscribe(push_on, member, "ana")
        notification = notify(
            member, "ping", {"when": "18:00", "text": "Bring water", "url": "/x/"}
        )
    (arrived,) = push_on.received["ana"]
    assert arrived["body"][:1] != b"{"  # encrypted, not plain JSON
    assert arrived["ttl"] == webpush.TTL
    assert json.loads(push_on.decrypt("ana")) == {
        "title": "Class at 18:00",
        "body": "Bring water",
        "url": f"http://{gym_a.slug}.localhost/x/",
        "id": notification.pk,
        "kind": "ping",
    }
    delivery = push_of(gym_a, notification)
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1
    with tenant_context(gym_a):
        device.refresh_from_db()
    assert device.last_used_at is not None
    assert push_on.refused == []


@pytest.mark.parametrize("status", [404, 410])
def test_gone_subscription_deletes_the_device(
    status, gym_a, make_member, push_on, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, email="")
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        subscribe(push_on, member, "old")
        push_on.steer("old", status)
        notification = notify(member, "ping", {"when": "9", "text": "x"})
    assert push_of(gym_a, notification).status == DeliveryStatus.GONE
    with tenant_context(gym_a):
        assert not Device.objects.exists()
        # The next notification has no push to make.
        notify(member, "ping", {"when": "10", "text": "y"})
        assert not Delivery.objects.filter(channel=DeliveryChannel.WEBPUSH, status="queued")


def test_413_cuts_the_payload_to_title_and_link_and_sends_again(
    gym_a, make_member, push_on, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, email="")
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        subscribe(push_on, member, "small")
        push_on.steer("small", 413)
        notification = notify(member, "ping", {"when": "9", "text": "long text", "url": "/c/"})
    assert json.loads(push_on.decrypt("small")) == {
        "title": "Class at 9",
        "url": f"http://{gym_a.slug}.localhost/c/",
        "id": notification.pk,
        "kind": "ping",
    }
    assert len(push_on.received["small"]) == 1
    assert push_of(gym_a, notification).status == DeliveryStatus.SENT


def test_payload_over_4_kb_is_cut_before_sending_not_dropped(
    gym_a, make_member, push_on, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, email="")
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        subscribe(push_on, member, "big")
        # Multi-byte text: the limit is on bytes, not characters.
        notification = notify(member, "ping", {"when": "9", "text": "ü" * 2500})
    assert push_on.refused == []  # no 413 was needed
    sent = json.loads(push_on.decrypt("big"))
    assert sent["title"] == "Class at 9" and "body" not in sent
    assert sent["id"] == notification.pk
    assert len(push_on.received["big"][0]["body"]) <= 4096
    assert push_of(gym_a, notification).status == DeliveryStatus.SENT
    # Just under the limit goes whole.
    assert "body" in json.loads(webpush.encode({**sent, "body": "a" * 3800}))


def test_429_is_retried_after_the_services_retry_after(
    gym_a, make_member, push_on, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, email="")
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        subscribe(push_on, member, "busy")
        push_on.steer("busy", 429, retry_after=900)
        notification = notify(member, "ping", {"when": "9", "text": "x"})
    delivery = push_of(gym_a, notification)
    assert delivery.status == DeliveryStatus.QUEUED and delivery.attempts == 1
    assert "429" in delivery.error
    wait = (delivery.not_before - timezone.now()).total_seconds()
    assert 880 < wait <= 900
    assert push_on.received["busy"] == []
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        assert tasks.tick()["released"] == 0  # not yet
        Delivery.objects.filter(pk=delivery.pk).update(not_before=timezone.now())
        assert tasks.tick()["released"] == 1
    delivery = push_of(gym_a, notification)
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2
    assert len(push_on.received["busy"]) == 1


def test_500_is_retried_with_back_off(
    gym_a, make_member, push_on, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, email="")
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        subscribe(push_on, member, "down")
        push_on.steer("down", 500)
        notification = notify(member, "ping", {"when": "9", "text": "x"})
    delivery = push_of(gym_a, notification)
    assert delivery.status == DeliveryStatus.QUEUED
    wait = (delivery.not_before - timezone.now()).total_seconds()
    assert 20 < wait <= 30  # RETRY_DELAYS[0]
    # The in-app notification is there whatever the push service does.
    assert notification.pk and notification.title == "Class at 9"


def test_unreachable_push_service_is_retried(
    gym_a, make_member, push_on, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, email="")
    with tenant_context(gym_a):
        subscribe(push_on, member, "away")
    push_on.stop()
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        notification = notify(member, "ping", {"when": "9", "text": "x"})
    delivery = push_of(gym_a, notification)
    assert delivery.status == DeliveryStatus.QUEUED and "ConnectionError" in delivery.error


def test_other_4xx_fails_without_retry(
    gym_a, make_member, push_on, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, email="")
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        subscribe(push_on, member, "bad")
        push_on.steer("bad", 400)
        notification = notify(member, "ping", {"when": "9", "text": "x"})
    delivery = push_of(gym_a, notification)
    assert delivery.status == DeliveryStatus.FAILED and "400" in delivery.error
    with tenant_context(gym_a):
        assert Device.objects.exists()  # a failure is not "gone"


def test_one_vapid_signature_and_one_connection_per_batch(
    gym_a, make_member, push_on, django_capture_on_commit_callbacks
):
    members = [make_member(gym_a, email="") for _ in range(5)]
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        for i, member in enumerate(members):
            subscribe(push_on, member, f"m{i}")
        notify_many(members, "ping", {"when": "9", "text": "x"})
    assert push_on.push_count() == 5
    assert len(push_on.vapid_tokens) == 1  # signed once, reused: and the service accepted it
    assert len(push_on.connections) == 1  # keep-alive
    assert all(json.loads(push_on.decrypt(f"m{i}"))["title"] == "Class at 9" for i in range(5))


def test_vapid_header_is_signed_again_before_it_expires(push_on):
    origin = push_on.base_url
    first = webpush.vapid_header(origin, now=1_000_000.0)
    assert webpush.vapid_header(origin, now=1_000_000.0 + 3600) == first
    later = 1_000_000.0 + webpush.VAPID_LIFETIME - webpush.REFRESH_BEFORE + 1
    assert webpush.vapid_header(origin, now=later) != first
    assert webpush.vapid_header("https://other.example", now=1_000_000.0) != first


def test_quiet_hours_hold_an_optional_push_until_the_tick_releases_it(
    gym_a, make_member, push_on, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, email="", time_zone="Asia/Tokyo")
    local = timezone.now().astimezone(ZoneInfo("Asia/Tokyo"))
    start, end = (local - timedelta(hours=1)).time(), (local + timedelta(hours=1)).time()
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        subscribe(push_on, member, "night")
        preference_update(member=member, quiet_hours=(start, end))
        optional = notify(member, "ping", {"when": "9", "text": "x"})
        transactional = notify(member, "ping_tx")
    held = push_of(gym_a, optional)
    assert held.status == DeliveryStatus.QUEUED and held.attempts == 0
    assert abs((held.not_before - (timezone.now() + timedelta(hours=1))).total_seconds()) < 90
    assert push_of(gym_a, transactional).status == DeliveryStatus.SENT  # not held
    assert [json.loads(push_on.decrypt("night", i))["kind"] for i in range(1)] == ["ping_tx"]
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        assert tasks.tick()["released"] == 0
        Delivery.objects.filter(pk=held.pk).update(not_before=timezone.now())
        assert tasks.tick()["released"] == 1
    assert push_of(gym_a, optional).status == DeliveryStatus.SENT
    assert json.loads(push_on.decrypt("night"))["id"] == optional.pk


def test_endpoint_is_checked_again_at_send_time(
    gym_a, make_member, push_on, monkeypatch, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, email="")
    answers = {"push.example.com": ["93.184.215.14"]}
    monkeypatch.setattr(endpoints, "resolve", lambda host, port: answers[host])
    sub = push_on.subscription("x")
    with tenant_context(gym_a):
        device_register(
            member=member,
            kind="webpush",
            endpoint="https://push.example.com/sub/1",
            p256dh=sub["keys"]["p256dh"],
            auth=sub["keys"]["auth"],
        )
    answers["push.example.com"] = ["10.0.0.7"]  # DNS changed since
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        notification = notify(member, "ping", {"when": "9", "text": "x"})
    delivery = push_of(gym_a, notification)
    assert delivery.status == DeliveryStatus.FAILED
    assert "public address" in delivery.error


def test_no_push_without_vapid_keys(
    gym_a, make_member, push_on, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, email="")
    with tenant_context(gym_a):
        subscribe(push_on, member, "off")
    with (
        override_settings(VAPID_PUBLIC_KEY="", VAPID_PRIVATE_KEY=""),
        tenant_context(gym_a),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notify(member, "ping", {"when": "9", "text": "x"})
        assert not Delivery.objects.filter(channel=DeliveryChannel.WEBPUSH).exists()
    assert push_on.push_count() == 0


def test_the_stand_in_refuses_what_a_push_service_refuses(push_on):
    """The stand-in is only worth testing against if it checks: bad VAPID, no aes128gcm,
    no TTL are refused like a real service would."""
    sub = push_on.subscription("strict")
    url = sub["endpoint"]
    good = webpush.vapid_header(push_on.base_url)
    other = Vapid02()
    other.generate_keys()
    # A token signed by another key, presented with ours.
    forged_t = (
        other.sign(
            {"aud": push_on.base_url, "exp": int(time.time()) + 3600, "sub": "mailto:x@example.com"}
        )["Authorization"]
        .split("t=")[1]
        .split(",")[0]
    )
    forged = f"vapid t={forged_t},k={good.split('k=')[1]}"
    wrong_aud = other.sign({"aud": "https://elsewhere.example", "sub": "mailto:x@example.com"})
    base = {"Content-Encoding": "aes128gcm", "TTL": "60"}
    for headers, status in [
        (base, 401),
        ({**base, "Authorization": forged}, 401),
        ({**base, "Authorization": wrong_aud["Authorization"]}, 401),
        ({"TTL": "60", "Authorization": good, "Content-Encoding": "aesgcm"}, 400),
        ({"Content-Encoding": "aes128gcm", "Authorization": good}, 400),
        ({**base, "Authorization": good}, 201),
    ]:
        assert requests.post(url, data=b"x" * 100, headers=headers, timeout=5).status_code == status
    assert len(push_on.refused) == 5
