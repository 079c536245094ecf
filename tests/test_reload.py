"""Hot reload: a rebuilt index is swapped in while questions are answered; a bad or unfinished one never is."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from index.build import build_index
from index.config import IndexConfig
from index.pipeline import open_reloading_retriever
from index.reload import ReloadingRetriever

from .botapi import FakeBotAPI
from .botrun import bot_running
from .conftest import ROOT
from .fakes import DelayedEmbedder, FakeEmbedder
from .test_store import _SLOW_BUILD, _flip_a_byte
from .test_transport import _start_bot_process

NEW_ARTICLE = (
    "Zebra sanctuary opens at Lake Quillimore\n\n"
    "The zebra sanctuary at Lake Quillimore opened its gates in March, the keepers said. "
    "Quillimore zebras graze beside the lake all year."
)
NEW_QUESTION = "When did the zebra sanctuary at Lake Quillimore open?"


def _holder(index_dir: Path, embedder: FakeEmbedder) -> ReloadingRetriever:
    return open_reloading_retriever(IndexConfig(index_dir=index_dir), embedder)


def _add_article_and_rebuild(corpus: Path, index_dir: Path, embedder: FakeEmbedder) -> int:
    (corpus / "zebra.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    return build_index(corpus, index_dir, embedder, progress=False).chunks


def _cites_new_article(answer) -> bool:
    return any(p.doc_id == "zebra.txt" for p in answer.passages)


def test_reload_swaps_in_a_rebuilt_index_and_logs_the_counts(corpus: Path, tmp_path: Path, fake_embedder, caplog):
    out = tmp_path / "idx"
    old = build_index(corpus, out, fake_embedder, progress=False).chunks
    holder = _holder(out, fake_embedder)
    assert not holder.changed() and not _cites_new_article(holder.search(NEW_QUESTION))
    new = _add_article_and_rebuild(corpus, out, fake_embedder)
    assert holder.changed()
    with caplog.at_level(logging.INFO, logger="index.reload"):
        result = holder.reload()
    assert (result.reloaded, result.old_chunks, result.new_chunks) == (True, old, new)
    assert f"{old} chunks before, {new} chunks now" in caplog.text
    assert _cites_new_article(holder.search(NEW_QUESTION))
    assert not holder.changed()


def test_reload_keeps_serving_the_last_good_index_when_the_new_one_is_damaged(corpus: Path, tmp_path: Path, fake_embedder, caplog):
    out = tmp_path / "idx"
    old = build_index(corpus, out, fake_embedder, progress=False).chunks
    holder = _holder(out, fake_embedder)
    _add_article_and_rebuild(corpus, out, fake_embedder)
    _flip_a_byte((out / "current").resolve() / "chunks.faiss")
    with caplog.at_level(logging.ERROR, logger="index.reload"):
        result = holder.reload()
    assert not result.reloaded and "chunks.faiss" in result.error
    assert "still serving the previous index" in caplog.text
    assert holder.chunk_count == old
    assert holder.search("Rainbow Railroad").passages
    assert not holder.changed()  # the damaged build is not retried on every poll


def test_question_in_flight_finishes_on_the_index_it_started_with(corpus: Path, tmp_path: Path):
    out = tmp_path / "idx"
    embedder = DelayedEmbedder(0.0)
    build_index(corpus, out, embedder, progress=False)
    holder = _holder(out, embedder)
    _add_article_and_rebuild(corpus, out, embedder)
    embedder.delay = 1.0
    results = []
    asking = threading.Thread(target=lambda: results.append(holder.search(NEW_QUESTION)))
    asking.start()
    time.sleep(0.3)  # the question is being encoded against the old index
    embedder.delay = 0.0
    assert holder.reload().reloaded
    asking.join()
    assert not _cites_new_article(results[0])
    assert _cites_new_article(holder.search(NEW_QUESTION))


def test_bot_swaps_index_without_restart_and_no_question_fails(api: FakeBotAPI, corpus: Path, tmp_path: Path, fake_embedder):
    out = tmp_path / "idx"
    build_index(corpus, out, fake_embedder, progress=False)
    holder = _holder(out, fake_embedder)
    asked: list[int] = []
    stop = threading.Event()

    def keep_asking() -> None:  # 20 users asking throughout the rebuild and the swap
        for i in range(10_000):
            if stop.is_set():
                return
            asked.append(api.user_says(f"Rainbow Railroad question {i}", chat_id=1000 + i % 20, user_id=1000 + i % 20))
            time.sleep(0.02)

    with bot_running(api, holder, reload_seconds=1, rate_limit_per_minute=100_000, rate_limit_burst=1000):
        first_id = api.user_says(NEW_QUESTION)
        before = api.wait_for(lambda: api.replies_to(first_id))[0]
        asker = threading.Thread(target=keep_asking)
        asker.start()
        _add_article_and_rebuild(corpus, out, fake_embedder)
        api.wait_for(lambda: not holder.changed() and holder.chunk_count > 0 and _cites_new_article(holder.search(NEW_QUESTION)))
        stop.set()
        asker.join()
        after_id = api.user_says(NEW_QUESTION)
        after = api.wait_for(lambda: api.replies_to(after_id))[0]
        api.wait_for(lambda: all(api.replies_to(m) for m in asked), timeout=60)
    assert "Quillimore" not in before["text"] and "Quillimore" in after["text"]
    assert len(asked) > 20
    assert not [m for m in api.sent if "Sorry" in m["text"]]
    assert api.rejected == []


def test_killed_rebuild_leaves_the_previous_index_served(api: FakeBotAPI, corpus: Path, tmp_path: Path, fake_embedder):
    out = tmp_path / "idx"
    first = build_index(corpus, out, fake_embedder, progress=False)
    holder = _holder(out, fake_embedder)
    flag = tmp_path / "started"
    (corpus / "zebra.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    with bot_running(api, holder, reload_seconds=1):
        proc = subprocess.Popen([sys.executable, "-c", _SLOW_BUILD, str(corpus), str(out), str(flag)], cwd=ROOT)
        try:
            api.wait_for(lambda: flag.exists() or proc.poll() is not None, timeout=60)
            assert proc.poll() is None, "the build ended before it could be killed"
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            proc.kill()
        time.sleep(1.5)  # more than one watch interval
        asked = api.user_says("What does Rainbow Railroad do?")
        reply = api.wait_for(lambda: api.replies_to(asked))[0]
    assert proc.returncode == -signal.SIGKILL
    assert holder.current.index.path == first.path and holder.chunk_count == first.chunks
    assert "Rainbow Railroad" in reply["text"]


@pytest.mark.parametrize("trigger", ["sighup", "watch"])
def test_bot_process_reloads_on_sighup_or_by_watching(api: FakeBotAPI, corpus: Path, tmp_path: Path, fake_embedder, trigger: str):
    out = tmp_path / "idx"
    old = build_index(corpus, out, fake_embedder, progress=False).chunks
    proc = _start_bot_process(api, out, INDEX_RELOAD_SECONDS="0" if trigger == "sighup" else "1")
    try:
        new = _add_article_and_rebuild(corpus, out, fake_embedder)
        if trigger == "sighup":
            proc.send_signal(signal.SIGHUP)

        def answered_from_new_index() -> bool:
            asked = api.user_says(NEW_QUESTION, chat_id=len(api.sent) + 500, user_id=len(api.sent) + 500)
            reply = api.wait_for(lambda: api.replies_to(asked))[0]
            return "Quillimore" in reply["text"]

        deadline = time.monotonic() + 20
        while not answered_from_new_index():
            assert time.monotonic() < deadline, "the rebuilt index was never served"
            time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert f"index reloaded: {old} chunks before, {new} chunks now" in output


def test_reloading_retriever_forwards_the_rest_of_the_protocol(fake_index_dir: Path, fake_embedder):
    holder = _holder(fake_index_dir, fake_embedder)
    assert holder.settings == holder.current.settings
    assert holder.with_settings().index is holder.current.index
    with pytest.raises(AttributeError):
        holder.no_such_method  # noqa: B018
