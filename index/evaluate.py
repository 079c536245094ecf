"""Score retrieval against a question file: hit@k, MRR and abstention.

A question file holds one JSON object per line with ``id``, ``kind``,
``question`` and ``gold`` (phrases from the articles). A passage answers a
question when its text contains a gold phrase, compared after folding case,
curly quotes, dashes and runs of white space. ``absent`` questions have no gold
phrase: the right answer is to decline.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import QAError
from .models import Answer
from .search import Retriever

__all__ = ["EvalQuestion", "EvalReport", "fold", "load_questions", "evaluate"]

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

    @property
    def absent(self) -> bool:
        return not self.gold


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
            questions.append(EvalQuestion(str(row["id"]), str(row.get("kind", "")), str(row["question"]), tuple(row.get("gold") or ())))
        except (ValueError, KeyError, TypeError) as exc:
            raise QAError(f"{path}, line {number}: not a question object with id, question and gold ({exc}).") from exc
    return questions


def first_hit(question: EvalQuestion, answer: Answer) -> int | None:
    """1-based rank of the first passage holding a gold phrase, or None."""
    gold = [fold(g) for g in question.gold]
    for passage in answer.passages:
        text = fold(passage.text)
        if any(g in text for g in gold):
            return passage.rank
    return None


@dataclass
class EvalReport:
    answerable: int = 0
    hits: dict[int, int] = field(default_factory=lambda: {1: 0, 3: 0, 5: 0})
    reciprocal_rank: float = 0.0
    absent: int = 0
    absent_declined: int = 0
    wrongly_declined: int = 0
    misses: list[str] = field(default_factory=list)

    def hit_at(self, k: int) -> float:
        return self.hits[k] / self.answerable if self.answerable else 0.0

    @property
    def mrr(self) -> float:
        return self.reciprocal_rank / self.answerable if self.answerable else 0.0

    def as_dict(self) -> dict:
        return {
            "answerable": self.answerable,
            **{f"hit@{k}": round(self.hit_at(k), 4) for k in self.hits},
            "mrr": round(self.mrr, 4),
            "absent": self.absent,
            "absent_declined": self.absent_declined,
            "wrongly_declined": self.wrongly_declined,
            "misses": self.misses,
        }


def evaluate(retriever: Retriever, questions: list[EvalQuestion], top_k: int = 5) -> EvalReport:
    report = EvalReport()
    for q in questions:
        answer = retriever.search(q.question, top_k=max(top_k, 5))
        if q.absent:
            report.absent += 1
            report.absent_declined += not answer.answered
            continue
        report.answerable += 1
        report.wrongly_declined += not answer.answered
        rank = first_hit(q, answer)
        if rank is None:
            report.misses.append(q.id)
            continue
        report.reciprocal_rank += 1 / rank
        for k in report.hits:
            report.hits[k] += rank <= k
    return report
