"""What /readyz reports: the bot has started, its index is sound, and Telegram has answered recently.

Telegram counts as reachable when any request got an HTTP answer within
``fresh_seconds``: long polling asks every few seconds, and in webhook mode
``probe`` asks getMe whenever nothing else has lately. A rebuilt index that
fails to load keeps the old one serving (``index.reload``) but makes the bot
not ready until a sound build is published, so a supervisor or an alert sees it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from telegram import Bot
from telegram.error import TelegramError
from telegram.request import HTTPXRequest

from index.reload import ReloadResult

__all__ = ["AnsweredRequest", "Readiness", "probe"]

logger = logging.getLogger(__name__)


class Readiness:
    def __init__(self, fresh_seconds: float = 90.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.fresh_seconds = fresh_seconds
        self.started = False
        self.index_error = ""
        self._clock = clock
        self._answered_at: float | None = None

    def telegram_answered(self) -> None:
        self._answered_at = self._clock()

    def telegram_silence(self) -> float:
        """Seconds since Telegram last answered anything (inf: never)."""
        return float("inf") if self._answered_at is None else self._clock() - self._answered_at

    def index_reloaded(self, result: ReloadResult) -> None:
        self.index_error = "" if result.reloaded else result.error

    def problems(self) -> list[str]:
        """Why the bot is not ready; empty when it is."""
        found = [] if self.started else ["starting: the index or the model is still loading"]
        if self.index_error:
            found.append(f"index: a rebuilt index failed to load; the previous one is still served: {self.index_error}")
        silence = self.telegram_silence()
        if silence > self.fresh_seconds:
            found.append("telegram: no answer yet" if silence == float("inf") else f"telegram: no answer for {silence:.0f} s")
        return found


class AnsweredRequest(HTTPXRequest):
    """PTB's HTTP transport, telling ``Readiness`` whenever Telegram answers (whatever the status)."""

    def __init__(self, readiness: Readiness, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._readiness = readiness

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        answer = await super().do_request(*args, **kwargs)  # a network failure raises instead
        self._readiness.telegram_answered()
        return answer


async def probe(bot: Bot, readiness: Readiness) -> None:
    """Ask getMe whenever Telegram has been quiet for a third of the freshness window."""
    every = readiness.fresh_seconds / 3
    while True:
        await asyncio.sleep(every)
        if readiness.telegram_silence() >= every:
            try:
                await bot.get_me()
            except TelegramError as exc:
                logger.warning("Telegram did not answer getMe: %s", type(exc).__name__)
