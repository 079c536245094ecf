"""Telegram handlers: commands, questions, buttons, other content, errors.

Privacy: nothing a user writes, and no name, is ever logged. Chats appear in
logs only as a salted hash that changes with every start of the bot.

Every update has passed ``bot.gate`` first: these handlers only see what is
theirs to answer.
"""

from __future__ import annotations

import asyncio
import logging
import time

from telegram import LinkPreviewOptions, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from .access import valid_start_payload
from .buttons import PAGES, send_answer
from .metrics import metrics_of
from .render import render_help, render_privacy, render_sources, render_welcome
from .state import chat_tag, state_of

__all__ = [
    "MAX_QUESTION_CHARS", "start", "help_command", "sources_command", "privacy_command",
    "ask_command", "question", "unknown_callback", "unsupported", "nothing_to_answer", "unknown_command", "on_error",
]

logger = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet, and say what the bot knows, whatever payload came along.

    Deep-link payloads are checked against Telegram's own alphabet by
    ``valid_start_payload``; handlers that understand a payload are added before
    this one, so a payload that reaches here is unknown, stale or forged and
    gets the ordinary welcome.
    """
    if context.args and valid_start_payload(context.args) is None:
        logger.info("ignored a malformed /start payload in chat=%s", chat_tag(update.effective_chat.id))
    await send_welcome(update, context)


async def send_welcome(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    sources = state_of(context).retriever.sources()
    await update.effective_message.reply_html(render_welcome(sources), link_preview_options=_NO_PREVIEW)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain how to ask and how answers cite."""
    await update.effective_message.reply_html(render_help(), link_preview_options=_NO_PREVIEW)


async def sources_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the articles with links to the originals."""
    for text in render_sources(state_of(context).retriever.sources()):
        await update.effective_message.reply_html(text, link_preview_options=_NO_PREVIEW)


async def privacy_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say what the bot keeps about the people who use it: nothing."""
    await update.effective_message.reply_html(render_privacy(), link_preview_options=_NO_PREVIEW)


async def ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask QUESTION: the way to ask in a group without a mention."""
    message = update.effective_message
    text = message.text or ""
    command = next((e for e in message.entities if e.type == "bot_command" and e.offset == 0), None)
    await answer_question(update, context, text[command.length :] if command else text.partition(" ")[2])


async def question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a text message with the passages that answer it."""
    await answer_question(update, context, update.effective_message.text or "")


async def answer_question(update: Update, context: ContextTypes.DEFAULT_TYPE, raw: str) -> None:
    message = update.effective_message
    text = _clean(raw, context.bot.username)
    if not text:
        await nothing_to_answer(update, context)
        return
    if len(text) > MAX_QUESTION_CHARS:
        await message.reply_text(
            f"That message is {len(text)} characters long. Please ask a question of at most "
            f"{MAX_QUESTION_CHARS} characters."
        )
        return
    state = state_of(context)
    started = time.perf_counter()
    try:
        await context.bot.send_chat_action(message.chat_id, ChatAction.TYPING)
    except TelegramError:  # the indicator is a nicety; the answer matters
        pass
    # Encoding and search are CPU-bound: off the event loop, so other chats keep flowing.
    # A few pages at once, so the More button needs no second search and no copy of the question.
    answer = await asyncio.to_thread(state.retriever.search, text, state.answer_passages * PAGES)
    await send_answer(message, answer, context)
    metrics_of(context).question(answer.answered, time.perf_counter() - started)
    logger.info(
        "answered chat=%s answered=%s passages=%d ms=%.0f",
        chat_tag(message.chat_id),
        answer.answered,
        len(answer.passages),
        (time.perf_counter() - started) * 1000,
    )


def _clean(text: str, username: str | None) -> str:
    """The question without the bot's @mention, NUL bytes or surrounding space."""
    if username:
        text = text.replace(f"@{username}", " ")
    return text.replace("\x00", " ").strip()


async def unknown_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any button press no other handler claimed: stale, forged or from an old version of the bot."""
    query = update.callback_query
    logger.info("unrecognised button press in chat=%s", chat_tag(update.effective_chat.id if update.effective_chat else None))
    metrics_of(context).button("other", "forged")
    await query.answer("This button no longer works. Send your question again, or try /help.")


async def unsupported(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice and other media: say what works instead."""
    await update.effective_message.reply_text("I can only read text. Please type your question.")


async def nothing_to_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An empty question, or a kind of message that holds none."""
    await update.effective_message.reply_text("Send me a question in words, and I'll quote the articles that answer it.")


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command the bot does not have."""
    if update.effective_chat and update.effective_chat.type != ChatType.PRIVATE:
        return  # in groups, other bots' commands are none of our business
    await update.effective_message.reply_text("I don't know that command. Try /help, or just ask a question.")


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure without any message content, apologise, and keep serving."""
    update_id = update.update_id if isinstance(update, Update) else None
    logger.error("update %s failed", update_id, exc_info=context.error)
    metrics_of(context).error(context.error)
    if isinstance(update, Update) and update.effective_message:
        try:
            await update.effective_message.reply_text("Sorry, something went wrong on my side. Please try again.")
        except TelegramError:
            logger.warning("could not send the apology for update %s", update_id)
