"""Many users at once, with the real model, through the loopback Bot API: everyone is answered.

Slow (excluded by default): ``pytest -m slow -s tests/test_throughput.py`` prints the reply latencies.
It asserts that every reply arrives and is accepted, never a latency: the machine is shared.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

import numpy as np
import pytest

from index.config import IndexConfig
from index.pipeline import open_retriever

from .botapi import FakeBotAPI
from .conftest import DEV_QUESTIONS
from .botrun import bot_running

USERS = 40
# Telegram accepts about 30 messages a second from a bot, and the bot paces itself to
# that (TELEGRAM_MAX_SENDS_PER_SECOND), so 40 replies take 1.3 s however fast they
# are found. THROUGHPUT_FLOOD=off measures the answering alone.
FLOOD = {} if os.environ.get("THROUGHPUT_FLOOD") != "off" else {"max_sends_per_second": 1000}


@pytest.mark.slow
def test_bot_answers_forty_users_asking_at_once(real_index_dir: Path):
    questions = [json.loads(line)["question"] for line in DEV_QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    retriever = open_retriever(IndexConfig(index_dir=real_index_dir))  # the bot's own loading path and thread settings
    # One user asks all the dev questions in a row: far past the per-user limit,
    # which has its own tests. Here only throughput is measured.
    unlimited = {"rate_limit_per_minute": 1_000_000, "rate_limit_burst": 1_000_000, **FLOOD}
    with FakeBotAPI() as api, bot_running(api, retriever, **unlimited):
        one_by_one = []  # the first reply also pays the warm-up
        for number, question in enumerate(questions, 1):
            # A chat of its own for each: one chat is paced to about a message a second (bot.pacing).
            asked_at = time.monotonic()
            reply = api.wait_for(lambda m=api.user_says(question, chat_id=number, user_id=1): api.replies_to(m), timeout=60)[0]
            one_by_one.append(1000 * (reply["sent_at"] - asked_at))
        asked_at = time.monotonic()
        asked = [api.user_says(questions[i % len(questions)], chat_id=1000 + i, user_id=1000 + i) for i in range(USERS)]
        api.wait_for(lambda: all(api.replies_to(m) for m in asked), timeout=120)
        replies = [api.replies_to(m)[0] for m in asked]
    latencies = [1000 * (reply["sent_at"] - asked_at) for reply in replies]
    assert len(replies) == USERS
    assert api.rejected == []
    print(
        f"\n{len(questions)} questions one after another: reply p50 {statistics.median(one_by_one):.0f} ms, "
        f"max {max(one_by_one):.0f} ms"
    )
    print(
        f"{USERS} users at once: reply p50 {statistics.median(latencies):.0f} ms, "
        f"p99 {np.percentile(latencies, 99):.0f} ms, last {max(latencies):.0f} ms"
    )
