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
