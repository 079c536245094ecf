from __future__ import annotations

import json

import numpy as np

from index.evaluate import load_questions
from index.search.fusion import confidence
from index.search.signals import FEATURES
from index.tune import QuestionSignals, cross_validate, fit, is_holdout, read_signals, tune, write_tuned

from .conftest import DEV_QUESTIONS


def test_is_holdout_keeps_a_fixed_fifth_apart():
    ids = [f"q{i:03d}" for i in range(500)]
    held = [i for i in ids if is_holdout(i)]
    assert 0.12 < len(held) / len(ids) < 0.28
    assert held == [i for i in ids if is_holdout(i)]  # the same split every time


def _synthetic(n: int, informative: str, seed: int = 0) -> list[QuestionSignals]:
    """Questions whose answer is the candidate highest on one signal; the others are noise."""
    from index.evaluate import EvalQuestion

    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        raw = rng.normal(size=(12, len(FEATURES)))
        hits = np.zeros(12, dtype=bool)
        hits[int(np.argmax(raw[:, FEATURES.index(informative)]))] = True
        out.append(QuestionSignals(EvalQuestion(f"s{i}", "fact", "?", ("x",)), raw, raw, hits))
    return out


def test_fit_finds_the_signal_that_decides_and_cross_validation_reports_it():
    signals = _synthetic(60, "bm25_sentence")
    chosen = fit(signals)
    assert int(np.argmax(chosen.weights)) == FEATURES.index("bm25_sentence")
    held = cross_validate(signals)["all"]
    assert held["n"] == 60 and held["hit@1"] >= 0.5  # chance is 1 in 12


def test_tune_on_a_real_index_writes_settings_that_search_reads(fake_retriever, tmp_path):
    questions = load_questions(DEV_QUESTIONS)
    signals = read_signals(fake_retriever, questions)
    assert all(s.z.shape == s.raw.shape and s.raw.shape[1] == len(FEATURES) for s in signals)
    chosen, report = tune(signals)
    assert set(report) == {"held_out", "in_sample"}
    assert report["held_out"]["all"]["n"] == len(questions)
    path = tmp_path / "tuned.json"
    write_tuned(chosen, report, path)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert set(saved["weights"]) <= set(FEATURES) and "intercept" in saved["decline"]
    top = signals[0].raw[0]
    sure = confidence(top, saved["decline"].items())
    assert 0.0 <= sure <= 1.0
