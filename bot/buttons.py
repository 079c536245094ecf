"""The buttons under an answer (More, Context, Sources) and the passage deep links.

Callback data, at most 64 bytes, one of::

    c:<passage token>       Context around one passage; the token is its locator
    m:<answer id>:<offset>  More: the page of the answer's passages from <offset> on
    s:<answer id>:<offset>  Sources: who else reports the passages of the page at <offset>

Context carries everything it needs, so it works after a restart or a rebuild
of the same corpus. More and Sources need the answer's remaining passages:
those are kept in memory only (``AnswerMemory``), a bounded number for a
bounded time, and hold article text alone, never the question or who asked.
A press whose answer is gone, or whose data is not ours, gets a polite toast.
Every press is answered, once, before any slow work. Labels and toasts are in
the language of whoever the keyboard or the toast is for.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import Sequence
from dataclasses import replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, ReplyParameters, Update

from index.models import Answer, Passage
from index.search import Retriever

from .i18n import ENGLISH, N_, Translator
from .links import passage_token, resolve
from .render import NO_PREVIEW, render_answer, render_context, render_corroborations, render_passages
from .state import BotContext
from .texts import render_welcome
from .metrics import metrics_of

__all__ = [
    "CALLBACK_PATTERN",
    "MAX_CALLBACK_BYTES",
    "START_WITH_PAYLOAD",
    "answer_keyboard",
    "on_button",
    "open_link",
    "send_answer",
]

logger = logging.getLogger(__name__)

MAX_CALLBACK_BYTES = 64
CALLBACK_PATTERN = r"^[cms]:"
START_WITH_PAYLOAD = r"^/start(?:@\w+)?\s+\S"
# Toasts and notes, in English here; each is translated where it is shown.
STALE = N_("This answer is too old for that button. Please ask your question again.")
FORGED = N_("This button no longer works. Send your question again, or try /help.")
GONE = N_("That passage is no longer in the articles I have. Please ask again.")
NO_MORE = N_("There are no more passages for this question.")
BAD_LINK = N_("That link does not lead to a passage I have: the articles may have changed since it was made.")
_ANSWER_ID = re.compile(r"[A-Za-z0-9_-]{8}")
_OFFSET = re.compile(r"0|[1-9][0-9]{0,2}")


def answer_keyboard(
    shown: Sequence[Passage], answer_id: str | None, total: int, offset: int = 0, t: Translator = ENGLISH
) -> InlineKeyboardMarkup | None:
    """Context for each shown passage; More while passages remain; Sources for the whole answer."""
    rows = []
    context = [
        InlineKeyboardButton(t.gettext("Context %(number)d") % {"number": p.rank}, callback_data=f"c:{passage_token(p)}") for p in shown
    ]
    if context:
        rows.append(context)
    if answer_id:
        after = offset + len(shown)
        more = [InlineKeyboardButton(t.gettext("More passages"), callback_data=f"m:{answer_id}:{after}")] if after < total else []
        rows.append([*more, InlineKeyboardButton(t.gettext("Sources"), callback_data=f"s:{answer_id}:{offset}")])
    return InlineKeyboardMarkup(rows) if rows else None


async def send_answer(message: Message, answer: Answer, context: BotContext) -> None:
    """Reply with the first page of an answer, quoting the question, with the buttons under its last message."""
    state, t = context.state, context.t
    shown = answer.passages[: state.answer_passages] if answer.answered else answer.passages[:1]
    answer_id = state.answers.remember(answer.passages) if answer.answered else None
    page = replace(answer, passages=list(shown))
    texts = render_answer(page, state.retriever.sources(), bot_username=context.bot.username or "", t=t)
    keyboard = answer_keyboard(shown, answer_id, len(answer.passages), t=t)
    for number, text in enumerate(texts, 1):
        last = number == len(texts)
        await message.reply_html(text, link_preview_options=NO_PREVIEW, do_quote=number == 1, reply_markup=keyboard if last else None)


async def on_button(update: Update, context: BotContext) -> None:
    """More, Context or Sources under an answer."""
    query = update.callback_query
    kind, _, rest = (query.data or "").partition(":")
    outcome = await _handle_button(query, kind, rest, context)
    # The kind of button and what came of it; never what the passages or the question say.
    logger.info("button kind=%s outcome=%s", kind, outcome)
    metrics_of(context).button(kind, outcome)


async def _handle_button(query, kind: str, rest: str, context: BotContext) -> str:
    state, t = context.state, context.t
    retriever: Retriever = state.retriever
    username = context.bot.username or ""
    if kind == "c":
        passage = resolve(retriever, rest)
        if passage is None:
            await query.answer(t.gettext(GONE))
            return "gone"
        await query.answer()
        around = await asyncio.to_thread(retriever.surrounding, passage.doc_id, passage.start, passage.end, 1)
        await _reply(query, context, [render_context(passage, around, bot_username=username, t=t)])
        return "shown"
    answer_id, _, offset_text = rest.partition(":")
    if not _ANSWER_ID.fullmatch(answer_id) or not _OFFSET.fullmatch(offset_text):
        await query.answer(t.gettext(FORGED))
        return "forged"
    passages = state.answers.recall(answer_id)
    if passages is None:
        await query.answer(t.gettext(STALE))
        return "stale"
    offset = int(offset_text)
    page = passages[offset : offset + state.answer_passages]
    if not page:
        await query.answer(t.gettext(NO_MORE) if kind == "m" else t.gettext(FORGED))
        return "empty"
    await query.answer()
    if kind == "s":
        await _reply(query, context, render_corroborations(page, t))
    else:
        texts = render_passages(page, bot_username=username, t=t)
        await _reply(query, context, texts, answer_keyboard(page, answer_id, len(passages), offset, t))
    return "shown"


async def _reply(query, context: BotContext, texts: list[str], keyboard: InlineKeyboardMarkup | None = None) -> None:
    """Send below the message whose button was pressed, in whatever chat it is."""
    chat_id, message_id = query.message.chat.id, query.message.message_id
    for number, text in enumerate(texts, 1):
        await context.bot.send_message(
            chat_id,
            text,
            parse_mode="HTML",
            link_preview_options=NO_PREVIEW,
            reply_parameters=ReplyParameters(message_id, allow_sending_without_reply=True) if number == 1 else None,
            reply_markup=keyboard if number == len(texts) else None,
        )


async def open_link(update: Update, context: BotContext) -> None:
    """``/start <token>`` from a passage link: that passage with its citation and the text around it."""
    retriever, t = context.state.retriever, context.t
    token = context.args[0] if context.args else ""
    passage = resolve(retriever, token)
    message = update.effective_message
    if passage is None:
        note = html.escape(t.gettext(BAD_LINK), quote=False)
        await message.reply_html(f"{note}\n\n{render_welcome(retriever.sources(), t)}", link_preview_options=NO_PREVIEW)
        return
    around = await asyncio.to_thread(retriever.surrounding, passage.doc_id, passage.start, passage.end, 1)
    text = render_context(passage, around, bot_username=context.bot.username or "", t=t)
    await message.reply_html(text, link_preview_options=NO_PREVIEW)
