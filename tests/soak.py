"""Soak: `python -m tests.soak [--questions 10000] [--users 100]` (not part of the test suite).

Drives the real bot (`python -m bot`, the bundled model, an index built into a
temporary folder by `python -m index build`) through the loopback Bot API
stand-in. Each simulated user asks one question, waits for its answer, thinks
for a moment, and asks the next. Prints unanswered questions, p50 and p99
latency (question queued → answer received by the stand-in) and the bot's
resident memory at start, after a warm-up, and at the end.

The per-user limit is raised for the run (RATE_LIMIT_PER_MINUTE, and
TELEGRAM_MAX_SENDS_PER_SECOND for the flood limiter), because 100 users
asking 10,000 questions in a few minutes is far past what the defaults let
one user do; the limiter itself is exercised by the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .botapi import FakeBotAPI

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = Path(__file__).parent / "data" / "dev_questions.jsonl"
_PHRASINGS = ("{q}", "Please tell me: {q}", "{q} Thanks!", "quick one — {q}", "{q_lower}")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def questions(count: int, seed: int = 4) -> list[str]:
    base = [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        q = rng.choice(base)
        out.append(rng.choice(_PHRASINGS).format(q=q, q_lower=q.lower()))
    return out


def drive(api: FakeBotAPI, users: int, total: int, pid: int, think: float, stall: float = 60.0) -> dict:
    """Closed loop: each user has at most one question in flight. Returns the figures."""
    rng = random.Random(7)
    todo = questions(total)
    per_user = {u: todo[u::users] for u in range(users)}
    next_at = {u: time.monotonic() + rng.uniform(0, think) for u in range(users)}
    pending: dict[int, tuple[int, float]] = {}  # message_id → (user, asked at)
    latencies: list[float] = []
    other_replies: list[str] = []
    cursor = 0
    asked = 0
    rss_warm = 0
    last_progress = time.monotonic()
    while (asked < total or pending) and time.monotonic() - last_progress < stall:
        now = time.monotonic()
        for u in range(users):
            if per_user[u] and next_at[u] <= now:
                next_at[u] = float("inf")  # until the answer comes
                chat = 10_000 + u
                mid = api.user_says(per_user[u].pop(), chat_id=chat, user_id=chat)
                pending[mid] = (u, time.monotonic())
                asked += 1
        with api._cond:
            if len(api.sent) == cursor:
                api._cond.wait(0.02)
            new, cursor = api.sent[cursor:], len(api.sent)
        for message in new:
            owner = pending.pop(message.get("reply_to"), None)
            if owner is None:
                other_replies.append(message["text"][:60])
                continue
            user, started = owner
            latencies.append(message["sent_at"] - started)
            next_at[user] = time.monotonic() + rng.uniform(0, think)
            last_progress = time.monotonic()
            if len(latencies) == min(500, total):
                rss_warm = rss_kib(pid)
    return {
        "asked": asked,
        "answered": len(latencies),
        "unanswered": asked - len(latencies) + sum(len(q) for q in per_user.values()),
        "other_replies": other_replies,
        "latencies": latencies,
        "rss_warm_kib": rss_warm,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--think", type=float, default=10.0, help="most seconds a user waits before the next question")
    args = parser.parse_args(argv)
    env_base = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        index_dir = Path(tmp) / "index"
        print("building the index with the bundled model…", flush=True)
        subprocess.run([sys.executable, "-m", "index", "build", "--out", str(index_dir)], cwd=ROOT, env=env_base, check=True)
        log_path = Path(tmp) / "bot.log"
        with FakeBotAPI() as api, open(log_path, "w") as log:
            env = {
                **env_base,
                "TELEGRAM_BOT_TOKEN": api.token,
                "TELEGRAM_API_BASE_URL": api.base_url,
                "INDEX_DIR": str(index_dir),
                "RATE_LIMIT_PER_MINUTE": "100000",
                "RATE_LIMIT_BURST": "1000",
                "TELEGRAM_MAX_SENDS_PER_SECOND": "100000",
                "LOG_LEVEL": "WARNING",
            }
            proc = subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                api.wait_for(lambda: any(m == "setMyCommands" for m, _ in api.calls), timeout=180)
                rss_start = rss_kib(proc.pid)
                print(f"bot ready; driving {args.questions} questions from {args.users} users…", flush=True)
                began = time.monotonic()
                figures = drive(api, args.users, args.questions, proc.pid, args.think)
                elapsed = time.monotonic() - began
                rss_end = rss_kib(proc.pid)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
        errors = [line for line in log_path.read_text().splitlines() if " ERROR " in line]
        lat = figures["latencies"]
        warm = figures["rss_warm_kib"] or rss_start
        print(f"questions asked     {figures['asked']}")
        print(f"answered            {figures['answered']}")
        print(f"unanswered          {figures['unanswered']}")
        print(f"other replies       {len(figures['other_replies'])} {figures['other_replies'][:3]}")
        print(f"rejected by the API {len(api.rejected)}")
        print(f"errors in bot log   {len(errors)}")
        print(f"wall time           {elapsed:.1f} s ({figures['answered'] / elapsed:.1f} answers/s)")
        print(f"latency p50         {percentile(lat, 0.50) * 1000:.0f} ms")
        print(f"latency p99         {percentile(lat, 0.99) * 1000:.0f} ms")
        print(f"RSS at ready        {rss_start / 1024:.1f} MiB")
        print(f"RSS after 500 warm  {warm / 1024:.1f} MiB")
        print(f"RSS at end          {rss_end / 1024:.1f} MiB "
              f"({(rss_end - warm) / warm * 100:+.1f}% since warm, {(rss_end - rss_start) / rss_start * 100:+.1f}% since ready)")
        print(f"bot exit code       {proc.returncode} after SIGTERM")
        return 0 if figures["unanswered"] == 0 and not errors and not api.rejected else 1


if __name__ == "__main__":
    sys.exit(main())
