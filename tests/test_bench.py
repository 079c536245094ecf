"""A smoke run (slow) of the benchmark at a tiny size: every figure is there and plausible, none is judged."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.bench import format_table, run_bench
from index.config import IndexConfig

from .conftest import DEV_QUESTIONS, SEEDS


@pytest.mark.slow  # about a minute: it loads the real model in four processes
def test_bench_reports_every_figure(tmp_path: Path):
    config = IndexConfig(corpus_dir=SEEDS, index_dir=tmp_path / "unused", model_cache_dir=tmp_path / "models")
    result = run_bench(config, sizes=(300,), questions_file=DEV_QUESTIONS, work_dir=tmp_path / "bench", rounds=1, log=lambda _: None)
    [size] = result["sizes"]
    assert set(size) == {"chunks", "index_type", "query_p50_ms", "query_p99_ms", "exact_p50_ms", "recall_at_10", "rss_mb", "load_s"}
    assert size["chunks"] == 300 and size["index_type"] == "flat" and size["recall_at_10"] == 1.0
    assert 0 < size["query_p50_ms"] <= size["query_p99_ms"]
    assert result["build_chunks_per_s"] > 0 and result["bare_encode_chunks_per_s"] > 0 and result["cold_start_s"] > 0
    assert result["backend"] == "torch" and "synthetic" in result["notes"].lower()
    assert "300" in format_table(result)
