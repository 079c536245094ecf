from __future__ import annotations

import pytest

from index.cleaning import clean_article
from index.corpus import load_corpus

from .conftest import SEEDS

_STORY = (
    "A council in the northern district voted on Tuesday to reopen the old library, "
    "after two years of closure and a long campaign by residents."
)


@pytest.mark.parametrize(
    "furniture",
    [
        "Read More: Ten Things to Do This Weekend",
        "Read more Why the river flooded again",
        "Related: Council budget explained",
        "See also: Our guide to the election",
        "This story is over 7 years old.",
        "This article is more than 3 years old",
        "Follow Jane Roe on Twitter.",
        "Follow us on Facebook",
        "Sign up for our morning newsletter and never miss a story",
        "Subscribe to our channel",
        "Share this article",
        "Photo: John Smith",
        "Illustration by A. Painter",
        "Jane Roe/Getty Images",
        "Читайте также: Новый мост через реку",
        "Подпишитесь на наш канал",
        "Фото: пресс-служба",
    ],
)
def test_clean_article_drops_furniture_lines(furniture: str):
    cleaned = clean_article(f"{_STORY}\n\n{furniture}\n\n{_STORY}")
    assert furniture not in cleaned.text
    assert cleaned.text == f"{_STORY}\n\n{_STORY}"
    assert cleaned.dropped == 1


@pytest.mark.parametrize(
    "prose",
    [
        "Photos of the meeting show that the hall was full and that many residents had to stand outside.",
        "Video footage showed the mayor leaving early.",
        "The council said it would follow the advice of the report, according to Reuters.",
        "By Saturday, the paper reported, more than a hundred people had signed the petition.",
    ],
)
def test_clean_article_keeps_prose_that_starts_like_furniture(prose: str):
    cleaned = clean_article(f"{_STORY}\n\n{prose}")
    assert prose in cleaned.text


def test_clean_article_moves_headline_dateline_and_byline_to_metadata():
    text = f"Library Reopens After Two Years\n\n28 Apr, 2017\nBy Jane Roe\n\n{_STORY}\n\nBy the end of the day it was full."
    cleaned = clean_article(text)
    assert cleaned.headline == "Library Reopens After Two Years"
    assert cleaned.published == "2017-04-28"
    assert cleaned.author == "Jane Roe"
    assert cleaned.text == f"{_STORY}\n\nBy the end of the day it was full."


def test_clean_article_drops_the_known_title_repeated_as_first_line():
    cleaned = clean_article(f"Library reopens after two years\n\n{_STORY}", title="Library Reopens After Two Years")
    assert cleaned.text == _STORY and cleaned.headline


def test_clean_article_keeps_a_first_sentence_that_is_not_a_headline():
    cleaned = clean_article(_STORY)
    assert cleaned.text == _STORY and not cleaned.headline


def test_clean_article_takes_a_cyrillic_headline():
    cleaned = clean_article("Библиотеку открыли после ремонта\n\n" + "Жители района пришли на открытие библиотеки в четверг утром.")
    assert cleaned.headline == "Библиотеку открыли после ремонта"


def test_clean_article_applies_extra_patterns():
    cleaned = clean_article(f"{_STORY}\n\nAdvertisement — scroll to continue", extra_patterns=[r"advertisement\b.*"])
    assert cleaned.text == _STORY


def test_seed_corpus_loses_its_page_furniture_and_keeps_offsets_exact():
    documents = {d.doc_id: d for d in load_corpus(SEEDS)}
    vice = documents["001_13b6dd248fb1f0d6.txt"]
    assert "This story is over" not in vice.text and "Follow Matt Baume" not in vice.text
    assert not vice.text.startswith("Activists Are Scrambling")  # the headline is the title, not a passage
    assert "Read More" not in documents["004_d2e2180413f84a86.txt"].text
    glxy = documents["002_c6844e9f196c398b.txt"]
    assert "28 Apr, 2017" not in glxy.text and glxy.source.published == "2017-04-28"


def test_sources_toml_drop_patterns_remove_one_sources_furniture(corpus, caplog):
    vice = corpus / "001_13b6dd248fb1f0d6.txt"
    vice.write_text(vice.read_text(encoding="utf-8") + "\n\nAdvertisement — keep scrolling\n", encoding="utf-8")
    text = (corpus / "sources.toml").read_text(encoding="utf-8")
    text = text.replace('author = "Matt Baume"', 'author = "Matt Baume"\ndrop = ["advertisement\\\\b.*", "("]')
    (corpus / "sources.toml").write_text(text, encoding="utf-8")
    documents = {d.doc_id: d for d in load_corpus(corpus)}
    assert "Advertisement" not in documents["001_13b6dd248fb1f0d6.txt"].text
    assert "not a valid regular expression" in caplog.text  # the bad pattern is named, the good one still applies
