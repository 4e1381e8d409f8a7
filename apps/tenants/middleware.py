"""Host name -> gym (schema), the gym's default language and its time zone."""

import copy
import time
import zoneinfo
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import connection
from django.db.models.base import ModelState
from django.middleware.locale import LocaleMiddleware
from django.utils import timezone, translation
from django_tenants.middleware.main import TenantMainMiddleware

from apps.members.selectors import member_for_user

# host -> (expires at, gym). Every request needs its gym; looking it up costs a query
# that is a good share of a small API request. Changes reach other processes within
# TENANT_CACHE_SECONDS; this process forgets at once (gym_cache_clear).
_gyms_by_host: dict = {}


def gym_cache_clear() -> None:
    _gyms_by_host.clear()


_IMMUTABLE = frozenset({str, int, float, bool, type(None), date, datetime, Decimal, UUID})


def _copy_value(value, memo):
    kind = type(value)
    if kind in _IMMUTABLE:
        return value
    if kind is dict:  # JSON fields: dicts and lists of plain values
        return {key: _copy_value(item, memo) for key, item in value.items()}
    if kind is list:
        return [_copy_value(item, memo) for item in value]
    if kind is ModelState:
        state = copy.copy(value)
        state.fields_cache = _copy_value(value.fields_cache, memo)
        return state
    return copy.deepcopy(value, memo)  # e.g. the logo's file object, pointing at the copy


def gym_copy(gym):
    """What copy.deepcopy(gym) gives (JSON fields, model state and the logo's file object
    copied; the file points at the copy) in ~1/5 of its time: deepcopy spent ~100-130 us
    of every request walking the gym's strings and opening hours."""
    clone = gym.__class__.__new__(gym.__class__)
    memo = {id(gym): clone}
    clone.__dict__.update({name: _copy_value(v, memo) for name, v in gym.__dict__.items()})
    return clone


class GymTenantMiddleware(TenantMainMiddleware):
    def process_request(self, request):
        try:
            hostname = self.hostname_from_request(request)
            cached = _gyms_by_host.get(hostname)
        except DisallowedHost:
            cached = None
        if cached is not None and cached[0] >= time.monotonic():
            tenant = gym_copy(cached[1])
            tenant.domain_url = hostname
            request.tenant = tenant
            if connection.schema_name == tenant.schema_name:
                # Same gym as this connection's last request: keep its search_path
                # (set_tenant would re-issue it and clear the content-type cache).
                connection.tenant = tenant
            else:
                connection.set_tenant(tenant)
            self.setup_url_routing(request)
            return None
        return super().process_request(request)

    def get_tenant(self, domain_model, hostname):
        now = time.monotonic()
        cached = _gyms_by_host.get(hostname)
        if cached is None or cached[0] < now:
            # A deactivated gym is as unknown as a host that never existed.
            domain = domain_model.objects.select_related("tenant").get(
                domain=hostname, tenant__is_active=True
            )
            cached = (now + settings.TENANT_CACHE_SECONDS, domain.tenant)
            _gyms_by_host[hostname] = cached
        # A copy per request (JSON fields included): views may change the gym before saving.
        return gym_copy(cached[1])


class GymLocaleMiddleware(LocaleMiddleware):
    """Language: the visitor's explicit choice (cookie; for the API also the app's
    `Accept-Language`), else the gym's default. Browsers send Accept-Language too, but a
    gym's pages speak the gym's language until the visitor picks another."""

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if request.path.startswith(("/api/", "/_allauth/")):
            chosen = chosen or request.headers.get("Accept-Language")
        tenant = getattr(request, "tenant", None)
        if not chosen and tenant is not None and not tenant.is_public:
            translation.activate(tenant.default_language)
            request.LANGUAGE_CODE = translation.get_language()
            return
        super().process_request(request)


class GymTimezoneMiddleware:
    """Times in the gym's time zone on every request to its host (pages, emails rendered
    in the request, `|date`), and in a member's own zone on member pages when they set one.

    Staff always see the gym's clock: the door and the timetable happen there."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = _request_zone(request)
        if zone:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def _request_zone(request) -> zoneinfo.ZoneInfo | None:
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.is_public:
        return None
    name = tenant.time_zone
    user = getattr(request, "user", None)
    # Member pages only: the API answers in ISO 8601 with an offset, so it needs no zone
    # (and saves the query).
    on_page = not request.path.startswith(("/api/", "/_allauth/"))
    if on_page and user is not None and user.is_authenticated and not user.is_gym_staff:
        member = member_for_user(user=user)
        if member is not None and member.time_zone:
            name = member.time_zone
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
