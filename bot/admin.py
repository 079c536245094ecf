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
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from index.config import IndexConfig
from index.embedding import Embedder
from index.errors import QAError
from index.ingest.commands import add_sources, list_rows, passage_counts, rebuild
from index.ingest.article import is_web_url
from index.ingest.fetch import FetchLimits

from .i18n import N_, Translator
from .state import BotContext, chat_tag

if TYPE_CHECKING:
    from index.ingest.sources import AddResult

__all__ = ["AdminState", "register"]

logger = logging.getLogger(__name__)

_LINK = re.compile(r"^\s*https?://\S+\s*$")
REFUSAL = N_("Sorry, only this bot's operators can add, remove or list articles.")
PRIVATE_ONLY = N_("Send me that in a private chat: articles are added and removed only there.")
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


def _state(context: BotContext) -> AdminState:
    return context.state.admin


async def _allowed(update: Update, context: BotContext, what: str) -> bool:
    user, chat = update.effective_user, update.effective_chat
    if user is None or user.id not in _state(context).admins:
        logger.info("refused /%s from a non-operator in chat=%s", what, chat_tag(chat.id if chat else None))
        await update.effective_message.reply_text(context.t.gettext(REFUSAL))
        return False
    if chat is None or chat.type != ChatType.PRIVATE:
        await update.effective_message.reply_text(context.t.gettext(PRIVATE_ONLY))
        return False
    return True


async def add_command(update: Update, context: BotContext) -> None:
    """/add <url>: fetch the article, add it to the corpus and rebuild."""
    if not await _allowed(update, context, "add"):
        return
    if len(context.args or ()) != 1 or not is_web_url(context.args[0]):
        await update.effective_message.reply_text(context.t.gettext("Send /add followed by one http(s) link, or send me a PDF."))
        return
    await _add(update, context, context.args[0], context.args[0])


async def add_link(update: Update, context: BotContext) -> None:
    """A message from an operator that is only a link: the same as /add."""
    url = update.effective_message.text.strip()
    await _add(update, context, url, url)


async def add_document(update: Update, context: BotContext) -> None:
    """A PDF from an operator: downloaded within the size limit, then added like a file."""
    document = update.effective_message.document
    limit = _state(context).limits.max_bytes
    if document.file_size and document.file_size > limit:
        size = context.t.gettext("That PDF is over the %(megabytes)s MB limit.") % {"megabytes": f"{limit / 2**20:g}"}
        await update.effective_message.reply_text(size)
        return
    data = await (await context.bot.get_file(document.file_id)).download_as_bytearray()
    with tempfile.TemporaryDirectory(prefix="admin-pdf-") as tmp:
        path = Path(tmp) / "document.pdf"
        path.write_bytes(bytes(data[: limit + 1]))
        await _add(update, context, str(path), document.file_name or context.t.gettext("the PDF"))


async def _add(update: Update, context: BotContext, source: str, label: str) -> None:
    message, t = update.effective_message, context.t
    await message.reply_text(t.gettext("Adding it; I'll tell you when it is in the index."))
    try:
        results, counts = await _state(context).run(_add_and_build, source)
    except QAError as exc:
        await message.reply_text(t.gettext("Could not rebuild the index: %(error)s") % {"error": exc})
        return
    logger.info("operator add: %s", ", ".join(f"{r.status}" for r in results) or "nothing")
    described = "\n".join(_describe(r, source, label, counts, t) for r in results)
    await message.reply_text(described or t.gettext("Nothing to add in %(source)s.") % {"source": label})


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


def _describe(result: AddResult, source: str, label: str, counts: dict[str, int], t: Translator) -> str:
    """One line per article; ``label`` names ``source`` for the operator (a PDF's file name, not its temp path)."""
    title = f"“{result.title}”" if result.title else str(result.doc_id)
    names = {"title": title + (f" ({result.publisher})" if result.publisher else ""), "id": result.doc_id}
    if result.status == "added":
        count = counts.get(result.doc_id, 0)
        return t.ngettext(
            "Added %(title)s: %(count)d passage. I answer from it within a few seconds.",
            "Added %(title)s: %(count)d passages. I answer from it within a few seconds.", count,
        ) % {**names, "count": count}
    if result.status == "duplicate":
        return t.gettext("Already in the corpus: %(title)s, as %(id)s.") % names
    failed = label if result.source == source else result.source
    return t.gettext("Could not add %(source)s: %(error)s.") % {"source": failed, "error": result.error}


async def remove_command(update: Update, context: BotContext) -> None:
    """/remove <id or url>: delete the article and rebuild."""
    if not await _allowed(update, context, "remove"):
        return
    message, t = update.effective_message, context.t
    if len(context.args or ()) != 1:
        await message.reply_text(t.gettext("Send /remove followed by an article's id (see /list) or its url."))
        return
    try:
        doc_id = await _state(context).run(_remove_and_build, context.args[0])
    except QAError as exc:
        await message.reply_text(t.gettext("Could not remove it: %(error)s") % {"error": exc})
        return
    logger.info("operator removed an article")
    await message.reply_text(t.gettext("Removed %(id)s; the index no longer quotes it.") % {"id": doc_id})


def _remove_and_build(state: AdminState, key: str) -> str:
    from index.ingest.corpus_writer import CorpusWriter  # tomlkit: paid by the first removal, not by every start

    doc_id = CorpusWriter(state.index.corpus_dir).remove(key)
    _rebuild(state)
    return doc_id


async def list_command(update: Update, context: BotContext) -> None:
    """/list: the corpus's articles with their passage counts."""
    if not await _allowed(update, context, "list"):
        return
    state, t = _state(context), context.t
    try:
        rows = await state.run(lambda s: list_rows(s.index.corpus_dir, s.index.index_dir))
    except QAError as exc:
        await update.effective_message.reply_text(t.gettext("Could not list the corpus: %(error)s") % {"error": exc})
        return
    text = "\n".join(_list_line(r, t) for r in rows)
    if len(text) > _MAX_LIST_CHARS:
        more = t.ngettext(
            "%(count)d article in all; `python -m index list` shows every one.",
            "%(count)d articles in all; `python -m index list` shows every one.", len(rows),
        ) % {"count": len(rows)}
        text = text[:_MAX_LIST_CHARS].rsplit("\n", 1)[0] + f"\n… {more}"
    await update.effective_message.reply_text(text or t.gettext("The corpus is empty."))


def _list_line(row: dict, t: Translator) -> str:
    count = row["passages"] or 0
    names = {"id": row["id"], "title": row["title"], "publisher": row["publisher"] or t.gettext("publisher unknown"), "count": count}
    return t.ngettext("%(id)s — %(title)s (%(publisher)s), %(count)d passage",
                      "%(id)s — %(title)s (%(publisher)s), %(count)d passages", count) % names
