"""Telegram handlers: commands, questions, other content, errors.

Privacy: nothing a user writes, and no name, is ever logged. Chats appear in
logs only as a salted hash that changes with every start of the bot.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
from dataclasses import dataclass

from telegram import LinkPreviewOptions, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from index.search import Retriever

from .buttons import PAGES, send_answer
from .render import render_help, render_sources, render_welcome

__all__ = ["BotState", "MAX_QUESTION_CHARS", "start", "help_command", "sources_command", "question", "unsupported", "unknown_command", "on_error"]

logger = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_SALT = secrets.token_bytes(16)


@dataclass
class BotState:
    """What every handler needs, kept in ``application.bot_data["state"]``."""

    retriever: Retriever
    answer_passages: int = 3


def chat_tag(chat_id: int | None) -> str:
    """A log-safe stand-in for a chat id: stable within one run, meaningless outside it."""
    return hashlib.sha256(_SALT + str(chat_id).encode()).hexdigest()[:10]


def _state(context: ContextTypes.DEFAULT_TYPE) -> BotState:
    return context.application.bot_data["state"]


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet, and say what the bot knows."""
    sources = _state(context).retriever.sources()
    await update.effective_message.reply_html(render_welcome(sources), link_preview_options=_NO_PREVIEW)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain how to ask and how answers cite."""
    await update.effective_message.reply_html(render_help(), link_preview_options=_NO_PREVIEW)


async def sources_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the articles with links to the originals."""
    for text in render_sources(_state(context).retriever.sources()):
        await update.effective_message.reply_html(text, link_preview_options=_NO_PREVIEW)


async def question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a text message with the passages that answer it."""
    message = update.effective_message
    text = _strip_mention(message.text or "", context.bot.username)
    if not text:
        await message.reply_text("Send me a question in words, and I'll quote the articles that answer it.")
        return
    if len(text) > MAX_QUESTION_CHARS:
        await message.reply_text(
            f"That message is {len(text)} characters long. Please ask a question of at most "
            f"{MAX_QUESTION_CHARS} characters."
        )
        return
    state = _state(context)
    started = time.perf_counter()
    try:
        await context.bot.send_chat_action(message.chat_id, ChatAction.TYPING)
    except TelegramError:  # the indicator is a nicety; the answer matters
        pass
    # Encoding and search are CPU-bound: off the event loop, so other chats keep flowing.
    # A few pages at once, so the More button needs no second search and no copy of the question.
    answer = await asyncio.to_thread(state.retriever.search, text, state.answer_passages * PAGES)
    await send_answer(message, answer, context)
    logger.info(
        "answered chat=%s answered=%s passages=%d ms=%.0f",
        chat_tag(message.chat_id),
        answer.answered,
        len(answer.passages),
        (time.perf_counter() - started) * 1000,
    )


def _strip_mention(text: str, username: str | None) -> str:
    if username:
        text = text.replace(f"@{username}", " ")
    return text.strip()


async def unsupported(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice and other media: say what works instead."""
    await update.effective_message.reply_text("I can only read text. Please type your question.")


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command the bot does not have."""
    if update.effective_chat and update.effective_chat.type != ChatType.PRIVATE:
        return  # in groups, other bots' commands are none of our business
    await update.effective_message.reply_text("I don't know that command. Try /help, or just ask a question.")


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure without any message content, apologise, and keep serving."""
    update_id = update.update_id if isinstance(update, Update) else None
    logger.error("update %s failed", update_id, exc_info=context.error)
    if isinstance(update, Update) and update.effective_message:
        try:
            await update.effective_message.reply_text("Sorry, something went wrong on my side. Please try again.")
        except TelegramError:
            logger.warning("could not send the apology for update %s", update_id)
