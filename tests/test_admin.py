"""Operators add, remove and list articles from Telegram, end to end against the loopback stand-ins."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest

import index.embedding
from bot.admin import PRIVATE_ONLY, REFUSAL
from bot.config import BotConfig
from index.build import build_index
from index.config import IndexConfig
from index.corpus import load_corpus
from index.errors import QAError
from index.pipeline import open_reloading_retriever

from .botapi import FakeBotAPI
from .botrun import bot_running
from .conftest import SEEDS
from .fakes import FakeEmbedder
from .ingest_fixtures import LoopbackSite, html_page, slow

# Ids long enough that a log-safe chat tag (ten hex digits) cannot contain one by chance.
ADMIN, OTHER = 4242, 918273645


@pytest.fixture
def site():
    with LoopbackSite({"/court": html_page("court-ruling"), "/brief": html_page("brief"), "/slow": slow(2.5)}) as running:
        yield running


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A corpus, its index built with the fake model, and a bot config that adds to both."""
    embedder = FakeEmbedder()
    monkeypatch.setattr(index.embedding, "load_embedder", lambda *a, **k: embedder)
    monkeypatch.setenv("INGEST_TIMEOUT_SECONDS", "1")
    corpus, out = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(SEEDS, corpus)
    build_index(corpus, out, embedder, progress=False)
    config = IndexConfig(corpus_dir=corpus, index_dir=out, model=embedder.name)
    return config, open_reloading_retriever(config, embedder)


def _settings(config: IndexConfig) -> dict:
    return {"admin_user_ids": frozenset({ADMIN}), "index": config, "reload_seconds": 1}


def _texts_after(api: FakeBotAPI, message_id: int, chat_id: int, count: int) -> list[str]:
    found = api.wait_for(lambda: len(api.sent_after(message_id, chat_id)) >= count and api.sent_after(message_id, chat_id))
    return [m["text"] for m in found]


def test_admin_add_rebuilds_and_the_bot_answers_from_the_new_article(api, site, live):
    config, retriever = live
    with bot_running(api, retriever, **_settings(config)):
        asked = api.user_says(f"/add {site.url('/court')}", chat_id=ADMIN, user_id=ADMIN)
        working, done = _texts_after(api, asked, ADMIN, 2)[:2]
        assert working.startswith("Adding it")
        assert done.startswith("Added “Appeals court orders release of detained reporter” (North Wire): ")
        assert "passages" in done and ": 0 passages" not in done
        api.wait_for(lambda: len(retriever.sources()) == 6)  # the running bot swapped the new index in
        question = api.user_says("Which reporter did the appeals court order released?", chat_id=OTHER, user_id=OTHER)
        answer = api.wait_for(lambda: api.replies_to(question))[0]
    assert "Saidov" in answer["text"] and "North Wire" in answer["text"]
    assert len(load_corpus(config.corpus_dir)) == 6


def test_admin_link_list_and_remove(api, site, live):
    config, retriever = live
    with bot_running(api, retriever, **_settings(config)):
        sent = api.user_says(site.url("/brief"), chat_id=ADMIN, user_id=ADMIN)
        assert _texts_after(api, sent, ADMIN, 2)[1].startswith("Added “Airport reopens after fog delays” (Region Now)")
        again = api.user_says(site.url("/brief"), chat_id=ADMIN, user_id=ADMIN)
        assert _texts_after(api, again, ADMIN, 2)[1].startswith("Already in the corpus")
        listed = api.user_says("/list", chat_id=ADMIN, user_id=ADMIN)
        [listing] = _texts_after(api, listed, ADMIN, 1)
        doc_id = next(line.split(" — ")[0] for line in listing.splitlines() if "Airport" in line)
        assert len(listing.splitlines()) == 6
        removed = api.user_says(f"/remove {doc_id}", chat_id=ADMIN, user_id=ADMIN)
        assert _texts_after(api, removed, ADMIN, 1)[0] == f"Removed {doc_id}; the index no longer quotes it."
    assert len(load_corpus(config.corpus_dir)) == 5


def test_admin_add_of_a_bad_link_says_why(api, site, live):
    config, retriever = live
    with bot_running(api, retriever, **_settings(config)):
        asked = api.user_says(f"/add {site.url('/missing')}", chat_id=ADMIN, user_id=ADMIN)
        reply = _texts_after(api, asked, ADMIN, 2)[1]
    assert reply == f"Could not add {site.url('/missing')}: the server answered 404 Not Found."


