"""`python -m index add | list | remove` against sources served from a loopback web server."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from index.cli import main
from index.corpus import load_corpus
from index.ingest.commands import passage_counts
from index.search import IndexRetriever
from index.store import load_index
from index.config import IndexConfig

from .fakes import FakeEmbedder
from .ingest_fixtures import PAGES, LoopbackSite, html_page, make_pdf, redirect, rss, scanned_pdf, slow

REPORT = [
    "Monitors counted forty cases in which people vanished after being detained by men in uniform, "
    "and their relatives could not learn where they were held or whether they were still alive.",
    "In nine cases the missing person was later found in custody in another region, after weeks "
    "without a lawyer. The report asks prosecutors to open an investigation into every case.",
    "It also asks foreign governments to raise the cases in talks and to offer visas to relatives who fear reprisals.",
]
NAV_ONLY = (b"<html><head><title>Home</title></head><body><nav><a href='/a'>News</a> <a href='/b'>Sport</a></nav>"
            b"<div class='cookie'>We use cookies. <button>OK</button></div><footer>(c) 2024</footer></body></html>")


def _routes() -> dict:
    big = b"<html><body>" + b"<p>" + b"word " * 300_000 + b"</p></body></html>"

    def endless(handler) -> None:  # no Content-Length: only the cap stops the reading
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()
        try:
            for _ in range(400):
                handler.wfile.write(b"<p>" + b"more words " * 1000 + b"</p>")
        except (BrokenPipeError, ConnectionResetError):
            pass

    russian = (PAGES / "ru-market.html").read_text(encoding="utf-8").replace('<meta charset="utf-8">', "")
    return {
        "/news/flood": html_page("river-flood"),
        "/news/court": html_page("court-ruling"),
        "/news/brief": html_page("brief"),
        "/hop": redirect("/news/flood"),
        **{f"/loop/{n}": redirect(f"/loop/{n + 1}") for n in range(10)},
        "/report.pdf": (200, {"Content-Type": "application/pdf"}, make_pdf(
            REPORT, title="Forty disappearances: annual report", author="Civic Rights Monitor", created="D:20221001120000Z")),
        "/feed.xml": (200, {"Content-Type": "application/rss+xml"}, rss([
            {"title": "Appeals court orders release", "link": "/news/court", "pubDate": "Thu, 02 Nov 2023 16:05:00 GMT"},
            {"title": "Gone", "link": "/gone"},
            {"title": "No link at all"},
            {"title": "Airport reopens", "link": "/news/brief", "author": "desk@region.example (News desk)",
             "pubDate": "Fri, 03 Jan 2025 09:00:00 GMT"},
        ])),
        "/slow": slow(3),
        "/image.png": (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n" + bytes(200)),
        "/binary": (200, {"Content-Type": "text/html"}, b"\x00\x01\x02" * 100),
        "/big": (200, {"Content-Type": "text/html"}, big),
        "/endless": endless,
        "/wrong-charset": (200, {"Content-Type": "text/html; charset=utf-8"}, russian.encode("cp1251")),
        "/no-charset": (200, {"Content-Type": "text/html"}, russian.encode("cp1251")),
        "/nav-only": (200, {"Content-Type": "text/html; charset=utf-8"}, NAV_ONLY),
        "/scan.pdf": (200, {"Content-Type": "application/pdf"}, scanned_pdf()),
    }


@pytest.fixture(scope="module")
def site():
    with LoopbackSite(_routes()) as running:
        yield running


@pytest.fixture(scope="module")
def feed_url(site: LoopbackSite) -> str:
    status, headers, body = site.routes["/feed.xml"]
    site.routes["/feed.xml"] = (status, headers, body.replace(b"<link>/", b"<link>" + site.url("/").encode()))
    return site.url("/feed.xml")


def _add_json(capsys, corpus: Path, *sources: str, extra: tuple[str, ...] = ()) -> tuple[int, list[dict]]:
    code = main(["add", *sources, "--corpus", str(corpus), "--no-build", "--json", *extra])
    out = capsys.readouterr().out
    return code, [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.fixture(autouse=True)
def short_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INGEST_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("INGEST_MAX_MB", "1")


def test_add_url_writes_text_and_metadata(site, tmp_path, capsys):
    corpus = tmp_path / "corpus"
    code, [result] = _add_json(capsys, corpus, site.url("/news/flood"))
    assert code == 0 and result["status"] == "added" and result["error"] is None
    assert set(result) == {"source", "status", "doc_id", "path", "title", "url", "publisher", "author",
                           "published", "language", "chars", "error"}
    assert result["title"] == "Floodwaters recede in the Argun valley as villages count the damage"
    assert (result["publisher"], result["author"], result["published"], result["language"]) == (
        "Caucasus Daily Ledger", "Marta Kovalenko", "2024-05-14", "en")
    assert result["url"] == "https://ledger.example/news/2024/05/argun-valley-floods"  # the canonical address
    text = (corpus / result["doc_id"]).read_text(encoding="utf-8")
    assert text.startswith("Residents of four mountain villages") and len(text) == result["chars"]
    for boilerplate in ("cookies", "Share on", "Related stories", "Shameful", "Sign up", "All rights reserved"):
        assert boilerplate not in text
    [doc] = load_corpus(corpus)
    assert doc.source.title == result["title"] and doc.source.url == result["url"]


def test_add_twice_by_address_redirect_canonical_or_text_is_one_article(site, tmp_path, capsys):
    corpus = tmp_path / "corpus"
    _, [first] = _add_json(capsys, corpus, site.url("/news/flood"))
    saved = tmp_path / "saved.html"
    shutil.copy(PAGES / "river-flood.html", saved)
    copy_without_url = tmp_path / "copy" / "page.htm"
    copy_without_url.parent.mkdir()
    copy_without_url.write_bytes(saved.read_bytes().replace(b'<link rel="canonical"', b'<link rel="x"'))
    code, again = _add_json(capsys, corpus, site.url("/news/flood"), site.url("/hop"), str(copy_without_url))
    assert code == 0 and [r["status"] for r in again] == ["duplicate"] * 3
    assert {r["doc_id"] for r in again} == {first["doc_id"]}
    code, [canonical] = _add_json(capsys, corpus, str(saved), extra=("--url", "https://ledger.example/other-path"))
    assert canonical["status"] == "duplicate"
    assert len(load_corpus(corpus)) == 1


def test_add_pdf_by_url_and_file(site, tmp_path, capsys):
    corpus = tmp_path / "corpus"
    code, [result] = _add_json(capsys, corpus, site.url("/report.pdf"))
    assert code == 0 and result["status"] == "added"
    assert (result["title"], result["author"], result["published"], result["language"]) == (
        "Forty disappearances: annual report", "Civic Rights Monitor", "2022-10-01", "en")
    text = (corpus / result["doc_id"]).read_text(encoding="utf-8")
    assert text.splitlines() == REPORT  # printed lines joined back into the three paragraphs, one ending at full width
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(make_pdf(REPORT[:2]))
    code, [local] = _add_json(capsys, corpus, str(pdf))
    assert code == 0 and local["status"] == "added" and local["url"] is None


def test_add_feed_adds_good_entries_and_reports_broken_ones(site, feed_url, tmp_path, capsys):
    corpus = tmp_path / "corpus"
    code, results = _add_json(capsys, corpus, feed_url)
    assert code == 1  # something failed, and says so
    assert [r["status"] for r in results] == ["added", "failed", "failed", "added"]
    assert "404" in results[1]["error"] and "no http(s) link" in results[2]["error"]
    brief = results[3]
    assert brief["title"] == "Airport reopens after fog delays" and brief["publisher"] == "Region Now"
    assert brief["published"] == "2025-01-03"  # from the feed: the page does not say
    assert len(load_corpus(corpus)) == 2


def test_add_feed_file_and_folder(site, feed_url, tmp_path, capsys):
    corpus, folder = tmp_path / "corpus", tmp_path / "inbox"
    folder.mkdir()
    (folder / "latest.xml").write_bytes(site.routes["/feed.xml"][2])
    shutil.copy(PAGES / "ngo-report.html", folder / "report.html")
    (folder / "notes.md").write_text("# Field notes from the valley\n\n" + "\n\n".join(
        f"Paragraph {n} with **bold** words, a [link](https://example.org/{n}) and `code` that reads as text "
        "rather than markup, long enough to count as part of an article." for n in range(3)), encoding="utf-8")
    (folder / "statement.txt").write_text("Statement from the district office\n\n" + " ".join(
        f"Sentence {n} of the statement about the road repairs in the valley." for n in range(8)), encoding="utf-8")
    (folder / "ignored.docx").write_bytes(b"PK")
    code, results = _add_json(capsys, corpus, str(folder))
    statuses = {r["source"].rsplit("/", 1)[-1]: r["status"] for r in results}
    assert statuses["notes.md"] == "added" and statuses["report.html"] == "added"
    assert statuses["court"] == "added" and statuses["statement.txt"] == "added" and "ignored.docx" not in statuses
    notes = next(r for r in results if r["source"].endswith("notes.md"))
    assert notes["title"] == "Field notes from the valley"
    text = Path(notes["path"]).read_text(encoding="utf-8")
    assert "**" not in text and "](" not in text and "`" not in text and "a link and code that reads" in text


BAD_INPUTS = [
    ("/missing", "the server answered 404 Not Found"),
    ("/slow", "time-out"),
    ("/image.png", "image/png, not a web page, PDF, text or feed"),
    ("/binary", "binary data"),
    ("/nav-only", "the page has no article text"),
    ("/scan.pdf", "the PDF has no text layer"),
    ("/wrong-charset", "it says it is utf-8 but is not"),
    ("/no-charset", "declares no charset and is not UTF-8"),
    ("/big", "over the 1 MB limit"),
    ("/endless", "over the 1 MB limit"),
    ("/loop/0", "more than 5 redirects"),
]


@pytest.mark.parametrize(("path", "message"), BAD_INPUTS, ids=[p for p, _ in BAD_INPUTS])
def test_add_bad_input_fails_with_one_line_and_writes_nothing(site, corpus, path, message, capsys, monkeypatch):
    # A loaded machine may stream 1 MB slower than the short time-out; only /slow is about time.
    monkeypatch.setenv("INGEST_TIMEOUT_SECONDS", "1" if path == "/slow" else "20")
    before = {p.name: p.read_bytes() for p in corpus.iterdir()}
    code = main(["add", site.url(path), "--corpus", str(corpus)])  # the build would run, were anything added
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert captured.err.count("\n") == 1 and message in captured.err and captured.err.startswith("error: http")
    assert {p.name: p.read_bytes() for p in corpus.iterdir()} == before


def test_add_keeps_operator_comments_and_order(site, corpus, capsys):
    toml_before = (corpus / "sources.toml").read_text(encoding="utf-8")
    code, [result] = _add_json(capsys, corpus, site.url("/news/court"))
    assert code == 0
    toml_after = (corpus / "sources.toml").read_text(encoding="utf-8")
    assert toml_after.startswith(toml_before.rstrip("\n"))
    assert f'["{result["doc_id"]}"]' in toml_after and 'publisher = "North Wire"' in toml_after
    assert len(load_corpus(corpus)) == 6


def test_add_builds_and_the_new_article_answers(site, tmp_path, monkeypatch, capsys):
    import index.embedding

    embedder = FakeEmbedder()
    monkeypatch.setattr(index.embedding, "load_embedder", lambda *a, **k: embedder)
    corpus, out = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(Path(__file__).resolve().parents[1] / "seeds", corpus)
    assert main(["add", site.url("/news/court"), "--corpus", str(corpus), "--index", str(out)]) == 0
    err = capsys.readouterr().err
    assert "Indexed 6 articles" in err
    doc_id = next(d.doc_id for d in load_corpus(corpus) if d.source.publisher == "North Wire")
    assert passage_counts(out)[doc_id] >= 1 and f"{doc_id}: " in err
    retriever = IndexRetriever(load_index(out), embedder, IndexConfig().search_settings)
    answer = retriever.search("Which appeals court ordered the reporter Saidov released from detention?", top_k=1)
    assert answer.passages[0].doc_id == doc_id

    assert main(["list", "--corpus", str(corpus), "--index", str(out)]) == 0
    listing = capsys.readouterr().out
    assert doc_id in listing and "North Wire" in listing and "2023-11-02" in listing

    assert main(["remove", "https://northwire.example/2023/11/02/appeals-court-reporter-release",
                 "--corpus", str(corpus), "--index", str(out)]) == 0
    assert not (corpus / doc_id).exists() and doc_id not in (corpus / "sources.toml").read_text(encoding="utf-8")
    assert doc_id not in passage_counts(out) and len(passage_counts(out)) == 5


def test_add_feed_option_reads_a_feed_served_as_a_web_page(site, feed_url, tmp_path, capsys):
    status, _, body = site.routes["/feed.xml"]
    site.routes["/feed-as-page"] = (status, {"Content-Type": "text/html; charset=utf-8"}, body)
    code, results = _add_json(capsys, tmp_path / "corpus", site.url("/feed-as-page"), extra=("--feed",))
    assert [r["status"] for r in results] == ["added", "failed", "failed", "added"]
