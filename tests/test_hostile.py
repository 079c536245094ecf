"""Hostile and odd input through the stand-in: every message gets a clear reply, and nothing crashes."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from bot.handlers import MAX_QUESTION_CHARS
from index.formats import not_covered

from .botapi import FakeBotAPI
from .botrun import bot_running

# Sentinels: a reply that quotes passages as the answer, or one that says the articles don't cover it.
# Both name where a passage stands ("paragraph 3 of 9"), so each input's expected kind is spelled out.
_ANSWERED, _DECLINED = object(), object()
_EMPTY = "question in words"
_WELCOME = "news articles"
_UNKNOWN = "don't know that command"

MESSAGES = [
    ("empty", "", _EMPTY),
    ("whitespace", " \n\t \u00a0 ", _EMPTY),
    ("100k characters", "Rainbow Railroad " * 6000, f"at most {MAX_QUESTION_CHARS}"),
    ("only emoji", "🙂🏳️‍🌈👨‍👨‍👦" * 20, _DECLINED),
    ("right to left", "\u202eمن اعتقل الرجال في الشيشان؟ \u05e9\u05dc\u05d5\u05dd", _DECLINED),
    ("NUL bytes", "Rainbow\x00Railroad\x00 help?", _ANSWERED),
    ("only NUL bytes", "\x00\x00\x00", _EMPTY),
    ("HTML", '<b>bold</b> <script>alert("x")</script> &amp; &nbsp; <a href="javascript:x">', _DECLINED),
    ("MarkdownV2", r"_*[]()~`>#+-=|{}.!\ *bold* __u__ ||spoiler||", _DECLINED),
    ("lone surrogate-like and controls", "\u200b\u200d\ufeff\u0007\u001b[31m red", _DECLINED),
    ("start with path payload", "/start ../../etc/passwd", _WELCOME),
    ("start with HTML payload", "/start <b>x</b>", _WELCOME),
    ("start with long payload", "/start " + "A" * 500, _WELCOME),
    ("start with several words", "/start a b c", _WELCOME),
    ("start with a well-formed unknown payload", "/start q_deadbeef", _WELCOME),
    ("unknown command", "/nonsense", _UNKNOWN),
    ("unknown command with args", "/rm -rf /", _UNKNOWN),
    ("bare slash", "/", _UNKNOWN),
    ("ask with only a mention", "/ask @corpus_test_bot", _EMPTY),
]

BUTTONS = ["", "x" * 64, "page:-1", "\x00", "<b>", "q:../../", "é" * 32]


@pytest.fixture(scope="module")
def running(fake_retriever) -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as api, bot_running(api, fake_retriever, rate_limit_per_minute=100_000, rate_limit_burst=1000):
        yield api
    assert api.rejected == []


_chats = itertools.count(5000)


@pytest.mark.parametrize(("name", "text", "expected"), MESSAGES, ids=[m[0] for m in MESSAGES])
def test_hostile_message_gets_a_clear_reply(running: FakeBotAPI, name: str, text: str, expected: str | object):
    chat = next(_chats)
    asked = running.user_says(text, chat_id=chat, user_id=chat)
    [reply] = running.wait_for(lambda: running.sent_after(asked, chat_id=chat))
    if expected is _ANSWERED:
        assert reply["reply_to"] == asked and "paragraph" in reply["text"] and not_covered() not in reply["text"]
    elif expected is _DECLINED:
        assert reply["reply_to"] == asked and reply["text"].startswith(not_covered())
    else:
        assert expected in reply["text"]
    assert "Sorry" not in reply["text"]  # the error handler never had to step in
    assert "<script>" not in reply["html"]
    assert running.rejected == []


@pytest.mark.parametrize("data", BUTTONS)
def test_forged_button_data_gets_a_harmless_toast(running: FakeBotAPI, data: str):
    chat = next(_chats)
    query_id = running.user_presses(data, chat_id=chat, user_id=chat)
    [toast] = running.wait_for(lambda: [c for c in running.answered_callbacks if c["callback_query_id"] == query_id])
    assert "no longer works" in toast["text"]
    assert not running.sent_after(0, chat_id=chat)
