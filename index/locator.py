"""A passage's address as a short token, for deep links and button data.

The token names the article by a short hash of its ``doc_id`` and the passage
by character offsets into the article, never by a row number, so it stays valid
across rebuilds of an unchanged corpus. It uses only ``[A-Za-z0-9_-]`` and is at
most 64 characters, which is what Telegram's ``/start`` payload allows::

    <article key: 8 chars base64url><start>-<length>-<highlight offset>-<highlight length>

with the four numbers in lower-case base 36. Decoding is strict: anything that
does not re-encode to the very same token is refused, so a token has exactly
one spelling. Whether the address points at a real passage is for the
retriever to say.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

from .models import Passage

__all__ = ["Locator", "MAX_TOKEN", "decode", "doc_key", "encode", "locate"]

MAX_TOKEN = 64
_KEY_CHARS = 8  # 48 bits: collisions are negligible for any corpus this bot serves
_MAX_OFFSET = 36**7 - 1  # far beyond any article we accept (5 MiB)
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_TOKEN = re.compile(rf"[A-Za-z0-9_-]{{{_KEY_CHARS}}}[0-9a-z]{{1,7}}(?:-[0-9a-z]{{1,7}}){{3}}")


@dataclass(frozen=True)
class Locator:
    doc_key: str
    start: int
    end: int
    highlight_start: int
    highlight_end: int

    def __post_init__(self) -> None:
        if not (0 <= self.start <= self.highlight_start < self.highlight_end <= self.end <= _MAX_OFFSET):
            raise ValueError("a locator needs 0 <= start <= highlight_start < highlight_end <= end")
        if not re.fullmatch(rf"[A-Za-z0-9_-]{{{_KEY_CHARS}}}", self.doc_key):
            raise ValueError("a locator's doc_key is 8 base64url characters")


def doc_key(doc_id: str) -> str:
    digest = hashlib.blake2b(doc_id.encode("utf-8"), digest_size=6).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


def locate(passage: Passage) -> Locator:
    return Locator(doc_key(passage.doc_id), passage.start, passage.end, passage.highlight_start, passage.highlight_end)


def encode(loc: Locator) -> str:
    numbers = (loc.start, loc.end - loc.start, loc.highlight_start - loc.start, loc.highlight_end - loc.highlight_start)
    return loc.doc_key + "-".join(_base36(n) for n in numbers)


def decode(token: str) -> Locator | None:
    """The locator a token spells, or None for anything that is not one canonical token."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN or not _TOKEN.fullmatch(token):
        return None
    key, rest = token[:_KEY_CHARS], token[_KEY_CHARS:]
    start, length, offset, size = (int(part, 36) for part in rest.split("-"))
    try:
        loc = Locator(key, start, start + length, start + offset, start + offset + size)
    except ValueError:
        return None
    return loc if encode(loc) == token else None


def _base36(n: int) -> str:
    out = ""
    while True:
        n, digit = divmod(n, 36)
        out = _DIGITS[digit] + out
        if not n:
            return out
