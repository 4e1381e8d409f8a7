"""Registering push devices: the subscription API, SSRF refusals, key checks, idempotent
re-registration, own devices only."""

import socket

import pytest
from django.conf import settings
from django.test import override_settings
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.notifications import endpoints
from apps.notifications.models import Device
from apps.notifications.services.devices import MAX_DEVICES, device_register
from tests.factories import MemberWithLoginFactory
from tests.notifications.pushkit import b64url, push_on_fixture, standin_fixture  # noqa: F401

PUBLIC = {"push.example.com": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]}
NAMES = {
    **PUBLIC,
    "internal.example.com": ["10.0.0.5"],
    "mixed.example.com": ["93.184.215.14", "192.168.1.1"],
    "metadata.example.com": ["169.254.169.254"],
    "v6local.example.com": ["fd00::1"],
    "mapped.example.com": ["::ffff:127.0.0.1"],
}


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch):
    """Names resolve from NAMES (no network); IP literals resolve to themselves."""

    def resolve(host, port):
        if host in NAMES:
            return NAMES[host]
        # Literals only (127.1 too, as the real resolver reads it); names fail.
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
        return [info[4][0] for info in infos]

    monkeypatch.setattr(endpoints, "resolve", resolve)


@pytest.fixture
def keys(standin):
    return standin.subscription("k")["keys"]


@pytest.fixture
def member_a(gym_a):
    with tenant_context(gym_a):
        return MemberWithLoginFactory()


def post(api, gym, user, body):
    return api(gym, user).post("/api/v1/devices/", body, format="json")


def test_browser_subscription_is_registered_once(gym_a, member_a, api, keys):
    body = {
        "endpoint": "https://push.example.com/wpush/v2/abc",
        "keys": keys,
        "expirationTime": None,
    }
    first = post(api, gym_a, member_a.user, body)
    assert first.status_code == 201, first.json()
    again = post(api, gym_a, member_a.user, body)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    with tenant_context(gym_a):
        device = Device.objects.get()
    assert device.member_id == member_a.pk and device.kind == "webpush"
    assert device.p256dh == keys["p256dh"] and device.auth == keys["auth"]


def test_a_shared_browser_moves_to_whoever_registers_it(gym_a, member_a, api, keys):
    with tenant_context(gym_a):
        other = MemberWithLoginFactory()
    body = {"endpoint": "https://push.example.com/shared", "keys": keys}
    post(api, gym_a, member_a.user, body)
    assert post(api, gym_a, other.user, body).status_code == 200
    with tenant_context(gym_a):
        assert Device.objects.get().member_id == other.pk


def test_fcm_token_is_registered(gym_a, member_a, api):
    token = "dXk3a2lvcDpBUEE5MWJ_ab-cd:APA91bHun4MxP5egoKMwt2KZFBaFUH"
    response = post(api, gym_a, member_a.user, {"kind": "fcm", "token": token, "label": "Pixel"})
    assert response.status_code == 201
    assert response.json()["kind"] == "fcm" and response.json()["label"] == "Pixel"
    with tenant_context(gym_a):
        assert Device.objects.get().token == token


ENDPOINTS = [
    ("https://127.0.0.1/push", "public address"),
    ("https://127.1/push", "public address"),
    ("https://10.1.2.3/push", "public address"),
    ("https://172.16.0.1/push", "public address"),
    ("https://192.168.0.10/push", "public address"),
    ("https://169.254.169.254/latest/meta-data", "public address"),
    ("https://100.64.0.1/push", "public address"),
    ("https://0.0.0.0/push", "public address"),
    ("https://224.0.0.1/push", "public address"),
    ("https://240.0.0.1/push", "public address"),
    ("https://[::1]/push", "public address"),
    ("https://[fe80::1]/push", "public address"),
    ("https://[::ffff:10.0.0.1]/push", "public address"),
    ("https://internal.example.com/push", "public address"),
    ("https://mixed.example.com/push", "public address"),
    ("https://metadata.example.com/push", "public address"),
    ("https://v6local.example.com/push", "public address"),
    ("https://mapped.example.com/push", "public address"),
    ("https://nowhere.example.com/push", "does not resolve"),
    ("http://push.example.com/push", "https"),
    ("ftp://push.example.com/push", "https"),
    ("https://user:pw@push.example.com/push", "not a valid URL"),
    ("https://push.example.com:99999/push", "not a valid URL"),
    ("https:///push", "not a valid URL"),
    ("https://push.example.com/" + "a" * 980, "longer than 1000"),
]


@pytest.mark.parametrize(("endpoint", "why"), ENDPOINTS)
def test_unsafe_endpoints_are_refused(endpoint, why, gym_a, member_a, api, keys):
    response = post(api, gym_a, member_a.user, {"endpoint": endpoint, "keys": keys})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_device"
    assert why in error["details"]["endpoint"][0]
    with tenant_context(gym_a):
        assert not Device.objects.exists()


def test_exactly_1000_characters_is_fine(gym_a, member_a, api, keys):
    endpoint = "https://push.example.com/" + "a" * 975
    assert len(endpoint) == 1000
    assert post(api, gym_a, member_a.user, {"endpoint": endpoint, "keys": keys}).status_code == 201


