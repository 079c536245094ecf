"""Answers and listings as Telegram HTML.

Every piece of article or user text goes through ``html.escape``, and every
message fits Telegram's 4096-character limit: a long answer is split between
passages, never inside a tag, and only a passage too long for a message on its
own is cut down around its highlighted sentence.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import replace

from index.formats import CLOSEST, NOT_COVERED
from index.models import Answer, Passage, SourceInfo
from index.textfragments import text_fragment_url

from .links import deep_link

__all__ = ["MAX_MESSAGE", "render_answer", "render_passages", "render_context", "render_corroborations", "render_shared", "render_sources", "render_welcome", "render_help", "render_privacy", "telegram_length"]

MAX_MESSAGE = 4096
# Longest excerpt tried per passage, then progressively shorter ones until the message fits.
_EXCERPT_BUDGETS = (None, 1200, 700, 400, 220, 120, 60)
_SOURCES_IN_DECLINE = 8
_DECLINE_BUDGET = 2000
# Bounds on metadata, so that one source line can never crowd out the answer.
_MAX_TITLE, _MAX_PUBLISHER, _MAX_URL = 200, 100, 1000
_MAX_QUOTE = 400


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


def _cited(p: Passage) -> str:
    """The source line of a passage, linked to its sentence in the original where the browser can find it."""
    link = text_fragment_url(p.url, p.highlight)
    return _source_line(p.title, p.publisher, link if len(link) <= _MAX_URL else p.url)


def render_answer(answer: Answer, sources: Sequence[SourceInfo] = (), *, bot_username: str = "") -> list[str]:
    """The reply to a question: one message, or several split between passages, each within MAX_MESSAGE."""
    head = ""
    passages = list(answer.passages)
    if not answer.answered:
        head = _decline(sources)
        passages = passages[:1]
        if passages:
            head += f"\n\n<i>{_e(CLOSEST)}</i>"
    return render_passages(passages, head=head, bot_username=bot_username)


def render_passages(passages: Sequence[Passage], *, head: str = "", bot_username: str = "") -> list[str]:
    """Passage blocks packed into as few messages as fit, never splitting one."""
    room = MAX_MESSAGE - telegram_length(head) - 2
    blocks = [_fitted(p, room if i == 0 and head else MAX_MESSAGE, bot_username) for i, p in enumerate(passages)]
    return _pack(blocks, head) or [_e(NOT_COVERED)]


def _pack(blocks: Sequence[str], head: str = "") -> list[str]:
    """Blocks, each within MAX_MESSAGE, joined into as few messages as they fit in; a block is never split."""
    messages: list[str] = []
    current = head
    for block in blocks:
        candidate = _join(current, [block])
        if current and telegram_length(candidate) > MAX_MESSAGE:
            messages.append(current)
            candidate = block
        current = candidate
    if current:
        messages.append(current)
    return messages


def render_shared(p: Passage, *, bot_username: str = "") -> str:
    """One passage on its own, as sent from inline mode into any chat."""
    return _fitted(p, MAX_MESSAGE, bot_username, numbered=False)


def _fitted(p: Passage, room: int, bot_username: str, numbered: bool = True) -> str:
    """A passage block within ``room``, its excerpt cut down around the highlight as far as needed."""
    for budget in _EXCERPT_BUDGETS:
        block = _passage(p, budget, bot_username, numbered)
        if telegram_length(block) <= room:
            return block
    return _passage(replace(p, corroborations=()), _EXCERPT_BUDGETS[-1], "", numbered)


def _join(head: str, blocks: list[str]) -> str:
    return "\n\n".join(([head] if head else []) + blocks)


def _passage(p: Passage, budget: int | None, bot_username: str, numbered: bool = True) -> str:
    """Source line first, then where it stands, the quote with its answering sentence in bold, and who else reports it."""
    title = f"<b>{p.rank}.</b> {_cited(p)}" if numbered else _cited(p)
    where = f"<i>{_e(p.location)}</i>"
    if link := deep_link(bot_username, p):
        where += f' · <a href="{html.escape(link, quote=True)}">link to this passage</a>'
    before, highlight, after = _excerpt(p, budget)
    quote = f"{_e(before)}<b>{_e(highlight)}</b>{_e(after)}" if highlight else _e(before + after)
    lines = [title, where, f"<blockquote>{quote}</blockquote>"]
    if p.corroborations:
        lines.append(_also_reported(p.corroborations, 3 if budget is None else 1))
    return "\n".join(lines)


def _also_reported(others: Sequence[Passage], limit: int) -> str:
    names = [_cited(o) for o in others[:limit]]
    more = f" and {len(others) - limit} more" if len(others) > limit else ""
    return f"<i>Also reported by:</i> {'; '.join(names)}{more}"


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


def render_context(passage: Passage, around: Sequence[Passage], *, bot_username: str = "") -> str:
    """A passage with the text before and after it in its article: what a deep link and the Context button show."""
    before = [a for a in around if a.end <= passage.start]
    after = [a for a in around if a.start >= passage.end]
    first = before[0].paragraph_first if before else passage.paragraph_first
    last = after[-1].paragraph_last if after else passage.paragraph_last
    span = replace(passage, paragraph_first=first, paragraph_last=last)
    head = f"{_cited(passage)}\n<i>{_e(span.location)}</i>"
    if link := deep_link(bot_username, passage):
        head += f' · <a href="{html.escape(link, quote=True)}">link to this passage</a>'
    for budget, side in zip(_EXCERPT_BUDGETS, (1500, 1000, 600, 300, 150, 60, 0)):
        parts = [head]
        if before and side:
            parts.append(_e(_cut_start(" ".join(a.text for a in before), side)))
        quote_before, highlight, quote_after = _excerpt(passage, budget)
        parts.append(f"<blockquote>{_e(quote_before)}<b>{_e(highlight)}</b>{_e(quote_after)}</blockquote>")
        if after and side:
            parts.append(_e(_cut_end(" ".join(a.text for a in after), side)))
        text = "\n\n".join(parts)
        if telegram_length(text) <= MAX_MESSAGE:
            return text
    return head  # unreachable with the bounds above


def render_corroborations(passages: Sequence[Passage]) -> list[str]:
    """Each passage of an answer with the other articles that report the same thing, linked to their sentences."""
    blocks = []
    for p in passages:
        blocks.append(f"<b>{p.rank}.</b> {_cited(p)}")
        if not p.corroborations:
            blocks[-1] += "\n<i>No other article in the collection reports this passage.</i>"
        for other in p.corroborations:
            quote = _e(_cut_end(other.highlight, _MAX_QUOTE))
            blocks.append(f"• {_cited(other)}\n<i>{_e(other.location)}</i>\n<blockquote>{quote}</blockquote>")
    return _pack(blocks, "<b>Who reports what this answer quotes</b>")


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
    return _pack(entries, "<b>The articles I quote from</b>")


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
        "Each passage names its article and publisher, links to the sentence in the original when the "
        "link is known, and says where in the article it stands. The sentence that best answers you is in "
        "<b>bold</b>. \"Link to this passage\" is a link you can share: it opens the passage here.\n\n"
        "<b>Buttons</b>\n"
        "<i>Context</i> shows the text around a passage, <i>More passages</i> the next ones, and "
        "<i>Sources</i> the other articles that report the same thing.\n\n"
        "<b>In other chats</b>\n"
        "Type my @username and a question in any chat to send a quoted passage there.\n\n"
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
        "• So that the More and Sources buttons work, I keep the article passages of recent answers "
        "(never your question) in memory for up to an hour; a restart forgets them.\n"
        "• The only thing on disk is the index built from the public news articles.\n\n"
        "Telegram itself still carries this conversation. For the most privacy, run me on your own computer "
        "without Telegram: see the project's README."
    )
