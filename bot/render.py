"""Answers and listings as Telegram HTML.

Every piece of article or user text goes through ``html.escape``, and every
message fits Telegram's 4096-character limit: a long answer is split between
passages, never inside a tag, and only a passage too long for a message on its
own is cut down around its highlighted sentence. Every word of the bot's own
goes through ``t``, the reader's translations (``bot.i18n``).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import replace

from telegram import LinkPreviewOptions

from index.formats import closest, location, not_covered
from index.models import Answer, Passage, SourceInfo
from index.textfragments import text_fragment_url

from .i18n import ENGLISH, Translator
from .links import deep_link

__all__ = ["MAX_MESSAGE", "NO_PREVIEW", "render_answer", "render_passages", "render_context", "render_corroborations", "render_shared", "render_sources", "telegram_length"]

MAX_MESSAGE = 4096
# Every message goes out without a link preview: the preview of a cited article would crowd out the quote.
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
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


def _i(text: str) -> str:
    return f"<i>{_e(text)}</i>"


def _b(text: str) -> str:
    return f"<b>{_e(text)}</b>"


def _source_line(title: str, publisher: str, url: str) -> str:
    """Title, linked where the url is known, then the publisher; bounded whatever sources.toml holds."""
    title = _e(_cut_end(title, _MAX_TITLE))
    line = f'<a href="{html.escape(url, quote=True)}">{title}</a>' if url and len(url) <= _MAX_URL else title
    return f"{line} — {_e(_cut_end(publisher, _MAX_PUBLISHER))}" if publisher else line


def _cited(p: Passage) -> str:
    """The source line of a passage, linked to its sentence in the original where the browser can find it."""
    link = text_fragment_url(p.url, p.highlight)
    return _source_line(p.title, p.publisher, link if len(link) <= _MAX_URL else p.url)


def render_answer(
    answer: Answer, sources: Sequence[SourceInfo] = (), *, bot_username: str = "", t: Translator = ENGLISH
) -> list[str]:
    """The reply to a question: one message, or several split between passages, each within MAX_MESSAGE."""
    head = ""
    passages = list(answer.passages)
    if not answer.answered:
        head = _decline(sources, t)
        passages = passages[:1]
        if passages:
            head += "\n\n" + _i(closest(t))
    return render_passages(passages, head=head, bot_username=bot_username, t=t)


def render_passages(passages: Sequence[Passage], *, head: str = "", bot_username: str = "", t: Translator = ENGLISH) -> list[str]:
    """Passage blocks packed into as few messages as fit, never splitting one."""
    room = MAX_MESSAGE - telegram_length(head) - 2
    blocks = [_fitted(p, room if i == 0 and head else MAX_MESSAGE, bot_username, t) for i, p in enumerate(passages)]
    return _pack(blocks, head) or [_e(not_covered(t))]


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


def render_shared(p: Passage, *, bot_username: str = "", t: Translator = ENGLISH) -> str:
    """One passage on its own, as sent from inline mode into any chat."""
    return _fitted(p, MAX_MESSAGE, bot_username, t, numbered=False)


def _fitted(p: Passage, room: int, bot_username: str, t: Translator, numbered: bool = True) -> str:
    """A passage block within ``room``, its excerpt cut down around the highlight as far as needed."""
    for budget in _EXCERPT_BUDGETS:
        block = _passage(p, budget, bot_username, t, numbered)
        if telegram_length(block) <= room:
            return block
    return _passage(replace(p, corroborations=()), _EXCERPT_BUDGETS[-1], "", t, numbered)


def _join(head: str, blocks: list[str]) -> str:
    return "\n\n".join(([head] if head else []) + blocks)


def _passage(p: Passage, budget: int | None, bot_username: str, t: Translator, numbered: bool = True) -> str:
    """Source line first, then where it stands, the quote with its answering sentence in bold, and who else reports it."""
    title = f"<b>{p.rank}.</b> {_cited(p)}" if numbered else _cited(p)
    before, highlight, after = _excerpt(p, budget)
    quote = f"{_e(before)}<b>{_e(highlight)}</b>{_e(after)}" if highlight else _e(before + after)
    lines = [title, _where(p, p, bot_username, t), f"<blockquote>{quote}</blockquote>"]
    if p.corroborations:
        lines.append(_also_reported(p.corroborations, 3 if budget is None else 1, t))
    return "\n".join(lines)


def _where(span: Passage, p: Passage, bot_username: str, t: Translator) -> str:
    """Where ``span`` stands in its article, then the shareable link to passage ``p`` when the bot's name is known."""
    where = _i(location(span, t))
    if link := deep_link(bot_username, p):
        label = _e(t.gettext("link to this passage"))
        where += f' · <a href="{html.escape(link, quote=True)}">{label}</a>'
    return where


