"""Checks on what a browser or app hands us to push to: the web push endpoint (SSRF), the
subscription's keys (RFC 8291) and FCM tokens.

An endpoint is a URL our workers will POST to, chosen by whoever registers a device, so it
must be `https` and its host must resolve only to public addresses: no loopback, private,
link-local (cloud metadata), multicast, reserved or other special ranges, IPv4-mapped or
not. It is checked at registration and again before each send (DNS may change). Only the
dev/test stand-in is let through, by `settings.PUSH_ALLOWED_TEST_ENDPOINTS` (empty in
production)."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import socket
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.utils.translation import gettext as _

MAX_ENDPOINT = 1000
MAX_TOKEN = 4096
# FCM registration tokens: URL-safe base64 with ':' separators.
TOKEN_RE = re.compile(r"^[A-Za-z0-9_:\-.]+$")


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (tests replace this)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None and not _public(str(mapped)):
            return False
    return ip.is_global and not ip.is_multicast


def is_test_endpoint(url: str) -> bool:
    """Whether `url` is under one of the stand-in prefixes (same scheme, host and port;
    the path starts with the prefix's path)."""
    try:
        target = urlsplit(url)
        target_port = target.port
    except ValueError:
        return False
    for prefix in settings.PUSH_ALLOWED_TEST_ENDPOINTS:
        allowed = urlsplit(prefix)
        if (
            target.scheme == allowed.scheme
            and target.hostname == allowed.hostname
            and target_port == allowed.port
            and not target.username
            and target.path.startswith(allowed.path or "/")
        ):
            return True
    return False


def endpoint_problem(url: str) -> str:
    """Why we will not push to `url`, or "" when it is fine."""
    if not isinstance(url, str) or not url:
        return _("The push endpoint is missing.")
    if len(url) > MAX_ENDPOINT:
        return _("The push endpoint is longer than %(max)d characters.") % {"max": MAX_ENDPOINT}
    if is_test_endpoint(url):
        return ""
    try:
        parts = urlsplit(url)
        port = parts.port or 443
    except ValueError:
        return _("The push endpoint is not a valid URL.")
    if parts.scheme != "https":
        return _("The push endpoint must be an https URL.")
    if not parts.hostname or parts.username or parts.password:
        return _("The push endpoint is not a valid URL.")
    try:
        addresses = resolve(parts.hostname, port)
    except (OSError, UnicodeError):
        return _("The push endpoint's host does not resolve.")
    if not addresses:
        return _("The push endpoint's host does not resolve.")
    try:
        if not all(_public(a) for a in addresses):
            return _("The push endpoint must be on a public address.")
    except ValueError:
        return _("The push endpoint must be on a public address.")
    return ""


def _b64url(text: str) -> bytes | None:
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_\-]+=*", text or ""):
        return None
    try:
        return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        return None


def keys_problem(p256dh: str, auth: str) -> str:
    """Why these subscription keys are unusable, or "": p256dh is an uncompressed P-256
    point (65 bytes, base64url), auth a 16-byte secret."""
    point = _b64url(p256dh)
    if point is None or len(point) != 65 or point[0] != 4:
        return _("The subscription's p256dh key is not a P-256 public key.")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        return _("The subscription's p256dh key is not a P-256 public key.")
    secret = _b64url(auth)
    if secret is None or len(secret) != 16:
        return _("The subscription's auth secret is not 16 bytes.")
    return ""


def token_problem(token: str) -> str:
    if not isinstance(token, str) or not token:
        return _("The device token is missing.")
    if len(token) > MAX_TOKEN or not TOKEN_RE.match(token):
        return _("The device token is not a valid FCM registration token.")
    return ""
