"""Absolute links to a gym's own site, for messages read outside it (email, push)."""

from __future__ import annotations

from django.conf import settings
from django.db import connection


def gym_url(path: str, gym=None) -> str:
    """`<scheme>://<the gym's primary domain><path>` (`path` as `reverse()` gives it)."""
    gym = gym or connection.tenant
    domain = gym.get_primary_domain()
    host = domain.domain if domain else settings.PLATFORM_DOMAIN
    port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
    return f"{settings.SITE_SCHEME}://{host}{port}{path}"
