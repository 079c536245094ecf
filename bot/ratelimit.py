"""Per-user token buckets, held in memory only, bounded in size, forgotten once idle.

A user may ask ``burst`` questions at once, then one more every
``60 / per_minute`` seconds. The first message refused after an allowed one is
answered with a "slow down" note; the rest are dropped silently, so a flood
never turns into a flood of replies.

Privacy: a bucket holds a user id, a token count and two timestamps, nothing
else. A bucket that has refilled is the same as no bucket, so it is dropped;
at most ``max_users`` are kept, the least recently seen going first.
"""

from __future__ import annotations

import enum
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Verdict", "RateLimiter"]


class Verdict(enum.Enum):
    ALLOW = "allow"
    WARN = "warn"  # refused: say "slow down", once
    DROP = "drop"  # refused again: say nothing


@dataclass
class _Bucket:
    tokens: float
    updated: float
    warned: bool = False


class RateLimiter:
    def __init__(self, per_minute: float, burst: int, *, max_users: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.max_users = max_users
        self.clock = clock
        self._buckets: OrderedDict[int, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def check(self, user_id: int) -> Verdict:
        now = self.clock()
        self._expire(now)
        bucket = self._buckets.pop(user_id, None) or _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        self._buckets[user_id] = bucket  # most recently seen last
        if len(self._buckets) > self.max_users:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            bucket.warned = False
            return Verdict.ALLOW
        if bucket.warned:
            return Verdict.DROP
        bucket.warned = True
        return Verdict.WARN

    def retry_in(self, user_id: int) -> float:
        """Seconds until ``user_id`` may ask again (0 when they may now)."""
        bucket = self._buckets.get(user_id)
        if bucket is None or bucket.tokens >= 1.0:
            return 0.0
        return (1.0 - bucket.tokens) / self.rate if self.rate else float("inf")

    def _expire(self, now: float) -> None:
        # Oldest first: stop at the first bucket that has not refilled yet.
        full_after = self.burst / self.rate if self.rate else float("inf")
        while self._buckets:
            user_id, bucket = next(iter(self._buckets.items()))
            if now - bucket.updated < full_after:
                break
            del self._buckets[user_id]
