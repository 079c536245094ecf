"""Shareable links to a passage in this bot, and turning them back into passages.

A link is ``https://t.me/<bot>?start=<token>``, the token being the passage's
locator (index/locator.py): offsets into its article, so it keeps working after
a rebuild of the same corpus, and for articles that have no url of their own.
"""

from __future__ import annotations

from index.locator import decode, doc_key, encode, locate
from index.models import Passage
from index.search import Retriever

__all__ = ["deep_link", "passage_token", "resolve"]


def passage_token(passage: Passage) -> str:
    return encode(locate(passage))


def deep_link(bot_username: str, passage: Passage) -> str:
    """The t.me link that opens ``passage`` in the bot; empty when the bot's name is unknown."""
    if not bot_username:
        return ""
    return f"https://t.me/{bot_username}?start={passage_token(passage)}"


def resolve(retriever: Retriever, token: str) -> Passage | None:
    """The passage a token names, or None for a forged, garbled or outdated one."""
    loc = decode(token)
    if loc is None:
        return None
    doc_ids = [s.doc_id for s in retriever.sources() if doc_key(s.doc_id) == loc.doc_key]
    if len(doc_ids) != 1:
        return None
    return retriever.passage_at(doc_ids[0], loc.start, loc.end, (loc.highlight_start, loc.highlight_end))
