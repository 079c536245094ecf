"""Answers as plain text for terminals and as JSON for scripts."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, TextIO

from .models import Answer, Passage, SourceInfo
from .textfragments import text_fragment_url

__all__ = ["answer_to_json", "answer_to_text", "bold_marks", "context_to_text", "passage_to_json", "sources_to_text", "source_label"]

NOT_COVERED = "The articles do not seem to cover this question."
CLOSEST = "The closest passage, which may not answer it:"


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
) -> str:
    """A readable answer: each passage with its source, link, place in the article and highlighted sentence."""
    if not answer.answered:
        lines = [NOT_COVERED]
        if sources:
            lines += ["They are about:", *(f"  • {source_label(s.source.title, s.source.publisher)}" for s in sources)]
        if answer.passages:
            lines += ["", CLOSEST, "", _passage_text(answer.passages[0], bold, width)]
        return "\n".join(lines)
    return "\n\n".join(_passage_text(p, bold, width) for p in answer.passages)


def _passage_text(p: Passage, bold: tuple[str, str], width: int) -> str:
    head = f"[{p.rank}] {source_label(p.title, p.publisher)} ({p.location})"
    lines = [head]
    if p.url:
        lines.append(f"    {text_fragment_url(p.url, p.highlight)}")
    before, highlight, after = p.around_highlight()
    lines.append(_wrapped(before, highlight, after, bold, width))
    for other in p.corroborations:
        lines.append(f"    also reported by: {source_label(other.title, other.publisher)} ({other.location})")
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


def context_to_text(passage: Passage, around: Sequence[Passage], *, bold: tuple[str, str] = ("**", "**"), width: int = 88) -> str:
    """A passage in bold-highlighted full, between the passages before and after it in its article."""
    lines = [f"[{passage.rank}] {source_label(passage.title, passage.publisher)} ({passage.location}), in context"]
    if passage.url:
        lines.append(f"    {text_fragment_url(passage.url, passage.highlight)}")
    quoted = _wrapped(*passage.around_highlight(), bold, width)
    blocks = [_wrapped(o.text, "", "", bold, width) for o in around if o.end <= passage.start]
    blocks.append("\n".join("  │ " + line[4:] for line in quoted.splitlines()))  # mark the passage itself
    blocks += [_wrapped(o.text, "", "", bold, width) for o in around if o.start >= passage.end]
    return "\n".join(lines) + "\n" + "\n\n".join(blocks)


def sources_to_text(sources: Sequence[SourceInfo]) -> str:
    lines = []
    for number, info in enumerate(sources, 1):
        s = info.source
        line = f"{number}. {source_label(s.title, s.publisher)}"
        details = ", ".join(x for x in (s.author, s.published) if x)
        if details:
            line += f" ({details})"
        lines.append(line)
        lines.append(f"   {s.url}" if s.url else "   (no link to the original is known)")
    return "\n".join(lines)
