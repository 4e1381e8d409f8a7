"""Encryption of the gyms' Stripe secrets at rest (Fernet: AES-128-CBC + HMAC-SHA256).

The key is `BILLING_ENCRYPTION_KEY` (a Fernet key) when set, else derived from SECRET_KEY,
so a leaked database dump alone does not reveal any gym's Stripe keys. Rotating the key
needs re-encryption (`billing_settings_update` with the keys again).
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _fernet() -> Fernet:
    key = getattr(settings, "BILLING_ENCRYPTION_KEY", "")
    if not key:
        if not settings.SECRET_KEY:
            raise ImproperlyConfigured("SECRET_KEY or BILLING_ENCRYPTION_KEY is needed.")
        digest = hashlib.sha256(b"billing-secrets:" + settings.SECRET_KEY.encode()).digest()
        key = base64.urlsafe_b64encode(digest)
    return Fernet(key)


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A stored Stripe secret cannot be decrypted: BILLING_ENCRYPTION_KEY or "
            "SECRET_KEY changed. Enter the gym's keys again."
        ) from exc
