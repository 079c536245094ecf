from __future__ import annotations

from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.textfragments import encode_directive_text, text_fragment_url


def _terms(link: str) -> list[str]:
    _, _, directive = link.partition(":~:text=")
    return [unquote(t) for t in directive.split(",")]


def test_text_fragment_short_sentence_is_one_term():
    link = text_fragment_url("https://example.org/a", "Police detained 100 men.")
    assert link == "https://example.org/a#:~:text=Police%20detained%20100%20men."


def test_text_fragment_long_sentence_uses_start_and_end():
    sentence = "A spokesman for the leader denied the report in a statement on Saturday, calling it lies."
    link = text_fragment_url("https://example.org/a", sentence)
    assert _terms(link) == ["A spokesman for the", "Saturday, calling it lies."]
    assert link.count(",") == 1  # the comma inside the end term is encoded


@pytest.mark.parametrize(("raw", "encoded"), [("-", "%2D"), (",", "%2C"), ("&", "%26"), (" ", "%20"), ("#", "%23"), ("é", "%C3%A9"), ("%", "%25")])
def test_text_fragment_reserved_characters_are_encoded(raw: str, encoded: str):
    assert encode_directive_text(f"a{raw}b") == f"a{encoded}b"


def test_text_fragment_keeps_an_existing_fragment_and_replaces_a_directive():
    assert text_fragment_url("https://x.org/p#sec", "Hello there.") == "https://x.org/p#sec:~:text=Hello%20there."
    assert text_fragment_url("https://x.org/p#:~:text=old", "New.") == "https://x.org/p#:~:text=New."


def test_text_fragment_without_url_or_words_is_unchanged():
    assert text_fragment_url("", "Some sentence.") == ""
    assert text_fragment_url("https://x.org/", "  \n ") == "https://x.org/"


@settings(max_examples=300, deadline=None)
@given(sentence=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=400))
def test_text_fragment_terms_are_safe_and_come_from_the_sentence(sentence: str):
    link = text_fragment_url("https://example.org/story?id=1&x=2", sentence)
    words = sentence.split()
    if not words:
        return
    directive = link.split(":~:text=", 1)[1]
    assert all(c.isascii() and (c.isalnum() or c in "%._~,") for c in directive)
    terms = _terms(link)
    normalised = " ".join(words)
    assert 1 <= len(terms) <= 2
    assert normalised.startswith(terms[0])
    assert normalised.endswith(terms[-1])
