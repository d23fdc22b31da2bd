"""The channel layer: channels_redis' pub/sub layer, made to live through a Redis outage.

The stock layer raises from `new_channel` / `group_add` while Redis is down (a new socket's
handshake then fails with a 500), and a subscription that failed is never made again, so a
socket opened during an outage stays deaf after Redis returns. Events published while the
subscriptions were down are gone for good (pub/sub keeps nothing).

Here each shard keeps what this process *wants* to hear (every local channel and group, which
the layer already tracks) apart from what Redis is subscribed to:

- a subscribe or unsubscribe that fails does not raise; the shard is marked lost and the
  consumer carries on (it can still send: sending is the database's job, not Redis');
- while lost, its receive task reconnects every `RETRY_SECONDS`, subscribes what is wanted and
  not yet subscribed, drops what is no longer wanted, and then hands every local consumer a
  `realtime.resync` message: the consumer tells its client, which fetches what it missed from
  the database by sequence number;
- any reconnect of the subscriber connection (also one redis-py makes by itself) counts as a
  loss, because events published meanwhile never reached it.

Written against the channels_redis version pinned in the lock files (it uses the shard's
private lock, pub/sub client and receive task).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels_redis.pubsub import (
    RedisPubSubChannelLayer,
    RedisPubSubLoopLayer,
    RedisSingleShardConnection,
)
from channels_redis.utils import _wrap_close, decode_hosts

from messenger.realtime import RESYNC_HANDLER

log = logging.getLogger(__name__)

RETRY_SECONDS = 0.5
RECEIVE_POLL_SECONDS = 0.1


def _name(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class ResilientShard(RedisSingleShardConnection):
    """One Redis server's subscriber connection, repaired after every loss (see the module)."""

    def __init__(self, host: dict[str, Any], channel_layer: RedisPubSubLoopLayer) -> None:
        super().__init__(host, channel_layer)
        self.lost = False
        self._watched: Any = None  # the redis-py connection whose reconnects we hear about

    async def subscribe(self, channel: str) -> None:
        self._ensure_redis()
        self._ensure_receiver()  # also the one that repairs: it must run even if this fails
        if self.lost:
            return  # the repair subscribes everything the layer wants, this one included
        try:
            await super().subscribe(channel)
        except Exception:
            self._lose("subscribe")
        else:
            self._watch()

    async def unsubscribe(self, channel: str) -> None:
        if self.lost:
            self._subscribed_to.discard(channel)  # the repair leaves it out
            return
        try:
            await super().unsubscribe(channel)
        except Exception:
            self._subscribed_to.discard(channel)
            self._lose("unsubscribe")

    def _lose(self, during: str) -> None:
        if not self.lost:
            log.warning(
                "channel layer lost Redis (%s); sockets resync when it is back",
                during,
                exc_info=True,
            )
        self.lost = True

    def _watch(self) -> None:
        connection = self._pubsub.connection if self._pubsub is not None else None
        if connection is not None and connection is not self._watched:
            connection.register_connect_callback(self._reconnected)
            self._watched = connection

    def _reconnected(self, _connection: Any) -> None:
        """redis-py reconnected the subscriber connection: whatever was published while it was
        away never reached us."""
        self.lost = True

    def _wanted(self) -> set[str]:
        layer = self.channel_layer
        return {name for name in [*layer.channels, *layer.groups] if layer._get_shard(name) is self}

    async def _repair(self) -> None:
        async with self._lock:
            self._ensure_redis()
            await self._pubsub.connect()  # raises while Redis is down; re-subscribes what it had
            self._watch()
            self.lost = False  # a reconnect from here on is a new loss
            wanted = self._wanted()
            # Sockets may join while SUBSCRIBE is on its way: until nothing is missing.
            while missing := wanted - {_name(n) for n in self._pubsub.channels}:
                await self._pubsub.subscribe(*missing)
                wanted = self._wanted()
            pending = {_name(n) for n in self._pubsub.pending_unsubscribe_channels}
            extra = {_name(n) for n in self._pubsub.channels} - wanted - pending
            if extra:
                await self._pubsub.unsubscribe(*extra)
            self._subscribed_to = wanted
        log.warning("channel layer has Redis back; %d sockets resync", len(self._local()))
        data = self.channel_layer.channel_layer.serialize({"type": RESYNC_HANDLER})
        for queue in self._local():
            queue.put_nowait(data)

    def _local(self) -> list[asyncio.Queue[bytes]]:
        return list(self.channel_layer.channels.values())

    async def _do_receiving(self) -> None:
        while True:
            try:
                if self.lost:
                    await self._repair()
                elif self._pubsub is not None and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=RECEIVE_POLL_SECONDS
                    )
                    self._receive_message(message)
                else:
                    await asyncio.sleep(RECEIVE_POLL_SECONDS)
            except (asyncio.CancelledError, GeneratorExit):
                raise
            except Exception:
                self._lose("receive")
                await asyncio.sleep(RETRY_SECONDS)


class ResilientLoopLayer(RedisPubSubLoopLayer):
    """The per-event-loop layer, with shards that survive an outage."""

    def __init__(self, hosts: Any = None, **kwargs: Any) -> None:
        super().__init__(hosts, **kwargs)
        self._shards = [ResilientShard(host, self) for host in decode_hosts(hosts)]


class ResilientPubSubChannelLayer(RedisPubSubChannelLayer):
    """`CHANNEL_LAYERS` backend: channels_redis' pub/sub layer with `ResilientShard`s."""

    def _get_layer(self) -> RedisPubSubLoopLayer:
        loop = asyncio.get_running_loop()
        try:
            return self._layers[loop]
        except KeyError:
            layer = ResilientLoopLayer(*self._args, **self._kwargs, channel_layer=self)
            self._layers[loop] = layer
            _wrap_close(self, loop)
            return layer
