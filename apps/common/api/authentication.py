from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from allauth.headless.internal import sessionkit
from allauth.headless.tokens.strategies import sessions as allauth_sessions
from django.contrib.sessions.backends.base import SessionBase
from drf_spectacular.contrib.django_allauth import XSessionTokenAuthenticationScheme


class SessionTokenAuthentication(XSessionTokenAuthentication):
    """allauth.headless app session tokens (header `X-Session-Token`).

    Naming a challenge makes DRF answer a missing/invalid token with 401, so apps can tell
    "log in again" (401) from "not allowed" (403).
    """

    def authenticate_header(self, request) -> str:
        return 'Session-Token header="X-Session-Token"'


class SessionTokenAuthenticationScheme(XSessionTokenAuthenticationScheme):
    """Documents the header in the OpenAPI schema (registered by being defined)."""

    target_class = "apps.common.api.authentication.SessionTokenAuthentication"


class SessionTokenStrategy(allauth_sessions.SessionTokenStrategy):
    """allauth's session-token strategy, reading the session once.

    allauth's own asks `exists()` and then loads the session: with the cached_db engine two
    cache round trips (and on a cache miss two database queries) on every API request.
    allauth's `sessionkit.lookup_session` loads it once: a missing, expired or malformed
    key clears the store's key, so the answer is the same None. Sessions stay per gym
    (the session table and the cache key are the gym's)."""

    def lookup_session(self, session_token: str) -> SessionBase | None:
        return sessionkit.lookup_session(session_token)
