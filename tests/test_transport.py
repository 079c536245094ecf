"""Telegram transport: flood control, flaky networks, SIGTERM, and the token kept out of every log."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from index.search import Retriever

from .botapi import FakeBotAPI
from .botrun import bot_running
from .conftest import ROOT


def test_flood_control_429_is_waited_out_and_the_answer_delivered(api: FakeBotAPI, fake_retriever: Retriever):
    with bot_running(api, fake_retriever):
        api.fail_next("sendMessage", 2, kind="429", retry_after=1)
        started = time.monotonic()
        asked = api.user_says("What does Rainbow Railroad do?")
        reply = api.wait_for(lambda: api.replies_to(asked))[0]
        waited = time.monotonic() - started
    assert "Rainbow Railroad" in reply["text"]
    assert api.failed == [("sendMessage", "429")] * 2
    assert waited >= 2.0  # retry_after was honoured twice, not hammered through
    assert api.rejected == []


def test_network_failures_at_start_up_are_retried(api: FakeBotAPI, fake_retriever: Retriever):
    api.fail_next("getMe", 2, kind="network")
    with bot_running(api, fake_retriever):
        asked = api.user_says("Rainbow Railroad")
        api.wait_for(lambda: api.replies_to(asked))
    assert api.failed == [("getMe", "network")] * 2


def test_network_failures_and_429_while_polling_are_retried(api: FakeBotAPI, fake_retriever: Retriever):
    with bot_running(api, fake_retriever):
        api.fail_next("getUpdates", 2, kind="network")
        api.fail_next("getUpdates", 1, kind="429", retry_after=1)
        api.wait_for(lambda: len(api.failed) == 3)
        asked = api.user_says("Rainbow Railroad")
        api.wait_for(lambda: api.replies_to(asked))
        api.fail_next("sendMessage", 1, kind="network")
        again = api.user_says("Rainbow Railroad once more")
        apology = api.wait_for(lambda: api.sent_after(again))[0]
    assert "Sorry" in apology["text"]  # a lost reply is apologised for, and the bot keeps going


def test_token_never_reaches_the_logs_even_at_debug(api: FakeBotAPI, fake_retriever: Retriever, caplog):
    secret = api.token.split(":")[1]
    with caplog.at_level(logging.DEBUG), bot_running(api, fake_retriever):
        api.fail_next("getUpdates", 1, kind="network")
        api.fail_next("sendMessage", 1, kind="429", retry_after=1)
        for text in ("/start", "Rainbow Railroad", "/sources", "/nonsense"):
            asked = api.user_says(text)
            api.wait_for(lambda: api.sent_after(asked))
    records = caplog.records
    assert any(r.levelno == logging.DEBUG for r in records)  # DEBUG really was on
    everything = caplog.text + "\n".join(r.getMessage() + (r.exc_text or "") for r in records)
    assert secret not in everything
    assert "Rainbow Railroad" not in "\n".join(r.getMessage() for r in records)


def _start_bot_process(api: FakeBotAPI, index_dir: Path, **env: str) -> subprocess.Popen:
    full_env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url,
                "INDEX_DIR": str(index_dir), **env}
    proc = subprocess.Popen([sys.executable, "-m", "tests.botproc"], cwd=ROOT, env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    api.wait_for(lambda: any(m == "getUpdates" for m, _ in api.calls) or proc.poll() is not None, timeout=60)
    assert proc.poll() is None, proc.communicate()[0]
    return proc


def test_sigterm_finishes_the_answer_in_flight_and_exits_0(api: FakeBotAPI, fake_index_dir: Path):
    proc = _start_bot_process(api, fake_index_dir, QUESTION_DELAY="2")
    try:
        asked = api.user_says("What does Rainbow Railroad do?")
        api.wait_for(lambda: any(m == "sendChatAction" for m, _ in api.calls))  # the answer is under way
        sent_at = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=10)
        took = time.monotonic() - sent_at
    finally:
        proc.kill()
    assert proc.returncode == 0, output
    assert took < 10
    assert "Rainbow Railroad" in api.replies_to(asked)[0]["text"]


def test_sigterm_during_the_start_up_handshake_still_exits_0(api: FakeBotAPI, fake_index_dir: Path):
    """PTB's start-up handshake (deleteWebhook) is a window where a stop signal used to end in a traceback."""
    api.handlers["deleteWebhook"] = lambda params: time.sleep(1.0) or True
    full_env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url,
                "INDEX_DIR": str(fake_index_dir)}
    proc = subprocess.Popen([sys.executable, "-m", "tests.botproc"], cwd=ROOT, env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        api.wait_for(lambda: any(m == "deleteWebhook" for m, _ in api.calls), timeout=60)
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0, output
    assert "Traceback" not in output
