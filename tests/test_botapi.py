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


def test_stand_in_checks_keyboards_callbacks_inline_results_and_edits_like_telegram():
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryResultArticle, InputTextMessageContent

    def article(result_id: str, text: str) -> InlineQueryResultArticle:
        return InlineQueryResultArticle(result_id, "title", InputTextMessageContent(text, parse_mode="HTML"))

    async def scenario(api: FakeBotAPI) -> None:
        async with Bot(api.token, base_url=api.base_url) as bot:
            ok = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="x" * 64)]])
            sent = await bot.send_message(42, "hi", reply_markup=ok)
            with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
                await bot.send_message(42, "hi", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("no", callback_data="é" * 33)]]))
            with pytest.raises(BadRequest, match="(?i)can't parse entities"):
                await bot.edit_message_text("<i>broken", 42, sent.message_id, parse_mode="HTML")
            with pytest.raises(BadRequest, match="(?i)not modified"):
                await bot.edit_message_text("hi", 42, sent.message_id, reply_markup=ok)
            edited = await bot.edit_message_text("<b>new</b>", 42, sent.message_id, parse_mode="HTML")
            assert edited.text == "new" and edited.reply_markup is None

            query_id = api.press(api.sent[0], "x" * 64)
            assert await bot.answer_callback_query(query_id, "fine")
            with pytest.raises(BadRequest, match="(?i)query is too old"):
                await bot.answer_callback_query(query_id)  # a query is answered once
            with pytest.raises(BadRequest, match="(?i)query is too old"):
                await bot.answer_callback_query("12345")  # never asked

            inline_id = api.inline_query("q")
            with pytest.raises(BadRequest, match="(?i)DUPLICATE"):
                await bot.answer_inline_query(inline_id, [article("a", "x"), article("a", "y")])
            with pytest.raises(BadRequest, match="(?i)can't parse entities"):
                await bot.answer_inline_query(inline_id, [article("a", "<b>x")])
            assert await bot.answer_inline_query(inline_id, [article("a", "<b>x</b>")])
            with pytest.raises(BadRequest, match="(?i)too long"):
                await bot.set_my_short_description("x" * 121)

    with FakeBotAPI() as api:
        asyncio.run(scenario(api))
