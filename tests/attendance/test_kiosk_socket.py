"""The kiosk protocol over /ws/kiosk/ and the live feed on /ws/occupancy/, through the
real ASGI app (host -> gym, origin check, session auth) and the Redis channel layer.
Consumers work on their own connections, so these tests use committed data."""

import asyncio
from datetime import timedelta
from types import SimpleNamespace

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.attendance import consumers
from apps.attendance.models import DeniedAttempt, Visit
from apps.attendance.services import (
    door_settings_update,
    kiosk_revoke,
    pass_issue_card,
    pass_revoke_card,
)
from apps.members.services import member_create
from config.asgi import application
from tests.attendance.factories import code_for, set_hours
from tests.factories import UserFactory


def kiosk_socket(gym_host: str) -> WebsocketCommunicator:
    headers = [(b"host", gym_host.encode()), (b"origin", f"http://{gym_host}".encode())]
    return WebsocketCommunicator(application, "/ws/kiosk/", headers=headers)


def staff_socket(gym, role=Role.FRONT_DESK) -> WebsocketCommunicator:
    client = Client(HTTP_HOST=f"{gym.slug}.localhost")
    with tenant_context(gym):
        client.force_login(
            UserFactory(role=role), backend="django.contrib.auth.backends.ModelBackend"
        )
    host = f"{gym.slug}.localhost"
    headers = [
        (b"host", host.encode()),
        (b"origin", f"http://{host}".encode()),
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
    ]
    return WebsocketCommunicator(application, "/ws/occupancy/", headers=headers)


async def hello(sock, token) -> dict:
    connected, _ = await sock.connect(timeout=5)
    assert connected
    await sock.send_json_to({"type": "hello", "token": token})
    return await sock.receive_json_from(timeout=5)


async def scan(sock, code, key, **extra) -> dict:
    await sock.send_json_to({"type": "scan", "code": code, "idempotency_key": key, **extra})
    return await sock.receive_json_from(timeout=5)


async def closed_with(sock) -> int:
    while True:
        message = await sock.receive_output(timeout=5)
        if message["type"] == "websocket.close":
            return message.get("code")


def member(gym, **data):
    with tenant_context(gym):
        return member_create(
            data={"first_name": "Kim", "last_name": "Scan", "status": "active", **data}
        )


def test_granted_scan_answers_the_kiosk_and_updates_staff_dashboards(door_committed, make_kiosk):
    gym_a, gym_b = door_committed
    kim = member(gym_a)
    kiosk, token = make_kiosk(gym_a)
    code = code_for(gym_a, kim)
    staff_a, staff_b = staff_socket(gym_a), staff_socket(gym_b)

    async def scenario():
        assert (await staff_a.connect(timeout=5))[0] and (await staff_b.connect(timeout=5))[0]
        assert (await staff_a.receive_json_from(timeout=5)) == {"type": "hello", "count": 0}
        await staff_b.receive_json_from(timeout=5)
        sock = kiosk_socket("gym-a.localhost")
        config = await hello(sock, token)
        assert config["type"] == "config" and config["kiosk"]["id"] == kiosk.pk
        assert config["open_now"] is True and config["gym"]["name"] == "Gym A"
        result = await scan(sock, code, "scan-1", client_ts=timezone.now().isoformat())
        assert result["type"] == "result" and result["idempotency_key"] == "scan-1"
        assert result["granted"] is True, result
        assert result["member"]["name"] == "Kim Scan"
        assert result["visits_this_month"] == 1 and "photo_url" in result["member"]
        event = await staff_a.receive_json_from(timeout=5)
        assert event["type"] == "visit.entered" and event["payload"]["count"] == 1
        assert event["payload"]["member"]["name"] == "Kim Scan"
        assert event["payload"]["kiosk"] == "Front door"
        assert await staff_b.receive_nothing(timeout=0.5)  # gym B's dashboard hears nothing
        for s in (sock, staff_a, staff_b):
            await s.disconnect()

    async_to_sync(scenario)()
    with tenant_context(gym_a):
        assert Visit.objects.filter(member=kim).count() == 1


