"""Shared pieces of the push tests: the push stand-in, dev VAPID keys, a test kind.

Test modules import the fixture functions they use (`push_on_fixture`, ...); pytest
knows them by their `name` (push_on, ...), so test arguments do not shadow the imports."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from django.test import override_settings
from py_vapid import Vapid02

from apps.notifications import kinds
from apps.notifications.channels import webpush
from devtools.push_standin import PushStandin
from tests.notifications.texts import templates_with

MESSAGES = {
    "notifications/ping_subject.txt": "Class at {{ when }}",
    "notifications/ping_message.txt": "{% autoescape off %}{{ text }}{% endautoescape %}",
    "notifications/ping_tx_subject.txt": "Payment failed",
    "notifications/ping_tx_message.txt": "Please update your card",
}
TEMPLATES = templates_with(MESSAGES)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def vapid_pair() -> tuple[str, str]:
    """(public, private) as `make run` writes them: base64url raw point and scalar."""
    key = Vapid02()
    key.generate_keys()
    public = key.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    private = key.private_key.private_numbers().private_value.to_bytes(32, "big")
    return b64url(public), b64url(private)


_KEYS = vapid_pair()


@pytest.fixture(name="standin")
def standin_fixture():
    server = PushStandin()
    server.start()
    yield server
    server.stop()


@pytest.fixture(name="push_on")
def push_on_fixture(standin):
    """Web push switched on against the stand-in (and only it let through)."""
    webpush.clear_header_cache()  # each test counts its own signatures
    with override_settings(
        VAPID_PUBLIC_KEY=_KEYS[0],
        VAPID_PRIVATE_KEY=_KEYS[1],
        VAPID_SUBJECT="mailto:ops@example.com",
        PUSH_ALLOWED_TEST_ENDPOINTS=[f"{standin.base_url}/push/"],
    ):
        yield standin


@pytest.fixture(name="ping_kinds")
def ping_kinds_fixture(monkeypatch):
    """An optional and a transactional test kind, rendered from MESSAGES."""
    monkeypatch.setitem(kinds.KINDS, "ping", kinds.Kind("ping", "classes"))
    monkeypatch.setitem(
        kinds.KINDS, "ping_tx", kinds.Kind("ping_tx", "billing", transactional=True)
    )
    with override_settings(TEMPLATES=TEMPLATES):
        yield
