"""What every handler shares: the retriever and the access rules, and a log-safe chat tag."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from telegram.ext import ContextTypes

from index.search import Retriever

from .access import AccessPolicy
from .ratelimit import RateLimiter

__all__ = ["BotState", "chat_tag", "state_of"]

_SALT = secrets.token_bytes(16)


@dataclass
class BotState:
    """What every handler needs, kept in ``application.bot_data["state"]``."""

    retriever: Retriever
    answer_passages: int = 3
    access: AccessPolicy = AccessPolicy()
    limiter: RateLimiter | None = None


def chat_tag(chat_id: int | None) -> str:
    """A log-safe stand-in for a chat id: stable within one run, meaningless outside it."""
    return hashlib.sha256(_SALT + str(chat_id).encode()).hexdigest()[:10]


def state_of(context: ContextTypes.DEFAULT_TYPE) -> BotState:
    return context.application.bot_data["state"]