def _also_reported(others: Sequence[Passage], limit: int, t: Translator) -> str:
    names = "; ".join(_cited(o) for o in others[:limit])
    if len(others) > limit:
        rest = len(others) - limit
        names = t.ngettext("%(names)s and %(count)d more", "%(names)s and %(count)d more", rest) % {"names": names, "count": rest}
    return _i(t.gettext("Also reported by:")) + f" {names}"


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


def render_context(passage: Passage, around: Sequence[Passage], *, bot_username: str = "", t: Translator = ENGLISH) -> str:
    """A passage with the text before and after it in its article: what a deep link and the Context button show."""
    before = [a for a in around if a.end <= passage.start]
    after = [a for a in around if a.start >= passage.end]
    first = before[0].paragraph_first if before else passage.paragraph_first
    last = after[-1].paragraph_last if after else passage.paragraph_last
    span = replace(passage, paragraph_first=first, paragraph_last=last)
    head = f"{_cited(passage)}\n{_where(span, passage, bot_username, t)}"
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


def render_corroborations(passages: Sequence[Passage], t: Translator = ENGLISH) -> list[str]:
    """Each passage of an answer with the other articles that report the same thing, linked to their sentences."""
    blocks = []
    for p in passages:
        blocks.append(f"<b>{p.rank}.</b> {_cited(p)}")
        if not p.corroborations:
            blocks[-1] += "\n" + _i(t.gettext("No other article in the collection reports this passage."))
        for other in p.corroborations:
            quote = _e(_cut_end(other.highlight, _MAX_QUOTE))
            blocks.append(f"• {_cited(other)}\n{_i(location(other, t))}\n<blockquote>{quote}</blockquote>")
    return _pack(blocks, _b(t.gettext("Who reports what this answer quotes")))


def _decline(sources: Sequence[SourceInfo], t: Translator) -> str:
    """Say so, and name what the articles do cover."""
    lines = [_b(not_covered(t))]
    if sources:
        lines.append(_e(t.gettext("The articles are about:")))
        shown = 0
        for info in sources[:_SOURCES_IN_DECLINE]:
            line = f"• {_source_line(info.source.title, info.source.publisher, info.source.url)}"
            if sum(map(len, lines)) + len(line) > _DECLINE_BUDGET:
                break
            lines.append(line)
            shown += 1
        if shown < len(sources):
            rest = len(sources) - shown
            lines.append(_e(t.ngettext("…and %(count)d more: see /sources", "…and %(count)d more: see /sources", rest) % {"count": rest}))
    return "\n".join(lines)


def render_sources(sources: Sequence[SourceInfo], t: Translator = ENGLISH) -> list[str]:
    """The article list, split into as many messages as it needs."""
    if not sources:
        return [_e(t.gettext("No articles are indexed yet."))]
    entries = []
    for number, info in enumerate(sources, 1):
        s = info.source
        details = ", ".join(_e(x) for x in (s.author, s.published) if x)
        entry = f"<b>{number}.</b> {_source_line(s.title, s.publisher, s.url)}"
        if details:
            entry += f" ({details})"
        if not s.url:
            entry += "\n" + _i(t.gettext("no link to the original is known"))
        entries.append(entry)
    return _pack(entries, _b(t.gettext("The articles I quote from")))
