"""Inline mode: ``@bot question`` in any chat offers the top passages to send there.

Each result is one passage with its citation and text-fragment link, plus a
button that opens the passage in a private chat with the bot. Inline mode is
off until it is switched on with BotFather's ``/setinline`` (see README).
"""

from __future__ import annotations

import asyncio
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryResultArticle, InputTextMessageContent, Update

from index.formats import location
from index.models import Passage

from .i18n import ENGLISH, Translator
from .links import deep_link, passage_token
from .render import NO_PREVIEW, render_shared
from .state import BotContext
from .metrics import metrics_of

__all__ = ["INLINE_RESULTS", "on_inline_query", "inline_result"]

logger = logging.getLogger(__name__)

INLINE_RESULTS = 5
# Results depend on the question, the corpus and the language; Telegram caches them per query text for all
# users, so they are cached per user: one user's language never shows in another's results.
_CACHE_SECONDS = 300


def inline_result(passage: Passage, bot_username: str, t: Translator = ENGLISH) -> InlineQueryResultArticle:
    link = deep_link(bot_username, passage)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(t.gettext("Open with context"), url=link)]]) if link else None
    where = location(passage, t)
    place = f"{passage.publisher}, {where}" if passage.publisher else where
    return InlineQueryResultArticle(
        id=passage_token(passage),
        title=_cut(passage.highlight, 120),
        description=f"{_cut(passage.title, 80)} — {place}",
        input_message_content=InputTextMessageContent(
            render_shared(passage, bot_username=bot_username, t=t), parse_mode="HTML", link_preview_options=NO_PREVIEW
        ),
        reply_markup=keyboard,
    )


def _cut(text: str, size: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


async def on_inline_query(update: Update, context: BotContext) -> None:
    """Offer the passages that answer the typed question; nothing when the articles don't cover it."""
    query = update.inline_query
    question = query.query.strip()
    results: list[InlineQueryResultArticle] = []
    if question:
        answer = await asyncio.to_thread(context.state.retriever.search, question, INLINE_RESULTS)
        if answer.answered:
            results = [inline_result(p, context.bot.username or "", context.t) for p in answer.passages]
    await query.answer(results, cache_time=_CACHE_SECONDS, is_personal=True)
    logger.info("inline query answered results=%d", len(results))
    metrics_of(context).inline_queries.labels("answered" if results else "declined" if question else "empty").inc()
