"""Door sockets.

`/ws/kiosk/`: a kiosk authenticates with its token in its first message (not the URL, so
the token never lands in proxy access logs), then sends scans and heartbeats and gets
results and config. Protocol: docs/attendance.md.

`/ws/occupancy/`: staff dashboards follow check-ins live (session cookie auth).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.layers import get_channel_layer
from django.db import DatabaseError, close_old_connections
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.attendance.hub import hub_for
from apps.attendance.selectors import kiosk_config, kiosk_config_by_id, occupancy_count
from apps.attendance.services import (
    DOOR_LAYER,
    KIOSKS_GROUP,
    OCCUPANCY_GROUP,
    kiosk_authenticate,
    kiosk_group,
    kiosk_scan,
    kiosk_seen,
)
from apps.common.channels import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED, TenantJsonConsumer
from apps.common.realtime import tenant_group

logger = logging.getLogger(__name__)

AUTH_TIMEOUT_SECONDS = 10
# Token bucket per connection: bursts of 20 messages, 10 a second sustained. A kiosk
# replaying its offline buffer paces itself by the `retry_after` of a `throttled` error.
BUCKET_SIZE = 20
BUCKET_RATE = 10.0
HEARTBEAT_WRITE_SECONDS = 30
MAX_KEY_LENGTH = 100


# Channels' database_sync_to_async runs Django's request-end upkeep around every call:
# the connection's age check, then a health-check `SELECT 1` before the next query, one
# more round trip for each scan. Door threads do that upkeep every few seconds instead,
# and at once after a database error (CONN_MAX_AGE and CONN_HEALTH_CHECKS still apply).
UPKEEP_SECONDS = 5.0
_upkeep = threading.local()


def _connection_upkeep() -> None:
    now = time.monotonic()
    if now >= getattr(_upkeep, "due", 0.0):
        close_old_connections()
        _upkeep.due = now + UPKEEP_SECONDS


class KioskConsumer(TenantJsonConsumer):
    kiosk_id: int | None = None

    async def db(self, fn, *args, **kwargs):
        # Scans of different kiosks run in parallel threads (the event loop's bounded
        # default pool, each thread with its own database connection); Channels' default
        # runs every socket's database work in one thread, which caps a server at one
        # scan's round trips at a time.
        tenant = self.tenant

        def run():
            _connection_upkeep()
            try:
                with tenant_context(tenant):
                    return fn(*args, **kwargs)
            except DatabaseError:
                _upkeep.due = 0.0  # a broken connection is replaced before the next call
                raise

        return await sync_to_async(run, thread_sensitive=False)()

    async def dispatch(self, message):
        # Channels runs close_old_connections in its one shared sync thread before each
        # message: a thread hop per scan, queued behind every other socket's. Door work
        # runs in pool threads that keep their own connections fresh (see db()).
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        self.kiosk_id = None
        self.tokens = float(BUCKET_SIZE)
        self.refilled = time.monotonic()
        self.last_seen_write = 0.0
        # Accepted first, then closed with a code: a real client sees 4401, whereas a
        # refusal during the handshake reaches it only as HTTP 403.
        await self.accept()
        self.auth_deadline = asyncio.get_running_loop().call_later(
            AUTH_TIMEOUT_SECONDS, lambda: asyncio.ensure_future(self._auth_timeout())
        )

    async def _auth_timeout(self):
        if self.kiosk_id is None:
            await self._refuse("auth_timeout", "Send hello with the kiosk token first.")

    async def _refuse(self, code: str, message: str):
        await self.send_json({"type": "error", "code": code, "message": message})
        await self.close(code=CLOSE_UNAUTHENTICATED)

    async def disconnect(self, code):
        deadline = getattr(self, "auth_deadline", None)
        if deadline is not None:
            deadline.cancel()
        await super().disconnect(code)

    def _take_token(self) -> float:
        """0 if the message may go through, else seconds until it could."""
        now = time.monotonic()
        self.tokens = min(BUCKET_SIZE, self.tokens + (now - self.refilled) * BUCKET_RATE)
        self.refilled = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / BUCKET_RATE

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        wait = self._take_token()
        if wait:
            await self.send_json(
                {
                    "type": "error",
                    "code": "throttled",
                    "message": "Too many messages; this one was dropped.",
                    "retry_after": round(wait, 2),
                }
            )
            return
        await super().receive(text_data=text_data, bytes_data=bytes_data, **kwargs)

    async def _error(self, code: str, message: str, **extra):
        await self.send_json({"type": "error", "code": code, "message": message, **extra})

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        if self.kiosk_id is None:
            if kind != "hello":
                await self._refuse("unauthenticated", "Send hello with the kiosk token first.")
                return
            await self._hello(content)
        elif kind == "scan":
            await self._scan(content)
        elif kind == "heartbeat":
            await self._heartbeat()
        elif kind == "hello":
            await self._error("already_authenticated", "This socket is already authenticated.")
        else:
            await self._error(
                "unknown_message",
                "Known message types: hello, scan, heartbeat.",
                received=kind if isinstance(kind, str) and len(kind) <= 40 else None,
            )

    async def _hello(self, content):
        kiosk = await self.db(kiosk_authenticate, token=content.get("token"))
        if kiosk is None:
            await self._refuse("invalid_token", "Unknown or revoked kiosk token.")
            return
        self.kiosk_id = kiosk.pk
        self.auth_deadline.cancel()
        await self.join(kiosk_group(kiosk.pk))
        await self.join(KIOSKS_GROUP)
        await self.db(kiosk_seen, kiosk_id=kiosk.pk)
        self.last_seen_write = time.monotonic()
        await self.send_json({"type": "config", **await self.db(kiosk_config, kiosk=kiosk)})

    async def _scan(self, content):
        code, key = content.get("code"), content.get("idempotency_key")
        # Only a well-formed key is echoed: an answer is never bigger than its field limits.
        valid_key = isinstance(key, str) and 0 < len(key) <= MAX_KEY_LENGTH
        if not isinstance(code, str) or not code or len(code) > 200:
            await self._error(
                "invalid_scan", "code must be a non-empty string.", key=key if valid_key else None
            )
            return
        if not valid_key:
            await self._error(
                "invalid_scan",
                f"idempotency_key must be a string of 1 to {MAX_KEY_LENGTH} characters.",
                key=None,
            )
            return
        direction = content.get("direction")
        result = await self.db(
            kiosk_scan,
            kiosk_id=self.kiosk_id,
            code=code,
            idempotency_key=key,
            client_ts=content.get("client_ts"),
            direction=direction if direction in ("in", "out") else None,
        )
        if result is None:  # revoked meanwhile (and the revocation event was missed)
            await self._refuse("invalid_token", "This kiosk has been revoked.")
            return
        answer, events = result
        self.last_seen_write = time.monotonic()
        await self.send_json({"type": "result", "idempotency_key": key, **answer})
        # Committed: now tell the dashboards. The socket is the fast path; a failed send
        # loses nothing (dashboards re-read REST after reconnecting).
        for name, event, payload in events:
            try:
                await get_channel_layer(DOOR_LAYER).group_send(
                    tenant_group(name, self.tenant.schema_name),
                    {"type": "event.message", "event": event, "payload": payload},
                )
            except Exception:  # see comment above
                logger.warning("Occupancy event %s was not delivered", event, exc_info=True)

    async def _heartbeat(self):
        if time.monotonic() - self.last_seen_write > HEARTBEAT_WRITE_SECONDS:
            await self.db(kiosk_seen, kiosk_id=self.kiosk_id)
            self.last_seen_write = time.monotonic()
        await self.send_json({"type": "heartbeat", "server_time": timezone.now().isoformat()})

    async def event_message(self, event):
        if event["event"] == "kiosk.revoked":
            await self._refuse("revoked", "This kiosk has been revoked.")
        elif event["event"] == "config.changed" and self.kiosk_id is not None:
            config = await self.db(kiosk_config_by_id, kiosk_id=self.kiosk_id)
            if config is not None:
                await self.send_json({"type": "config", **config})


def _may_watch(user) -> bool:
    return user.is_gym_staff and user.has_perm("attendance.view_visit")


class OccupancyConsumer(TenantJsonConsumer):
    """Staff who may see visits get `hello` (with the count) and then every door event."""

    # No channel of its own: its events come from the process's hub. (An alias that names
    # no layer leaves Channels without a per-socket channel and its pending receive, which
    # for hundreds of dashboards costs channels-redis' shared receive loop.)
    channel_layer_alias = "attendance-hub-only"

    async def connect(self):
        if await self.admit(_may_watch, anonymous_code=CLOSE_FORBIDDEN) is None:
            return
        # Not a group member of its own: the process's hub for this gym hands it events.
        layer = get_channel_layer(DOOR_LAYER)
        self.hub = hub_for(layer, OCCUPANCY_GROUP, self.tenant.schema_name)
        await self.hub.add(self)
        await self.send_json({"type": "hello", "count": await self.db(occupancy_count)})

    async def disconnect(self, code):
        hub = getattr(self, "hub", None)
        if hub is not None:
            await hub.discard(self)
        await super().disconnect(code)
