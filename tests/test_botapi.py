"""The stand-in must be as strict as Telegram, or the end-to-end tests prove nothing."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot
from telegram.error import BadRequest, InvalidToken

from .botapi import FakeBotAPI, parse_telegram_html


@pytest.mark.parametrize(
    "text",
    [
        "<b>bold</b> <i>it</i> <a href=\"https://x.org/?a=1&amp;b=2\">link</a> &lt;tag&gt; &amp; &quot; &#128512;",
        "<blockquote>quoted <b>and bold</b></blockquote>",
        "plain text with > and quotes \" '",
    ],
)
def test_parse_telegram_html_accepts_valid_markup(text: str):
    assert parse_telegram_html(text)[1] == ""


@pytest.mark.parametrize(
    "text",
    ["<b>unclosed", "<b><i>crossed</b></i>", "<script>x</script>", "a < b", "fish & chips", "&nbsp;", "<a>no href</a>", "</b>"],
)
def test_parse_telegram_html_rejects_what_telegram_rejects(text: str):
    assert parse_telegram_html(text)[1].startswith("can't parse entities")


def test_parse_telegram_html_gives_visible_text():
    assert parse_telegram_html("<b>a &lt; b</b> &amp; c")[0] == "a < b & c"


def test_stand_in_answers_ptb_like_telegram():
    async def scenario(api: FakeBotAPI) -> None:
        async with Bot(api.token, base_url=api.base_url) as bot:
            assert bot.username == api.bot_user["username"]
            sent = await bot.send_message(42, "<b>fine</b>", parse_mode="HTML")
            assert sent.text == "fine"
            with pytest.raises(BadRequest, match="(?i)can't parse entities"):
                await bot.send_message(42, "<b>broken", parse_mode="HTML")
            with pytest.raises(BadRequest, match="(?i)too long"):
                await bot.send_message(42, "x" * 4097)
        with pytest.raises(InvalidToken):
            async with Bot("1:wrong-token", base_url=api.base_url):
                pass

    with FakeBotAPI() as api:
        asyncio.run(scenario(api))
