"""Absolute links to a gym's own site, for messages read outside it (email, push)."""

from __future__ import annotations

from django.conf import settings
from django.db import connection


def gym_url(path: str, gym=None) -> str:
    """`<scheme>://<the gym's primary domain><path>` (`path` as `reverse()` gives it)."""
    gym = gym or connection.tenant
    port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
    return f"{settings.SITE_SCHEME}://{_host(gym)}{port}{path}"


def _host(gym) -> str:
    """Kept on the gym object (one per request or task): a bulk notify links every email
    and was querying the domain table once per recipient."""
    host = getattr(gym, "_primary_host", None)
    if host is None:
        domain = gym.get_primary_domain()
        host = gym._primary_host = domain.domain if domain else settings.PLATFORM_DOMAIN  # noqa: SLF001
    return host
