from __future__ import annotations

from dataclasses import replace

from bot.links import deep_link, passage_token, resolve
from index.search import IndexRetriever


def test_links_deep_link_opens_the_same_passage(fake_retriever: IndexRetriever):
    for p in fake_retriever.search("Who denied the reports of detentions?", top_k=5).passages:
        link = deep_link("corpus_test_bot", p)
        token = link.split("?start=", 1)[1]
        assert link.startswith("https://t.me/corpus_test_bot?start=") and len(token) <= 64
        found = resolve(fake_retriever, token)
        assert found is not None
        assert (found.doc_id, found.start, found.end, found.highlight) == (p.doc_id, p.start, p.end, p.highlight)


def test_links_work_for_articles_without_url(fake_retriever: IndexRetriever):
    no_url = {s.doc_id for s in fake_retriever.sources() if not s.source.url}
    assert no_url, "the seed corpus has an article without url"
    doc_id = sorted(no_url)[0]
    hits = [p for p in fake_retriever.search("Chechnya gay men", top_k=40).passages if p.doc_id == doc_id]
    assert hits
    assert resolve(fake_retriever, passage_token(hits[0])).text == hits[0].text


def test_links_forged_or_outdated_tokens_resolve_to_nothing(fake_retriever: IndexRetriever):
    p = fake_retriever.search("Rainbow Railroad", top_k=1).passages[0]
    assert resolve(fake_retriever, "garbage") is None
    assert resolve(fake_retriever, passage_token(replace(p, doc_id="other.txt"))) is None
    assert resolve(fake_retriever, passage_token(replace(p, start=p.start + 1, highlight_start=p.highlight_start + 1))) is None
    assert deep_link("", p) == ""


def test_links_stay_valid_across_a_rebuild_of_the_same_corpus(fake_retriever: IndexRetriever, fake_embedder, corpus, tmp_path):
    from index.build import build_index
    from .fakes import FAKE_SETTINGS
    from index.store import load_index

    (corpus / "zzz_new.txt").write_text("An unrelated article added later. It shifts no offsets elsewhere.\n", encoding="utf-8")
    build_index(corpus, tmp_path / "rebuilt", fake_embedder, progress=False)
    index = load_index(tmp_path / "rebuilt", model=fake_embedder.name, dimension=fake_embedder.dimension)
    rebuilt = IndexRetriever(index, fake_embedder, FAKE_SETTINGS)
    passages = fake_retriever.search("Chechnya gay men detained", top_k=10).passages
    for p in passages:
        found = resolve(rebuilt, passage_token(p))
        assert found is not None and (found.text, found.highlight) == (p.text, p.highlight)
