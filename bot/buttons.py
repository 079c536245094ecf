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
Every press is answered, once, before any slow work.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message, ReplyParameters, Update
from telegram.ext import ContextTypes

from index.models import Answer, Passage
from index.search import Retriever

from .links import passage_token, resolve
from .metrics import metrics_of
from .render import render_answer, render_context, render_corroborations, render_passages, render_welcome

__all__ = [
    "AnswerMemory",
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
STALE = "This answer is too old for that button. Please ask your question again."
FORGED = "This button no longer works. Send your question again, or try /help."
GONE = "That passage is no longer in the articles I have. Please ask again."
NO_MORE = "There are no more passages for this question."
BAD_LINK = "That link does not lead to a passage I have: the articles may have changed since it was made."
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_ANSWER_ID = re.compile(r"[A-Za-z0-9_-]{8}")
_OFFSET = re.compile(r"0|[1-9][0-9]{0,2}")
# How many pages of passages an answer fetches at once, so More needs no second search.
PAGES = 3


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


def answer_keyboard(shown: Sequence[Passage], answer_id: str | None, total: int, offset: int = 0) -> InlineKeyboardMarkup | None:
    """Context for each shown passage; More while passages remain; Sources for the whole answer."""
    rows = []
    context = [InlineKeyboardButton(f"Context {p.rank}", callback_data=f"c:{passage_token(p)}") for p in shown]
    if context:
        rows.append(context)
    if answer_id:
        after = offset + len(shown)
        more = [InlineKeyboardButton("More passages", callback_data=f"m:{answer_id}:{after}")] if after < total else []
        rows.append([*more, InlineKeyboardButton("Sources", callback_data=f"s:{answer_id}:{offset}")])
    return InlineKeyboardMarkup(rows) if rows else None


def _state(context: ContextTypes.DEFAULT_TYPE):
    return context.application.bot_data["state"]


def _memory(context: ContextTypes.DEFAULT_TYPE) -> AnswerMemory:
    return context.application.bot_data["answers"]


async def send_answer(message: Message, answer: Answer, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the first page of an answer, quoting the question, with the buttons under its last message."""
    retriever: Retriever = _state(context).retriever
    per_page = _state(context).answer_passages
    shown = answer.passages[:per_page] if answer.answered else answer.passages[:1]
    answer_id = _memory(context).remember(answer.passages) if answer.answered else None
    texts = render_answer(replace(answer, passages=list(shown)), retriever.sources(), bot_username=context.bot.username or "")
    keyboard = answer_keyboard(shown, answer_id, len(answer.passages))
    for number, text in enumerate(texts, 1):
        last = number == len(texts)
        await message.reply_html(text, link_preview_options=_NO_PREVIEW, do_quote=number == 1, reply_markup=keyboard if last else None)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """More, Context or Sources under an answer."""
    query = update.callback_query
    kind, _, rest = (query.data or "").partition(":")
    outcome = await _handle_button(query, kind, rest, context)
    # The kind of button and what came of it; never what the passages or the question say.
    logger.info("button kind=%s outcome=%s", kind, outcome)
    metrics_of(context).button(kind, outcome)


async def _handle_button(query, kind: str, rest: str, context: ContextTypes.DEFAULT_TYPE) -> str:
    retriever: Retriever = _state(context).retriever
    username = context.bot.username or ""
    if kind == "c":
        passage = resolve(retriever, rest)
        if passage is None:
            await query.answer(GONE)
            return "gone"
        await query.answer()
        around = await asyncio.to_thread(retriever.surrounding, passage.doc_id, passage.start, passage.end, 1)
        await _reply(query, context, [render_context(passage, around, bot_username=username)])
        return "shown"
    answer_id, _, offset_text = rest.partition(":")
    if not _ANSWER_ID.fullmatch(answer_id) or not _OFFSET.fullmatch(offset_text):
        await query.answer(FORGED)
        return "forged"
    passages = _memory(context).recall(answer_id)
    if passages is None:
        await query.answer(STALE)
        return "stale"
    offset = int(offset_text)
    page = passages[offset : offset + _state(context).answer_passages]
    if not page:
        await query.answer(NO_MORE if kind == "m" else FORGED)
        return "empty"
    await query.answer()
    if kind == "s":
        await _reply(query, context, render_corroborations(page))
    else:
        texts = render_passages(page, bot_username=username)
        await _reply(query, context, texts, answer_keyboard(page, answer_id, len(passages), offset))
    return "shown"


async def _reply(query, context: ContextTypes.DEFAULT_TYPE, texts: list[str], keyboard: InlineKeyboardMarkup | None = None) -> None:
    """Send below the message whose button was pressed, in whatever chat it is."""
    chat_id, message_id = query.message.chat.id, query.message.message_id
    for number, text in enumerate(texts, 1):
        await context.bot.send_message(
            chat_id,
            text,
            parse_mode="HTML",
            link_preview_options=_NO_PREVIEW,
            reply_parameters=ReplyParameters(message_id, allow_sending_without_reply=True) if number == 1 else None,
            reply_markup=keyboard if number == len(texts) else None,
        )


async def open_link(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/start <token>`` from a passage link: that passage with its citation and the text around it."""
    retriever: Retriever = _state(context).retriever
    token = context.args[0] if context.args else ""
    passage = resolve(retriever, token)
    message = update.effective_message
    if passage is None:
        await message.reply_html(f"{BAD_LINK}\n\n{render_welcome(retriever.sources())}", link_preview_options=_NO_PREVIEW)
        return
    around = await asyncio.to_thread(retriever.surrounding, passage.doc_id, passage.start, passage.end, 1)
    text = render_context(passage, around, bot_username=context.bot.username or "")
    await message.reply_html(text, link_preview_options=_NO_PREVIEW)
