"""Answers and listings as Telegram HTML.

Every piece of article or user text goes through ``html.escape``, and every
message fits Telegram's 4096-character limit: passages are cut down around
their highlighted sentence first, then dropped from the end.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from index.formats import CLOSEST, NOT_COVERED
from index.models import Answer, Passage, SourceInfo

__all__ = ["MAX_MESSAGE", "render_answer", "render_sources", "render_welcome", "render_help", "render_privacy", "telegram_length"]

MAX_MESSAGE = 4096
# Longest excerpt tried per passage, then progressively shorter ones until the message fits.
_EXCERPT_BUDGETS = (None, 1200, 700, 400, 220, 120)
_SOURCES_IN_DECLINE = 8
_DECLINE_BUDGET = 2000
# Bounds on metadata, so that one source line can never crowd out the answer.
_MAX_TITLE, _MAX_PUBLISHER, _MAX_URL = 200, 100, 1000


def telegram_length(text: str) -> int:
    """Length as Telegram counts it, in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _e(text: str) -> str:
    return html.escape(text, quote=False)


def _source_line(title: str, publisher: str, url: str) -> str:
    """Title, linked where the url is known, then the publisher; bounded whatever sources.toml holds."""
    title = _e(_cut_end(title, _MAX_TITLE))
    line = f'<a href="{html.escape(url, quote=True)}">{title}</a>' if url and len(url) <= _MAX_URL else title
    return f"{line} — {_e(_cut_end(publisher, _MAX_PUBLISHER))}" if publisher else line


def render_answer(answer: Answer, sources: Sequence[SourceInfo] = ()) -> str:
    """The reply to a question, at most MAX_MESSAGE long."""
    head = ""
    passages = list(answer.passages)
    if not answer.answered:
        head = _decline(sources)
        passages = passages[:1]
        if passages:
            head += f"\n\n<i>{_e(CLOSEST)}</i>"
    for budget in _EXCERPT_BUDGETS:
        for count in range(len(passages), 0, -1):
            text = _join(head, [_passage(p, budget) for p in passages[:count]])
            if telegram_length(text) <= MAX_MESSAGE:
                return text
    # Unreachable with the bounds above; kept so a reply is always sendable.
    return _e(NOT_COVERED) if not answer.answered else _passage(passages[0], 60)


def _join(head: str, blocks: list[str]) -> str:
    return "\n\n".join(([head] if head else []) + blocks)


def _passage(p: Passage, budget: int | None) -> str:
    title = f"<b>{p.rank}.</b> {_source_line(p.title, p.publisher, p.url)}"
    before, highlight, after = _excerpt(p, budget)
    quote = f"{_e(before)}<b>{_e(highlight)}</b>{_e(after)}"
    return f"{title}\n<i>{_e(p.location)}</i>\n<blockquote>{quote}</blockquote>"


def _excerpt(p: Passage, budget: int | None) -> tuple[str, str, str]:
    """The passage split around its highlight, trimmed to about ``budget`` characters."""
    before, highlight, after = p.around_highlight()
    if budget is None or len(p.text) <= budget:
        return before, highlight, after
    if len(highlight) >= budget:
        return "", _cut_end(highlight, budget), ""
    room = budget - len(highlight)
    return _cut_start(before, room // 2), highlight, _cut_end(after, room - room // 2)


def _cut_end(text: str, size: int) -> str:
    if len(text) <= size:
        return text
    cut = text[: max(size - 1, 0)]
    space = cut.rfind(" ")
    return (cut[:space] if space > size // 2 else cut).rstrip() + "…"


def _cut_start(text: str, size: int) -> str:
    if len(text) <= size:
        return text
    cut = text[len(text) - max(size - 1, 0) :]
    space = cut.find(" ")
    return "…" + (cut[space + 1 :] if 0 <= space < size // 2 else cut).lstrip()


def _decline(sources: Sequence[SourceInfo]) -> str:
    """Say so, and name what the articles do cover."""
    lines = [f"<b>{_e(NOT_COVERED)}</b>"]
    if sources:
        lines.append("The articles are about:")
        shown = 0
        for info in sources[:_SOURCES_IN_DECLINE]:
            line = f"• {_source_line(info.source.title, info.source.publisher, info.source.url)}"
            if sum(map(len, lines)) + len(line) > _DECLINE_BUDGET:
                break
            lines.append(line)
            shown += 1
        if shown < len(sources):
            lines.append(f"…and {len(sources) - shown} more: see /sources")
    return "\n".join(lines)


def render_sources(sources: Sequence[SourceInfo]) -> list[str]:
    """The article list, split into as many messages as it needs."""
    if not sources:
        return ["No articles are indexed yet."]
    entries = []
    for number, info in enumerate(sources, 1):
        s = info.source
        details = ", ".join(_e(x) for x in (s.author, s.published) if x)
        entry = f"<b>{number}.</b> {_source_line(s.title, s.publisher, s.url)}"
        if details:
            entry += f" ({details})"
        if not s.url:
            entry += "\n<i>no link to the original is known</i>"
        entries.append(entry)
    messages, current = [], "<b>The articles I quote from</b>"
    for entry in entries:
        candidate = f"{current}\n\n{entry}"
        if telegram_length(candidate) > MAX_MESSAGE:
            messages.append(current)
            candidate = entry
        current = candidate
    messages.append(current)
    return messages


def render_welcome(sources: Sequence[SourceInfo]) -> str:
    count = len(sources)
    noun = "article" if count == 1 else "articles"
    return (
        f"Hello! I answer questions about {count} news {noun} by quoting the passages that answer them, "
        "each with its source and a link to the original where one is known.\n\n"
        "Just send me a question in your own words. /sources lists the articles; /help explains more."
    )


def render_help() -> str:
    return (
        "<b>How to ask</b>\n"
        "Send a question as a normal message, in your own words: who, what, when, where, why. "
        "I reply with the passages of the articles that answer it.\n\n"
        "<b>How I cite</b>\n"
        "Each passage names its article and publisher, links to the original when the link is known, "
        "and says where in the article it stands. The sentence that best answers you is in <b>bold</b>.\n\n"
        "When the articles don't cover a question I say so rather than guess.\n\n"
        "In a group, ask with /ask followed by your question, mention me, or reply to one of my messages.\n\n"
        "/sources — the articles I know\n/privacy — what I keep about you (nothing)\n/help — this message"
    )


def render_privacy() -> str:
    return (
        "<b>What I keep about you: nothing.</b>\n"
        "• I store no messages, names, usernames or chat history, on disk or anywhere else.\n"
        "• My logs hold only counts and timings. A chat appears there as a scrambled code that changes "
        "every time I restart, never as its id, and never with what was written.\n"
        "• To stop floods I remember, in memory only, how many questions each user asked in the last minute; "
        "that is forgotten within minutes and whenever I restart.\n"
        "• The only thing on disk is the index built from the public news articles.\n\n"
        "Telegram itself still carries this conversation. For the most privacy, run me on your own computer "
        "without Telegram: see the project's README."
    )
