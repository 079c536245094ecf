"""Inline mode: ``@bot question`` in any chat offers the top passages to send there.

Each result is one passage with its citation and text-fragment link, plus a
button that opens the passage in a private chat with the bot. Inline mode is
off until it is switched on with BotFather's ``/setinline`` (see README).
"""

from __future__ import annotations

import asyncio
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryResultArticle, InputTextMessageContent, LinkPreviewOptions, Update
from telegram.ext import ContextTypes

from index.models import Passage
from index.search import Retriever

from .links import deep_link, passage_token
from .metrics import metrics_of
from .render import render_shared

__all__ = ["INLINE_RESULTS", "on_inline_query", "inline_result"]

logger = logging.getLogger(__name__)

INLINE_RESULTS = 5
# Results depend only on the question and the corpus, so Telegram may share them between users.
_CACHE_SECONDS = 300
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def inline_result(passage: Passage, bot_username: str) -> InlineQueryResultArticle:
    link = deep_link(bot_username, passage)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Open with context", url=link)]]) if link else None
    place = f"{passage.publisher}, {passage.location}" if passage.publisher else passage.location
    return InlineQueryResultArticle(
        id=passage_token(passage),
        title=_cut(passage.highlight, 120),
        description=f"{_cut(passage.title, 80)} — {place}",
        input_message_content=InputTextMessageContent(
            render_shared(passage, bot_username=bot_username), parse_mode="HTML", link_preview_options=_NO_PREVIEW
        ),
        reply_markup=keyboard,
    )


def _cut(text: str, size: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


async def on_inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer the passages that answer the typed question; nothing when the articles don't cover it."""
    query = update.inline_query
    question = query.query.strip()
    results: list[InlineQueryResultArticle] = []
    if question:
        state = context.application.bot_data["state"]
        retriever: Retriever = state.retriever
        answer = await asyncio.to_thread(retriever.search, question, INLINE_RESULTS)
        if answer.answered:
            results = [inline_result(p, context.bot.username or "") for p in answer.passages]
    await query.answer(results, cache_time=_CACHE_SECONDS)
    logger.info("inline query answered results=%d", len(results))
    metrics_of(context).inline_queries.labels("answered" if results else "declined" if question else "empty").inc()