def test_every_deny_reason_over_the_socket(door_committed, make_kiosk):
    gym_a, _ = door_committed
    kiosk, token = make_kiosk(gym_a)
    spa, spa_token = make_kiosk(gym_a, name="Spa", allowed_tiers=["pro"])
    frozen = member(gym_a, status="frozen", email="f@a.test")
    overdue = member(gym_a, payment_overdue=True, email="o@a.test")
    inside = member(gym_a, email="i@a.test")
    carded = member(gym_a, email="c@a.test")
    free = member(gym_a, email="t@a.test")
    with tenant_context(gym_a):
        card = pass_issue_card(member=carded)
        pass_revoke_card(member=carded)
    old = timezone.now() - timedelta(minutes=10)
    cases = [
        (token, "R1.1.000000000000000000000000", "unknown_code"),
        (token, code_for(gym_a, inside, at=old), "expired_code"),
        (token, card, "revoked_code"),
        (token, code_for(gym_a, frozen), "member_not_active"),
        (token, code_for(gym_a, overdue), "payment_overdue"),
        (spa_token, code_for(gym_a, free), "tier_not_allowed"),
    ]
    inside_code, free_code = code_for(gym_a, inside), code_for(gym_a, free)

    async def scenario():
        for n, (tok, code, reason) in enumerate(cases):
            sock = kiosk_socket("gym-a.localhost")
            await hello(sock, tok)
            result = await scan(sock, code, f"deny-{n}")
            assert (result["granted"], result["reason"]) == (False, reason), reason
            assert result["message"]
            await sock.disconnect()
        sock = kiosk_socket("gym-a.localhost")
        await hello(sock, token)
        assert (await scan(sock, inside_code, "in-1"))["granted"]
        second = await scan(sock, inside_code, "in-2")
        assert second["reason"] == "already_inside"
        await asyncio.get_running_loop().run_in_executor(None, set_hours, gym_a, {})
        closed = await scan(sock, free_code, "closed-1")
        assert closed["reason"] == "closed"
        await sock.disconnect()

    async_to_sync(scenario)()
    with tenant_context(gym_a):
        reasons = sorted(DeniedAttempt.objects.values_list("reason", flat=True))
    assert reasons == sorted([r for _t, _c, r in cases] + ["already_inside", "closed"])


def test_replayed_scan_is_counted_once(door_committed, make_kiosk):
    gym_a, _ = door_committed
    kim = member(gym_a)
    _kiosk, token = make_kiosk(gym_a)
    code = code_for(gym_a, kim)

    async def scenario():
        sock = kiosk_socket("gym-a.localhost")
        await hello(sock, token)
        first = await scan(sock, code, "buffered-7")
        # The kiosk lost the answer, reconnects and replays its buffer.
        await sock.disconnect()
        sock = kiosk_socket("gym-a.localhost")
        await hello(sock, token)
        again = await scan(sock, code, "buffered-7")
        assert first["granted"] and again["granted"] and again["replayed"] is True
        assert again["visit_id"] == first["visit_id"]
        await sock.disconnect()

    async_to_sync(scenario)()
    with tenant_context(gym_a):
        assert Visit.objects.filter(member=kim).count() == 1


def test_malformed_and_unknown_messages_get_errors_and_the_socket_stays_up(
    door_committed, make_kiosk
):
    gym_a, _ = door_committed
    _kiosk, token = make_kiosk(gym_a)

    async def scenario():
        sock = kiosk_socket("gym-a.localhost")
        await hello(sock, token)
        await sock.send_to(text_data="{not json")
        assert (await sock.receive_json_from(timeout=5))["code"] == "malformed"
        await sock.send_to(bytes_data=b"\x00\x01")
        assert (await sock.receive_json_from(timeout=5))["code"] == "malformed"
        await sock.send_json_to({"type": "dance"})
        error = await sock.receive_json_from(timeout=5)
        assert error["type"] == "error" and error["code"] == "unknown_message"
        await sock.send_json_to(["scan"])
        assert (await sock.receive_json_from(timeout=5))["code"] == "unknown_message"
        await sock.send_json_to({"type": "scan", "code": "", "idempotency_key": "k"})
        assert (await sock.receive_json_from(timeout=5))["code"] == "invalid_scan"
        await sock.send_json_to({"type": "scan", "code": "R1.1.x", "idempotency_key": "k" * 101})
        assert (await sock.receive_json_from(timeout=5))["code"] == "invalid_scan"
        await sock.send_json_to({"type": "heartbeat"})
        beat = await sock.receive_json_from(timeout=5)
        assert beat["type"] == "heartbeat" and "server_time" in beat
        await sock.disconnect()

    async_to_sync(scenario)()


