"""The article, not the page: drop what a saved web page adds around a news story.

Saved or copied pages carry lines that are not the story: teasers for other
articles ("Read More: …", "Related: …"), "This story is over 5 years old"
banners, share, follow and newsletter prompts, photo credits, and the headline
repeated as the first line. Indexed, they become passages of their own or open
real ones, and a question about the story can land on them.

``clean_article`` removes such lines, one whole line at a time, and moves what
they tell into metadata: the headline to the title, a dateline to
``published`` and a byline to ``author``. The rules are about the shape of page
furniture in general, never about particular articles; an operator can add
patterns for one source in ``sources.toml`` (``drop = ["regex", …]``).

The cleaned text is what the index stores: every offset, passage link and
text fragment refers to it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

__all__ = ["Cleaned", "clean_article"]

# Whole lines that are page furniture, in the languages the corpus is read in.
_FURNITURE = [
    # Teasers for other stories: "Read More: …", "Related: …", "See also …", "Читайте также: …".
    r"(?:read|see) (?:more|also)\b.*",
    r"(?:related|recommended|more from|also read|most read|trending)(?: stories| articles| content)?\s*[:–—-].*",
    r"(?:читайте|смотрите) (?:также|ещё|еще)\b.*",
    r"по теме\s*[:–—-].*",
    # Age banners: "This story is over 5 years old."
    r"this (?:story|article|post) is (?:over|more than) \w+ years? old\.?",
    # Share, follow, subscribe and newsletter prompts.
    r"(?:follow|like) (?:us|\S+(?: \S+){0,3}) on (?:twitter|facebook|instagram|telegram|x|youtube)\.?",
    r"(?:share (?:this|on)|sign up (?:for|to)|subscribe (?:to|for|now)|get our newsletter|click here)\b.{0,100}",
    r"(?:подпишитесь|подписывайтесь|поделиться)\b.{0,100}",
    # Photo and illustration credits, short lines only (see _MAX_FURNITURE).
    r"(?:photo|image|picture|illustration|graphic)s?(?:\s+(?:by|av|credit|courtesy of|via)|\s*:)\s+\S.{0,100}",
    r"(?:фото|иллюстрация)\s*[:—-].*",
    r"[\w .'’-]{0,60}/\s*(?:getty images|reuters|ap|afp|shutterstock)",
]
_MAX_FURNITURE = 160  # longer lines are prose that happens to start like furniture
_BYLINE = re.compile(r"(?:by|автор:?)\s+(\w[\w.'’-]*(?:\s+\w[\w.'’-]*){0,3})", re.IGNORECASE)
_DATE_FORMATS = ("%d %b, %Y", "%d %b %Y", "%d %B %Y", "%d %B, %Y", "%B %d, %Y", "%b %d, %Y", "%Y-%m-%d", "%d.%m.%Y")


@dataclass(frozen=True)
class Cleaned:
    text: str
    headline: str = ""  # the story's own first line, when it reads as one; no longer in ``text``
    published: str = ""  # ISO date from a dateline line, when one parses
    author: str = ""  # from a "By …" line
    dropped: int = 0  # lines removed as furniture, for the build log


def clean_article(text: str, title: str = "", extra_patterns: Sequence[str] = ()) -> Cleaned:
    """The story's text with furniture lines removed, and what they said about it.

    ``title`` is the known title, if any: a first line equal to it is the repeated headline.
    """
    furniture = _compile(extra_patterns)
    kept: list[str] = []
    headline = published = author = ""
    dropped = 0
    seen_text = False  # datelines, bylines and the headline only stand before the story starts
    for line in text.splitlines():
        bare = line.strip()
        if not bare:
            kept.append("")
            continue
        if len(bare) <= _MAX_FURNITURE and furniture.fullmatch(bare):
            dropped += 1
            continue
        if not seen_text:
            if not headline and _same_words(bare, title) or not title and not headline and _is_headline(bare):
                headline = bare
                dropped += 1
                continue
            if not published and (date := _parse_date(bare)):
                published = date
                dropped += 1
                continue
            if not author and (match := _BYLINE.fullmatch(bare)):
                author = match.group(1)
                dropped += 1
                continue
        seen_text = seen_text or len(bare.split()) > 12
        kept.append(line.rstrip())
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")
    return Cleaned(body, headline, published, author, dropped)


def _compile(extra: Sequence[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in [*_FURNITURE, *extra]), re.IGNORECASE)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def _same_words(line: str, title: str) -> bool:
    return bool(title) and _words(line) == _words(title)


def _is_headline(line: str) -> bool:
    """A short first line in title shape: several words, a capital first, no full stop at the end."""
    words = line.split()
    return 2 <= len(words) <= 25 and len(line) <= 150 and line[-1] not in ".,;:!?…" and line[0].isupper()


def _parse_date(line: str) -> str:
    cleaned = line.strip(" .–—-")
    if len(cleaned) > 30:
        return ""
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date().isoformat()
        except ValueError:
            continue
    return ""
