from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from index.chunking import ChunkSettings, chunk_corpus, chunk_document, estimate_tokens, paragraph_spans, sentence_spans
from index.corpus import load_corpus
from index.models import Document, Source

from .conftest import SEEDS


def _doc(text: str) -> Document:
    return Document(doc_id="t.txt", text=text, source=Source(title="t"), sha256="0")


def test_chunk_offsets_round_trip_on_seeds():
    docs = {d.doc_id: d for d in load_corpus(SEEDS)}
    chunks = chunk_corpus(list(docs.values()))
    assert len(chunks) > len(docs)
    for chunk in chunks:
        text = docs[chunk.doc_id].text
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.sentences[0].start == chunk.start and chunk.sentences[-1].end == chunk.end
        for span in chunk.sentences:
            assert chunk.start <= span.start < span.end <= chunk.end


def test_chunks_never_cut_a_sentence():
    for doc in load_corpus(SEEDS):
        whole = {
            (s.start, s.end) for p in paragraph_spans(doc.text) for s in sentence_spans(doc.text, p.start, p.end)
        }
        for chunk in chunk_document(doc):
            assert {(s.start, s.end) for s in chunk.sentences} <= whole


def test_chunking_is_deterministic():
    docs = load_corpus(SEEDS)
    first, second = chunk_corpus(docs), chunk_corpus(load_corpus(SEEDS))
    assert first == second
    assert len({c.chunk_id for c in first}) == len(first)


def test_chunks_fit_the_window():
    settings = ChunkSettings(max_tokens=40, min_tokens=8)
    for doc in load_corpus(SEEDS):
        for chunk in chunk_document(doc, settings):
            if len(chunk.sentences) > 1:  # a single over-long sentence is kept whole rather than cut
                assert estimate_tokens(chunk.text) <= settings.max_tokens + len(chunk.sentences)


def test_sentence_spans_keep_abbreviations_and_initials():
    text = 'Ekaterina L. Sokiryanskaya met Mr. Smith in the U.S. capital. “It is true,” she said. Then she left!'
    got = [text[s.start : s.end] for s in sentence_spans(text)]
    assert got == [
        "Ekaterina L. Sokiryanskaya met Mr. Smith in the U.S. capital.",
        "“It is true,” she said.",
        "Then she left!",
    ]


def test_paragraph_spans_one_per_line_and_hard_wrapped():
    assert len(paragraph_spans("First paragraph here.\nSecond one.\n\nThird.")) == 3
    wrapped = (
        "This paragraph was wrapped at a fixed width by the tool\n"
        "that saved it, so its lines are all about the same size\n"
        "and none of them is a paragraph on its own at all.\n\n"
        "A second paragraph follows after a blank line, also\n"
        "wrapped to the same width as the first one was here.\n"
    )
    paragraphs = paragraph_spans(wrapped)
    assert [wrapped[p.start : p.end].split()[0] for p in paragraphs] == ["This", "A"]


def test_short_heading_joins_the_paragraph_it_introduces():
    text = "Officials deny the reports\n\nThe ministry said on Monday that nothing of the kind had happened anywhere."
    [chunk] = chunk_document(_doc(text), ChunkSettings(max_tokens=200, min_tokens=8))
    assert chunk.text == text
    assert (chunk.paragraph_first, chunk.paragraph_last, chunk.paragraph_count) == (1, 2, 2)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab .!?\n\"“”’A1\u00a0é")), min_size=1, max_size=400))
def test_chunk_offsets_round_trip_on_any_text(text: str):
    doc = _doc(text)
    previous_end = 0
    for chunk in chunk_document(doc, ChunkSettings(max_tokens=12, min_tokens=3)):
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.text.strip() == chunk.text and chunk.text
        assert chunk.start >= previous_end
        previous_end = chunk.end


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=600))
def test_chunk_offsets_round_trip_on_any_unicode(text: str):
    """Emoji, right-to-left scripts, NUL bytes, CRLF: offsets still index the original text exactly."""
    for chunk in chunk_document(_doc(text), ChunkSettings(max_tokens=12, min_tokens=3)):
        assert text[chunk.start : chunk.end] == chunk.text
        for span in chunk.sentences:
            assert chunk.start <= span.start < span.end <= chunk.end
