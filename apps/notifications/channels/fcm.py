"""Mobile push through FCM HTTP v1: `POST {FCM_ENDPOINT}/v1/projects/<project>/messages:send`
with an OAuth access token from the service account in settings.FCM_CREDENTIALS_FILE
(google-auth's JWT-bearer grant against the file's `token_uri`).

Off when the setting is empty: no FCM deliveries are built (selectors.active_device_kinds)
and any left over fail. The credentials are loaded once per process and file, so the
access token (valid an hour) is shared by every batch; one session per batch keeps the
connection alive.

Answers: 200 sent; 404 or UNREGISTERED the token is gone (the device is deleted);
429 and 5xx retried (Retry-After honoured); INVALID_ARGUMENT and other 4xx failed."""

from __future__ import annotations

import json
import threading

import requests
from django.conf import settings
from google.auth.exceptions import GoogleAuthError
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account

from apps.common.links import gym_url
from apps.notifications.channels import FAILED, GONE, RETRY, SENT, Outcome
from apps.notifications.channels.webpush import payload_for, retry_after_seconds

SCOPES = ["https://www.googleapis.com/auth/firebase.messaging"]
TIMEOUT = (3.05, 10)

_credentials: dict[str, service_account.Credentials] = {}
_lock = threading.Lock()


def credentials() -> service_account.Credentials:
    path = settings.FCM_CREDENTIALS_FILE
    with _lock:
        if path not in _credentials:
            _credentials[path] = service_account.Credentials.from_service_account_file(
                path, scopes=SCOPES
            )
        return _credentials[path]


def message_for(delivery, link_base: str) -> dict:
    payload = payload_for(delivery.notification, link_base)
    return {
        "message": {
            "token": delivery.device.token,
            "notification": {"title": payload["title"], "body": payload["body"][:1000]},
            # FCM data values are strings.
            "data": {k: str(v) for k, v in payload.items() if k in ("url", "id", "kind")},
        }
    }


def send_batch(deliveries) -> list[Outcome]:
    if not settings.FCM_CREDENTIALS_FILE:
        return [Outcome(FAILED, "FCM is not configured")] * len(deliveries)
    try:
        creds = credentials()
    except (OSError, ValueError, KeyError) as exc:
        return [Outcome(FAILED, f"FCM credentials unusable: {exc}"[:300])] * len(deliveries)
    url = f"{settings.FCM_ENDPOINT.rstrip('/')}/v1/projects/{creds.project_id}/messages:send"
    link_base = gym_url("") if deliveries else ""
    with AuthorizedSession(creds) as session:
        return [_send_one(session, url, d, link_base) for d in deliveries]


def _error_code(response) -> tuple[str, str]:
    """(FCM errorCode or the error status, message) from FCM's error JSON."""
    try:
        error = json.loads(response.text)["error"]
    except (ValueError, KeyError, TypeError):
        return "", response.text[:200]
    code = error.get("status", "")
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and detail.get("errorCode"):
            code = detail["errorCode"]
    return str(code), str(error.get("message", ""))[:200]


def _send_one(session, url: str, delivery, link_base: str) -> Outcome:
    if delivery.device is None:
        return Outcome(GONE, "device deleted")
    try:
        response = session.post(url, json=message_for(delivery, link_base), timeout=TIMEOUT)
    except (requests.Timeout, requests.ConnectionError) as exc:
        return Outcome(RETRY, f"{type(exc).__name__}: {exc}"[:300])
    except GoogleAuthError as exc:  # the token endpoint refused or was unreachable
        return Outcome(RETRY, f"FCM auth: {exc}"[:300])
    status = response.status_code
    if status == 200:
        return Outcome(SENT)
    code, message = _error_code(response)
    text = f"FCM {status} {code}: {message}"
    if status == 404 or code == "UNREGISTERED":
        return Outcome(GONE, text)
    if status == 429 or status >= 500:
        return Outcome(RETRY, text, retry_after=retry_after_seconds(response))
    return Outcome(FAILED, text)
