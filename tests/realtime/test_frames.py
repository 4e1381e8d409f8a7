"""Every socket answers garbage with an error frame and stays up: malformed, binary,
deeply nested, oversized and out-of-order frames, through the real ASGI app. A new
consumer adds a row to SOCKETS."""

import json

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.attendance import consumers
from apps.attendance.services import kiosk_register
from apps.common.channels import MAX_FRAME_CHARS
from apps.common.jsonparse import MAX_DEPTH
from config.asgi import application
from tests.factories import UserFactory

HOST = "gym-a.localhost"

# (frame to send, error code expected back); each is sent as a text frame unless bytes.
GARBAGE = [
    ("{not json", "malformed"),
    (b"\x00\xff\xfe", "malformed"),
    ("[" * 1000 + "]" * 1000, "malformed"),
    ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "malformed"),
    ("[" * 100_000, "too_large"),
    (json.dumps({"type": "ping", "pad": "x" * MAX_FRAME_CHARS}), "too_large"),
    ("   ", "malformed"),
]
# Well-formed JSON that no socket understands (or not now).
UNKNOWN = ["[]", '"ping"', "null", "12", json.dumps({"type": {"a": [1]}}), '{"type": "pong"}']


def _cookie(gym, role) -> str:
    client = Client(HTTP_HOST=HOST)
    with tenant_context(gym):
        client.force_login(
            UserFactory(role=role), backend="django.contrib.auth.backends.ModelBackend"
        )
    return client.cookies["sessionid"].value


def _socket(path: str, cookie: str = "") -> WebsocketCommunicator:
    headers = [(b"host", HOST.encode()), (b"origin", f"http://{HOST}".encode())]
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def _send(sock, frame):
    if isinstance(frame, bytes):
        await sock.send_to(bytes_data=frame)
    else:
        await sock.send_to(text_data=frame)


async def _answer(sock) -> dict:
    return await sock.receive_json_from(timeout=5)


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("/ws/staff/", Role.FRONT_DESK),
        ("/ws/occupancy/", Role.FRONT_DESK),
        ("/ws/assessments/", Role.MEMBER),
    ],
)
def test_listening_sockets_answer_garbage_and_stay_up(committed_gym_a, path, role):
    cookie = _cookie(committed_gym_a, role)

    async def scenario():
        sock = _socket(path, cookie)
        assert (await sock.connect(timeout=5))[0]
        assert (await _answer(sock))["type"] == "hello"
        for frame, code in GARBAGE:
            await _send(sock, frame)
            answer = await _answer(sock)
            assert (answer["type"], answer["code"]) == ("error", code), frame[:40]
            assert len(json.dumps(answer)) < 500  # nothing echoed back in full
        for frame in UNKNOWN:
            await _send(sock, frame)
            assert (await _answer(sock))["code"] == "unknown_message", frame
        await sock.send_json_to({"type": "ping"})
        assert (await _answer(sock))["type"] == "pong"
        await sock.disconnect()

    async_to_sync(scenario)()


def test_kiosk_socket_answers_garbage_before_and_after_hello_and_stays_up(
    committed_gym_a, monkeypatch
):
    # More frames than a door sends in a burst: the throttle is tested on its own.
    monkeypatch.setattr(consumers, "BUCKET_SIZE", 1000)
    with tenant_context(committed_gym_a):
        _kiosk, token = kiosk_register(name="Fuzzed door", mode="entry")

    async def scenario():
        sock = _socket("/ws/kiosk/")
        assert (await sock.connect(timeout=5))[0]
        # Before hello: what cannot be read is answered, and hello still works after it.
        for frame, code in GARBAGE:
            await _send(sock, frame)
            assert (await _answer(sock))["code"] == code, frame[:40]
        await sock.send_json_to({"type": "hello", "token": token})
        assert (await _answer(sock))["type"] == "config"
        for frame, code in GARBAGE:
            await _send(sock, frame)
            assert (await _answer(sock))["code"] == code, frame[:40]
        for frame in UNKNOWN:
            await _send(sock, frame)
            answer = await _answer(sock)
            assert answer["code"] == "unknown_message" and answer.get("received") in (None, "pong")
        out_of_order = [
            ({"type": "hello", "token": token}, "already_authenticated"),
            ({"type": "scan"}, "invalid_scan"),
            ({"type": "scan", "code": ["R1"], "idempotency_key": {"a": 1}}, "invalid_scan"),
            ({"type": "scan", "code": "R1.1.x", "idempotency_key": "k" * 10_000}, "invalid_scan"),
            (
                {"type": "scan", "code": "x" * 5_000, "idempotency_key": "k" * 5_000},
                "invalid_scan",
            ),
            ({"type": "x" * 10_000}, "unknown_message"),
        ]
        for message, code in out_of_order:
            await sock.send_json_to(message)
            answer = await _answer(sock)
            assert answer["code"] == code, message
            assert len(json.dumps(answer)) < 500  # fields are bounded, nothing echoed in full
        await sock.send_json_to({"type": "heartbeat"})
        assert (await _answer(sock))["type"] == "heartbeat"
        await sock.disconnect()

    async_to_sync(scenario)()
