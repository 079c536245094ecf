"""The bot's own texts in the reader's language: the welcome, /help and /privacy, as Telegram HTML.

Messages that carry markup (``<b>``, ``<i>``) keep it in the catalog, and the
catalog test checks that each translation has the same tags as its original.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from index.models import SourceInfo

from .i18n import ENGLISH, Translator

__all__ = ["render_help", "render_privacy", "render_welcome"]


def _e(text: str) -> str:
    return escape(text, quote=False)


def render_welcome(sources: Sequence[SourceInfo], t: Translator = ENGLISH) -> str:
    count = len(sources)
    hello = t.ngettext(
        "Hello! I answer questions about %(count)d news article by quoting the passages that answer them, "
        "each with its source and a link to the original where one is known.",
        "Hello! I answer questions about %(count)d news articles by quoting the passages that answer them, "
        "each with its source and a link to the original where one is known.",
        count,
    ) % {"count": count}
    how = t.gettext("Just send me a question in your own words. /sources lists the articles; /help explains more.")
    return f"{_e(hello)}\n\n{_e(how)}"


def render_help(t: Translator = ENGLISH) -> str:
    """Headings in bold, then what each part of an answer means; the translations keep the same tags."""
    sections = [
        (t.gettext("How to ask"), t.gettext(
            "Send a question as a normal message, in your own words: who, what, when, where, why. "
            "I reply with the passages of the articles that answer it."
        )),
        (t.gettext("How I cite"), t.gettext(
            "Each passage names its article and publisher, links to the sentence in the original when the "
            "link is known, and says where in the article it stands. The sentence that best answers you is in "
            "<b>bold</b>. \"Link to this passage\" is a link you can share: it opens the passage here."
        )),
        (t.gettext("Buttons"), t.gettext(
            "<i>Context</i> shows the text around a passage, <i>More passages</i> the next ones, and "
            "<i>Sources</i> the other articles that report the same thing."
        )),
        (t.gettext("In other chats"), t.gettext("Type my @username and a question in any chat to send a quoted passage there.")),
    ]
    parts = [f"<b>{_e(heading)}</b>\n{body}" for heading, body in sections]
    parts.append(_e(t.gettext("When the articles don't cover a question I say so rather than guess.")))
    parts.append(_e(t.gettext("In a group, ask with /ask followed by your question, mention me, or reply to one of my messages.")))
    parts.append(_e(t.gettext(
        "/sources — the articles I know\n/language — the language I answer in\n"
        "/privacy — what I keep about you (nothing)\n/help — this message"
    )))
    return "\n\n".join(parts)


def render_privacy(t: Translator = ENGLISH) -> str:
    points = [
        t.gettext("I store no messages, names, usernames or chat history, on disk or anywhere else."),
        t.gettext(
            "My logs hold only counts and timings. A chat appears there as a scrambled code that changes "
            "every time I restart, never as its id, and never with what was written."
        ),
        t.gettext(
            "To stop floods I remember, in memory only, how many questions each user asked in the last minute; "
            "that is forgotten within minutes and whenever I restart."
        ),
        t.gettext(
            "So that the More and Sources buttons work, I keep the article passages of recent answers "
            "(never your question) in memory for up to an hour; a restart forgets them."
        ),
        t.gettext("If you choose a language with /language, I remember that choice in memory only; a restart forgets it."),
        t.gettext("The only thing on disk is the index built from the public news articles."),
    ]
    closing = t.gettext(
        "Telegram itself still carries this conversation. For the most privacy, run me on your own computer "
        "without Telegram: see the project's README."
    )
    head = _e(t.gettext("What I keep about you: nothing."))
    return f"<b>{head}</b>\n" + "\n".join(f"• {_e(p)}" for p in points) + f"\n\n{_e(closing)}"
