"""BM25 over passages and sentences, with bm25s's sparse index saved beside the vectors.

Words are lower-cased, stop words dropped and the rest stemmed by the rules of
the text's language (index/language.py), so "detained" in a question meets
"detentions" in an article, and "задержаны" meets "задержания". The index is three
numpy arrays and two JSON files (bm25s's own format, read with pickle off), and
scoring touches only the posting lists of the question's words, so it scales with
the corpus the way the vector index does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence
from functools import lru_cache
from pathlib import Path

import bm25s
import bm25s.stopwords
import numpy as np
import Stemmer

from .language import DEFAULT_LANGUAGE, LANGUAGES

__all__ = ["LexicalIndex", "tokenize", "word_set", "words"]

_WORD = re.compile(r"(?u)\b\w\w+\b")
_STOPWORD_LISTS = {"en": "STOPWORDS_EN"} | {
    code: f"STOPWORDS_{name.upper()}" for code, name in LANGUAGES.items() if code != "en"
}


@lru_cache(maxsize=None)
def _rules(language: str) -> tuple[frozenset[str], Stemmer.Stemmer]:
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    stop = getattr(bm25s.stopwords, _STOPWORD_LISTS[language], ())
    return frozenset(stop), Stemmer.Stemmer(LANGUAGES[language])


@lru_cache(maxsize=65536)
def _stem(word: str, language: str) -> str:
    return _rules(language)[1].stemWord(word)


def words(text: str, language: str = DEFAULT_LANGUAGE) -> list[str]:
    """A text's stemmed content words, in order, by the rules of ``language``.

    Done here rather than by ``bm25s.tokenize``, whose per-call set-up costs more
    than the work when a question or one sentence is tokenized at a time.
    """
    stop = _rules(language)[0]
    return [_stem(w, language) for w in _WORD.findall(text.lower()) if w not in stop]


@lru_cache(maxsize=16384)
def word_set(text: str, language: str = DEFAULT_LANGUAGE) -> frozenset[str]:
    """A passage's or sentence's distinct content words, remembered: every question re-reads its candidates'."""
    return frozenset(words(text, language))


def tokenize(texts: Sequence[str], languages: Sequence[str] | None = None) -> list[list[str]]:
    languages = languages or [DEFAULT_LANGUAGE] * len(texts)
    return [words(t, lang) for t, lang in zip(texts, languages)]


class LexicalIndex:
    """BM25 scores of every row (passage or sentence) for a question."""

    def __init__(self, bm25: bm25s.BM25) -> None:
        self._bm25 = bm25
        indptr = np.asarray(bm25.scores["indptr"])
        self.rows = int(bm25.scores["num_docs"])
        # A word's posting list holds one entry per row containing it: its document frequency.
        self._df = np.diff(indptr)

    @classmethod
    def build(cls, texts: Sequence[str], languages: Sequence[str] | None = None) -> LexicalIndex:
        return cls.from_tokens(tokenize(texts, languages))

    @classmethod
    def from_tokens(cls, tokens: Sequence[list[str]]) -> LexicalIndex:
        """From texts already split by ``tokenize``: the benchmark reuses them across copies of a text."""
        bm25 = bm25s.BM25()
        # bm25s refuses a corpus without a single word; an index that matches nothing is the honest result.
        bm25.index(tokens if any(tokens) else [["\x00"]] * len(tokens), show_progress=False)
        return cls(bm25)

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder), allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, *, mmap: bool = False) -> LexicalIndex:
        bm25 = bm25s.BM25.load(str(folder), mmap=mmap, allow_pickle=False, show_progress=False)
        return cls(bm25)

    def scores(self, words: Sequence[str]) -> np.ndarray:
        """BM25 of every row for already tokenized question words; zeros when none is known."""
        ids = self._bm25.get_tokens_ids(list(words))
        if not ids:
            return np.zeros(self.rows, dtype=np.float32)
        return np.asarray(self._bm25.get_scores_from_ids(ids), dtype=np.float32)

    def idf(self, word: str) -> float:
        """How telling a word is: words the corpus never uses weigh the most."""
        token = self._bm25.vocab_dict.get(word)
        df = int(self._df[token]) if token is not None and token < len(self._df) else 0
        return math.log(1 + self.rows / (1 + df))

    def coverage(self, words: Sequence[str], texts_words: Sequence[Collection[str]]) -> np.ndarray:
        """For each text (as its words), the share of the question's information (idf-weighted words) it contains."""
        weights = {w: self.idf(w) for w in set(words)}
        total = sum(weights.values())
        if not total:
            return np.zeros(len(texts_words))
        sets = [t if isinstance(t, (set, frozenset)) else set(t) for t in texts_words]
        return np.array([sum(v for w, v in weights.items() if w in have) / total for have in sets])
