from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.locator import MAX_TOKEN, Locator, decode, doc_key, encode

_KEY = st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"), min_size=8, max_size=8)
_OFFSET = st.integers(min_value=0, max_value=5 * 2**20)


@st.composite
def locators(draw) -> Locator:
    start, a, b, end = sorted(draw(st.lists(_OFFSET, min_size=4, max_size=4)))
    if a == b:
        b += 1
        end = max(end, b)
    return Locator(draw(_KEY), start, end, a, b)


@settings(max_examples=300, deadline=None)
@given(loc=locators())
def test_locator_round_trips_within_telegram_payload_rules(loc: Locator):
    token = encode(loc)
    assert len(token) <= MAX_TOKEN
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert decode(token) == loc


@settings(max_examples=300, deadline=None)
@given(junk=st.text(max_size=80))
def test_locator_decode_never_raises_on_garbage(junk: str):
    loc = decode(junk)
    assert loc is None or encode(loc) == junk


@settings(max_examples=200, deadline=None)
@given(loc=locators(), position=st.integers(min_value=8), char=st.sampled_from("0az-_A"))
def test_locator_edited_token_is_refused_or_another_canonical_one(loc: Locator, position: int, char: str):
    token = encode(loc)
    position %= len(token)
    forged = token[:position] + char + token[position + 1 :]
    decoded = decode(forged)
    assert decoded is None or encode(decoded) == forged


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "AAAAAAAA1-2-3",  # three numbers, not four
        "AAAAAAAA01-2-0-1",  # leading zero: not the canonical spelling
        "AAAAAAAAa-B-0-1",  # upper-case base 36
        "AAAAAAAA1-2-3-0",  # empty highlight
        "AAAAAAAA1-2-2-1",  # highlight past the passage end
        "AAAAAAAA1-2-0-1-5",  # extra field
        "AAAAAAA=1-2-0-1",  # not base64url
        "AAAAAAAA1-2-0-1\n",
        "AAAAAAAAzzzzzzzz-1-0-1",  # offset beyond any article
        "A" * 65,
    ],
)
def test_locator_decode_refuses_forged_payloads(token: str):
    assert decode(token) is None


def test_locator_doc_key_is_stable_and_distinct():
    assert doc_key("000_746d7626044fb8bd.txt") == doc_key("000_746d7626044fb8bd.txt")
    assert len({doc_key(f"{i}.txt") for i in range(1000)}) == 1000
    assert re.fullmatch(r"[A-Za-z0-9_-]{8}", doc_key("sub/dir/é.md"))


def test_locator_rejects_impossible_spans():
    with pytest.raises(ValueError):
        Locator("AAAAAAAA", 10, 5, 6, 7)
