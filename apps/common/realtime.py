"""Realtime events: group names carry the schema; sends happen after commit."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection, transaction


def tenant_group(name: str, schema_name: str | None = None) -> str:
    """`<schema>.<name>`: a gym's sockets never join another gym's group."""
    return f"{schema_name or connection.schema_name}.{name}"


def broadcast_on_commit(name: str, event: str, payload: dict) -> None:
    """Send `event` to the current gym's group `name` once the transaction commits."""
    group = tenant_group(name)

    def send() -> None:
        async_to_sync(get_channel_layer().group_send)(
            group, {"type": "event.message", "event": event, "payload": payload}
        )

    transaction.on_commit(send)
