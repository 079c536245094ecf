"""The readers behind `index add`, one source kind at a time, without a server."""

from __future__ import annotations

import json

import pytest

from index.errors import IngestError, QAError
from index.ingest.article import Article
from index.ingest.corpus_writer import name_for
from index.ingest.fetch import FetchLimits, kind_of
from index.ingest.html import decode_page, extract_html
from index.ingest.text import markdown_to_text

from .ingest_fixtures import PAGES

RUSSIAN = "<html><head>{meta}</head><body><p>Новый рынок открылся в субботу.</p></body></html>"


def test_decode_page_follows_the_meta_charset():
    body = RUSSIAN.format(meta='<meta charset="windows-1251">').encode("cp1251")
    assert "Новый рынок" in decode_page(body)


@pytest.mark.parametrize(("body", "declared", "message"), [
    (RUSSIAN.format(meta="").encode("utf-8"), "iso-8859-1", "says it is iso-8859-1 but is UTF-8"),
    (RUSSIAN.format(meta="").encode("cp1251"), "utf-8", "says it is utf-8 but is not"),
    (RUSSIAN.format(meta="").encode("cp1251"), "", "declares no charset and is not UTF-8"),
    (b"<html><p>x</p></html>", "klingon-8", "not a known encoding"),
])
def test_decode_page_refuses_a_wrong_or_missing_charset(body, declared, message):
    with pytest.raises(IngestError, match=message):
        decode_page(body, declared)


def test_markdown_to_text_keeps_the_words_not_the_markup():
    title, text = markdown_to_text(
        "# The headline\n\nSome *emphasis*, a [link](https://x.example) and `code`.\n\n"
        "## A subheading\n\n- one item\n- two items\n\n> quoted words\n\n<div>raw html</div>\n"
    )
    assert title == "The headline"
    assert text.splitlines() == ["Some emphasis, a link and code.", "A subheading", "one item", "two items", "quoted words"]


def test_name_for_is_stable_and_differs_by_address_or_text():
    a = Article(text="Some text.", url="https://www.ledger.example/news/2024/floods.html")
    assert name_for(a) == name_for(Article(text="Other text.", url="http://ledger.example/news/2024/floods.html/"))
    assert name_for(a).startswith("ledger-example-floods-") and name_for(a).endswith(".txt")
    assert name_for(Article(text="One.", title="Заголовок")) != name_for(Article(text="Two.", title="Заголовок"))


@pytest.mark.parametrize(("media_type", "body", "kind"), [
    ("text/html", b"<html>", "html"),
    ("application/octet-stream", b"%PDF-1.7", "pdf"),
    ("application/xml", b"<?xml version='1.0'?><rss>", "feed"),
    ("application/xml", b"<?xml version='1.0'?><html>", "html"),
])
def test_kind_of(media_type, body, kind):
    assert kind_of(media_type, body) == kind


@pytest.mark.parametrize(("name", "value"), [("INGEST_TIMEOUT_SECONDS", "0"), ("INGEST_MAX_MB", "lots")])
def test_fetch_limits_are_range_checked(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(QAError, match=name):
        FetchLimits.from_env()


def _page_text(name: str) -> str:
    return extract_html(decode_page((PAGES / f"{name}.html").read_bytes())).text


def test_extract_html_tables_become_plain_rows_and_the_kicker_goes_with_the_headline():
    table = _page_text("table-report")
    assert "Sugar · +38%" in table.splitlines() and "|" not in table.replace("2024 | Economy", "") and "---" not in table
    assert _page_text("captions-ads").startswith("Thirty-one village schools still rely on wood stoves")


def test_quality_script_scores_the_saved_pages(capsys):
    from index.ingest.quality import main

    assert main([str(PAGES), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert len(figures["pages"]) == 9 and all(page["f1"] > 0.9 and page["title_ok"] for page in figures["pages"])


def test_pdf_paragraphs_from_plain_lines_when_the_layout_cannot_tell():
    from index.ingest.pdf import _paragraphs

    page = ("The first paragraph runs over two printed lines of about the same\n"
            "width, and ends here.\n"
            "A second one starts on a new line and is hyphen-\n"
            "ated across the break, then carries on to the end of\n"
            "the line.\n"
            "7\n")
    assert _paragraphs(page).splitlines() == [
        "The first paragraph runs over two printed lines of about the same width, and ends here.",
        "A second one starts on a new line and is hyphenated across the break, then carries on to the end of the line.",
    ]
