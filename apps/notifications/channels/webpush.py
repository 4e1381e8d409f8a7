"""Web push: RFC 8291 (aes128gcm) encrypted payloads through pywebpush, VAPID (RFC 8292)
with the keys in settings.VAPID_*.

One `requests.Session` per batch keeps the connection to each push service alive. The
VAPID `Authorization` header is signed once per push-service origin and reused until
shortly before its JWT expires: signing an ES256 JWT per message was most of the cost of a
10,000-member fan-out (docs/notifications.md, "Push").

Answers: 201/202 sent; 404/410 the subscription is gone (the device is deleted);
413 the payload is cut to title + link and sent again; 429 retried after Retry-After;
5xx and timeouts retried; other 4xx failed. A payload that would be over the 4 KB limit
once encrypted is cut before sending, never dropped."""

from __future__ import annotations

import json
import logging
import threading
import time
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests
from django.conf import settings
from py_vapid import Vapid02, VapidException
from pywebpush import WebPusher, WebPushException

from apps.common.links import gym_url
from apps.notifications.channels import FAILED, GONE, RETRY, SENT, Outcome
from apps.notifications.endpoints import endpoint_problem

logger = logging.getLogger(__name__)

# The encrypted body may be 4096 bytes; aes128gcm adds a header (salt 16 + record size 4
# + key id length 1 + key 65), a padding delimiter and a 16-byte tag: 103 bytes.
MAX_BODY = 4096
MAX_PLAINTEXT = MAX_BODY - 103
TTL = 24 * 3600  # how long the push service keeps it for an offline browser
TIMEOUT = (3.05, 10)  # connect, read (seconds)
# The VAPID JWT is valid this long; it is reused until REFRESH_BEFORE its end.
VAPID_LIFETIME = 12 * 3600
REFRESH_BEFORE = 600

_vapid_cache: dict[str, Vapid02] = {}
_header_cache: dict[tuple[str, str, str], tuple[str, float]] = {}
_lock = threading.Lock()


class _NoRedirects(requests.Session):
    """A push service never redirects; following one would let an endpoint aim our POST
    at an address the SSRF check never saw."""

    def request(self, *args, **kwargs):
        kwargs["allow_redirects"] = False
        return super().request(*args, **kwargs)


def _vapid() -> Vapid02:
    key = settings.VAPID_PRIVATE_KEY
    with _lock:
        if key not in _vapid_cache:
            _vapid_cache[key] = Vapid02.from_string(key)
        return _vapid_cache[key]


def origin_of(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def vapid_header(origin: str, *, now: float | None = None) -> str:
    """The `Authorization: vapid t=...,k=...` value for `origin`, signed at most once per
    VAPID_LIFETIME - REFRESH_BEFORE per origin."""
    now = now or time.time()
    key = (settings.VAPID_PRIVATE_KEY, settings.VAPID_SUBJECT, origin)
    with _lock:
        cached = _header_cache.get(key)
    if cached and cached[1] - REFRESH_BEFORE > now:
        return cached[0]
    exp = int(now) + VAPID_LIFETIME
    claims = {"aud": origin, "exp": exp, "sub": settings.VAPID_SUBJECT}
    header = _vapid().sign(claims)["Authorization"]
    with _lock:
        _header_cache[key] = (header, exp)
    return header


def clear_header_cache() -> None:
    with _lock:
        _header_cache.clear()


def forget_header(origin: str) -> None:
    with _lock:
        for key in [k for k in _header_cache if k[2] == origin]:
            del _header_cache[key]


def payload_for(notification, link_base: str) -> dict:
    url = notification.url
    if url.startswith("/"):
        url = link_base + url
    return {
        "title": notification.title,
        "body": notification.body,
        "url": url,
        "id": notification.pk,
        "kind": notification.kind,
    }


def cut(payload: dict) -> dict:
    """Title + link (and the ids an app needs to open it): what fits whatever the body."""
    return {k: payload[k] for k in ("title", "url", "id", "kind")}


def encode(payload: dict) -> bytes:
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    if len(data) > MAX_PLAINTEXT:
        data = json.dumps(cut(payload), ensure_ascii=False, separators=(",", ":")).encode()
    return data


def retry_after_seconds(response) -> float | None:
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def send_batch(deliveries) -> list[Outcome]:
    if not (settings.VAPID_PUBLIC_KEY and settings.VAPID_PRIVATE_KEY):
        return [Outcome(FAILED, "web push is not configured (VAPID keys)")] * len(deliveries)
    try:
        _vapid()
    except (VapidException, ValueError) as exc:
        return [Outcome(FAILED, f"VAPID private key unusable: {exc}"[:300])] * len(deliveries)
    link_base = gym_url("") if deliveries else ""
    with _NoRedirects() as session:
        return [_send_one(session, d, link_base) for d in deliveries]


def _send_one(session, delivery, link_base: str) -> Outcome:
    device = delivery.device
    if device is None:  # deleted after queueing
        return Outcome(GONE, "device deleted")
    problem = endpoint_problem(device.endpoint)
    if problem:
        return Outcome(FAILED, f"endpoint refused: {problem}")
    payload = payload_for(delivery.notification, link_base)
    data = encode(payload)
    outcome = _post(session, device, data)
    if outcome is None:  # 413: the service wants less; title + link always fits
        short = json.dumps(cut(payload), ensure_ascii=False, separators=(",", ":")).encode()
        if short == data:
            return Outcome(FAILED, "push service: 413 even for title + link")
        outcome = _post(session, device, short) or Outcome(FAILED, "push service: 413 twice")
    return outcome


def _post(session, device, data: bytes) -> Outcome | None:
    """Send once; None means 413 (too large)."""
    subscription = {
        "endpoint": device.endpoint,
        "keys": {"p256dh": device.p256dh, "auth": device.auth},
    }
    origin = origin_of(device.endpoint)
    try:
        pusher = WebPusher(subscription, requests_session=session)
        response = pusher.send(
            data,
            headers={"Authorization": vapid_header(origin), "Urgency": "normal"},
            ttl=TTL,
            content_encoding="aes128gcm",
            timeout=TIMEOUT,
        )
    except (requests.Timeout, requests.ConnectionError) as exc:
        return Outcome(RETRY, f"{type(exc).__name__}: {exc}"[:300])
    except (WebPushException, ValueError, TypeError) as exc:  # unusable keys
        return Outcome(FAILED, f"cannot encrypt for this subscription: {exc}"[:300])
    except requests.RequestException as exc:
        return Outcome(FAILED, f"{type(exc).__name__}: {exc}"[:300])
    status = response.status_code
    if status in (200, 201, 202):
        return Outcome(SENT)
    if status in (404, 410):
        return Outcome(GONE, f"push service: {status}")
    if status == 413:
        return None
    text = f"push service: {status} {response.text[:200]}".strip()
    if status == 429:
        return Outcome(RETRY, text, retry_after=retry_after_seconds(response))
    if status >= 500:
        return Outcome(RETRY, text, retry_after=retry_after_seconds(response))
    if status in (401, 403):  # perhaps our cached JWT: sign afresh next time
        forget_header(origin)
    return Outcome(FAILED, text)
