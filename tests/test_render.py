from __future__ import annotations

import html
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.render import MAX_MESSAGE, render_answer, render_context, render_corroborations, render_shared, render_sources
from bot.i18n import LANGUAGES, translations
from bot.texts import render_help, render_privacy, render_welcome
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


def _accepted(html_text: str | list[str]) -> str:
    """Every message valid Telegram HTML within the limit; their visible text joined."""
    messages = [html_text] if isinstance(html_text, str) else html_text
    assert messages
    visible = []
    for message in messages:
        text, error = parse_telegram_html(message)
        assert not error, (error, message[:300])
        assert utf16_len(message) <= MAX_MESSAGE
        visible.append(text)
    return "\n\n".join(visible)


def test_render_answer_escapes_article_text_and_cites():
    p = _passage("He said <script>alert(1)</script> & left. Then 5 > 3 and 2 < 4. Done now.")
    [html_text] = render_answer(Answer(question="<b>q</b>", answered=True, passages=[p]))
    visible = _accepted(html_text)
    assert "<script>" not in html_text and "&lt;script&gt;" in html_text
    assert "A <b>title</b> & more — Pub & Co" in visible
    assert 'href="https://example.org/a?x=1&amp;y=2#:~:text=' in html_text
    assert "paragraph 4 of 9" in visible
    assert f"<b>{html.escape(p.highlight, quote=False)}</b>" in html_text
    assert "<blockquote>" in html_text


def test_render_answer_bolds_the_highlight():
    text = "First sentence here. The answering sentence. Last one."
    p = Passage(rank=1, score=0.9, doc_id="a.txt", title="T", publisher="", url="", text=text, start=0, end=len(text),
                highlight="The answering sentence.", highlight_start=21, highlight_end=44,
                paragraph_first=1, paragraph_last=1, paragraph_count=1)
    [html_text] = render_answer(Answer("q", True, [p]))
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


@pytest.mark.parametrize("lang", LANGUAGES)
def test_render_welcome_help_and_privacy_are_valid_html_in_every_language(lang: str):
    t = translations(lang)
    for text in (render_welcome(SOURCES, t), render_help(t), render_privacy(t), render_sources([], t)[0]):
        _accepted(text)


_ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=3000)


@settings(max_examples=150, deadline=None)
@given(text=_ANY_TEXT, title=st.text(max_size=300), publisher=st.text(max_size=100), answered=st.booleans())
def test_render_answer_any_text_is_valid_and_short(text: str, title: str, publisher: str, answered: bool):
    passages = [_passage(text, rank=i, title=title or "t", publisher=publisher) for i in range(1, 4)]
    _accepted(render_answer(Answer("q", answered, passages), SOURCES))


def test_render_answer_splits_long_answers_between_passages():
    passages = [_passage(("Sentence & <more> words here. " * 100)[:2500], rank=i) for i in range(1, 6)]
    messages = render_answer(Answer("q", True, passages))
    _accepted(messages)
    assert len(messages) > 1
    assert sum(m.count("<blockquote>") for m in messages) == 5
    for message in messages:  # every message holds whole passages: each opens and closes its quote
        assert message.count("<blockquote>") == message.count("</blockquote>") >= 1
    assert [m.split("</b>", 1)[0] for m in messages][0] == "<b>1."
    assert all("…" not in m for m in messages)  # nothing needed cutting


def test_render_answer_links_the_passage_and_names_corroborating_articles():
    other = replace(_passage("Another paper says it too. Indeed."), doc_id="b.txt", title="Other <paper>", url="https://b.org/x")
    p = replace(_passage("One. The answering sentence, with a comma - and dash. Three."), corroborations=(other,))
    [html_text] = render_answer(Answer("q", True, [p]), bot_username="corpus_test_bot")
    visible = _accepted(html_text)
    assert "Also reported by: Other <paper>" in visible
    assert 'href="https://b.org/x#:~:text=' in html_text
    assert 'href="https://t.me/corpus_test_bot?start=' in html_text
    assert visible.index("A <b>title</b> & more") < visible.index("The answering sentence")  # source line first


def test_render_context_shows_neighbours_around_the_bold_passage():
    text = "Middle first. Middle answer. Middle end."
    p = Passage(rank=1, score=0.0, doc_id="a.txt", title="T", publisher="", url="", text=text, start=100, end=100 + len(text),
                highlight="Middle answer.", highlight_start=114, highlight_end=128, paragraph_first=3, paragraph_last=3, paragraph_count=9)
    before = replace(p, text="Before text & such.", start=50, end=69, highlight="", highlight_start=50, highlight_end=50, paragraph_first=2, paragraph_last=2)
    after = replace(p, text="After <text>.", start=200, end=213, highlight="", highlight_start=200, highlight_end=200, paragraph_first=4, paragraph_last=4)
    html_text = render_context(p, [before, p, after])
    visible = _accepted(html_text)
    assert "paragraphs 2–4 of 9" in visible
    assert visible.index("Before text & such.") < visible.index("Middle answer.") < visible.index("After <text>.")
    assert "<b>Middle answer.</b>" in html_text


def test_render_corroborations_lists_each_passage_and_its_other_sources():
    others = tuple(replace(_passage("Reported elsewhere. Yes."), title=f"Paper {i}", url=f"https://p{i}.org/") for i in range(40))
    messages = render_corroborations([replace(_passage("Alone here. Yes. Really."), rank=1), replace(_passage("Shared. Yes."), rank=2, corroborations=others)])
    visible = _accepted(messages)
    assert "No other article" in visible
    assert all(f"Paper {i}" in visible for i in range(40))


@settings(max_examples=60, deadline=None)
@given(text=_ANY_TEXT, title=st.text(max_size=300))
def test_render_shared_and_context_any_text_are_valid(text: str, title: str):
    p = _passage(text, title=title or "t")
    _accepted(render_shared(replace(p, corroborations=(p, p)), bot_username="corpus_test_bot"))
    _accepted(render_context(p, [replace(p, start=0, end=50), p, replace(p, start=10**6, end=10**6 + 5)]))


@settings(max_examples=100, deadline=None)
@given(question=st.text(max_size=1000))
def test_render_answer_for_any_question_is_valid_and_short(fake_retriever, question: str):
    """Whatever a user types, what the bot sends back parses as Telegram HTML and fits one message."""
    answer = fake_retriever.search(question, 5)
    _accepted(render_answer(answer, fake_retriever.sources()))