@pytest.mark.parametrize(
    "first_message",
    [{"type": "hello", "token": "kt_not-a-real-token"}, {"type": "hello"}, {"type": "scan"}],
)
def test_bad_or_missing_token_closes_with_4401(door_committed, first_message):
    async def scenario():
        sock = kiosk_socket("gym-a.localhost")
        assert (await sock.connect(timeout=5))[0]
        await sock.send_json_to(first_message)
        error = await sock.receive_json_from(timeout=5)
        assert error["type"] == "error"
        assert await closed_with(sock) == 4401

    async_to_sync(scenario)()


def test_silent_socket_is_closed_after_the_auth_timeout(door_committed, monkeypatch):
    monkeypatch.setattr(consumers, "AUTH_TIMEOUT_SECONDS", 0.3)

    async def scenario():
        sock = kiosk_socket("gym-a.localhost")
        assert (await sock.connect(timeout=5))[0]
        assert (await sock.receive_json_from(timeout=3))["code"] == "auth_timeout"
        assert await closed_with(sock) == 4401

    async_to_sync(scenario)()


def test_revoking_a_kiosk_closes_its_open_socket(door_committed, make_kiosk):
    gym_a, _ = door_committed
    kiosk, token = make_kiosk(gym_a)
    _other, other_token = make_kiosk(gym_a, name="Other")

    def revoke():
        with tenant_context(gym_a):
            kiosk_revoke(kiosk=kiosk)

    async def scenario():
        sock = kiosk_socket("gym-a.localhost")
        other = kiosk_socket("gym-a.localhost")
        await hello(sock, token)
        await hello(other, other_token)
        await asyncio.get_running_loop().run_in_executor(None, revoke)
        assert (await sock.receive_json_from(timeout=5))["code"] == "revoked"
        assert await closed_with(sock) == 4401
        await other.send_json_to({"type": "heartbeat"})  # the other kiosk stays connected
        assert (await other.receive_json_from(timeout=5))["type"] == "heartbeat"
        await other.disconnect()
        again = kiosk_socket("gym-a.localhost")
        await again.connect(timeout=5)
        await again.send_json_to({"type": "hello", "token": token})
        assert (await again.receive_json_from(timeout=5))["code"] == "invalid_token"
        assert await closed_with(again) == 4401

    async_to_sync(scenario)()


def test_kiosk_of_gym_a_with_a_code_of_gym_b_is_refused(door_committed, make_kiosk):
    gym_a, gym_b = door_committed
    member_b = member(gym_b)
    _kiosk, token = make_kiosk(gym_a)
    code_b = code_for(gym_b, member_b)

    async def scenario():
        sock = kiosk_socket("gym-a.localhost")
        await hello(sock, token)
        result = await scan(sock, code_b, "cross-1")
        assert result["reason"] == "unknown_code" and result["member"] is None
        await sock.disconnect()

    async_to_sync(scenario)()
    for gym in (gym_a, gym_b):
        with tenant_context(gym):
            assert not Visit.objects.exists()


def test_token_of_gym_a_is_unknown_on_gym_b(door_committed, make_kiosk):
    gym_a, _ = door_committed
    _kiosk, token = make_kiosk(gym_a)

    async def scenario():
        sock = kiosk_socket("gym-b.localhost")
        await sock.connect(timeout=5)
        await sock.send_json_to({"type": "hello", "token": token})
        assert (await sock.receive_json_from(timeout=5))["code"] == "invalid_token"
        assert await closed_with(sock) == 4401

    async_to_sync(scenario)()


