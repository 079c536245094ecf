"""Webhook mode end to end: the stand-in posts updates to PTB's webhook server, as Telegram does."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.config import BotConfig
from index.errors import QAError
from index.search import Retriever

from .botapi import FakeBotAPI
from .botrun import WEBHOOK_SECRET, bot_running, free_port
from .conftest import ROOT
from .webhookpush import FORGER, forged_update, post_update


def test_webhook_answers_only_updates_with_the_right_secret(api: FakeBotAPI, fake_retriever: Retriever):
    with bot_running(api, fake_retriever, mode="webhook"):
        [hook] = [p for m, p in api.calls if m == "setWebhook"]
        asked = api.user_says("What does Rainbow Railroad do to help people?")
        reply = api.wait_for(lambda: api.replies_to(asked))[0]
        statuses = {
            "wrong secret": post_update(hook["url"], forged_update(900, "Rainbow Railroad wrong"), "not-the-secret"),
            "no secret": post_update(hook["url"], forged_update(901, "Rainbow Railroad none"), None),
            "right secret": post_update(hook["url"], forged_update(902, "Rainbow Railroad right"), WEBHOOK_SECRET),
        }
        api.wait_for(lambda: api.sent_after(0, chat_id=FORGER))
        time.sleep(0.5)  # time enough for a forged update to be answered, had it been taken
    assert hook["secret_token"] == WEBHOOK_SECRET and hook["url"].endswith("/telegram-hook")
    assert [d.status for d in api.webhook.deliveries] == [200]
    assert "Rainbow Railroad" in reply["text"]
    assert statuses == {"wrong secret": 403, "no secret": 403, "right secret": 200}
    answered = api.sent_after(0, chat_id=FORGER)
    assert [m["reply_to"] for m in answered] == [90_902]
    assert not any(m == "getUpdates" for m, _ in api.calls)  # no polling beside the webhook
    assert api.rejected == []


@pytest.mark.parametrize(("env", "says"), [
    ({"WEBHOOK_URL": "https://bot.example.org/hook"}, "WEBHOOK_SECRET must be set"),
    ({"WEBHOOK_URL": "https://bot.example.org/hook", "WEBHOOK_SECRET": "has spaces in it"}, "WEBHOOK_SECRET must be set"),
    ({"WEBHOOK_URL": "http://bot.example.org/hook", "WEBHOOK_SECRET": "s3cret"}, "must be an https URL"),
    ({"WEBHOOK_URL": "bot.example.org", "WEBHOOK_SECRET": "s3cret"}, "must be an https URL"),
    ({"WEBHOOK_URL": "https://bot.example.org/hook", "WEBHOOK_SECRET": "s3cret", "WEBHOOK_PORT": "70000"}, "WEBHOOK_PORT"),
])
def test_webhook_settings_are_checked(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], says: str):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TELEGRAM_API_BASE_URL", raising=False)
    with pytest.raises(QAError, match=says):
        BotConfig.from_env()


def test_webhook_settings_read_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org/tg/updates")
    monkeypatch.setenv("WEBHOOK_SECRET", "s3cret_-X")
    monkeypatch.setenv("WEBHOOK_PORT", "8080")
    webhook = BotConfig.from_env().webhook
    assert webhook is not None
    assert (webhook.path, webhook.listen, webhook.port, webhook.secret) == ("tg/updates", "127.0.0.1", 8080, "s3cret_-X")
    assert "s3cret" not in repr(webhook)
    monkeypatch.delenv("WEBHOOK_URL")
    assert BotConfig.from_env().webhook is None


@pytest.mark.parametrize(("setting", "says"), [
    ({"METRICS_PORT": "{busy}"}, "cannot serve metrics on 127.0.0.1:{busy} (Address already in use): set METRICS_PORT"),
    ({"WEBHOOK_URL": "http://127.0.0.1:{busy}/hook", "WEBHOOK_SECRET": "s3cret", "WEBHOOK_PORT": "{busy}"},
     "cannot listen for the webhook on 127.0.0.1:{busy} (Address already in use): set WEBHOOK_PORT"),
])
def test_bot_process_on_a_busy_port_exits_with_one_clear_line(fake_index_dir: Path, setting: dict[str, str], says: str):
    with socket.socket() as holder, FakeBotAPI() as api:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url, "INDEX_DIR": str(fake_index_dir),
               **{k: v.format(busy=busy) for k, v in setting.items()}}
        done = subprocess.run([sys.executable, "-m", "tests.botproc"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "destroyed but it is pending" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and says.format(busy=busy) in last


def test_bot_process_in_webhook_mode_answers_and_stops_on_sigterm(fake_index_dir: Path):
    """The environment alone switches `python -m bot`'s serving to the webhook; SIGTERM still ends it cleanly."""
    port = free_port()
    with FakeBotAPI() as api:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url, "INDEX_DIR": str(fake_index_dir),
               "WEBHOOK_URL": f"http://127.0.0.1:{port}/hook", "WEBHOOK_SECRET": WEBHOOK_SECRET, "WEBHOOK_PORT": str(port),
               "LOG_LEVEL": "DEBUG"}
        proc = subprocess.Popen([sys.executable, "-m", "tests.botproc"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            api.wait_for(lambda: any(m == "setWebhook" for m, _ in api.calls), timeout=60)
            asked = api.user_says("What does Rainbow Railroad do?")
            reply = api.wait_for(lambda: api.replies_to(asked))[0]
            proc.send_signal(signal.SIGTERM)
            output, _ = proc.communicate(timeout=15)
        finally:
            proc.kill()
    assert proc.returncode == 0, output
    assert "Rainbow Railroad" in reply["text"]
    assert [d.status for d in api.webhook.deliveries] == [200]
    assert WEBHOOK_SECRET not in output and api.token not in output
