"""One lockout policy for every login surface (Django admin on the platform and gym hosts,
the web login, the app login): django-axes, keyed by the pair (account, client address).

Keyed by the pair, a stranger who guesses wrong locks only themselves out of that
account: a lock by account alone let anyone lock a member out from anywhere, and a lock
by address alone let one address try every account. The address is the one found
TRUSTED_PROXY_COUNT hops from the right of X-Forwarded-For (what our own proxies
appended), as allauth's and DRF's rate limits read it, never what a client claims.
"""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from apps.common.api.errors import error_body

# Paths whose clients read JSON (the app login): they get the API's error shape.
JSON_PATHS = ("/_allauth/", "/api/")


def client_ip(request) -> str | None:
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = [ip.strip() for ip in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if count > 0 and len(forwarded) >= count and forwarded[-count]:
        return forwarded[-count]
    return request.META.get("REMOTE_ADDR")


def username(request, credentials: dict | None) -> str:
    """The account tried: admin sends `username`, allauth `email` (web form: `login`)."""
    credentials = credentials or {}
    value = credentials.get("username") or credentials.get("email") or credentials.get("login")
    if not value and request is not None and request.method == "POST":
        value = request.POST.get("login") or request.POST.get("username")
    return str(value or "").strip().lower()


def locked_out(request, credentials=None, *args, **kwargs):
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _(
        "Too many failed sign-ins for this account from this address. "
        "Try again in %(minutes)s minutes, or reset your password."
    ) % {"minutes": minutes}
    if request.path.startswith(JSON_PATHS):
        body = error_body(request, code="locked_out", message=message)
        return JsonResponse(body, status=429, headers={"Retry-After": str(minutes * 60)})
    try:
        reset_url = reverse("account_reset_password")
    except NoReverseMatch:  # the platform host has no self-service reset
        reset_url = None
    context = {"message": message, "reset_url": reset_url}
    return render(request, "accounts/locked_out.html", context, status=429)
