"""The terminal chat: the same retriever, citations and links as the bot, as plain text.

After an answer, ``/more`` shows the next passages, numbered on from the last
ones, and ``/context N`` shows passage N with the text around it in its article.
It speaks the terminal's language (LC_ALL, LC_MESSAGES or LANG, e.g.
``ru_RU.UTF-8``) or the one given with ``python -m bot --lang``.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import TextIO

from index.formats import answer_to_text, bold_marks, context_to_text, sources_to_text
from index.models import Answer
from index.search import Retriever

from .config import PAGES
from .i18n import ENGLISH, Translator

__all__ = ["run_console"]


def _help(t: Translator) -> str:
    return t.gettext(
        "Type a question and press Enter; I quote the passages of the articles that answer it, "
        "with their sources and links to the quoted sentence.\nCommands: /more shows the next passages, "
        "/context N the text around passage N, /sources lists the articles, /help shows this, /quit leaves "
        "(Ctrl-D works too)."
    )


class _Conversation:
    """The last answer and how much of it has been shown; nothing older is kept."""

    def __init__(self, retriever: Retriever, top_k: int, bold: tuple[str, str], t: Translator) -> None:
        self.retriever, self.top_k, self.bold, self.t = retriever, top_k, bold, t
        self.answer: Answer | None = None
        self.shown = 0

    def ask(self, question: str) -> str:
        self.answer = self.retriever.search(question, self.top_k * PAGES)
        self.shown = 0
        if not self.answer.answered:
            self.shown = len(self.answer.passages)  # a declined answer has nothing more to offer
            return answer_to_text(self.answer, self.retriever.sources(), bold=self.bold, t=self.t)
        return self.more()

    def more(self) -> str:
        t = self.t
        if self.answer is None:
            return t.gettext("Ask a question first; /more then shows further passages.")
        page = self.answer.passages[self.shown : self.shown + self.top_k]
        if not page:
            return t.gettext("There are no more passages for this question.")
        self.shown += len(page)
        text = answer_to_text(replace(self.answer, passages=page), bold=self.bold, t=t)
        if self.shown < len(self.answer.passages):
            text += "\n\n" + t.gettext("(/more for further passages, /context N for the text around passage N)")
        return text

    def context(self, arg: str) -> str:
        t = self.t
        shown = self.answer.passages[: self.shown] if self.answer else []
        if not arg.isdigit() or not 1 <= int(arg) <= len(shown):
            if not shown:
                return t.gettext("Ask a question first.")
            return t.gettext("Say which passage: /context 1 to /context %(last)d.") % {"last": len(shown)}
        p = shown[int(arg) - 1]
        around = self.retriever.surrounding(p.doc_id, p.start, p.end, 1)
        return context_to_text(p, around, bold=self.bold, t=t)


def run_console(
    retriever: Retriever, top_k: int = 3, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout, t: Translator = ENGLISH
) -> int:
    interactive = stdin.isatty()
    chat = _Conversation(retriever, top_k, bold_marks(stdout), t)
    sources = retriever.sources()
    if interactive:
        hello = t.ngettext("Ask about %(count)d news article.", "Ask about %(count)d news articles.", len(sources))
        print(f"{hello % {'count': len(sources)}} {_help(t)}\n", file=stdout)
    while True:
        if interactive:
            print("> ", end="", file=stdout, flush=True)
        try:
            line = stdin.readline()
        except KeyboardInterrupt:
            line = ""
        if not line:
            return 0
        text = line.strip()
        if not text:
            continue
        if not interactive:  # echo piped input, so the transcript reads as a conversation
            print(f"> {text}", file=stdout)
        command, _, arg = text.partition(" ")
        if command in ("/quit", "/exit"):
            return 0
        if command in ("/help", "/start"):
            reply = _help(t)
        elif command == "/sources":
            reply = sources_to_text(sources, t)
        elif command == "/more":
            reply = chat.more()
        elif command == "/context":
            reply = chat.context(arg.strip())
        elif text.startswith("/"):
            reply = t.gettext("Unknown command.") + " " + _help(t)
        else:
            reply = chat.ask(text)
        print(reply + "\n", file=stdout, flush=True)
