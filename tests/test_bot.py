"""End to end: the real PTB Application against the loopback Bot API stand-in."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.handlers import MAX_QUESTION_CHARS
from index.search import Retriever

from .botapi import FakeBotAPI, parse_telegram_html
from .botrun import bot_running
from .conftest import ROOT
from .fakes import DelegatingRetriever


def _reply(api: FakeBotAPI, message_id: int) -> dict:
    """The answer to a question: it must quote the question."""
    return api.wait_for(lambda: api.replies_to(message_id))[0]


def _next(api: FakeBotAPI, message_id: int) -> dict:
    """The first message the bot sends after ``message_id`` in the default chat."""
    return api.wait_for(lambda: api.sent_after(message_id))[0]


def test_bot_answers_a_question_with_cited_passages(api: FakeBotAPI, fake_retriever: Retriever):
    with bot_running(api, fake_retriever):
        asked = api.user_says("What does Rainbow Railroad do to help people?")
        reply = _reply(api, asked)
    assert "Rainbow Railroad" in reply["text"]
    assert "<blockquote>" in reply["html"] and "<b>" in reply["html"]
    assert "paragraph" in reply["text"]
    assert any(m == "sendChatAction" and p.get("action") == "typing" for m, p in api.calls)
    assert api.rejected == []


def test_bot_registers_its_commands(api: FakeBotAPI, fake_retriever: Retriever):
    with bot_running(api, fake_retriever):
        pass
    [params, *_] = [p for m, p in api.calls if m == "setMyCommands"]
    assert [c["command"] for c in params["commands"]] == ["start", "help", "sources", "ask", "language", "privacy"]
    assert "language_code" not in params  # English is the default for every app language
    assert any(m == "setMyDescription" and "quoting" in p["description"] for m, p in api.calls)
    assert any(m == "setMyShortDescription" and p["short_description"] for m, p in api.calls)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/start", "news articles"),
        ("/help", "How to ask"),
        ("/sources", "glxy.eu"),
        ("/nonsense", "don't know that command"),
        ("/start some-junk-payload", "news articles"),
        ("x" * (MAX_QUESTION_CHARS + 1), "at most"),
        ("<b>unclosed & <i>tags", ""),
        ("\u202eright-to-left \u05e9\u05dc\u05d5\u05dd", ""),
        ("🙂🙂🙂", ""),
    ],
)
def test_bot_replies_to_commands_and_odd_input(api: FakeBotAPI, fake_retriever: Retriever, text: str, expected: str):
    with bot_running(api, fake_retriever):
        reply = _next(api, api.user_says(text))
    assert expected in reply["text"]
    assert api.rejected == []


def test_bot_sources_links_to_known_originals(api: FakeBotAPI, fake_retriever: Retriever):
    with bot_running(api, fake_retriever):
        reply = _next(api, api.user_says("/sources"))
    assert 'href="https://glxy.eu/news/816-anti-gay-pogroms-continue-in-chechnya"' in reply["html"]
    assert "no link to the original is known" in reply["text"]


@pytest.mark.parametrize(
    "payload",
    [
        {"sticker": {"file_id": "s", "file_unique_id": "s", "width": 1, "height": 1, "is_animated": False, "is_video": False, "type": "regular"}},
        {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]},
        {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 1}},
    ],
)
def test_bot_hints_at_text_for_media(api: FakeBotAPI, fake_retriever: Retriever, payload: dict):
    with bot_running(api, fake_retriever):
        reply = _next(api, api.user_sends(payload))
    assert "only read text" in reply["text"]


class _BrokenRetriever(DelegatingRetriever):
    def search(self, question: str, top_k: int = 3):
        if "boom" in question:
            raise RuntimeError("simulated failure")
        return self.inner.search(question, top_k)


def test_bot_apologises_on_failure_and_keeps_serving(api: FakeBotAPI, fake_retriever: Retriever, caplog):
    with caplog.at_level(logging.INFO), bot_running(api, _BrokenRetriever(fake_retriever)):
        failed = _next(api, api.user_says("boom secret question"))
        later = _reply(api, api.user_says("Rainbow Railroad"))
    assert "Sorry" in failed["text"]
    assert "Rainbow Railroad" in later["text"]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "secret question" not in logged
    assert api.token not in caplog.text


def test_bot_serves_several_chats_at_once(api: FakeBotAPI, fake_retriever: Retriever):
    with bot_running(api, fake_retriever):
        asked = [api.user_says(f"Rainbow Railroad question {i}", chat_id=100 + i, user_id=100 + i) for i in range(10)]
        api.wait_for(lambda: all(api.replies_to(m) for m in asked))
    assert api.rejected == []


def test_bot_process_answers_for_real_and_stops_on_sigterm(real_index_dir: Path):
    """`python -m bot` with the bundled model, through the stand-in: a cited answer, then a clean SIGTERM."""
    with FakeBotAPI() as api:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "INDEX_DIR": str(real_index_dir),
            "LOG_LEVEL": "DEBUG",
        }
        proc = subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            api.wait_for(lambda: any(m == "setMyShortDescription" for m, _ in api.calls), timeout=120)
            started = time.monotonic()
            asked = api.user_says("How many men were detained?")
            reply = _reply(api, asked)
            latency = time.monotonic() - started
            proc.send_signal(signal.SIGTERM)
            output, _ = proc.communicate(timeout=10)
        finally:
            proc.kill()
    assert proc.returncode == 0, output
    assert "100" in reply["text"]
    assert parse_telegram_html(reply["html"])[1] == ""
    assert latency < 5, latency  # generous: shared CI machines are noisy; typical is well under 1 s
    assert api.token not in output
    assert api.token.split(":")[1] not in output
    assert "How many men" not in output


def test_bot_process_with_rejected_token_exits_with_a_clear_message(real_index_dir: Path):
    with FakeBotAPI() as api:
        wrong = "999999:this-token-is-not-the-right-one"
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": wrong, "TELEGRAM_API_BASE_URL": api.base_url, "INDEX_DIR": str(real_index_dir)}
        done = subprocess.run([sys.executable, "-m", "bot"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "rejected TELEGRAM_BOT_TOKEN" in done.stderr
    assert wrong.split(":")[1] not in done.stdout + done.stderr


def test_bot_process_refuses_to_start_on_a_damaged_index(real_index_dir: Path, tmp_path: Path):
    damaged = tmp_path / "idx"
    shutil.copytree(real_index_dir, damaged, symlinks=True)
    vectors = (damaged / "current").resolve() / "sentences.faiss"
    vectors.write_bytes(vectors.read_bytes()[:-10])
    with FakeBotAPI() as api:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url, "INDEX_DIR": str(damaged)}
        done = subprocess.run([sys.executable, "-m", "bot"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "sentences.faiss is damaged" in done.stderr and "python -m index build" in done.stderr
    assert api.calls == []  # refused before it ever spoke to Telegram
