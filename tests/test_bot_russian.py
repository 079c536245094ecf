"""End to end: a Russian-speaking user gets the bot's own words in Russian, through the loopback Bot API stand-in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.handlers import MAX_QUESTION_CHARS
from bot.i18n import translations
from bot.profile import commands, description, short_description
from index.search import Retriever

from .botapi import FakeBotAPI
from .botrun import bot_running
from .conftest import ROOT
from .fakes import CorroboratingRetriever

RU = {"language_code": "ru-RU"}
# The fake embedder reads Latin words only: the organisation's name is what it finds the passages by.
ANSWERED = "Как Rainbow Railroad помогает людям уехать из региона (smuggle people out of the region)?"
OFF_TOPIC = "Как приготовить лазанью?"


def _next(api: FakeBotAPI, message_id: int) -> dict:
    return api.wait_for(lambda: api.sent_after(message_id))[0]


def _answer(api: FakeBotAPI, text: str, **kw) -> list[dict]:
    """The messages of an answer, up to the one that carries the buttons."""
    asked = api.user_says(text, **kw)
    first = api.wait_for(lambda: api.replies_to(asked))[0]
    api.wait_for(lambda: any(api.buttons(m) for m in api.sent if m["message_id"] >= first["message_id"]))
    return [m for m in api.sent if m["message_id"] >= first["message_id"]]


def _press(api: FakeBotAPI, message: dict, label: str, **kw) -> tuple[dict, list[dict]]:
    [data] = [b["callback_data"] for b in api.buttons(message) if b["text"] == label]
    before = len(api.sent)
    query_id = api.press(message, data, **kw)
    toast = api.wait_for(lambda: api.callback_answers.get(query_id))
    if not toast.get("text"):
        api.wait_for(lambda: len(api.sent) > before)
    return toast, api.sent[before:]


def test_russian_user_gets_commands_answers_buttons_and_declines_in_russian(api: FakeBotAPI, fake_retriever: Retriever):
    with bot_running(api, CorroboratingRetriever(fake_retriever), rate_limit_burst=50):
        start = _next(api, api.user_says("/start", **RU))
        help_text = _next(api, api.user_says("/help", **RU))
        sources = _next(api, api.user_says("/sources", **RU))
        answer = _answer(api, ANSWERED, **RU)
        _, [context] = _press(api, answer[-1], "Контекст 1", **RU)
        _, more = _press(api, answer[-1], "Ещё отрывки", **RU)
        _, [also] = _press(api, answer[-1], "Источники", **RU)
        off_topic = api.user_says(OFF_TOPIC, **RU)
        declined = api.wait_for(lambda: api.replies_to(off_topic))[0]
        too_long = _next(api, api.user_says("я" * (MAX_QUESTION_CHARS + 1), **RU))
        unknown = _next(api, api.user_says("/nonsense", **RU))
        stale_press = api.press(answer[-1], "m:AAAAAAAA:3", **RU)
        stale = api.wait_for(lambda: api.callback_answers.get(stale_press))
        english = _next(api, api.user_says("/start", language_code="de"))  # no German catalog: English
    assert start["text"].startswith("Здравствуйте! Я отвечаю на вопросы по 5 новостным статьям")
    assert "Как спрашивать" in help_text["text"] and "/language" in help_text["text"]
    assert "Статьи, которые я цитирую" in sources["text"] and "ссылка на оригинал неизвестна" in sources["text"]
    assert [b["text"] for b in api.buttons(answer[-1])] == ["Контекст 1", "Контекст 2", "Контекст 3", "Ещё отрывки", "Источники"]
    shown = "\n".join(m["text"] for m in answer)
    assert "абзац" in shown and " из " in shown and "ссылка на этот отрывок" in shown and "Об этом также пишут:" in shown
    assert "paragraph" not in shown
    assert "абзац" in context["text"] and more[0]["text"].startswith("4.")
    assert "Кто ещё сообщает то, что процитировано в ответе" in also["text"]
    assert declined["text"].startswith("Похоже, в статьях нет ответа на этот вопрос.")
    assert "Вот о чём эти статьи:" in declined["text"]
    assert too_long["text"] == "В сообщении 1001 символ. Пожалуйста, задайте вопрос длиной не более 1000 символов."
    assert unknown["text"].startswith("Я не знаю такой команды")
    assert stale["text"] == translations("ru").gettext("This answer is too old for that button. Please ask your question again.")
    assert english["text"].startswith("Hello!")
    assert api.rejected == []


def test_language_command_switches_and_is_remembered(api: FakeBotAPI, fake_retriever: Retriever):
    with bot_running(api, fake_retriever):
        to_english = _next(api, api.user_says("/language en", **RU))
        start_en = _next(api, api.user_says("/start", **RU))
        to_russian = _next(api, api.user_says("/language RU"))
        start_ru = _next(api, api.user_says("/start"))
        bad = _next(api, api.user_says("/language klingon"))
        bare = _next(api, api.user_says("/language", user_id=7, **RU))  # another user: their app language
    assert to_english["text"] == "I will answer in English."
    assert start_en["text"].startswith("Hello!")  # the choice beats the app's language
    assert to_russian["text"] == "Буду отвечать на языке: русский."
    assert start_ru["text"].startswith("Здравствуйте!")
    assert bad["text"] == "Я не знаю языка «klingon». Выберите один из вариантов: /language en (English), /language ru (русский)."
    assert bare["text"].startswith("Сейчас я отвечаю на языке: русский.")


def test_slow_down_and_inline_results_are_in_russian(api: FakeBotAPI, fake_retriever: Retriever):
    with bot_running(api, fake_retriever, rate_limit_burst=1, rate_limit_per_minute=1):
        api.user_says("/help", **RU)
        api.user_says("/help", **RU)  # past the burst of one
        slow = api.wait_for(lambda: [m for m in api.sent if m["text"].startswith("Вы спрашиваете")])[0]
        query_id = api.inline_query("Rainbow Railroad helps people leave", user_id=9, **RU)
        inline = api.wait_for(lambda: api.inline_answers.get(query_id))
    assert slow["text"].startswith("Вы спрашиваете быстрее, чем я успеваю отвечать. Подождите около ")
    results = inline["results"]
    assert results and inline["is_personal"] in (True, "true", "True")
    assert all("абзац" in r["description"] for r in results)
    assert {b["text"] for r in results for b in r["reply_markup"]["inline_keyboard"][0]} == {"Открыть с контекстом"}


def test_menu_and_descriptions_are_registered_in_russian_too(api: FakeBotAPI, fake_retriever: Retriever):
    with bot_running(api, fake_retriever):
        pass
    ru = translations("ru")
    registered = {(m, p.get("language_code")): p for m, p in api.calls if m.startswith("setMy")}
    assert registered[("setMyCommands", "ru")]["commands"] == [c.to_dict() for c in commands(ru)]
    assert registered[("setMyCommands", None)]["commands"][4] == {"command": "language", "description": "Choose the language I answer in"}
    assert registered[("setMyDescription", "ru")]["description"] == description(ru)
    assert registered[("setMyShortDescription", "ru")]["short_description"] == short_description(ru)
    assert api.rejected == []  # within Telegram's limits in both languages


@pytest.mark.parametrize(("flags", "russian"), [([], True), (["--lang", "en"], False)])
def test_terminal_chat_follows_lang_or_the_flag(real_index_dir: Path, flags: list[str], russian: bool):
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "LC_ALL", "LC_MESSAGES")}
    env.update(LANG="ru_RU.UTF-8", INDEX_DIR=str(real_index_dir))
    done = subprocess.run(
        [sys.executable, "-m", "bot", *flags], cwd=ROOT, env=env, input="Кто отрицал сообщения о задержаниях?\n/sources\n/bogus\n",
        capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stderr
    if russian:
        assert "запускаю чат в терминале" in done.stderr
        assert ("абзац" in done.stdout) or ("Похоже, в статьях нет ответа" in done.stdout)
        assert "(ссылка на оригинал неизвестна)" in done.stdout and "Неизвестная команда." in done.stdout
        assert "paragraph" not in done.stdout
    else:
        assert "starting the terminal chat" in done.stderr and "Unknown command." in done.stdout
