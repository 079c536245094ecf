"""What the bot tells Telegram about itself, in every language it has: the command menu and the descriptions.

English is registered as the default (no ``language_code``), so users of any
other app language see it; each catalog's language is registered under its own
code, so a Russian-language Telegram app shows the Russian menu.
"""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand
from telegram.error import TelegramError

from .i18n import DEFAULT, LANGUAGES, Translator, translations

__all__ = ["commands", "description", "register_profile", "short_description"]

logger = logging.getLogger(__name__)


def commands(t: Translator) -> list[BotCommand]:
    return [
        BotCommand("start", t.gettext("What I can do")),
        BotCommand("help", t.gettext("How to ask, and how answers cite")),
        BotCommand("sources", t.gettext("The articles I quote from")),
        BotCommand("ask", t.gettext("Ask a question (the way to ask in a group)")),
        BotCommand("language", t.gettext("Choose the language I answer in")),
        BotCommand("privacy", t.gettext("What I keep about you: nothing")),
    ]


def description(t: Translator) -> str:
    """Shown in the empty chat before /start: at most 512 characters."""
    return t.gettext(
        "I answer questions about a small collection of news articles by quoting the passages that answer them. "
        "Every quote names its article and publisher and links to the sentence in the original. "
        "When the articles don't cover a question, I say so instead of guessing. I keep nothing about you."
    )


def short_description(t: Translator) -> str:
    """Shown on the bot's profile: at most 120 characters."""
    return t.gettext("Answers questions about news articles with quotes you can check, one tap from the source.")


async def register_profile(bot: Bot) -> None:
    """Register the menu and descriptions for every language; a failure is logged, never fatal."""
    for lang in LANGUAGES:
        t = translations(lang)
        code = None if lang == DEFAULT else lang
        try:
            await bot.set_my_commands(commands(t), language_code=code)
            await bot.set_my_description(description(t), language_code=code)
            await bot.set_my_short_description(short_description(t), language_code=code)
        except TelegramError as exc:  # the menu and descriptions are conveniences; answering is what matters
            logger.warning("could not register the bot's profile for language %s: %s", lang, type(exc).__name__)
