"""Signals → one ranking score per candidate, and → one confidence that the corpus answers.

Ranking standardises each signal over the candidates (z-scores) and sums them
with the tuned weights. A z-score, unlike min-max scaling, is not squashed by
one outlier, and a signal that is flat across the candidates (a Russian
question finds no English word for BM25) contributes nothing instead of noise.

Declining is an absolute judgement on the top passage alone: a logistic rule
over signals that mean the same across questions (cosines, word coverage),
fitted by `index tune` on answerable and absent questions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from .signals import COLUMN, Candidates

__all__ = ["rank_scores", "confidence", "standardise"]


def standardise(features: np.ndarray) -> np.ndarray:
    """Each column as z-scores over the rows; a constant column becomes 0."""
    if len(features) == 0:
        return features
    spread = features.std(axis=0)
    return np.divide(features - features.mean(axis=0), spread, out=np.zeros_like(features), where=spread > 1e-9)


def weight_vector(weights: Iterable[tuple[str, float]]) -> np.ndarray:
    w = np.zeros(len(COLUMN))
    for name, value in weights:
        w[COLUMN[name]] = value
    return w


def rank_scores(candidates: Candidates, mode: str, weights: Iterable[tuple[str, float]]) -> np.ndarray:
    if mode == "dense":
        return candidates.column("dense_passage").copy()
    if mode == "bm25":
        return candidates.column("bm25_passage").copy()
    return standardise(candidates.features) @ weight_vector(weights)


def confidence(top_features: np.ndarray, rule: Iterable[tuple[str, float]], crosslingual: bool = False) -> float:
    """logistic(intercept + Σ coefficient × signal), in [0, 1].

    A question in another language than the articles shares no words with them
    whether or not they answer it: its word coverage is taken as the typical one
    (``coverage_fill``, fitted with the rule) and the vectors decide.
    """
    rule = dict(rule)
    fill = rule.pop("coverage_fill", None)
    z = 0.0
    for name, coefficient in rule.items():
        value = fill if crosslingual and name == "coverage" and fill is not None else None
        z += coefficient if name == "intercept" else coefficient * float(top_features[COLUMN[name]] if value is None else value)
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))
