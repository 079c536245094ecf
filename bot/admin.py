"""Operators add, remove and list articles from Telegram: ADMIN_USER_IDS, in a private chat.

`/add <url>`, a message that is only a link, or a PDF document adds the
article as `python -m index add` would, then rebuilds the index. The work runs
on one thread of its own, one job at a time, so answers keep flowing on the
search threads meanwhile; the running bot swaps the new index in by its usual
reload. Everyone else gets a polite refusal, logged without its content.
"""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from index.config import IndexConfig
from index.embedding import Embedder
from index.errors import QAError
from index.ingest.commands import add_sources, list_rows, passage_counts, rebuild
from index.ingest.corpus_writer import CorpusWriter
from index.ingest.article import is_web_url
from index.ingest.fetch import FetchLimits

from .state import chat_tag

if TYPE_CHECKING:
    from index.ingest.sources import AddResult

__all__ = ["AdminState", "register"]

logger = logging.getLogger(__name__)

_LINK = re.compile(r"^\s*https?://\S+\s*$")
REFUSAL = "Sorry, only this bot's operators can add, remove or list articles."
PRIVATE_ONLY = "Send me that in a private chat: articles are added and removed only there."
_MAX_LIST_CHARS = 3500  # a Telegram message holds 4096


@dataclass
class AdminState:
    admins: frozenset[int]
    index: IndexConfig
    limits: FetchLimits = field(default_factory=FetchLimits.from_env)
    # One thread: jobs run one at a time, and never on the threads that answer questions.
    executor: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="admin"))
    # A model of its own for rebuilds, loaded on the first one: the search model is not shared across threads.
    embedder: Embedder | None = None

    async def run(self, job, *args):
        return await asyncio.get_running_loop().run_in_executor(self.executor, job, self, *args)


def register(app: Application, admins: frozenset[int], index: IndexConfig) -> None:
    """Add the operator handlers; call before the handlers for questions, other content and unknown commands."""
    app.bot_data.admin = AdminState(admins=admins, index=index)
    app.add_handler(CommandHandler("add", add_command))
    app.add_handler(CommandHandler("remove", remove_command))
    app.add_handler(CommandHandler("list", list_command))
    operators = filters.User(user_id=admins) & filters.ChatType.PRIVATE & ~filters.UpdateType.EDITED
    app.add_handler(MessageHandler(operators & filters.Regex(_LINK), add_link))
    app.add_handler(MessageHandler(operators & filters.Document.PDF, add_document))


def _state(context: ContextTypes.DEFAULT_TYPE) -> AdminState:
    return context.application.bot_data.admin


async def _allowed(update: Update, context: ContextTypes.DEFAULT_TYPE, what: str) -> bool:
    user, chat = update.effective_user, update.effective_chat
    if user is None or user.id not in _state(context).admins:
        logger.info("refused /%s from a non-operator in chat=%s", what, chat_tag(chat.id if chat else None))
        await update.effective_message.reply_text(REFUSAL)
        return False
    if chat is None or chat.type != ChatType.PRIVATE:
        await update.effective_message.reply_text(PRIVATE_ONLY)
        return False
    return True


async def add_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/add <url>: fetch the article, add it to the corpus and rebuild."""
    if not await _allowed(update, context, "add"):
        return
    if len(context.args or ()) != 1 or not is_web_url(context.args[0]):
        await update.effective_message.reply_text("Send /add followed by one http(s) link, or send me a PDF.")
        return
    await _add(update, context, context.args[0], context.args[0])


async def add_link(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A message from an operator that is only a link: the same as /add."""
    url = update.effective_message.text.strip()
    await _add(update, context, url, url)


