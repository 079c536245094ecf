"""Answer each chat's messages one at a time, in the order they came; different chats at once.

With concurrent updates, two questions asked together in one chat would be
searched together and their answers (each perhaps split into several messages)
could interleave or swap. Since ``bot.pacing`` lets a chat receive only about a
message a second anyway, taking a chat's messages in turn costs its user
nothing, and keeps each answer whole and after the one asked before it.

Only new messages are ordered: a button press or an inline query must be
answered within seconds, so it never waits behind a chat's queue of answers.
A chat's turn is taken before PTB's concurrency slot, so a flood waiting in one
chat holds no slot that other chats need. Locks are kept only while in use.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import SimpleUpdateProcessor

__all__ = ["ChatOrder"]


class ChatOrder(SimpleUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._turns: dict[int, tuple[asyncio.Lock, list[int]]] = {}  # chat id → (lock, [waiters])

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.message.chat.id if isinstance(update, Update) and update.message else None
        if chat is None:
            return await super().process_update(update, coroutine)
        lock, waiters = self._turns.setdefault(chat, (asyncio.Lock(), [0]))
        waiters[0] += 1
        try:
            async with lock:  # asyncio.Lock wakes its waiters first come, first served
                await super().process_update(update, coroutine)
        finally:
            waiters[0] -= 1
            if not waiters[0]:
                del self._turns[chat]

    @property
    def chats(self) -> int:
        """Chats with a message in hand or waiting."""
        return len(self._turns)
