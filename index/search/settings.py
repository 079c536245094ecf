"""How retrieval ranks and when it declines; the tuned values live in tuned.json beside this file.

``python -m index tune`` chooses the weights and the decline rule by
cross-validation over question files and writes them to tuned.json, which is
read here: the code never carries a copy of a tuned number.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["Mode", "SearchSettings", "TUNED_FILE", "load_tuned"]

Mode = Literal["hybrid", "dense", "bm25"]
TUNED_FILE = Path(__file__).with_name("tuned.json")


def load_tuned(path: Path = TUNED_FILE) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # untuned: the defaults below, which weigh every signal alike


_TUNED = load_tuned()


@dataclass(frozen=True)
class SearchSettings:
    # "dense" and "bm25" rank by the passage's cosine or BM25 alone: the plain
    # baselines that `index eval` measures ours against.
    mode: Mode = "hybrid"
    # Weight of each signal's z-score (over the candidates) in the ranking score; see signals.FEATURES.
    weights: tuple[tuple[str, float], ...] = tuple((_TUNED.get("weights") or {
        "dense_passage": 1.0, "dense_sentence": 1.0, "bm25_passage": 1.0, "bm25_sentence": 1.0,
    }).items())
    # The decline rule: confidence = logistic(intercept + Σ coefficient × signal of the top passage),
    # on absolute signals, so it is comparable across questions; declined below min_confidence.
    decline: tuple[tuple[str, float], ...] = tuple((_TUNED.get("decline") or {
        "intercept": -4.0, "dense_sentence": 6.0, "coverage": 3.0,
    }).items())
    min_confidence: float = float(_TUNED.get("min_confidence", 0.5))
    # Share of BM25 (against cosine) in picking a passage's highlighted sentence.
    highlight_lexical: float = 0.3
    # How many passages and sentences each of the four searches proposes.
    candidates: int = int(_TUNED.get("candidates", 100))
    # Two highlighted sentences from different articles report the same thing when
    # their cosine and their share of content words both reach these.
    same_fact_cosine: float = 0.8
    same_fact_words: float = 0.3
    # Other reports of a fact are looked for among this many of the best candidates.
    same_fact_pool: int = 50
