"""WebSocket plumbing: Host header -> gym, session cookie -> user, and a consumer base that
runs every database call inside the gym's schema.

The schema does not follow work into `database_sync_to_async`'s thread pool, so nothing
here touches the database without `tenant_context`.
"""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace
from urllib.parse import urlparse

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.http.cookie import parse_cookie
from django_tenants.utils import get_public_schema_name, tenant_context

from apps.common import jsonparse
from apps.common.realtime import tenant_group
from apps.tenants.models import Domain

logger = logging.getLogger(__name__)

# WebSocket close codes (4000-4999 are ours to define).
CLOSE_UNKNOWN_GYM = 4404
CLOSE_FORBIDDEN = 4403
CLOSE_UNAUTHENTICATED = 4401

# No socket message of ours comes near this; bigger frames get an error and are dropped.
MAX_FRAME_CHARS = 16 * 1024


def _header(scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


def _session_user(session_key: str | None):
    """The user signed in with `session_key` in the current gym's schema, or anonymous
    (expired, logged out, deactivated, or the password changed since)."""
    if not session_key:
        return AnonymousUser()
    user = get_user(SimpleNamespace(session=SessionStore(session_key)))
    # Touch what consumers need while still inside the gym's schema.
    _ = user.is_authenticated and user.role
    return user


@database_sync_to_async
def _resolve(host: str, session_key: str | None):
    # Pool threads are reused: start from the public schema, where domains live.
    connection.set_schema_to_public()
    domain = (
        Domain.objects.select_related("tenant").filter(domain=host, tenant__is_active=True).first()
    )
    if domain is None or domain.tenant.schema_name == get_public_schema_name():
        return None, AnonymousUser()
    tenant = domain.tenant
    with tenant_context(tenant):
        return tenant, _session_user(session_key)


class SameHostOriginValidator:
    """A browser socket must come from a page of the same gym: every gym's host is an
    allowed host, so AllowedHostsOriginValidator alone would accept gym B's pages opening
    a socket to gym A (same site, so the browser sends A's cookies)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        origin = _header(scope, b"origin")
        if origin and urlparse(origin).netloc.lower() != _header(scope, b"host").lower():
            return await WebsocketDenier()(scope, receive, send)
        return await self.app(scope, receive, send)


class TenantAuthMiddleware:
    """Sets scope["tenant"] (or None for an unknown host) and scope["user"]."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        host = _header(scope, b"host").split(":")[0].lower()
        # Django's own parser: SimpleCookie stops at the first cookie it dislikes.
        cookies = parse_cookie(_header(scope, b"cookie"))
        session_key = cookies.get(settings.SESSION_COOKIE_NAME)
        tenant, user = await _resolve(host, session_key)
        scope = dict(scope, tenant=tenant, user=user, session_key=session_key)
        return await self.inner(scope, receive, send)


# A socket outlives the checks made when it opened. Sockets of signed-in users look at
# their session again this often and close once it no longer lets them in, so staff who
# are deactivated, lose the role or log out stop receiving the gym's events.
ACCESS_RECHECK_SECONDS = 60.0


def _anyone(user) -> bool:
    return True  # signed in (as the same user, once re-checked)


class TenantJsonConsumer(AsyncJsonWebsocketConsumer):
    """Base consumer: refuses unknown hosts; `self.db(fn, ...)` runs fn in the gym's schema;
    `self.join(name)` joins the gym's own group; `self.keep_checking(allowed)` closes the
    socket once its user no longer passes `allowed`."""

    groups_joined: list[str]
    _access_task: asyncio.Task | None = None

    async def websocket_connect(self, message):
        self.groups_joined = []
        if self.scope.get("tenant") is None:
            await self.close(code=CLOSE_UNKNOWN_GYM)
            return
        await super().websocket_connect(message)

    @property
    def tenant(self):
        return self.scope["tenant"]

    async def db(self, fn, *args, **kwargs):
        def run():
            with tenant_context(self.tenant):
                return fn(*args, **kwargs)

        return await database_sync_to_async(run)()

    async def join(self, name: str) -> None:
        group = tenant_group(name, self.tenant.schema_name)
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.append(group)

    async def admit(self, allowed=None, *, groups=(), anonymous_code=CLOSE_UNAUTHENTICATED):
        """The one way a socket lets its person in: anonymous -> `anonymous_code`; signed
        in but not `allowed(user)` (run in the gym's schema) -> 4403; else join `groups`
        (names, or a function of the user), accept, and keep checking the session and
        `allowed`. Returns the user, or None when the socket was closed."""
        user = self.scope.get("user")
        if not (user and user.is_authenticated):
            await self.close(code=anonymous_code)
            return None
        allowed = allowed or _anyone
        if not await self.db(allowed, user):
            await self.close(code=CLOSE_FORBIDDEN)
            return None
        for name in groups(user) if callable(groups) else groups:
            await self.join(name)  # before accepting, so no event falls in between
        await self.accept()
        self.keep_checking(allowed)
        return user

    def keep_checking(self, allowed) -> None:
        """Every ACCESS_RECHECK_SECONDS, read the socket's session again and close the
        socket (4403) unless it still signs in the same user and `allowed(user)` holds.
        `allowed` runs in the gym's schema (it may look up permissions)."""
        self._access_task = asyncio.create_task(self._check_access(allowed))

    async def _check_access(self, allowed) -> None:
        user_id, session_key = self.scope["user"].pk, self.scope.get("session_key")

        def still_allowed() -> bool:
            user = _session_user(session_key)
            return user.is_authenticated and user.pk == user_id and bool(allowed(user))

        while True:
            await asyncio.sleep(ACCESS_RECHECK_SECONDS)
            try:
                ok = await self.db(still_allowed)
            except Exception:  # a database hiccup: look again next time
                logger.warning("Socket access re-check failed", exc_info=True)
                continue
            if not ok:
                await self.close(code=CLOSE_FORBIDDEN)
                return

    async def disconnect(self, code):
        if self._access_task is not None:
            self._access_task.cancel()
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        """Sockets that only listen understand `ping`; anything else gets an error frame."""
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_json(
                {
                    "type": "error",
                    "code": "unknown_message",
                    "message": "Only 'ping' is understood here.",
                }
            )

    async def event_message(self, event):
        """A group event (apps.common.realtime.broadcast_on_commit) passed on as is."""
        await self.send_json({"type": event["event"], "payload": event["payload"]})

    @classmethod
    async def decode_json(cls, text_data):
        return jsonparse.loads(text_data)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # A malformed frame gets an error frame; the connection stays up.
        if text_data is None:
            await self.send_json(
                {"type": "error", "code": "malformed", "message": "Send JSON text frames."}
            )
            return
        if len(text_data) > MAX_FRAME_CHARS:
            await self.send_json(
                {
                    "type": "error",
                    "code": "too_large",
                    "message": f"Messages are at most {MAX_FRAME_CHARS} characters.",
                }
            )
            return
        try:
            content = await self.decode_json(text_data)
        except jsonparse.JsonTooDeep:
            await self.send_json(
                {
                    "type": "error",
                    "code": "malformed",
                    "message": f"The message nests more than {jsonparse.MAX_DEPTH} levels.",
                }
            )
            return
        except ValueError:
            await self.send_json(
                {"type": "error", "code": "malformed", "message": "The message is not valid JSON."}
            )
            return
        await self.receive_json(content, **kwargs)
