from importlib import import_module

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from allauth.headless.tokens.strategies import sessions as allauth_sessions
from django.conf import settings
from django.contrib.auth import SESSION_KEY
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
        session = AppSessionStore(session_key=session_token)
        session.get(SESSION_KEY)  # loads once; a missing or expired key clears session_key
        return session if session.session_key else None


class AppSessionStore(import_module(settings.SESSION_ENGINE).SessionStore):
    """An app's session, addressed by its token. Once signed in, its key is not rotated:
    Django rotates a session key against fixation (a key planted before sign-in), and
    signing in still rotates it; rotating a signed-in token on a password change signed
    the app out (the old token got 401), while only the other sessions were to end (they
    do: their stored password hash no longer matches)."""

    # Django salts stored sessions with the store's class name: keep the engine's own, so
    # sessions written by either class read the same.
    key_salt = "django.contrib.sessions.SessionStore"

    def cycle_key(self):
        if SESSION_KEY in self:
            self.modified = True  # the new password hash is still saved, under the same key
        else:
            super().cycle_key()
