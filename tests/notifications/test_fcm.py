"""Mobile push through FCM HTTP v1 against the stand-in: a real service-account JWT-bearer
token exchange, FCM's error JSON mapped to outcomes, off without credentials."""

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.notifications.channels import FAILED, fcm
from apps.notifications.models import Delivery, DeliveryChannel, DeliveryStatus, Device
from apps.notifications.services import notify
from apps.notifications.services.devices import device_register
from tests.notifications.pushkit import ping_kinds_fixture, standin_fixture  # noqa: F401

pytestmark = pytest.mark.usefixtures("ping_kinds")


@pytest.fixture
def fcm_on(standin, tmp_path):
    path = standin.fcm_credentials(tmp_path / "service-account.json", project_id="gym-app")
    with override_settings(FCM_CREDENTIALS_FILE=path, FCM_ENDPOINT=standin.base_url):
        yield standin


def fcm_of(gym, notification):
    with tenant_context(gym):
        return Delivery.objects.get(notification=notification, channel=DeliveryChannel.FCM)


def phone(gym, member, token="tok:APA91b-phone"):
    with tenant_context(gym):
        return device_register(member=member, kind="fcm", token=token)[0]


def test_message_reaches_fcm_with_one_token_exchange(
    gym_a, make_member, fcm_on, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, email="")
    device = phone(gym_a, member)
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        first = notify(member, "ping", {"when": "7", "text": "Spin class", "url": "/s/"})
        notify(member, "ping", {"when": "8", "text": "Yoga"})
    assert fcm_of(gym_a, first).status == DeliveryStatus.SENT
    message = fcm_on.fcm_messages[0]
    assert message == {
        "token": device.token,
        "notification": {"title": "Class at 7", "body": "Spin class"},
        "data": {"url": f"http://{gym_a.slug}.localhost/s/", "id": str(first.pk), "kind": "ping"},
    }
    assert len(fcm_on.fcm_messages) == 2
    assert fcm_on.token_requests == 1  # the access token is reused


def test_unregistered_token_deletes_the_device(
    gym_a, make_member, fcm_on, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, email="")
    phone(gym_a, member, "tok:old")
    fcm_on.fcm_unregistered.add("tok:old")
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        notification = notify(member, "ping", {"when": "7", "text": "x"})
    delivery = fcm_of(gym_a, notification)
    assert delivery.status == DeliveryStatus.GONE and "UNREGISTERED" in delivery.error
    with tenant_context(gym_a):
        assert not Device.objects.exists()


def test_invalid_token_fails_and_keeps_the_device(
    gym_a, make_member, fcm_on, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, email="")
    phone(gym_a, member, "tok:garbled")
    fcm_on.fcm_invalid.add("tok:garbled")
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        notification = notify(member, "ping", {"when": "7", "text": "x"})
    delivery = fcm_of(gym_a, notification)
    assert delivery.status == DeliveryStatus.FAILED and "INVALID_ARGUMENT" in delivery.error
    with tenant_context(gym_a):
        assert Device.objects.count() == 1


@pytest.mark.parametrize(("status", "retry_after", "at_least"), [(429, 600, 590), (500, None, 20)])
def test_quota_and_server_errors_are_retried(
    status, retry_after, at_least, gym_a, make_member, fcm_on, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, email="")
    phone(gym_a, member)
    fcm_on.fcm_steer(status, retry_after=retry_after)
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        notification = notify(member, "ping", {"when": "7", "text": "x"})
    delivery = fcm_of(gym_a, notification)
    assert delivery.status == DeliveryStatus.QUEUED and str(status) in delivery.error
    assert (delivery.not_before - timezone.now()).total_seconds() > at_least
    assert fcm_on.fcm_messages == []


def test_refused_credentials_are_retried_not_lost(
    gym_a, make_member, fcm_on, tmp_path, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, email="")
    phone(gym_a, member)
    fcm_on.fcm_credentials(tmp_path / "rotated.json")  # the stand-in's key changed
    with tenant_context(gym_a), django_capture_on_commit_callbacks(execute=True):
        notification = notify(member, "ping", {"when": "7", "text": "x"})
    delivery = fcm_of(gym_a, notification)
    assert delivery.status == DeliveryStatus.QUEUED and "FCM auth" in delivery.error


def test_fcm_is_off_without_credentials(
    gym_a, make_member, standin, django_capture_on_commit_callbacks
):
    member = make_member(gym_a, email="")
    phone(gym_a, member)
    with (
        override_settings(FCM_CREDENTIALS_FILE=""),
        tenant_context(gym_a),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notify(member, "ping", {"when": "7", "text": "x"})
        assert not Delivery.objects.filter(channel=DeliveryChannel.FCM).exists()
        # Deliveries queued before it was switched off fail instead of hanging.
        assert fcm.send_batch([object()])[0].status == FAILED
    assert standin.fcm_messages == [] and standin.token_requests == 0
