"""Realtime events: group names carry the schema; sends happen after commit."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import get_channel_layer
from django.db import connection, transaction

logger = logging.getLogger(__name__)


def tenant_group(name: str, schema_name: str | None = None) -> str:
    """`<schema>.<name>`: a gym's sockets never join another gym's group."""
    return f"{schema_name or connection.schema_name}.{name}"


def broadcast_on_commit(
    name: str, event: str, payload: dict, *, layer: str = DEFAULT_CHANNEL_LAYER
) -> None:
    """Send `event` to the current gym's group `name` (on channel layer `layer`) once the
    transaction commits.

    The socket is the fast path and REST the source of truth: a failed send is logged and
    never turns a saved change into an error (a client would retry and save it twice).
    """
    group = tenant_group(name)

    def send() -> None:
        try:
            async_to_sync(get_channel_layer(layer).group_send)(
                group, {"type": "event.message", "event": event, "payload": payload}
            )
        except Exception:  # see docstring
            logger.warning("Realtime event %s to %s was not delivered", event, group, exc_info=True)

    transaction.on_commit(send)


def broadcast_each_on_commit(
    messages: list[tuple[str, str, dict]], *, layer: str = DEFAULT_CHANNEL_LAYER
) -> None:
    """`broadcast_on_commit` for many `(name, event, payload)` at once: one event loop
    run for all of them (a notification to 10,000 members is 10,000 groups)."""
    if not messages:
        return
    schema = connection.schema_name

    async def send_all() -> None:
        channel_layer = get_channel_layer(layer)
        for name, event, payload in messages:
            await channel_layer.group_send(
                tenant_group(name, schema),
                {"type": "event.message", "event": event, "payload": payload},
            )

    def send() -> None:
        try:
            async_to_sync(send_all)()
        except Exception:  # as broadcast_on_commit: the socket is only the fast path
            logger.warning("Realtime events (%d) were not delivered", len(messages), exc_info=True)

    transaction.on_commit(send)
