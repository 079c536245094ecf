"""What every handler shares, as one typed object: PTB's ``bot_data``, made a ``BotState`` through ``ContextTypes``.

Handlers take a ``BotContext``: ``context.state`` is the bot's state and
``context.t`` the translations for whoever sent the update (the language they
chose with /language, else their Telegram app's language, else English).
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

from telegram import Update, User
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from index.search import Retriever

from .access import AccessPolicy
from .config import BotConfig
from .i18n import DEFAULT, Translator, pick, translations
from .memory import AnswerMemory, LanguageChoices
from .ratelimit import RateLimiter

__all__ = ["BotContext", "BotState", "CONTEXT_TYPES", "chat_tag"]

_SALT = secrets.token_bytes(16)


@dataclass
class BotState:
    """The retriever, the access rules and everything the bot holds in memory.

    PTB creates it empty (``ContextTypes`` calls ``bot_data()`` with no
    arguments); ``configure`` fills it in before the first update.
    """

    retriever: Retriever = None  # type: ignore[assignment]  # set by configure() before any update is handled
    answer_passages: int = 3
    access: AccessPolicy = AccessPolicy()
    limiter: RateLimiter | None = None
    answers: AnswerMemory = field(default_factory=AnswerMemory)
    languages: LanguageChoices = field(default_factory=LanguageChoices)
    workers: int = 2  # search threads
    reload_seconds: int = 5
    reload_tasks: set[asyncio.Task] = field(default_factory=set)
    # Operations: Prometheus metrics and readiness (bot/metrics.py, bot/readiness.py), the web
    # server for /metrics, /healthz and /readyz, and the task probing Telegram.
    metrics: Any = None
    readiness: Any = None
    metrics_at: tuple[str, int | None] = ("127.0.0.1", None)
    web: Any = None
    probe: asyncio.Task | None = None
    admin: Any = None  # bot/admin.py's AdminState, when ADMIN_USER_IDS is set

    def configure(self, config: BotConfig, retriever: Retriever) -> None:
        self.retriever = retriever
        self.answer_passages = config.answer_passages
        # Operators need no separate place on ALLOWED_USER_IDS.
        allowed = config.allowed_user_ids and config.allowed_user_ids | config.admin_user_ids
        self.access = AccessPolicy(allowed, config.allow_groups)
        self.limiter = RateLimiter(config.rate_limit_per_minute, config.rate_limit_burst)
        self.workers = config.search_workers
        self.reload_seconds = config.reload_seconds

    def language_of(self, user: User | None) -> str:
        if user is None:
            return DEFAULT
        return self.languages.chosen(user.id) or pick(user.language_code)


class BotContext(CallbackContext[ExtBot, dict, dict, BotState]):
    """The context of one update, with the bot's typed state and the sender's language."""

    language: str = DEFAULT

    @classmethod
    def from_update(cls, update: object, application: Application) -> BotContext:
        context = super().from_update(update, application)
        if isinstance(update, Update):
            context.language = context.bot_data.language_of(update.effective_user)
        return context

    @property
    def state(self) -> BotState:
        return self.bot_data

    @property
    def t(self) -> Translator:
        return translations(self.language)


CONTEXT_TYPES = ContextTypes(context=BotContext, bot_data=BotState)


def chat_tag(chat_id: int | None) -> str:
    """A log-safe stand-in for a chat id: stable within one run, meaningless outside it."""
    return hashlib.sha256(_SALT + str(chat_id).encode()).hexdigest()[:10]
