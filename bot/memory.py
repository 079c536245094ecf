"""What the bot remembers between updates: in memory only, bounded, never written to disk.

``AnswerMemory`` keeps recent answers' passages (article text alone, never the
question or who asked) so the More and Sources buttons work for an hour.
``LanguageChoices`` keeps the language a user picked with /language, so the
bot keeps speaking it; a user who never picked one is not in it at all.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

from index.models import Passage

__all__ = ["AnswerMemory", "LanguageChoices"]


class AnswerMemory:
    """Recent answers' passages, by a random id: bounded, expiring, in memory only."""

    def __init__(self, capacity: int = 1000, ttl: float = 3600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity, self.ttl, self.clock = capacity, ttl, clock
        self._items: OrderedDict[str, tuple[float, tuple[Passage, ...]]] = OrderedDict()

    def remember(self, passages: Sequence[Passage]) -> str:
        self._expire()
        answer_id = secrets.token_urlsafe(6)  # 8 characters
        self._items[answer_id] = (self.clock() + self.ttl, tuple(passages))
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return answer_id

    def recall(self, answer_id: str) -> tuple[Passage, ...] | None:
        self._expire()
        item = self._items.get(answer_id)
        return item[1] if item else None

    def __len__(self) -> int:
        return len(self._items)

    def _expire(self) -> None:
        now = self.clock()
        while self._items and next(iter(self._items.values()))[0] <= now:
            self._items.popitem(last=False)


class LanguageChoices:
    """User id → the language they chose with /language; the least recently used go first past ``capacity``."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._choices: OrderedDict[int, str] = OrderedDict()

    def choose(self, user_id: int, lang: str) -> None:
        self._choices.pop(user_id, None)
        self._choices[user_id] = lang
        while len(self._choices) > self.capacity:
            self._choices.popitem(last=False)

    def chosen(self, user_id: int) -> str | None:
        lang = self._choices.get(user_id)
        if lang is not None:
            self._choices.move_to_end(user_id)
        return lang

    def __len__(self) -> int:
        return len(self._choices)
