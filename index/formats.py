"""Answers as plain text for terminals and as JSON for scripts."""

from __future__ import annotations

import gettext
import textwrap
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, TextIO

from .models import Answer, Passage, SourceInfo
from .textfragments import text_fragment_url

__all__ = [
    "answer_to_json", "answer_to_text", "bold_marks", "closest", "context_to_text", "location", "not_covered",
    "passage_to_json", "sources_to_text", "source_label",
]

# The words of the text forms go through gettext, so the bot and its terminal chat can speak the
# reader's language (catalogs in bot/locales); the default is the source text, English.
_ENGLISH = gettext.NullTranslations()


def not_covered(t: gettext.NullTranslations = _ENGLISH) -> str:
    return t.gettext("The articles do not seem to cover this question.")


def closest(t: gettext.NullTranslations = _ENGLISH) -> str:
    return t.gettext("The closest passage, which may not answer it:")


def location(p: Passage, t: gettext.NullTranslations = _ENGLISH) -> str:
    """Where a passage stands in its article, in the reader's words (``Passage.location`` stays English, for JSON)."""
    where = {"first": p.paragraph_first, "last": p.paragraph_last, "count": p.paragraph_count}
    if p.paragraph_first == p.paragraph_last:
        return t.gettext("paragraph %(first)d of %(count)d") % where
    return t.gettext("paragraphs %(first)d–%(last)d of %(count)d") % where


def passage_to_json(passage: Passage) -> dict[str, Any]:
    fields = {k: v for k, v in asdict(passage).items() if k != "corroborations"}
    return {
        **fields,
        "location": passage.location,
        # The original article scrolled to the highlighted sentence; empty when no url is known.
        "fragment_url": text_fragment_url(passage.url, passage.highlight),
        # Passages of other articles reporting the same thing; shown as "also reported by".
        "corroborations": [passage_to_json(p) for p in passage.corroborations],
    }


def answer_to_json(answer: Answer) -> dict[str, Any]:
    return {
        "question": answer.question,
        "answered": answer.answered,
        "confidence": answer.confidence,
        "passages": [passage_to_json(p) for p in answer.passages],
    }


def bold_marks(stream: TextIO) -> tuple[str, str]:
    """ANSI bold on a terminal; Markdown-style stars where the output is piped or saved."""
    return ("\033[1m", "\033[0m") if stream.isatty() else ("**", "**")


def source_label(title: str, publisher: str) -> str:
    return f"{title} — {publisher}" if publisher else title


def answer_to_text(
    answer: Answer,
    sources: Sequence[SourceInfo] = (),
    *,
    bold: tuple[str, str] = ("**", "**"),
    width: int = 88,
    t: gettext.NullTranslations = _ENGLISH,
) -> str:
    """A readable answer: each passage with its source, link, place in the article and highlighted sentence."""
    if not answer.answered:
        lines = [not_covered(t)]
        if sources:
            lines += [t.gettext("They are about:"), *(f"  • {source_label(s.source.title, s.source.publisher)}" for s in sources)]
        if answer.passages:
            lines += ["", closest(t), "", _passage_text(answer.passages[0], bold, width, t)]
        return "\n".join(lines)
    return "\n\n".join(_passage_text(p, bold, width, t) for p in answer.passages)


def _passage_text(p: Passage, bold: tuple[str, str], width: int, t: gettext.NullTranslations) -> str:
    head = f"[{p.rank}] {source_label(p.title, p.publisher)} ({location(p, t)})"
    lines = [head]
    if p.url:
        lines.append(f"    {text_fragment_url(p.url, p.highlight)}")
    before, highlight, after = p.around_highlight()
    lines.append(_wrapped(before, highlight, after, bold, width))
    for other in p.corroborations:
        also = t.gettext("also reported by: %(source)s (%(location)s)")
        lines.append("    " + also % {"source": source_label(other.title, other.publisher), "location": location(other, t)})
        if other.url:
            lines.append(f"      {text_fragment_url(other.url, other.highlight)}")
    return "\n".join(lines)


def _wrapped(before: str, highlight: str, after: str, bold: tuple[str, str], width: int) -> str:
    # Wrap with placeholder marks of fixed width, then swap in the real ones
    # (ANSI codes would otherwise count towards the line width).
    marked = f"{before}\x01{highlight}\x02{after}" if highlight else before + after
    body = "\n".join(
        textwrap.fill(para, width=width, initial_indent="    ", subsequent_indent="    ")
        for para in marked.splitlines()
        if para.strip()
    )
    return body.replace("\x01", bold[0]).replace("\x02", bold[1])


def context_to_text(
    passage: Passage,
    around: Sequence[Passage],
    *,
    bold: tuple[str, str] = ("**", "**"),
    width: int = 88,
    t: gettext.NullTranslations = _ENGLISH,
) -> str:
    """A passage in bold-highlighted full, between the passages before and after it in its article."""
    head = t.gettext("%(source)s (%(location)s), in context") % {
        "source": source_label(passage.title, passage.publisher),
        "location": location(passage, t),
    }
    lines = [f"[{passage.rank}] {head}"]
    if passage.url:
        lines.append(f"    {text_fragment_url(passage.url, passage.highlight)}")
    quoted = _wrapped(*passage.around_highlight(), bold, width)
    blocks = [_wrapped(o.text, "", "", bold, width) for o in around if o.end <= passage.start]
    blocks.append("\n".join("  │ " + line[4:] for line in quoted.splitlines()))  # mark the passage itself
    blocks += [_wrapped(o.text, "", "", bold, width) for o in around if o.start >= passage.end]
    return "\n".join(lines) + "\n" + "\n\n".join(blocks)


def sources_to_text(sources: Sequence[SourceInfo], t: gettext.NullTranslations = _ENGLISH) -> str:
    lines = []
    for number, info in enumerate(sources, 1):
        s = info.source
        line = f"{number}. {source_label(s.title, s.publisher)}"
        details = ", ".join(x for x in (s.author, s.published) if x)
        if details:
            line += f" ({details})"
        lines.append(line)
        lines.append(f"   {s.url}" if s.url else "   (" + t.gettext("no link to the original is known") + ")")
    return "\n".join(lines)
