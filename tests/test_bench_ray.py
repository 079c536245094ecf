"""The pieces of `index bench --engine ray` that need no Ray: the simulated streamed build and the machine notes."""

from __future__ import annotations

import os
from pathlib import Path

import faiss

from index.bench_common import machine_notes
from index.bench_ray import simulate
from index.store import load_index


def test_simulated_streamed_build_publishes_an_index_with_its_exact_baseline(tmp_path: Path, fake_index_dir: Path):
    result = simulate(400, tmp_path / "sim", fake_index_dir)
    index = load_index(tmp_path / "sim" / "index")
    assert result["passages"] == len(index.chunks) >= 400
    assert result["sentences"] == index.sentence_vectors.ntotal
    assert result["driver_growth_mb"] >= 0 and result["writer_s"] >= 0
    exact = faiss.read_index(str(tmp_path / "sim" / "exact-chunks.faiss"))
    assert exact.ntotal == index.chunk_vectors.ntotal  # the baseline holds the very vectors that were indexed
    assert (tmp_path / "sim" / "held_out.npy").is_file()
    # Synthetic articles copy seed passages under new ids: offsets still point into the (copied) text.
    assert {c.doc_id for c in index.chunks} == set(index.documents)


def test_machine_notes_are_read_from_the_machine():
    notes = machine_notes()
    assert f"{os.cpu_count()} CPUs" in notes and f"{len(os.sched_getaffinity(0))} usable" in notes
