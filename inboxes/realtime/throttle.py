"""Per-visitor limits of socket frames (messages, typing): token buckets in the server process.

A frame costs one token; a bucket holds `capacity` tokens and refills `capacity` per `period`
(the rate setting "10/10s": 10 at once, then one a second). Frames that find it empty are
refused with how long to wait for the next token, and they spend a second bucket of the same
size, of strikes: a client that waits as told never runs out of strikes, one that keeps
sending regardless does within another bucketful of frames, and is then abusive (its socket is
closed).

Buckets are kept per visitor (schema, contact), shared by that visitor's sockets in this
process, and outlive a socket: reconnecting does not refill them. A bucket that has refilled
completely is the same as a new one, so those are dropped now and then. Nothing here touches
Redis or the database, so a frame costs a dictionary look-up and some arithmetic; with several
server processes a visitor's sockets spread over them can use one bucket in each.

Written out rather than taken from the `limits` package: its in-memory storages sweep every
key on a timer (or schedule a sweep task on each hit), and its Redis storage is a round trip
per frame, which is what this hot path must not pay.
"""

from __future__ import annotations

import re
import time
from collections.abc import Hashable
from typing import NamedTuple

from django.conf import settings

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd]?)\s*$")
PRUNE_EVERY_SECONDS = 60.0


def rate_parse(rate: str) -> tuple[int, float]:
    """("10/10s") → (10, 10.0): a count and a period in seconds, as django-ratelimit reads
    the same settings."""
    match = RATE.match(rate)
    if match is None:
        raise ValueError(f"Not a rate (<count>/<period>, e.g. 10/10s): {rate!r}")
    count, multiplier, unit = match.groups()
    return int(count), float(int(multiplier or 1) * PERIODS[unit or "s"])


class Verdict(NamedTuple):
    allowed: bool
    retry_after: float  # seconds until the next token (0 when allowed)
    abusive: bool  # refused beyond a bucketful of strikes


ALLOWED = Verdict(True, 0.0, False)


class _Bucket:
    __slots__ = ("strikes", "tokens", "when")

    def __init__(self, capacity: float, now: float) -> None:
        self.tokens = capacity
        self.strikes = capacity
        self.when = now


class Throttle:
    """The buckets of one limit (one rate) for every visitor in this process."""

    def __init__(self, capacity: int, period: float) -> None:
        if capacity < 1 or period <= 0:
            raise ValueError("A throttle needs a count of at least 1 and a positive period")
        self.capacity = float(capacity)
        self.per_second = capacity / period
        self.full_after = period  # an untouched bucket is full again after one period
        self.buckets: dict[Hashable, _Bucket] = {}
        self.pruned_at = time.monotonic()

    def hit(self, key: Hashable, now: float | None = None) -> Verdict:
        """Spend a token of `key`'s bucket, or say how long to wait for one (`now`: a
        time.monotonic() reading, taken here when not given)."""
        if now is None:
            now = time.monotonic()
        bucket = self.buckets.get(key)
        if bucket is None:
            if now - self.pruned_at > PRUNE_EVERY_SECONDS:
                self._prune(now)
            bucket = self.buckets[key] = _Bucket(self.capacity, now)
        else:
            refill = (now - bucket.when) * self.per_second
            bucket.tokens = min(self.capacity, bucket.tokens + refill)
            bucket.strikes = min(self.capacity, bucket.strikes + refill)
            bucket.when = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return ALLOWED
        bucket.strikes -= 1.0
        wait = (1.0 - bucket.tokens) / self.per_second
        return Verdict(False, wait, bucket.strikes < 0.0)

    def _prune(self, now: float) -> None:
        """Drop the buckets that have refilled completely (no different from new ones)."""
        self.pruned_at = now
        horizon = now - self.full_after
        for key in [k for k, b in self.buckets.items() if b.when <= horizon]:
            del self.buckets[key]


_throttles: dict[tuple[str, str], Throttle] = {}


def throttle_for(setting: str) -> Throttle | None:
    """The process's throttle for the rate in `setting`; None when it (or every rate limit,
    `RATELIMIT_ENABLE`) is off. Read when a socket connects."""
    rate = getattr(settings, setting) or ""
    if not rate or not settings.RATELIMIT_ENABLE:
        return None
    throttle = _throttles.get((setting, rate))
    if throttle is None:
        throttle = _throttles[(setting, rate)] = Throttle(*rate_parse(rate))
    return throttle
