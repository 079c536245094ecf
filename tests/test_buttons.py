"""End to end: buttons, deep links and inline mode against the loopback Bot API stand-in."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from bot.buttons import FORGED, GONE, NO_MORE, STALE
from bot.memory import AnswerMemory
from index.search import Retriever

from .botapi import FakeBotAPI, parse_telegram_html
from .fakes import CorroboratingRetriever
from .botrun import bot_running

QUESTION = "What does Rainbow Railroad do to help people?"


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as stand_in:
        yield stand_in


@pytest.fixture
def retriever(fake_retriever: Retriever) -> Retriever:
    return CorroboratingRetriever(fake_retriever)


def _button(api: FakeBotAPI, message: dict, label: str) -> str:
    [data] = [b["callback_data"] for b in api.buttons(message) if b["text"] == label]
    assert len(data.encode()) <= 64
    return data


def _ask(api: FakeBotAPI, text: str, **kw) -> list[dict]:
    """The messages of the answer; the first quotes the question, the last carries the buttons."""
    asked = api.user_says(text, **kw)
    first = api.wait_for(lambda: api.replies_to(asked))[0]
    api.wait_for(lambda: any(api.buttons(m) for m in api.sent if m["message_id"] >= first["message_id"]))
    return [m for m in api.sent if m["message_id"] >= first["message_id"]]


def _press(api: FakeBotAPI, message: dict, data: str) -> tuple[dict, list[dict]]:
    """Press a button; returns the answerCallbackQuery parameters and any messages sent in reply."""
    before = len(api.sent)
    query_id = api.press(message, data)
    answered = api.wait_for(lambda: api.callback_answers.get(query_id))
    if answered.get("text"):  # a toast: nothing else follows
        return answered, []
    api.wait_for(lambda: len(api.sent) > before)
    return answered, api.sent[before:]


def test_buttons_more_context_sources_and_deep_link(api: FakeBotAPI, retriever: Retriever):
    with bot_running(api, retriever):
        answer = _ask(api, QUESTION)
        last = answer[-1]
        labels = [b["text"] for b in api.buttons(last)]
        assert labels == ["Context 1", "Context 2", "Context 3", "More passages", "Sources"]
        html = "\n".join(m["html"] for m in answer)
        assert "#:~:text=" in html and "Also reported by:" in html

        toast, [context] = _press(api, last, _button(api, last, "Context 1"))
        assert not toast.get("text") and context["reply_to"] == last["message_id"]
        assert "<blockquote>" in context["html"] and "paragraph" in context["text"]

        toast, more = _press(api, last, _button(api, last, "More passages"))
        assert more and more[0]["text"].startswith("4.")
        assert [b["text"] for b in api.buttons(more[-1])][:1] == ["Context 4"]

        toast, sources = _press(api, last, _button(api, last, "Sources"))
        assert "Who reports what this answer quotes" in sources[0]["text"]
        assert "#:~:text=" in sources[0]["html"]

        token = re.search(r'href="https://t\.me/corpus_test_bot\?start=([A-Za-z0-9_-]{1,64})"', html).group(1)
        link_opened = api.user_says(f"/start {token}")
        opened = api.wait_for(lambda: api.sent_after(link_opened))[0]
        first_quote = parse_telegram_html(re.search(r"<blockquote>.*?</blockquote>", answer[0]["html"], re.S).group(0))[0]
        assert first_quote.strip()[:40] in opened["text"]
    assert api.rejected == []
    assert set(api.callback_answers) == {q["callback_query"]["id"] for q in api.updates if "callback_query" in q}


@pytest.mark.parametrize(
    ("data", "toast"),
    [
        ("m:AAAAAAAA:3", STALE),  # an answer the bot no longer remembers
        ("s:AAAAAAAA:0", STALE),
        ("m:short:3", FORGED),
        ("m:AAAAAAAA:-1", FORGED),
        ("s:AAAAAAAA:", FORGED),
        ("c:not-a-token", GONE),
        ("c:AAAAAAAA0-1-0-1", GONE),  # well-formed, but no such article
        ("zz:anything", FORGED),  # not ours: the generic handler's toast
        ("x" * 64, FORGED),
    ],
)
def test_buttons_stale_or_forged_presses_get_a_polite_toast(api: FakeBotAPI, retriever: Retriever, data: str, toast: str):
    with bot_running(api, retriever):
        answer = _ask(api, QUESTION)
        sent = len(api.sent)
        answered, replies = _press(api, answer[-1], data)
    assert answered["text"] == toast and replies == [] and len(api.sent) == sent
    assert api.rejected == []


def test_buttons_more_runs_out_politely(api: FakeBotAPI, retriever: Retriever):
    with bot_running(api, retriever):
        last = _ask(api, QUESTION)[-1]
        data = _button(api, last, "More passages")
        answered, _ = _press(api, last, data.rsplit(":", 1)[0] + ":900")
    assert answered["text"] == NO_MORE


def test_buttons_context_survives_a_restart_and_more_says_it_is_stale(api: FakeBotAPI, retriever: Retriever):
    with bot_running(api, retriever):
        last = _ask(api, QUESTION)[-1]
    with bot_running(api, retriever):  # a new process: nothing kept in memory
        _, [context] = _press(api, last, _button(api, last, "Context 2"))
        answered, _ = _press(api, last, _button(api, last, "More passages"))
    assert "<blockquote>" in context["html"]
    assert answered["text"] == STALE


def test_buttons_work_in_a_group(api: FakeBotAPI, retriever: Retriever):
    with bot_running(api, retriever):
        last = _ask(api, f"/ask {QUESTION}", chat_id=-100, chat_type="supergroup")[-1]
        _, [context] = _press(api, last, _button(api, last, "Context 1"))
    assert context["chat"]["id"] == -100 and context["chat"]["type"] == "supergroup"


def test_buttons_bad_deep_link_explains_and_welcomes(api: FakeBotAPI, retriever: Retriever):
    with bot_running(api, retriever):
        asked = api.user_says("/start AAAAAAAA0-1-0-1")
        reply = api.wait_for(lambda: api.sent_after(asked))[0]
    assert "does not lead to a passage" in reply["text"] and "news articles" in reply["text"]


def test_inline_query_offers_passages_with_citation_and_link(api: FakeBotAPI, retriever: Retriever):
    with bot_running(api, retriever):
        query_id = api.inline_query("Rainbow Railroad helps people leave")
        answered = api.wait_for(lambda: api.inline_answers.get(query_id))
        empty_id = api.inline_query("   ")
        empty = api.wait_for(lambda: api.inline_answers.get(empty_id))
    results = answered["results"]
    assert 1 <= len(results) <= 5 and empty["results"] == []
    for result in results:
        content = result["input_message_content"]
        visible, error = parse_telegram_html(content["message_text"])
        assert not error and "<blockquote>" in content["message_text"]
        assert result["title"].strip() and "paragraph" in result["description"]
        [button] = result["reply_markup"]["inline_keyboard"][0]
        assert button["url"] == f"https://t.me/corpus_test_bot?start={result['id']}"
    assert any("Rainbow Railroad" in r["input_message_content"]["message_text"] for r in results)
    assert api.rejected == []


def test_answer_memory_is_bounded_and_expires():
    now = [0.0]
    memory = AnswerMemory(capacity=3, ttl=10, clock=lambda: now[0])
    ids = [memory.remember([]) for _ in range(5)]
    assert len(memory) == 3 and memory.recall(ids[0]) is None and memory.recall(ids[4]) == ()
    now[0] = 11
    assert memory.recall(ids[4]) is None and len(memory) == 0
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{8}", i) for i in ids)


def test_answer_keyboard_data_fits_telegram_for_the_largest_articles(fake_retriever: Retriever):
    from dataclasses import replace

    from bot.buttons import answer_keyboard

    p = fake_retriever.search("Rainbow Railroad", top_k=1).passages[0]
    far = 5 * 2**20  # the largest article the corpus reader accepts
    huge = replace(p, rank=10, start=far, end=far + 4000, highlight_start=far + 2000, highlight_end=far + 3999)
    markup = answer_keyboard([huge] * 3, "Abcdefgh", total=1002, offset=996)
    data = [b.callback_data for row in markup.inline_keyboard for b in row]
    assert len(data) == 5 and all(len(d.encode()) <= 64 for d in data)
