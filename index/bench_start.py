"""Cold start to first answer, in fresh processes: `python -m index.bench_start`.

For each model, the seed corpus is indexed once (untimed) into a folder of its
own; then each command is started ``--rounds`` times as a new process and
timed from the spawn to the moment the first passage of the answer (its
``[1]`` line) reaches standard output. The commands are the two a user starts
first: ``python -m index search QUESTION`` and the terminal chat, ``python -m
bot --console``, with the question piped in. Rounds alternate between the
models, so both see the same machine load; the files are in the page cache
after the first round, as they are on a machine that has run the bot before.
The figures are medians, printed with the ratio of the e5 model to MiniLM.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .embedding import DEFAULT_MODEL, MINILM
from .errors import QAError

__all__ = ["COMMANDS", "StartTiming", "time_start", "run", "main"]

QUESTION = "Who denied the reports?"
SEEDS = Path(__file__).resolve().parents[1] / "seeds"
MAX_ROUNDS = 50
# What each command is run as; the question is on the command line or piped in.
COMMANDS = {
    "index search": (["-m", "index", "search", QUESTION], ""),
    "bot --console": (["-m", "bot", "--console", "--lang", "en"], f"{QUESTION}\n"),
}


@dataclass(frozen=True)
class StartTiming:
    model: str
    command: str
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def _env(model: str, index_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "EMBEDDING_BACKEND", "LOG_LEVEL")}
    return env | {"EMBEDDING_MODEL": model, "INDEX_DIR": str(index_dir), "CORPUS_DIR": str(SEEDS), "HF_HUB_OFFLINE": "1"}


def build(model: str, index_dir: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "index", "build", "--out", str(index_dir)],
                          env=_env(model, index_dir), capture_output=True, text=True)
    if done.returncode:
        raise QAError(f"Could not index the seed corpus with {model}: {done.stderr.strip().splitlines()[-1:]}")


def time_start(model: str, index_dir: Path, command: str) -> float:
    """Seconds from starting ``command`` in a new process to its first passage on standard output."""
    args, stdin = COMMANDS[command]
    started = time.perf_counter()
    with subprocess.Popen([sys.executable, *args], env=_env(model, index_dir), stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, encoding="utf-8") as process:
        process.stdin.write(stdin)
        process.stdin.close()
        answered = None
        for line in process.stdout:
            if answered is None and "[1]" in line:
                answered = time.perf_counter() - started
    if answered is None:
        raise QAError(f"`{' '.join(args)}` with {model} printed no passage (exit code {process.returncode}).")
    return answered


def run(models: list[str], rounds: int, work_dir: Path, log=lambda line: None) -> list[StartTiming]:
    folders = {model: work_dir / model for model in models}
    for model, folder in folders.items():
        log(f"indexing the seeds with {model} (untimed)")
        build(model, folder)
    seconds: dict[tuple[str, str], list[float]] = {(m, c): [] for m in models for c in COMMANDS}
    for number in range(1, rounds + 1):
        for model in models:
            for command in COMMANDS:
                seconds[model, command].append(time_start(model, folders[model], command))
        log(f"round {number} of {rounds}: " + ", ".join(f"{m} {c} {s[-1]:.2f} s" for (m, c), s in seconds.items()))
    return [StartTiming(model, command, times) for (model, command), times in seconds.items()]


def format_table(timings: list[StartTiming]) -> str:
    lines = [f"{'model':<24} {'command':<14} {'median':>8}  runs (s)"]
    lines += [f"{t.model:<24} {t.command:<14} {t.median:>7.2f}s  {' '.join(f'{s:.2f}' for s in t.seconds)}" for t in timings]
    medians = {(t.model, t.command): t.median for t in timings}
    for command in COMMANDS:
        if (DEFAULT_MODEL, command) in medians and (MINILM, command) in medians:
            ratio = medians[DEFAULT_MODEL, command] / medians[MINILM, command]
            lines.append(f"{command}: {DEFAULT_MODEL} / {MINILM} = {ratio:.2f}")
    return "\n".join(lines)


def _rounds(raw: str) -> int:
    value = int(raw)
    if not 1 <= value <= MAX_ROUNDS:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_ROUNDS}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index.bench_start", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=_rounds, default=5, help=f"fresh processes per model and command (1 to {MAX_ROUNDS}; default: 5)")
    parser.add_argument("--models", default=f"{DEFAULT_MODEL},{MINILM}", help="comma-separated (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="end with the timings as one JSON object")
    args = parser.parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    try:
        with tempfile.TemporaryDirectory(prefix="bench-start-") as tmp:
            timings = run(models, args.rounds, Path(tmp), log=lambda line: print(line, file=sys.stderr, flush=True))
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(format_table(timings))
    if args.json:
        print(json.dumps([asdict(t) | {"median": t.median} for t in timings]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
