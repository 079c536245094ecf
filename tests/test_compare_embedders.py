"""The embedder comparison, run end to end with the fake embedder standing in for the models."""

from __future__ import annotations

from pathlib import Path

from index.compare_embedders import compare, format_table
from index.evaluate import load_questions
from index.tune_command import DEFAULT_FILES

from .conftest import SEEDS
from .fakes import FakeEmbedder


def _loader(model: str, backend: str, cache: Path):
    return FakeEmbedder(name=model) if backend == "fake" else f"The {model} parts are not installed"


def test_compare_measures_each_option_and_reports_the_missing_one(tmp_path):
    questions = [q for path in DEFAULT_FILES for q in load_questions(path)][:60]
    options = (("fake-a", "fake", "1 MB"), ("fake-b", "fake", "2 MB"), ("absent-model", "torch", "9 MB"))
    results = compare(SEEDS, questions, tmp_path / "models", tmp_path / "work", 30, options, _loader)

    measured, missing = results[:2], results[2]
    assert missing.skipped.startswith("The absent-model parts") and not missing.encode_ms
    for row in measured:
        assert len(row.encode_ms) == len(row.search_ms) == 30
        assert all(ms > 0 for ms in row.encode_ms + row.search_ms)
        held = row.report["held_out"]["all"]
        assert 0 <= held["hit@1"] <= held["hit@5"] <= 1
        assert set(row.report) == {"held_out", "in_sample"}
        english = row.report["held_out"]["english"]
        parts = [row.report["held_out"][k] for k in ("fact", "paraphrase", "multi") if k in row.report["held_out"]]
        assert english["answerable"] == sum(p["answerable"] for p in parts)
        assert min(p["hit@1"] for p in parts) <= english["hit@1"] <= max(p["hit@1"] for p in parts)
    # The same fake under two names ranks identically: the comparison itself adds no noise.
    assert measured[0].report == measured[1].report

    table = format_table(results)
    assert "fake-a (fake)" in table and "held_out" in table and "skipped: The absent-model parts" in table
    assert "encode p50 ms" in table