def test_the_stand_in_is_let_through_only_by_its_exact_prefix(gym_a, member_a, push_on, keys):
    base = push_on.base_url  # http://127.0.0.1:<port>
    port = int(base.rsplit(":", 1)[1])
    with tenant_context(gym_a):
        device, _ = device_register(
            member=member_a,
            kind="webpush",
            endpoint=f"{base}/push/a",
            p256dh=keys["p256dh"],
            auth=keys["auth"],
        )
        assert device.pk
        for endpoint in (
            f"{base}/other/a",  # outside the path
            f"http://127.0.0.1:{port + 1}/push/a",  # another port
            f"http://127.0.0.1:{port}@evil.example.com/push/a",  # user-info trick
            f"https://127.0.0.1:{port}/push/a",  # another scheme
        ):
            with pytest.raises(Exception, match="endpoint"):
                device_register(
                    member=member_a,
                    kind="webpush",
                    endpoint=endpoint,
                    p256dh=keys["p256dh"],
                    auth=keys["auth"],
                )
    with override_settings(PUSH_ALLOWED_TEST_ENDPOINTS=[]), tenant_context(gym_a):
        with pytest.raises(Exception, match="endpoint"):
            device_register(
                member=member_a,
                kind="webpush",
                endpoint=f"{base}/push/b",
                p256dh=keys["p256dh"],
                auth=keys["auth"],
            )


def _point_off_curve():
    return b64url(b"\x04" + b"\x01" * 64)


BAD_KEYS = [
    ({"p256dh": "", "auth": "x"}, "keys"),
    ({"p256dh": "not base64 !!", "auth": b64url(b"a" * 16)}, "p256dh"),
    ({"p256dh": b64url(b"\x04" + b"\x01" * 10), "auth": b64url(b"a" * 16)}, "p256dh"),
    ({"p256dh": _point_off_curve(), "auth": b64url(b"a" * 16)}, "p256dh"),
    (None, "auth"),  # a good point with a 15-byte secret
    ({"p256dh": "A" * 300, "auth": b64url(b"a" * 16)}, "keys"),
]


@pytest.mark.parametrize(("bad", "what"), BAD_KEYS)
def test_bad_keys_are_refused(bad, what, gym_a, member_a, api, keys):
    bad = bad or {"p256dh": keys["p256dh"], "auth": b64url(b"a" * 15)}
    body = {"endpoint": "https://push.example.com/k", "keys": bad}
    response = post(api, gym_a, member_a.user, body)
    assert response.status_code == 400
    assert what in str(response.json()["error"])
    with tenant_context(gym_a):
        assert not Device.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"endpoint": "https://push.example.com/k"},  # no keys
        {"kind": "fcm"},
        {"kind": "fcm", "token": "has spaces in it"},
        {"kind": "fcm", "token": "a" * 4097},
        {"kind": "sms", "token": "abc"},
        {"endpoint": ["https://push.example.com/k"], "keys": "x"},
        [],
    ],
)
def test_malformed_bodies_are_refused(body, gym_a, member_a, api):
    response = post(api, gym_a, member_a.user, body)
    assert response.status_code == 400
    assert "error" in response.json()
    with tenant_context(gym_a):
        assert not Device.objects.exists()


def test_delete_own_device_only(gym_a, member_a, api, keys):
    with tenant_context(gym_a):
        other = MemberWithLoginFactory()
        theirs, _ = device_register(member=other, kind="fcm", token="their-token")
        mine, _ = device_register(member=member_a, kind="fcm", token="my-token")
    client = api(gym_a, member_a.user)
    assert client.delete(f"/api/v1/devices/{theirs.pk}/").status_code == 404
    assert client.delete("/api/v1/devices/999999/").status_code == 404
    assert client.delete(f"/api/v1/devices/{mine.pk}/").status_code == 204
    assert client.delete(f"/api/v1/devices/{mine.pk}/").status_code == 404
    with tenant_context(gym_a):
        assert list(Device.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_staff_without_member_profile_register_on_their_login(gym_a, make_user, api, keys):
    owner = make_user(gym_a, Role.OWNER)
    body = {"endpoint": "https://push.example.com/staff", "keys": keys}
    response = post(api, gym_a, owner, body)
    assert response.status_code == 201
    with tenant_context(gym_a):
        device = Device.objects.get()
    assert device.user_id == owner.pk and device.member_id is None
    assert api(gym_a, owner).delete(f"/api/v1/devices/{device.pk}/").status_code == 204


def test_anonymous_cannot_register(gym_a, api, keys):
    response = post(api, gym_a, None, {"endpoint": "https://push.example.com/x", "keys": keys})
    assert response.status_code in (401, 403)


def test_a_person_keeps_only_their_newest_devices(gym_a, member_a):
    with tenant_context(gym_a):
        first, _ = device_register(member=member_a, kind="fcm", token="t-0")
        for i in range(1, MAX_DEVICES + 3):
            device_register(member=member_a, kind="fcm", token=f"t-{i}")
        assert Device.objects.filter(member=member_a).count() == MAX_DEVICES
        assert not Device.objects.filter(pk=first.pk).exists()


def test_vapid_key_and_active_channels(gym_a, member_a, api, push_on, tmp_path):
    client = api(gym_a, member_a.user)
    with override_settings(FCM_CREDENTIALS_FILE=""):
        body = client.get("/api/v1/notifications/vapid-key/").json()
    assert body["public_key"] == settings.VAPID_PUBLIC_KEY
    assert body["channels"] == {"in_app": True, "email": True, "webpush": True, "fcm": False}
    with override_settings(VAPID_PUBLIC_KEY="", VAPID_PRIVATE_KEY=""):
        body = client.get("/api/v1/notifications/vapid-key/").json()
    assert body["public_key"] == "" and body["channels"]["webpush"] is False
