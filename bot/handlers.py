"""Telegram handlers: commands, questions, buttons, other content, errors.

Privacy: nothing a user writes, and no name, is ever logged. Chats appear in
logs only as a salted hash that changes with every start of the bot.

Every update has passed ``bot.gate`` first: these handlers only see what is
theirs to answer. Replies are in the sender's language (``context.t``).
"""

from __future__ import annotations

import asyncio
import logging
import time

from telegram import Update
from telegram.constants import ChatAction, ChatType
from telegram.error import TelegramError

from .access import valid_start_payload
from .buttons import FORGED, send_answer
from .config import PAGES
from .i18n import LANGUAGES, language_name, translations
from .render import NO_PREVIEW, render_sources
from .state import BotContext, chat_tag
from .texts import render_help, render_privacy, render_welcome
from .metrics import metrics_of

__all__ = [
    "MAX_QUESTION_CHARS", "start", "help_command", "sources_command", "privacy_command", "language_command",
    "ask_command", "question", "unknown_callback", "unsupported", "nothing_to_answer", "unknown_command", "on_error",
]

logger = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000


async def start(update: Update, context: BotContext) -> None:
    """Greet, and say what the bot knows, whatever payload came along.

    Deep-link payloads are checked against Telegram's own alphabet by
    ``valid_start_payload``; handlers that understand a payload are added before
    this one, so a payload that reaches here is unknown, stale or forged and
    gets the ordinary welcome.
    """
    if context.args and valid_start_payload(context.args) is None:
        logger.info("ignored a malformed /start payload in chat=%s", chat_tag(update.effective_chat.id))
    await send_welcome(update, context)


async def send_welcome(update: Update, context: BotContext) -> None:
    sources = context.state.retriever.sources()
    await update.effective_message.reply_html(render_welcome(sources, context.t), link_preview_options=NO_PREVIEW)


async def help_command(update: Update, context: BotContext) -> None:
    """Explain how to ask and how answers cite."""
    await update.effective_message.reply_html(render_help(context.t), link_preview_options=NO_PREVIEW)


async def sources_command(update: Update, context: BotContext) -> None:
    """List the articles with links to the originals."""
    for text in render_sources(context.state.retriever.sources(), context.t):
        await update.effective_message.reply_html(text, link_preview_options=NO_PREVIEW)


async def privacy_command(update: Update, context: BotContext) -> None:
    """Say what the bot keeps about the people who use it: nothing."""
    await update.effective_message.reply_html(render_privacy(context.t), link_preview_options=NO_PREVIEW)


async def language_command(update: Update, context: BotContext) -> None:
    """/language ru|en: answer in that language from now on (kept in memory only); bare or unknown: say the choices."""
    message = update.effective_message
    choice = (context.args[0] if context.args else "").lower()
    if choice in LANGUAGES and update.effective_user is not None:
        context.state.languages.choose(update.effective_user.id, choice)
        t = translations(choice)
        await message.reply_text(t.gettext("I will answer in %(language)s.") % {"language": language_name(choice)})
        return
    choices = ", ".join(f"/language {lang} ({language_name(lang)})" for lang in LANGUAGES)
    if choice:
        text = context.t.gettext("I don't speak %(choice)s. Choose one of: %(choices)s.")
    else:
        text = context.t.gettext("I answer in %(language)s. To change it, send one of: %(choices)s.")
    await message.reply_text(text % {"choice": choice[:20], "language": language_name(context.language), "choices": choices})


async def ask_command(update: Update, context: BotContext) -> None:
    """/ask QUESTION: the way to ask in a group without a mention."""
    message = update.effective_message
    text = message.text or ""
    command = next((e for e in message.entities if e.type == "bot_command" and e.offset == 0), None)
    await answer_question(update, context, text[command.length :] if command else text.partition(" ")[2])


async def question(update: Update, context: BotContext) -> None:
    """Answer a text message with the passages that answer it."""
    await answer_question(update, context, update.effective_message.text or "")


async def answer_question(update: Update, context: BotContext, raw: str) -> None:
    message = update.effective_message
    text = _clean(raw, context.bot.username)
    if not text:
        await nothing_to_answer(update, context)
        return
    if len(text) > MAX_QUESTION_CHARS:
        t = context.t
        size = t.ngettext("That message is %(length)d character long.", "That message is %(length)d characters long.", len(text))
        limit = t.ngettext(
            "Please ask a question of at most %(limit)d character.", "Please ask a question of at most %(limit)d characters.", MAX_QUESTION_CHARS
        )
        await message.reply_text(f"{size % {'length': len(text)}} {limit % {'limit': MAX_QUESTION_CHARS}}")
        return
    state = context.state
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


async def unknown_callback(update: Update, context: BotContext) -> None:
    """Any button press no other handler claimed: stale, forged or from an old version of the bot."""
    query = update.callback_query
    logger.info("unrecognised button press in chat=%s", chat_tag(update.effective_chat.id if update.effective_chat else None))
    metrics_of(context).button("other", "forged")
    await query.answer(context.t.gettext(FORGED))


async def unsupported(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice and other media: say what works instead."""
    await update.effective_message.reply_text(context.t.gettext("I can only read text. Please type your question."))


async def nothing_to_answer(update: Update, context: BotContext) -> None:
    """An empty question, or a kind of message that holds none."""
    await update.effective_message.reply_text(context.t.gettext("Send me a question in words, and I'll quote the articles that answer it."))


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command the bot does not have."""
    if update.effective_chat and update.effective_chat.type != ChatType.PRIVATE:
        return  # in groups, other bots' commands are none of our business
    await update.effective_message.reply_text(context.t.gettext("I don't know that command. Try /help, or just ask a question."))


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure without any message content, apologise, and keep serving."""
    update_id = update.update_id if isinstance(update, Update) else None
    logger.error("update %s failed", update_id, exc_info=context.error)
    metrics_of(context).error(context.error)
    if isinstance(update, Update) and update.effective_message:
        try:
            await update.effective_message.reply_text(context.t.gettext("Sorry, something went wrong on my side. Please try again."))
        except TelegramError:
            logger.warning("could not send the apology for update %s", update_id)
