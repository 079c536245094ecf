"""The streamed BM25 writer (index/lexical_stream.py) against LexicalIndex.from_tokens, which it replaces on the driver."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from index.lexical import LexicalIndex, tokenize
from index.lexical_stream import LexicalSpool

from .conftest import seed_texts


def _random_rows(seed: int, rows: int = 900) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    vocabulary = [f"w{i}" for i in range(2_000)]
    out = [[vocabulary[min(int(z), 1_999)] for z in rng.zipf(1.3, int(rng.integers(0, 40)))] for _ in range(rows)]
    for i in rng.integers(0, rows, 30):  # empty rows anywhere, the first included
        out[i] = []
    out[0] = []
    return out


def _streamed(rows: list[list[str]], folder: Path, *, batch: int = 7, vocabulary: dict | None = None, min_runs: int = 4) -> Path:
    # Small runs and blocks: many runs feed every block, and the commonest words are blocks of their own.
    (folder / "scratch").mkdir(parents=True)
    spool = LexicalSpool(folder / "scratch", "rows", {} if vocabulary is None else vocabulary, run_tokens=100, block_postings=150)
    for start in range(0, len(rows), batch):
        spool.add(rows[start : start + batch])
    spool.save(folder / "index")
    assert len(spool.runs) >= min_runs
    spool.discard()
    assert not list((folder / "scratch").iterdir())
    return folder / "index"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _assert_same_index(rows: list[list[str]], tmp_path: Path, questions: list[list[str]], min_runs: int = 4) -> None:
    local = LexicalIndex.from_tokens(rows)
    local.save(tmp_path / "local")
    streamed_folder = _streamed(rows, tmp_path / "streamed", min_runs=min_runs)
    # In one process bm25s's word order is reproducible, so the files are too: byte for byte.
    assert _files(streamed_folder) == _files(tmp_path / "local")
    streamed = LexicalIndex.load(streamed_folder, mmap=True)
    assert streamed.rows == local.rows == len(rows)
    texts_words = [set(r) for r in rows]
    for question in questions:
        np.testing.assert_allclose(streamed.scores(question), local.scores(question), rtol=1e-5)
        assert [streamed.idf(w) for w in question] == [local.idf(w) for w in question]
        np.testing.assert_array_equal(streamed.coverage(question, texts_words), local.coverage(question, texts_words))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_streamed_index_on_random_rows_equals_the_index_from_tokens(tmp_path: Path, seed: int):
    rows = _random_rows(seed)
    rng = np.random.default_rng(seed + 100)
    questions = [[f"w{i}" for i in rng.integers(0, 2_500, 4)] for _ in range(20)] + [["w1", "w1", "nowhere"], []]
    _assert_same_index(rows, tmp_path, questions)
    assert any(LexicalIndex.load(tmp_path / "streamed" / "index").scores(q).any() for q in questions)


def test_streamed_index_on_the_seed_passages_and_sentences_equals_the_index_from_tokens(tmp_path: Path):
    paragraphs = [p for text in seed_texts().values() for p in text.split("\n\n")]
    sentences = [s for p in paragraphs for s in re.split(r"(?<=[.!?])\s+", p)]
    for name, texts in (("paragraphs", paragraphs), ("sentences", sentences)):
        rows = tokenize(texts)
        questions = [rows[i][:3] for i in range(0, len(rows), max(1, len(rows) // 25)) if rows[i]]
        _assert_same_index(rows, tmp_path / name, questions + [["detain", "chechnya"], ["lasagna"]])


def test_a_corpus_without_a_word_behaves_as_before(tmp_path: Path):
    rows: list[list[str]] = [[] for _ in range(40)]
    local = LexicalIndex.from_tokens(rows)
    local.save(tmp_path / "local")
    (tmp_path / "s").mkdir()
    spool = LexicalSpool(tmp_path / "s", "rows", {})
    for start in range(0, 40, 9):
        spool.add(rows[start : start + 9])
    spool.save(tmp_path / "streamed")
    assert _files(tmp_path / "streamed") == _files(tmp_path / "local")
    streamed = LexicalIndex.load(tmp_path / "streamed", mmap=True)
    assert streamed.rows == 40 and not streamed.scores(["men"]).any() and streamed.idf("men") == local.idf("men")


@pytest.mark.filterwarnings("ignore:Mean of empty slice", "ignore:invalid value encountered")  # bm25s, on the old path
def test_a_corpus_of_no_rows_is_refused_as_before(tmp_path: Path):
    with pytest.raises(ValueError):
        LexicalIndex.from_tokens([])
    spool = LexicalSpool(tmp_path, "rows", {})
    spool.add([])
    with pytest.raises(ValueError):
        spool.save(tmp_path / "streamed")


def test_two_indexes_sharing_one_vocabulary_equal_their_own_builds(tmp_path: Path):
    # The driver's passages and sentences share the word → id dict; each index keeps its own numbering.
    first, second = _random_rows(5, 300), _random_rows(6, 300)[::-1]
    vocabulary: dict[str, int] = {}
    for name, rows in (("first", first), ("second", second)):
        folder = _streamed(rows, tmp_path / name, vocabulary=vocabulary)
        LexicalIndex.from_tokens(rows).save(tmp_path / f"{name}-local")
        assert _files(folder) == _files(tmp_path / f"{name}-local")
    assert len(vocabulary) == len(set().union(*first, *second))


def test_odd_words_survive_the_vocabulary_file(tmp_path: Path):
    rows = [["", 'quo"te', "back\\slash", "new\nline", "ünïcödé", "задержания"], ["tab\there", "\u2028"], []]
    _assert_same_index(rows, tmp_path, [["задержания"], ['quo"te', "new\nline"], ["\u2028"]], min_runs=1)
