"""The one door to Stripe: a client for the current gym's own account.

Every call goes through `gym_client()`, which decrypts the gym's key and passes it to a
`stripe.StripeClient` bound to that key; nothing global ever holds a gym's key, so a call
can never reach another gym's account. `STRIPE_API_BASE` points the SDK at the local
stand-in (tests, offline development); unset, it talks to Stripe.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
import threading

import stripe
from django.conf import settings
from django.utils.translation import gettext as _

from apps.billing.crypto import decrypt
from apps.common.errors import ApplicationError

_clients: dict[str, stripe.StripeClient] = {}
_clients_lock = threading.Lock()


def client_for_key(secret_key: str) -> stripe.StripeClient:
    """A client for one key, reused (keep-alive connections) within the process."""
    cache_key = hashlib.sha256(secret_key.encode()).hexdigest()
    with _clients_lock:
        found = _clients.get(cache_key)
        if found is None:
            base = getattr(settings, "STRIPE_API_BASE", "") or None
            found = stripe.StripeClient(
                secret_key,
                base_addresses={"api": base} if base else {},
                max_network_retries=2,
            )
            if len(_clients) > 256:
                _clients.clear()
            _clients[cache_key] = found
        return found


def gym_client(billing_settings) -> stripe.StripeClient:
    key = decrypt(billing_settings.secret_key_encrypted)
    if not key:
        raise ApplicationError(
            _("This gym has not connected its Stripe account yet."),
            code="billing_not_connected",
            status_code=409,
        )
    return client_for_key(key)


def provider_error(exc: stripe.StripeError) -> ApplicationError:
    """Stripe's error as ours: the message for people, Stripe's code and param kept."""
    if isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError)):
        return ApplicationError(
            _("The payment provider cannot be reached; try again in a moment."),
            code="payment_provider_unavailable",
            status_code=503,
        )
    if isinstance(exc, stripe.AuthenticationError):
        return ApplicationError(
            _("The gym's Stripe key was refused by Stripe."),
            code="payment_provider_auth",
            status_code=409,
        )
    return ApplicationError(
        exc.user_message or str(exc),
        code="payment_provider_error",
        details={"stripe_code": exc.code, "param": getattr(exc, "param", None)},
        status_code=400 if (exc.http_status or 500) < 500 else 502,
    )


def call(func, *args, **kwargs):
    """`func(*args, **kwargs)` on the SDK, with Stripe's errors raised as ours."""
    try:
        return func(*args, **kwargs)
    except stripe.StripeError as exc:
        raise provider_error(exc) from exc


def to_datetime(value) -> dt.datetime | None:
    """A Stripe timestamp (Unix seconds; None or 0 when unset) as an aware datetime."""
    return dt.datetime.fromtimestamp(int(value), tz=dt.UTC) if value else None


def to_unix(value: dt.datetime | dt.date) -> int:
    """A datetime, or a date (its midnight, UTC), as the Unix seconds Stripe takes."""
    if isinstance(value, dt.datetime):
        return int(value.timestamp())
    return calendar.timegm(value.timetuple())


def to_plain(obj) -> dict:
    """A Stripe object as plain JSON data (the SDK parses `*_decimal` fields to Decimal,
    which stays exact here as a string)."""
    return json.loads(json.dumps(obj.to_dict(), default=str))
