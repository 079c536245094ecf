"""`python -m index tune`: choose the ranking weights and the decline rule by cross-validation.

Every question's candidates and signals are read once (the same ``candidates``
call that search makes); the weights are then fitted on the stored signals. K-fold cross-validation reports what the chosen settings do on
questions they were not chosen on, beside the in-sample figure that flatters.

A fixed fifth of the questions (``is_holdout``) is never seen by tuning: the
regression test in tests/ asserts on it. The settings chosen on all the other
questions are written to index/search/tuned.json, where search reads them.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .evaluate import EvalQuestion, fold
from .search import IndexRetriever
from .search.fusion import confidence, standardise
from .search.settings import TUNED_FILE
from .search.signals import FEATURES

__all__ = ["QuestionSignals", "is_holdout", "read_signals", "tune", "write_tuned"]

DECLINE_FEATURES = ("dense_sentence", "dense_passage", "coverage")
FOLDS = 5
# Declining an answerable question costs twice answering an absent one: the answer still quotes its
# passages with their sources, and a reader sees when they do not answer. (1.5 to 3 choose alike here.)
DECLINE_COST = 2.0


def is_holdout(question_id: str) -> bool:
    """A fixed fifth of the questions, by a hash of the id: tuning never reads them."""
    return hashlib.blake2b(question_id.encode(), digest_size=2).digest()[0] % 5 == 0


@dataclass
class QuestionSignals:
    question: EvalQuestion
    z: np.ndarray  # standardised signals of the candidates
    raw: np.ndarray  # the signals as read
    hits: np.ndarray  # whether each candidate's passage holds a gold phrase
    crosslingual: bool = False


def read_signals(retriever: IndexRetriever, questions: Sequence[EvalQuestion]) -> list[QuestionSignals]:
    out = []
    for q in questions:
        found = retriever.candidates(q.question, every_signal=True)
        gold = [fold(g) for g in q.gold]
        hits = np.array([
            any(g in fold(retriever.index.chunks[int(r)].text) for g in gold)
            or retriever.index.chunks[int(r)].doc_id in q.gold_docs
            for r in found.rows
        ], dtype=bool)
        out.append(QuestionSignals(q, standardise(found.features), found.features, hits, found.crosslingual))
    return out


def _ranks(signals: list[QuestionSignals], weights: np.ndarray) -> np.ndarray:
    """(questions, combos): 1-based rank of the first hit under each weight combination, 0 when none."""
    ranks = np.zeros((len(signals), weights.shape[1]), dtype=np.int64)
    for i, s in enumerate(signals):
        if not s.hits.any():
            continue
        scores = s.z @ weights  # (candidates, combos)
        best_hit = np.where(s.hits[:, None], scores, -np.inf).max(axis=0)
        # Ties go against us: a hit only counts as first if nothing else scores as high.
        ranks[i] = (scores >= best_hit[None, :]).sum(axis=0)
    return ranks


def _fit_decline(tops: np.ndarray, answerable: np.ndarray) -> dict[str, float]:
    """A logistic rule on the top passage's absolute signals; its threshold keeps errors fewest."""
    from sklearn.linear_model import LogisticRegression

    if len(set(answerable.tolist())) < 2:
        return {"intercept": 10.0}
    # Standardised first: e5's cosines span a few hundredths, and unscaled they would be
    # regularised away beside word coverage, which spans the whole of 0 to 1.
    mean, spread = tops.mean(axis=0), np.maximum(tops.std(axis=0), 1e-9)
    model = LogisticRegression(C=1.0, class_weight="balanced").fit((tops - mean) / spread, answerable)
    coef = model.coef_[0] / spread
    intercept = float(model.intercept_[0] - (model.coef_[0] * mean / spread).sum())
    return {"intercept": intercept, **{n: float(c) for n, c in zip(DECLINE_FEATURES, coef)}}


def _confidences(tops: np.ndarray, rule: dict[str, float], crosslingual: np.ndarray) -> np.ndarray:
    """What search would say of each top passage: the very function it calls (fusion.confidence)."""
    return np.array([confidence(row, rule.items(), bool(cross)) for row, cross in zip(tops, crosslingual)])


def _threshold(conf: np.ndarray, answerable: np.ndarray) -> float:
    """The cut with the lowest error over rates per class, so the many answerable questions do not
    outvote the few absent ones."""
    cuts = np.unique(np.concatenate([[0.0, 1.0], conf]))
    mids = (cuts[:-1] + cuts[1:]) / 2
    n_yes, n_no = max(1, answerable.sum()), max(1, (~answerable).sum())
    errors = [DECLINE_COST * ((conf < c) & answerable).sum() / n_yes + ((conf >= c) & ~answerable).sum() / n_no for c in mids]
    return float(mids[int(np.argmin(errors))])


def _decline_inputs(tops: np.ndarray, crosslingual: np.ndarray, fill: float) -> np.ndarray:
    """The decline rule's signals of each top passage, coverage replaced by ``fill`` where the question
    shares no language with the articles (as fusion.confidence does)."""
    out = tops[:, [FEATURES.index(n) for n in DECLINE_FEATURES]].copy()
    out[crosslingual, DECLINE_FEATURES.index("coverage")] = fill
    return out


def _crosslingual(signals: list[QuestionSignals]) -> np.ndarray:
    return np.array([s.crosslingual for s in signals], dtype=bool)


def _tops(signals: list[QuestionSignals], w: np.ndarray) -> np.ndarray:
    """Every signal of each question's top passage under weights ``w``."""
    return np.array([s.raw[int(np.argmax(s.z @ w))] for s in signals])


@dataclass
class Fit:
    weights: np.ndarray  # over FEATURES
    decline: dict[str, float]
    min_confidence: float


