"""Pace what the bot sends, per chat and overall, so that Telegram never has to refuse it.

Telegram allows a bot about one message a second in one chat (a short burst is
tolerated), 20 a minute in one group, and about 30 a second overall; past that
it answers 429 with ``retry_after``. PTB's ``AIORateLimiter`` paces groups and
the whole bot, not each private chat, so one user's flood of questions drew
429s. ``ChatPacer`` gives every chat its own lane:

- a lane sends one request at a time, in the order they were made (a FIFO
  lock), so a split answer and the answers after it arrive in order;
- its leaky buckets hold the chat to its pace; the overall bucket is shared;
- one chat waiting on its bucket never holds up another chat.

A 429 that comes anyway (another process sharing the token, a stricter limit)
is waited out inside the lane and the request retried, a few times at most.

Privacy and memory: a lane is keyed by chat id and holds nothing else; it is
dropped once idle and its buckets have drained, so forgetting it loses nothing,
and at most ``max_chats`` idle lanes are kept.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

__all__ = ["ChatPacer", "Pace", "PRIVATE_PACE", "GROUP_PACES"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pace:
    """At most ``burst`` messages at once, then one every ``period / burst`` seconds."""

    burst: int
    period: float


# A tenth slower than Telegram's own figures: a request reaches Telegram a little
# after it leaves the bucket, and uneven network delay must not push two closer together.
PRIVATE_PACE = Pace(burst=3, period=3.3)
GROUP_PACES = (PRIVATE_PACE, Pace(burst=20, period=66.0))
# Requests that post nothing a user sees: Telegram does not count them against a chat.
_UNPACED = frozenset({"sendChatAction", "getChat", "getChatMember", "leaveChat"})


@dataclass
class _Lane:
    limiters: tuple[AsyncLimiter, ...]
    drained_after: float  # seconds for a full bucket to empty
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0
    last_used: float = 0.0


class ChatPacer(BaseRateLimiter[int]):
    """A PTB rate limiter: per-chat lanes and an overall bucket; retries a 429 after ``retry_after``."""

    def __init__(self, overall_per_second: float = 30, *, max_retries: int = 3, max_chats: int = 10_000,
                 private: Pace = PRIVATE_PACE, group: tuple[Pace, ...] = GROUP_PACES,
                 on_flood: Callable[[], None] | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._overall = AsyncLimiter(overall_per_second, 1.0)
        self._private, self._group = (private,), group
        self._max_retries, self._max_chats = max_retries, max_chats
        self._on_flood = on_flood or (lambda: None)
        self._clock = clock
        self._lanes: OrderedDict[int | str, _Lane] = OrderedDict()

    @property
    def chats(self) -> int:
        """Lanes held (no __len__: PTB tests a rate limiter for truth, and an empty one would be skipped)."""
        return len(self._lanes)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        self._lanes.clear()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        retries = rate_limit_args if rate_limit_args is not None else self._max_retries
        chat = _chat_key(data.get("chat_id"))
        if chat is None or endpoint in _UNPACED:
            return await self._send(callback, args, kwargs, (), retries)
        lane = self._lane(chat)
        try:
            async with lane.lock:
                return await self._send(callback, args, kwargs, lane.limiters, retries)
        finally:
            lane.users -= 1
            lane.last_used = self._clock()

    async def _send(self, callback: Callable[..., Coroutine[Any, Any, Any]], args: Any, kwargs: dict[str, Any],
                    limiters: tuple[AsyncLimiter, ...], retries: int) -> Any:
        for attempt in range(retries + 1):
            for limiter in (*limiters, self._overall):
                await limiter.acquire()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                self._on_flood()
                if attempt == retries:
                    raise
                wait = _seconds(exc.retry_after) + 0.1
                logger.info("Telegram asked to wait %.1f s (flood control); retrying", wait)
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _lane(self, chat: int | str) -> _Lane:
        lane = self._lanes.pop(chat, None)
        if lane is None:
            paces = self._group if isinstance(chat, str) or chat < 0 else self._private
            limiters = tuple(AsyncLimiter(p.burst, p.period) for p in paces)
            lane = _Lane(limiters, drained_after=max(p.period for p in paces))
        lane.users += 1  # in use: never forgotten until done
        lane.last_used = self._clock()
        self._lanes[chat] = lane  # most recently used last
        self._forget_idle()
        return lane

    def _forget_idle(self) -> None:
        now = self._clock()
        while self._lanes:
            chat, lane = next(iter(self._lanes.items()))  # the least recently used
            drained = now - lane.last_used >= lane.drained_after
            if lane.users or not (drained or len(self._lanes) > self._max_chats):
                break  # the rest were used more recently
            del self._lanes[chat]


def _chat_key(chat_id: object) -> int | str | None:
    if chat_id is None:
        return None
    try:
        return int(chat_id)  # PTB may pass a numeric id as a string
    except (TypeError, ValueError):
        return str(chat_id)  # "@channelname": a channel or supergroup


def _seconds(retry_after: int | dtm.timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, dtm.timedelta) else float(retry_after)
