"""One channel-layer subscription per gym and process for the occupancy dashboards.

With one group member per dashboard socket, every door event costs the channel layer one
delivery per socket (channels-redis pops them one Redis round trip at a time), and a gym
with 10 dashboards open turns 50 scans/s into 500 deliveries/s. Here the first dashboard
of a gym in this process subscribes a hub channel to `<schema>.occupancy`; the hub gets
each event once and hands it to the process's sockets of that gym directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

from apps.common.realtime import tenant_group

logger = logging.getLogger(__name__)

# channels-redis forgets group members after a day (group_expiry): re-join well before.
REJOIN_SECONDS = 3600


class _Hub:
    def __init__(self, layer, group: str):
        self.layer = layer
        self.group = group
        self.sockets: set = set()
        self.channel: str | None = None
        self.task: asyncio.Task | None = None
        self.lock = asyncio.Lock()

    async def add(self, consumer) -> None:
        async with self.lock:
            self.sockets.add(consumer)
            if self.task is None:
                self.channel = await self.layer.new_channel()
                await self.layer.group_add(self.group, self.channel)
                self.task = asyncio.create_task(self._run(self.channel))

    async def discard(self, consumer) -> None:
        async with self.lock:
            self.sockets.discard(consumer)
            if self.sockets or self.task is None:
                return
            self.task.cancel()
            self.task = None
            with contextlib.suppress(Exception):
                await self.layer.group_discard(self.group, self.channel)

    async def _run(self, channel: str) -> None:
        joined = time.monotonic()
        while True:
            try:
                message = await self.layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # a Redis hiccup must not end the hub
                logger.warning("Occupancy hub %s could not receive", self.group, exc_info=True)
                await asyncio.sleep(1)
                continue
            # Encoded once for all of this gym's dashboards in the process.
            text = json.dumps({"type": message["event"], "payload": message["payload"]})
            for consumer in list(self.sockets):
                try:
                    await consumer.send(text_data=text)
                except Exception:  # one broken socket must not stop others
                    logger.info("Occupancy event not delivered to one socket", exc_info=True)
            if time.monotonic() - joined > REJOIN_SECONDS:
                joined = time.monotonic()
                with contextlib.suppress(Exception):
                    await self.layer.group_add(self.group, channel)


# (event loop, layer, group) -> hub. A server has one loop; tests start one per scenario.
_hubs: dict[tuple, _Hub] = {}


def hub_for(layer, name: str, schema_name: str) -> _Hub:
    """The hub for group `name` of gym `schema_name` in this process and event loop."""
    loop = asyncio.get_running_loop()
    for key in [k for k in _hubs if k[0].is_closed()]:
        del _hubs[key]
    key = (loop, id(layer), tenant_group(name, schema_name))
    hub = _hubs.get(key)
    if hub is None:
        hub = _hubs[key] = _Hub(layer, key[2])
    return hub