async def add_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A PDF from an operator: downloaded within the size limit, then added like a file."""
    document = update.effective_message.document
    limit = _state(context).limits.max_bytes
    if document.file_size and document.file_size > limit:
        await update.effective_message.reply_text(f"That PDF is over the {limit / 2**20:g} MB limit.")
        return
    data = await (await context.bot.get_file(document.file_id)).download_as_bytearray()
    with tempfile.TemporaryDirectory(prefix="admin-pdf-") as tmp:
        path = Path(tmp) / "document.pdf"
        path.write_bytes(bytes(data[: limit + 1]))
        await _add(update, context, str(path), document.file_name or "the PDF")


async def _add(update: Update, context: ContextTypes.DEFAULT_TYPE, source: str, label: str) -> None:
    message = update.effective_message
    await message.reply_text("Adding it; I'll tell you when it is in the index.")
    try:
        results, counts = await _state(context).run(_add_and_build, source)
    except QAError as exc:
        await message.reply_text(f"Could not rebuild the index: {exc}")
        return
    logger.info("operator add: %s", ", ".join(f"{r.status}" for r in results) or "nothing")
    await message.reply_text("\n".join(_describe(r, source, label, counts) for r in results) or f"Nothing to add in {label}.")


def _add_and_build(state: AdminState, source: str) -> tuple[list[AddResult], dict[str, int]]:
    results = add_sources(state.index.corpus_dir, [source], limits=state.limits)
    if not any(r.status == "added" for r in results):
        return results, {}
    _rebuild(state)
    return results, passage_counts(state.index.index_dir)


def _rebuild(state: AdminState) -> None:
    if state.embedder is None:
        from index.embedding import load_embedder

        state.embedder = load_embedder(state.index.model, state.index.backend, state.index.models_dir)
    rebuild(state.index.corpus_dir, state.index.index_dir, state.index, embedder=state.embedder)


def _describe(result: AddResult, source: str, label: str, counts: dict[str, int]) -> str:
    """One line per article; ``label`` names ``source`` for the operator (a PDF's file name, not its temp path)."""
    title = f"“{result.title}”" if result.title else result.doc_id
    by = f" ({result.publisher})" if result.publisher else ""
    if result.status == "added":
        return f"Added {title}{by}: {counts.get(result.doc_id, 0)} passages. I answer from it within a few seconds."
    if result.status == "duplicate":
        return f"Already in the corpus: {title}{by}, as {result.doc_id}."
    return f"Could not add {label if result.source == source else result.source}: {result.error}."


async def remove_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/remove <id or url>: delete the article and rebuild."""
    if not await _allowed(update, context, "remove"):
        return
    if len(context.args or ()) != 1:
        await update.effective_message.reply_text("Send /remove followed by an article's id (see /list) or its url.")
        return
    try:
        doc_id = await _state(context).run(_remove_and_build, context.args[0])
    except QAError as exc:
        await update.effective_message.reply_text(f"Could not remove it: {exc}")
        return
    logger.info("operator removed an article")
    await update.effective_message.reply_text(f"Removed {doc_id}; the index no longer quotes it.")


def _remove_and_build(state: AdminState, key: str) -> str:
    doc_id = CorpusWriter(state.index.corpus_dir).remove(key)
    _rebuild(state)
    return doc_id


async def list_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/list: the corpus's articles with their passage counts."""
    if not await _allowed(update, context, "list"):
        return
    state = _state(context)
    try:
        rows = await state.run(lambda s: list_rows(s.index.corpus_dir, s.index.index_dir))
    except QAError as exc:
        await update.effective_message.reply_text(f"Could not list the corpus: {exc}")
        return
    lines = [f"{r['id']} — {r['title']} ({r['publisher'] or 'publisher unknown'}), {r['passages'] or 0} passages"
             for r in rows]
    text = "\n".join(lines)
    if len(text) > _MAX_LIST_CHARS:
        text = text[:_MAX_LIST_CHARS].rsplit("\n", 1)[0] + f"\n… {len(rows)} articles in all; `python -m index list` shows every one."
    await update.effective_message.reply_text(text or "The corpus is empty.")
