"""Telegram's per-chat flood limits, as the loopback stand-in enforces them when asked to.

A private chat takes about one message a second, with a burst of three; a group
takes the same and, on top, at most 20 a minute. A message past either is
refused with 429 and the seconds to wait, as Telegram does. These are strict
token buckets, stricter than Telegram's own accounting, so a bot that passes
here has margin there.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# What Telegram counts against a chat: messages a user sees appear or change.
PACED_METHODS = frozenset({
    "sendMessage", "editMessageText", "sendPhoto", "sendDocument", "sendSticker", "copyMessage", "forwardMessage",
})


@dataclass
class _Bucket:
    capacity: float
    per_second: float
    tokens: float
    updated: float

    def wait(self, now: float) -> float:
        """Seconds until a token is there (0: there is one now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.per_second)
        self.updated = now
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.per_second


class ChatBuckets:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._chats: dict[int, list[_Bucket]] = {}

    def take(self, chat_id: int) -> int:
        """Spend a message in ``chat_id``; 0 if allowed, else the whole seconds to wait (retry_after)."""
        now = self._clock()
        with self._lock:
            buckets = self._chats.get(chat_id)
            if buckets is None:
                buckets = [_Bucket(3, 1.0, 3, now)]
                if chat_id < 0:
                    buckets.append(_Bucket(20, 20 / 60, 20, now))
                self._chats[chat_id] = buckets
            wait = max(b.wait(now) for b in buckets)
            if wait:
                return max(1, math.ceil(wait))
            for bucket in buckets:
                bucket.tokens -= 1.0
            return 0