def fit(signals: list[QuestionSignals], features: Sequence[str] = FEATURES, extra: Sequence[QuestionSignals] = ()) -> Fit:
    """Ranking weights by pairwise logistic regression, then the decline rule on the top passages they pick.

    ``extra`` questions (another corpus's, e.g. SQuAD's) only add ranking examples: whether our
    articles answer a question is not learnt from another corpus.
    """
    w = _pairwise_weights([s for s in (*signals, *extra) if not s.question.absent], features)
    tops = _tops(signals, w)
    labels = np.array([not s.question.absent for s in signals])
    cross = _crosslingual(signals)
    same = labels & ~cross
    fill = float(tops[same, FEATURES.index("coverage")].mean()) if same.any() else 0.0
    rule = _fit_decline(_decline_inputs(tops, cross, fill), labels) | {"coverage_fill": fill}
    return Fit(w, rule, _threshold(_confidences(tops, rule, cross), labels))


def _pairwise_weights(signals: list[QuestionSignals], features: Sequence[str]) -> np.ndarray:
    """Weights under which, within each question, answering passages outscore the others.

    Every (answering, other) pair of one question's candidates is a training
    example on the difference of their z-scores (RankNet's idea, with a linear
    model). Unlike a grid search for the best hit@1, the fit is smooth and uses
    every pair, so it moves little when a question is added or left out.
    """
    from sklearn.linear_model import LogisticRegression

    cols = [FEATURES.index(f) for f in features]
    pairs = []
    for s in signals:
        if s.hits.any() and not s.hits.all():
            good, other = s.z[s.hits][:, cols], s.z[~s.hits][:, cols]
            pairs.append((good[:, None, :] - other[None, :, :]).reshape(-1, len(cols)))
    w = np.zeros(len(FEATURES))
    if not pairs:
        w[cols] = 1.0
        return w
    x = np.vstack(pairs)
    model = LogisticRegression(C=1.0, fit_intercept=False).fit(np.vstack([x, -x]), np.r_[np.ones(len(x)), np.zeros(len(x))])
    w[cols] = model.coef_[0]
    return w


def score(signals: list[QuestionSignals], chosen: Fit) -> dict:
    """hit@1/5, MRR and declining on ``signals`` under ``chosen``, overall and per kind."""
    return _report(signals, *_decisions(signals, chosen))


def _decisions(signals: list[QuestionSignals], chosen: Fit) -> tuple[np.ndarray, np.ndarray]:
    """Each question's rank of its first hit (0: none) and whether it is declined, under ``chosen``."""
    ranks = _ranks(signals, chosen.weights[:, None])[:, 0]
    conf = _confidences(_tops(signals, chosen.weights), chosen.decline, _crosslingual(signals))
    return ranks, conf < chosen.min_confidence


def _report(signals: list[QuestionSignals], ranks: np.ndarray, declined: np.ndarray) -> dict:
    kinds: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(signals):
        kinds[s.question.kind].append(i)
    return {"all": _figures(signals, ranks, declined, range(len(signals)))} | {
        kind: _figures(signals, ranks, declined, rows) for kind, rows in sorted(kinds.items())
    }


def _figures(signals, ranks, declined, rows) -> dict:
    rows = list(rows)
    asked = [i for i in rows if not signals[i].question.absent]
    absent = [i for i in rows if signals[i].question.absent]
    out: dict = {"n": len(rows)}
    if asked:
        r = ranks[asked]
        out |= {"hit@1": float((r == 1).mean()), "hit@5": float(((r >= 1) & (r <= 5)).mean()),
                "mrr": float(np.where(r > 0, 1.0 / np.maximum(r, 1), 0).mean()),
                "answerable_declined": int(declined[asked].sum()), "answerable": len(asked)}
    if absent:
        out |= {"absent_declined": int(declined[absent].sum()), "absent": len(absent)}
    return out


def cross_validate(
    signals: list[QuestionSignals], features: Sequence[str] = FEATURES, folds: int = FOLDS,
    extra: Sequence[QuestionSignals] = (),
) -> dict:
    """Held-out figures: each fold scored with settings fitted on the other folds, pooled over folds."""
    order = sorted(range(len(signals)), key=lambda i: hashlib.blake2b(signals[i].question.id.encode()).hexdigest())
    assignment = {i: n % folds for n, i in enumerate(order)}
    held = []
    for k in range(folds):
        train = [s for i, s in enumerate(signals) if assignment[i] != k]
        test = [s for i, s in enumerate(signals) if assignment[i] == k]
        if test:
            held.append((test, fit(train, features, extra)))
    # Pool the held-out questions: every question scored once, by settings that never saw it.
    pooled = [s for test, _ in held for s in test]
    decided = [_decisions(test, f) for test, f in held]
    return _report(pooled, np.concatenate([r for r, _ in decided]), np.concatenate([d for _, d in decided]))


def tune(
    signals: list[QuestionSignals], features: Sequence[str] = FEATURES, extra: Sequence[QuestionSignals] = ()
) -> tuple[Fit, dict]:
    """The settings fitted on all ``signals``, with held-out and in-sample figures."""
    chosen = fit(signals, features, extra)
    return chosen, {"held_out": cross_validate(signals, features, extra=extra), "in_sample": score(signals, chosen)}


def write_tuned(chosen: Fit, report: dict, path=TUNED_FILE) -> None:
    payload = {
        "weights": {n: round(float(w), 4) for n, w in zip(FEATURES, chosen.weights) if w},
        "decline": {n: round(v, 4) for n, v in chosen.decline.items()},
        "min_confidence": round(chosen.min_confidence, 4),
        "report": report,
    }
    path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