def test_operator_with_a_russian_app_is_answered_in_russian(api, site, live):
    config, retriever = live
    with bot_running(api, retriever, **_settings(config)):
        listed = api.user_says("/list", chat_id=ADMIN, user_id=ADMIN, language_code="ru")
        [listing] = _texts_after(api, listed, ADMIN, 1)
        usage = api.user_says("/remove", chat_id=ADMIN, user_id=ADMIN, language_code="ru")
        [hint] = _texts_after(api, usage, ADMIN, 1)
        refused = api.user_says("/list", chat_id=OTHER, user_id=OTHER, language_code="ru-RU")
        [refusal] = _texts_after(api, refused, OTHER, 1)
    # Five seed articles, each with its passage count in the plural form Russian wants for it.
    assert len(listing.splitlines()) == 5
    assert all(re.search(r", \d+ отрыв(ок|ка|ков)$", line) for line in listing.splitlines()), listing
    assert hint.startswith("Отправьте /remove") and refusal.startswith("Извините")


@pytest.mark.parametrize("text", ["/add {url}", "/remove 000_746d7626044fb8bd.txt", "/list"])
def test_non_operators_are_refused_and_the_attempt_is_logged_without_content(api, site, live, caplog, text):
    config, retriever = live
    before = sorted(p.name for p in config.corpus_dir.iterdir())
    with caplog.at_level(logging.INFO), bot_running(api, retriever, **_settings(config)):
        asked = api.user_says(text.format(url=site.url("/court")), chat_id=OTHER, user_id=OTHER)
        assert _texts_after(api, asked, OTHER, 1) == [REFUSAL]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "refused /" in logged and "127.0.0.1" not in logged and "000_746" not in logged and str(OTHER) not in logged
    assert sorted(p.name for p in config.corpus_dir.iterdir()) == before


def test_operator_commands_in_a_group_are_sent_to_a_private_chat(api, site, live):
    config, retriever = live
    with bot_running(api, retriever, **_settings(config)):
        asked = api.user_says("/list@corpus_test_bot", chat_id=-100, user_id=ADMIN, chat_type="group")
        assert api.wait_for(lambda: api.sent_after(asked, -100))[0]["text"] == PRIVATE_ONLY


def test_answers_keep_flowing_while_an_add_runs(api, site, live, monkeypatch):
    monkeypatch.setenv("INGEST_TIMEOUT_SECONDS", "10")
    config, retriever = live
    with bot_running(api, retriever, **_settings(config)):
        adding = api.user_says(f"/add {site.url('/slow')}", chat_id=ADMIN, user_id=ADMIN)
        api.wait_for(lambda: api.sent_after(adding, ADMIN))  # "Adding it…": the fetch is under way
        question = api.user_says("What does Rainbow Railroad do to help people?", chat_id=OTHER, user_id=OTHER)
        answer = api.wait_for(lambda: api.replies_to(question))[0]
        assert len(api.sent_after(adding, ADMIN)) == 1  # answered while the add was still running
        finished = _texts_after(api, adding, ADMIN, 2)[1]
    assert "Rainbow Railroad" in answer["text"] and finished.startswith("Could not add")


@pytest.mark.parametrize("raw", ["", " , ", "@admin"])
def test_admin_user_ids_with_no_ids_is_an_error(monkeypatch, raw):
    monkeypatch.setenv("ADMIN_USER_IDS", raw)
    with pytest.raises(QAError, match="ADMIN_USER_IDS"):
        BotConfig.from_env()


def test_admin_user_ids_are_parsed_like_allowed_user_ids(monkeypatch):
    monkeypatch.setenv("ADMIN_USER_IDS", "12, 34;56")
    assert BotConfig.from_env().admin_user_ids == frozenset({12, 34, 56})


def test_admin_pdf_document_is_added(api, live):
    from .ingest_fixtures import make_pdf

    config, retriever = live
    api.files["pdf-1"] = make_pdf([
        "The monitoring group recorded forty cases of people who vanished after being detained at night, and "
        "relatives were told that no record of any arrest existed when they asked at the police station.",
        "The group asks prosecutors to investigate every case and to let observers visit places of detention.",
    ], title="Forty disappearances", author="Civic Rights Monitor")
    document = {"file_id": "pdf-1", "file_unique_id": "pdf-1", "file_name": "report.pdf",
                "mime_type": "application/pdf", "file_size": len(api.files["pdf-1"])}
    with bot_running(api, retriever, **_settings(config)):
        sent = api.user_sends({"document": document}, chat_id=ADMIN)
        done = _texts_after(api, sent, ADMIN, 2)[1]
    assert re.fullmatch(r"Added “Forty disappearances”: (1 passage|[2-9] passages)\. I answer from it within a few seconds\.", done)