def test_a_flooding_kiosk_is_throttled_and_stays_connected(door_committed, make_kiosk, monkeypatch):
    gym_a, _ = door_committed
    _kiosk, token = make_kiosk(gym_a)
    # The consumer's clock stands still unless the test moves it: on a loaded machine the
    # bucket would otherwise refill while the messages are being handled.
    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(consumers, "time", SimpleNamespace(monotonic=lambda: clock.now))

    async def burst(sock, n):
        for _ in range(n):
            await sock.send_json_to({"type": "heartbeat"})
        return [await sock.receive_json_from(timeout=5) for _ in range(n)]

    async def scenario():
        sock = kiosk_socket("gym-a.localhost")
        await hello(sock, token)  # the hello took one token
        answers = await burst(sock, 30)
        passed = [a for a in answers if a["type"] == "heartbeat"]
        throttled = [a for a in answers if a.get("code") == "throttled"]
        assert (len(passed), len(throttled)) == (consumers.BUCKET_SIZE - 1, 11)
        assert all(a["retry_after"] == 0.1 for a in throttled)
        clock.now += 0.5  # refills 5
        answers = await burst(sock, 8)
        assert [a["type"] for a in answers] == ["heartbeat"] * 5 + ["error"] * 3
        await sock.disconnect()

    async_to_sync(scenario)()


def test_settings_change_pushes_config_to_connected_kiosks(door_committed, make_kiosk):
    gym_a, _ = door_committed
    _kiosk, token = make_kiosk(gym_a)

    def change():
        with tenant_context(gym_a):
            door_settings_update(data={"kiosk_message": "Pool closed today"})

    async def scenario():
        sock = kiosk_socket("gym-a.localhost")
        await hello(sock, token)
        await asyncio.get_running_loop().run_in_executor(None, change)
        config = await sock.receive_json_from(timeout=5)
        assert config["type"] == "config" and config["message"] == "Pool closed today"
        await sock.disconnect()

    async_to_sync(scenario)()


@pytest.mark.parametrize(("role", "allowed"), [(Role.MEMBER, False), (Role.TRAINER, True)])
def test_occupancy_socket_is_for_staff(door_committed, role, allowed):
    gym_a, _ = door_committed
    sock = staff_socket(gym_a, role)

    async def scenario():
        connected, code = await sock.connect(timeout=5)
        assert connected is allowed
        if connected:
            await sock.disconnect()
        else:
            assert code == 4403

    async_to_sync(scenario)()


def test_every_dashboard_of_a_gym_gets_each_event_and_leaving_stops_none(
    door_committed, make_kiosk
):
    """Dashboards of one gym share one subscription per process (apps.attendance.hub)."""
    gym_a, _ = door_committed
    ana, ben = member(gym_a, email="ana@a.test"), member(gym_a, email="ben@a.test")
    _kiosk, token = make_kiosk(gym_a, mode="both")
    code_ana, code_ben = code_for(gym_a, ana), code_for(gym_a, ben)
    first, second, third = staff_socket(gym_a), staff_socket(gym_a), staff_socket(gym_a)

    async def scenario():
        for sock in (first, second, third):
            assert (await sock.connect(timeout=5))[0]
            await sock.receive_json_from(timeout=5)
        kiosk = kiosk_socket("gym-a.localhost")
        await hello(kiosk, token)
        await scan(kiosk, code_ana, "hub-1")
        for sock in (first, second, third):
            event = await sock.receive_json_from(timeout=5)
            assert event["type"] == "visit.entered" and event["payload"]["count"] == 1
        await first.disconnect()
        await scan(kiosk, code_ben, "hub-2")
        for sock in (second, third):
            assert (await sock.receive_json_from(timeout=5))["payload"]["count"] == 2
        await second.disconnect()
        await third.disconnect()
        # All gone: a new dashboard subscribes again and still hears the door.
        await fourth.connect(timeout=5)
        assert (await fourth.receive_json_from(timeout=5))["count"] == 2
        await scan(kiosk, code_ana, "hub-3")  # Ana is inside: a both-way door lets her out
        event = await fourth.receive_json_from(timeout=5)
        assert event["type"] == "visit.exited" and event["payload"]["count"] == 1
        await fourth.disconnect()
        await kiosk.disconnect()

    fourth = staff_socket(gym_a)
    async_to_sync(scenario)()
