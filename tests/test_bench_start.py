"""Cold start: the default e5 path never imports torch, and the start-up bench measures real processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from index.bench_start import COMMANDS, format_table, main, run, time_start
from index.embedding import DEFAULT_MODEL, MINILM

from .conftest import ROOT

_HEAVY = ("torch", "sentence_transformers", "transformers")
_PROBE = f"""
import sys
from pathlib import Path
from index.config import IndexConfig
from index.pipeline import open_retriever

retriever = open_retriever(IndexConfig(index_dir=Path(sys.argv[1])))
assert retriever.embedder.name == {DEFAULT_MODEL!r}
assert retriever.search("Who denied the reports?").passages
print(" ".join(m for m in {_HEAVY!r} if m in sys.modules))
"""


def test_default_model_answers_without_importing_torch(real_index_dir: Path):
    done = subprocess.run([sys.executable, "-c", _PROBE, str(real_index_dir)], capture_output=True, text=True, cwd=ROOT,
                          env={"PATH": "", "HF_HUB_OFFLINE": "1"}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []


@pytest.mark.parametrize("command", COMMANDS)
def test_time_start_times_a_fresh_process_to_its_first_passage(real_index_dir: Path, command: str):
    seconds = time_start(DEFAULT_MODEL, real_index_dir, command)
    assert 0 < seconds < 60


def test_run_builds_then_times_each_command_and_the_table_gives_medians_and_ratio(tmp_path: Path, monkeypatch):
    # Two fake clocks stand in for the processes, so the table's arithmetic is checked exactly.
    given = iter([1.0, 2.0, 4.0, 8.0, 3.0, 2.0, 4.0, 8.0])
    monkeypatch.setattr("index.bench_start.build", lambda model, folder: folder.mkdir())
    monkeypatch.setattr("index.bench_start.time_start", lambda model, folder, command: next(given))
    timings = run([DEFAULT_MODEL, MINILM], 2, tmp_path)
    assert [(t.model, t.command, t.seconds) for t in timings] == [
        (DEFAULT_MODEL, "index search", [1.0, 3.0]), (DEFAULT_MODEL, "bot --console", [2.0, 2.0]),
        (MINILM, "index search", [4.0, 4.0]), (MINILM, "bot --console", [8.0, 8.0]),
    ]
    table = format_table(timings)
    assert f"index search: {DEFAULT_MODEL} / {MINILM} = 0.50" in table
    assert f"bot --console: {DEFAULT_MODEL} / {MINILM} = 0.25" in table


@pytest.mark.parametrize("rounds", ["0", "51", "x"])
def test_rounds_out_of_range_is_a_usage_error(rounds: str, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--rounds", rounds])
    assert exit_.value.code == 2 and "--rounds" in capsys.readouterr().err
