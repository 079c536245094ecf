"""Metrics, liveness and readiness on METRICS_PORT, through the real bot and the stand-in."""

from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.readiness import Readiness, probe
from bot.web import start_web
from bot.metrics import Metrics
from index.build import build_index
from index.config import IndexConfig
from index.errors import QAError
from index.pipeline import open_reloading_retriever
from index.reload import ReloadResult
from index.search import Retriever

from .botapi import FakeBotAPI
from .botrun import bot_running
from .test_reload import NEW_ARTICLE
from .test_store import _flip_a_byte

_USER = 987_654_321  # an id that would stand out in the scrape
_DECLINED = "Quokka xylophone"


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text) for s in family.samples
    }


@pytest.mark.parametrize("mode", ["polling", "webhook"])
def test_metrics_count_what_happened_and_nothing_private(api: FakeBotAPI, fake_retriever: Retriever, mode: str):
    with bot_running(api, fake_retriever, mode, metrics_port=0, rate_limit_burst=4, rate_limit_per_minute=1) as app:
        port = app.bot_data.web.port
        api.fail_next("sendMessage", kind="429", retry_after=1)  # Telegram pushes back once; the answer still comes
        asked = api.user_says("How does Rainbow Railroad smuggle people out of the region?", chat_id=_USER, user_id=_USER)
        answered = api.wait_for(lambda: api.replies_to(asked))
        declined = api.user_says(_DECLINED, chat_id=_USER, user_id=_USER)
        api.wait_for(lambda: api.replies_to(declined))
        sources = next(b for b in api.buttons(answered[-1]) if b["text"] == "Sources")
        pressed = api.press(answered[-1], sources["callback_data"], user_id=_USER)
        inline = api.inline_query("Rainbow Railroad", user_id=_USER)
        api.wait_for(lambda: pressed in api.callback_answers and inline in api.inline_answers)
        for _ in range(2):  # the burst of four is spent by the first of these; the second is refused
            api.user_says("Rainbow Railroad again", chat_id=_USER, user_id=_USER)
        # A chat's messages are handled in turn: once "slow down" is sent, every count before it is in.
        api.wait_for(lambda: any("asking faster" in m["text"] for m in api.sent_after(0, chat_id=_USER)))
        status, body = _get(port, "/metrics")
        health, ready = _get(port, "/healthz"), _get(port, "/readyz")
    values = _samples(body)
    assert status == 200
    assert values[("newsqa_questions_total", (("outcome", "answered"),))] == 2
    assert values[("newsqa_questions_total", (("outcome", "declined"),))] == 1
    assert values[("newsqa_reply_seconds_count", ())] == 3
    assert values[("newsqa_button_presses_total", (("kind", "sources"), ("outcome", "shown")))] == 1
    assert values[("newsqa_inline_queries_total", (("outcome", "answered"),))] == 1
    assert values[("newsqa_rate_limited_total", ())] == 1
    assert values[("newsqa_telegram_flood_waits_total", ())] == 1
    assert values[("newsqa_index_passages", ())] == len(fake_retriever.index.chunks)
    for private in (str(_USER), "xylophone", "quokka", "Rainbow", api.token.split(":")[1]):
        assert private.lower() not in body.lower()
    assert health == (200, "ok\n") and ready == (200, "ready\n")


def test_readyz_fails_on_a_damaged_rebuild_while_the_old_index_serves(corpus: Path, tmp_path: Path, fake_embedder, api: FakeBotAPI):
    out = tmp_path / "idx"
    old = build_index(corpus, out, fake_embedder, progress=False).chunks
    holder = open_reloading_retriever(IndexConfig(index_dir=out), fake_embedder)
    with bot_running(api, holder, metrics_port=0, reload_seconds=1) as app:
        port = app.bot_data.web.port
        assert _get(port, "/readyz")[0] == 200
        (corpus / "zebra.txt").write_text(NEW_ARTICLE, encoding="utf-8")
        build_index(corpus, out, fake_embedder, progress=False)
        _flip_a_byte((out / "current").resolve() / "chunks.faiss")
        deadline = time.monotonic() + 15
        while (ready := _get(port, "/readyz"))[0] == 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        asked = api.user_says("How does Rainbow Railroad smuggle people out of the region?")
        reply = api.wait_for(lambda: api.replies_to(asked))
        values = _samples(_get(port, "/metrics")[1])
    assert ready[0] == 503 and "chunks.faiss" in ready[1] and "previous one is still served" in ready[1]
    assert "Rainbow Railroad" in reply[0]["text"]
    assert values[("newsqa_index_reloads_total", (("outcome", "failed"),))] == 1
    assert values[("newsqa_index_passages", ())] == old


def test_readiness_needs_a_start_a_sound_index_and_a_recent_answer_from_telegram():
    now = [0.0]
    readiness = Readiness(fresh_seconds=90, clock=lambda: now[0])
    assert len(readiness.problems()) == 2  # still starting; Telegram never answered
    readiness.started = True
    readiness.telegram_answered()
    assert readiness.problems() == []
    now[0] = 91.0
    assert readiness.problems() == ["telegram: no answer for 91 s"]
    readiness.telegram_answered()
    readiness.index_reloaded(ReloadResult(False, 10, 10, "chunks.faiss is damaged"))
    assert "chunks.faiss is damaged" in readiness.problems()[0]
    readiness.index_reloaded(ReloadResult(True, 10, 12))
    assert readiness.problems() == []


def test_web_answers_unknown_paths_with_404_and_refuses_a_busy_port():
    metrics, readiness = Metrics(), Readiness()
    web = start_web(metrics.registry, readiness, "127.0.0.1", 0)
    try:
        assert _get(web.port, "/nothing")[0] == 404
        assert _get(web.port, "/readyz")[0] == 503
        with pytest.raises(QAError, match="METRICS_PORT"):
            start_web(metrics.registry, readiness, "127.0.0.1", web.port)
    finally:
        web.close()
    start_web(metrics.registry, readiness, "127.0.0.1", web.port).close()  # the port is free again once closed


def test_probe_asks_telegram_only_when_it_has_been_quiet():
    readiness = Readiness(fresh_seconds=0.6)  # a look every 0.2 s

    class Bot:
        calls = 0

        async def get_me(self) -> None:
            Bot.calls += 1
            readiness.telegram_answered()

    async def run(busy: bool) -> int:
        Bot.calls = 0
        task = asyncio.create_task(probe(Bot(), readiness))
        for _ in range(16):
            if busy:
                readiness.telegram_answered()  # other requests keep answering: no probe needed
            await asyncio.sleep(0.05)
        task.cancel()
        return Bot.calls

    assert asyncio.run(run(busy=True)) == 0
    assert asyncio.run(run(busy=False)) >= 2
