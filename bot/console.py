"""The terminal chat: the same retriever and citations as the bot, as plain text."""

from __future__ import annotations

import sys
from typing import TextIO

from index.formats import answer_to_text, bold_marks, sources_to_text
from index.search import Retriever

__all__ = ["run_console"]

_HELP = (
    "Type a question and press Enter; I quote the passages of the articles that answer it, "
    "with their sources.\nCommands: /sources lists the articles, /help shows this, /quit leaves "
    "(Ctrl-D works too)."
)


def run_console(retriever: Retriever, top_k: int = 3, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    interactive = stdin.isatty()
    bold = bold_marks(stdout)
    sources = retriever.sources()
    if interactive:
        print(f"Ask about {len(sources)} news articles. {_HELP}\n", file=stdout)
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
        if text in ("/quit", "/exit"):
            return 0
        if text in ("/help", "/start"):
            reply = _HELP
        elif text == "/sources":
            reply = sources_to_text(sources)
        elif text.startswith("/"):
            reply = "Unknown command. " + _HELP
        else:
            reply = answer_to_text(retriever.search(text, top_k), sources, bold=bold)
        print(reply + "\n", file=stdout, flush=True)
