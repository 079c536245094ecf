from __future__ import annotations

import html

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.render import MAX_MESSAGE, render_answer, render_help, render_sources, render_welcome
from index.models import Answer, Passage, Source, SourceInfo

from .botapi import parse_telegram_html, utf16_len


def _passage(text: str, rank: int = 1, title: str = "A <b>title</b> & more", url: str = "https://example.org/a?x=1&y=2",
             publisher: str = "Pub & Co") -> Passage:
    hl_start = len(text) // 3
    hl_end = max(hl_start + 1, 2 * len(text) // 3) if text else 0
    return Passage(
        rank=rank, score=0.5, doc_id="a.txt", title=title, publisher=publisher, url=url, text=text,
        start=100, end=100 + len(text), highlight=text[hl_start:hl_end],
        highlight_start=100 + hl_start, highlight_end=100 + hl_end,
        paragraph_first=4, paragraph_last=4, paragraph_count=9,
    )


SOURCES = [SourceInfo(doc_id=f"{i}.txt", source=Source(title=f"Article <{i}>", publisher="P&P", url=f"https://x.org/{i}")) for i in range(3)]


def _accepted(html_text: str) -> str:
    visible, error = parse_telegram_html(html_text)
    assert not error, (error, html_text[:300])
    assert utf16_len(html_text) <= MAX_MESSAGE
    return visible


def test_render_answer_escapes_article_text_and_cites():
    p = _passage("He said <script>alert(1)</script> & left. Then 5 > 3 and 2 < 4. Done now.")
    html_text = render_answer(Answer(question="<b>q</b>", answered=True, passages=[p]))
    visible = _accepted(html_text)
    assert "<script>" not in html_text and "&lt;script&gt;" in html_text
    assert "A <b>title</b> & more — Pub & Co" in visible
    assert 'href="https://example.org/a?x=1&amp;y=2"' in html_text
    assert "paragraph 4 of 9" in visible
    assert f"<b>{html.escape(p.highlight, quote=False)}</b>" in html_text
    assert "<blockquote>" in html_text


def test_render_answer_bolds_the_highlight():
    text = "First sentence here. The answering sentence. Last one."
    p = Passage(rank=1, score=0.9, doc_id="a.txt", title="T", publisher="", url="", text=text, start=0, end=len(text),
                highlight="The answering sentence.", highlight_start=21, highlight_end=44,
                paragraph_first=1, paragraph_last=1, paragraph_count=1)
    html_text = render_answer(Answer("q", True, [p]))
    assert "First sentence here. <b>The answering sentence.</b> Last one." in html_text
    assert "<a " not in html_text  # no url known: no link


def test_render_answer_declined_names_the_articles():
    html_text = render_answer(Answer("lasagna?", False, [_passage("Nearest text. Of all. Here.")]), SOURCES)
    visible = _accepted(html_text)
    assert "do not seem to cover" in visible
    assert all(f"Article <{i}>" in visible for i in range(3))
    assert "may not answer it" in visible


@pytest.mark.parametrize("size", [5000, 100_000])
def test_render_answer_long_passages_fit(size: int):
    passages = [_passage(("word & <tag> " * size)[:size], rank=i) for i in range(1, 6)]
    visible = _accepted(render_answer(Answer("q", True, passages)))
    assert "1." in visible


def test_render_answer_huge_metadata_still_fits():
    p = _passage("Short text. Really short.", title="T" * 10_000, publisher="P" * 10_000, url="https://x.org/" + "a" * 5000)
    sources = [SourceInfo(doc_id=str(i), source=Source(title="S" * 3000, url="https://x.org")) for i in range(50)]
    _accepted(render_answer(Answer("q", True, [p] * 3), sources))
    _accepted(render_answer(Answer("q", False, [p]), sources))


def test_render_sources_splits_long_lists():
    sources = [SourceInfo(doc_id=str(i), source=Source(title=f"Title {i} " * 10, publisher="Pub", url="https://x.org/" + "p" * 200)) for i in range(100)]
    messages = render_sources(sources)
    assert len(messages) > 1
    for message in messages:
        _accepted(message)
    assert sum(m.count("Title ") for m in messages) == 100 * 10


def test_render_welcome_and_help_are_valid_html():
    _accepted(render_welcome(SOURCES))
    _accepted(render_help())
    _accepted(render_sources([])[0])


_ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=3000)


@settings(max_examples=150, deadline=None)
@given(text=_ANY_TEXT, title=st.text(max_size=300), publisher=st.text(max_size=100), answered=st.booleans())
def test_render_answer_any_text_is_valid_and_short(text: str, title: str, publisher: str, answered: bool):
    passages = [_passage(text, rank=i, title=title or "t", publisher=publisher) for i in range(1, 4)]
    _accepted(render_answer(Answer("q", answered, passages), SOURCES))


@settings(max_examples=100, deadline=None)
@given(question=st.text(max_size=1000))
def test_render_answer_for_any_question_is_valid_and_short(fake_retriever, question: str):
    """Whatever a user types, what the bot sends back parses as Telegram HTML and fits one message."""
    answer = fake_retriever.search(question, 5)
    _accepted(render_answer(answer, fake_retriever.sources()))
