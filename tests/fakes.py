"""Deterministic stand-ins for the embedding model."""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import replace
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.search import SearchSettings

# The tuned decline rule (index/search/tuned.json) is fitted to the real model's cosines; the hashed
# bag of words has cosines of another scale. With it, tests decline on word coverage alone, which is
# what that fake can honestly tell: a question is answered when the best passage holds 30% of its words.
FAKE_SETTINGS = SearchSettings(decline=(("intercept", -3.0), ("coverage", 10.0)), min_confidence=0.5)


class FakeEmbedder:
    """Bag of hashed words: texts that share words get similar unit vectors, with no model at all."""

    def __init__(self, name: str = "fake-hash-64", dimension: int = 64, max_tokens: int = 256) -> None:
        self.name = name
        self.backend = "fake"
        self.dimension = dimension
        self.max_tokens = max_tokens
        self.calls = 0

    def _words(self, text: str) -> list[str]:
        return [w[:5] for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2]

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in self._words(text):
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest[:2], "little") % self.dimension] += 1.0 if digest[2] & 1 else -1.0
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
        return out

    def encode_queries(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        return self.encode(texts, batch_size=batch_size)

    def count_tokens(self, text: str) -> int:
        return len(re.findall(r"\w+|[^\w\s]", text))


class SlowEmbedder(FakeEmbedder):
    """Signals through a file once it has started, then takes its time: a build to kill mid-way."""

    def __init__(self, started_flag: Path, delay: float = 0.5) -> None:
        super().__init__()
        self.started_flag = started_flag
        self.delay = delay

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        self.started_flag.touch()
        time.sleep(self.delay)
        return super().encode(texts, batch_size=batch_size)


class DelegatingRetriever:
    """Forwards every Retriever call to ``inner``; subclasses change what they need."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def search(self, question: str, top_k: int = 3):
        return self.inner.search(question, top_k)

    def sources(self):
        return self.inner.sources()

    def passage_at(self, doc_id: str, start: int, end: int, highlight=None):
        return self.inner.passage_at(doc_id, start, end, highlight)

    def surrounding(self, doc_id: str, start: int, end: int, radius: int = 1):
        return self.inner.surrounding(doc_id, start, end, radius)


class CorroboratingRetriever(DelegatingRetriever):
    """A retriever whose top passage is always corroborated by passages from other articles.

    The real search fills ``Passage.corroborations`` only where two articles state
    one fact alike (tests/test_sources_button.py builds such a corpus); on the seed
    corpus the fake embedder groups nothing, so this moves later passages from
    other articles under the first, for the views that show them.
    """

    def search(self, question: str, top_k: int = 3):
        answer = self.inner.search(question, top_k + 4)
        shown, rest = answer.passages[:top_k], answer.passages[top_k:]
        if shown:
            others = tuple(p for p in rest if p.doc_id != shown[0].doc_id)[:2]
            shown[0] = replace(shown[0], corroborations=others)
        return replace(answer, passages=shown)


class DelayedEmbedder(FakeEmbedder):
    """Takes ``delay`` seconds per question: keeps an answer in flight long enough to interrupt it."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        if len(texts) == 1:  # a question; builds encode in batches
            time.sleep(self.delay)
        return super().encode(texts, batch_size=batch_size)
