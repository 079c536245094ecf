"""Score retrieval against a question file: hit@k, MRR, abstention, per question kind.

A question file holds one JSON object per line with ``id``, ``kind``,
``question`` and ``gold`` (phrases from the articles). A passage answers a
question when its text contains a gold phrase, compared after folding case,
curly quotes, dashes and runs of white space. ``absent`` questions have no gold
phrase: the right answer is to decline. Questions may instead name the
documents that answer them (``gold_docs``), as the SQuAD check does.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .embedding import Embedder
from .errors import QAError
from .models import Answer
from .search import IndexRetriever, Retriever

__all__ = [
    "EvalQuestion", "EvalReport", "Calibration", "QuestionVectors", "calibrate", "fold", "load_questions", "evaluate",
    "first_hit", "with_question_vectors",
]

KS = (1, 3, 5)

_FOLDS = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"',
                        "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "\u00a0": " "})


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", text.translate(_FOLDS)).strip().casefold()


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    kind: str
    question: str
    gold: tuple[str, ...]
    gold_docs: tuple[str, ...] = ()

    @property
    def absent(self) -> bool:
        return not self.gold and not self.gold_docs


def load_questions(path: Path) -> list[EvalQuestion]:
    questions = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise QAError(f"Cannot read the question file {path}: {exc.strerror}.") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            questions.append(EvalQuestion(
                str(row["id"]), str(row.get("kind", "")), str(row["question"]),
                tuple(str(g) for g in row.get("gold") or ()), tuple(str(d) for d in row.get("gold_docs") or ()),
            ))
        except (ValueError, KeyError, TypeError) as exc:
            raise QAError(f"{path}, line {number}: not a question object with id, question and gold ({exc}).") from exc
    return questions


def first_hit(question: EvalQuestion, answer: Answer) -> int | None:
    """1-based rank of the first passage that answers, or None.

    A passage's corroborations count with it: the answer shows them at its rank,
    as the same fact reported by other articles.
    """
    gold = [fold(g) for g in question.gold]
    for passage in answer.passages:
        group = (passage, *passage.corroborations)
        if any(p.doc_id in question.gold_docs for p in group):
            return passage.rank
        if any(g in fold(p.text) for g in gold for p in group):
            return passage.rank
    return None


@dataclass
class Tally:
    """Figures for one group of questions."""

    answerable: int = 0
    hits: dict[int, int] = field(default_factory=lambda: dict.fromkeys(KS, 0))
    reciprocal_rank: float = 0.0
    absent: int = 0
    absent_declined: int = 0
    wrongly_declined: int = 0

    def hit_at(self, k: int) -> float:
        return self.hits[k] / self.answerable if self.answerable else 0.0

    @property
    def mrr(self) -> float:
        return self.reciprocal_rank / self.answerable if self.answerable else 0.0

    def add(self, question: EvalQuestion, answer: Answer, rank: int | None) -> None:
        if question.absent:
            self.absent += 1
            self.absent_declined += not answer.answered
            return
        self.answerable += 1
        self.wrongly_declined += not answer.answered
        if rank is not None:
            self.reciprocal_rank += 1 / rank
            for k in self.hits:
                self.hits[k] += rank <= k

    def as_dict(self) -> dict:
        figures = {"answerable": self.answerable}
        if self.answerable:
            figures |= {f"hit@{k}": round(self.hit_at(k), 4) for k in self.hits} | {"mrr": round(self.mrr, 4)}
            figures["wrongly_declined"] = self.wrongly_declined
        if self.absent:
            figures |= {"absent": self.absent, "absent_declined": self.absent_declined}
        return figures


@dataclass
class EvalReport(Tally):
    kinds: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    misses: list[str] = field(default_factory=list)
    # (confidence, should answer) for every question, for calibration
    confidences: list[tuple[float, bool]] = field(default_factory=list)

    @property
    def declined(self) -> int:
        return self.absent_declined + self.wrongly_declined

    @property
    def abstention_precision(self) -> float | None:
        """Of the questions declined, the share that should have been."""
        return self.absent_declined / self.declined if self.declined else None

    @property
    def abstention_recall(self) -> float | None:
        """Of the questions that should be declined, the share that were."""
        return self.absent_declined / self.absent if self.absent else None

    def as_dict(self) -> dict:
        figures = super().as_dict()
        figures["abstention_precision"] = _round(self.abstention_precision)
        figures["abstention_recall"] = _round(self.abstention_recall)
        figures["kinds"] = {kind: tally.as_dict() for kind, tally in sorted(self.kinds.items())}
        figures["misses"] = self.misses
        return figures


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def evaluate(retriever: Retriever, questions: Iterable[EvalQuestion], top_k: int = 5) -> EvalReport:
    report = EvalReport()
    for q in questions:
        answer = retriever.search(q.question, top_k=max(top_k, max(KS)))
        rank = None if q.absent else first_hit(q, answer)
        report.add(q, answer, rank)
        report.kinds[q.kind or "?"].add(q, answer, rank)
        report.confidences.append((answer.confidence, not q.absent))
        if not q.absent and (rank is None or rank > top_k):
            report.misses.append(q.id)
    return report


@dataclass(frozen=True)
class Calibration:
    threshold: float
    errors: int  # questions the threshold decides wrongly
    margin: float  # distance from the threshold to the nearest question, on either side


def calibrate(confidences: list[tuple[float, bool]]) -> Calibration | None:
    """The decline threshold with the fewest wrong decisions, centred in the widest gap.

    Needs both answerable and absent questions; None otherwise.
    """
    if len({answerable for _, answerable in confidences}) < 2:
        return None
    values = sorted({c for c, _ in confidences})
    cuts = [values[0] - 1e-3] + [(a + b) / 2 for a, b in zip(values, values[1:])] + [values[-1] + 1e-3]
    best = None
    for cut in cuts:
        errors = sum((c >= cut) != answerable for c, answerable in confidences)
        margin = min(abs(c - cut) for c, _ in confidences)
        if best is None or (errors, -margin) < (best.errors, -best.margin):
            best = Calibration(round(cut, 4), errors, round(margin, 4))
    return best


class QuestionVectors:
    """An embedder that encodes a whole question set up front, in batches.

    Comparing several rankings asks every question several times; encoding each
    once, batched, makes a SQuAD-sized run minutes shorter. Evaluation only: the
    bot keeps no questions.
    """

    def __init__(self, embedder: Embedder, questions: Iterable[str], batch_size: int = 64) -> None:
        self._embedder = embedder
        self.name, self.dimension, self.max_tokens = embedder.name, embedder.dimension, embedder.max_tokens
        self.backend = getattr(embedder, "backend", "")
        texts = sorted({q.strip() for q in questions})
        vectors = embedder.encode_queries(texts, batch_size=batch_size) if texts else np.zeros((0, embedder.dimension))
        self._vectors = dict(zip(texts, vectors))

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        return self._embedder.encode(texts, batch_size=batch_size)

    def encode_queries(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        if all(t in self._vectors for t in texts):
            return np.stack([self._vectors[t] for t in texts])
        return self._embedder.encode_queries(texts, batch_size=batch_size)

    def count_tokens(self, text: str) -> int:
        return self._embedder.count_tokens(text)


def with_question_vectors(retriever: IndexRetriever, questions: Iterable[EvalQuestion]) -> IndexRetriever:
    """The same index and settings, with every question encoded up front in batches: what `index eval` asks."""
    texts = [q.question for q in questions]
    return IndexRetriever(retriever.index, QuestionVectors(retriever.embedder, texts), retriever.settings)
