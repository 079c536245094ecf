"""Wire the handlers into a python-telegram-bot Application and run it with long polling."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from telegram import BotCommand, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, InlineQueryHandler, MessageHandler, filters

from index.search import Retriever

from . import buttons, handlers, inline
from .config import BotConfig
from .redact import protect_token

__all__ = ["COMMANDS", "DESCRIPTION", "SHORT_DESCRIPTION", "build_application", "run"]

logger = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("start", "What I can do"),
    BotCommand("help", "How to ask, and how answers cite"),
    BotCommand("sources", "The articles I quote from"),
]
# Shown in the empty chat before /start (at most 512 characters) and on the bot's profile (at most 120).
DESCRIPTION = (
    "I answer questions about a small collection of news articles by quoting the passages that answer them. "
    "Every quote names its article and publisher and links to the sentence in the original. "
    "When the articles don't cover a question, I say so instead of guessing. I keep nothing about you."
)
SHORT_DESCRIPTION = "Answers questions about news articles with quotes you can check, one tap from the source."
_MEDIA = (
    filters.Sticker.ALL
    | filters.PHOTO
    | filters.VOICE
    | filters.AUDIO
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.ANIMATION
    | filters.Document.ALL
    | filters.LOCATION
    | filters.CONTACT
)


def build_application(config: BotConfig, retriever: Retriever) -> Application:
    protect_token(config.token)
    builder = Application.builder().token(config.token).concurrent_updates(True).post_init(_post_init)
    if config.api_base_url:
        builder = builder.base_url(config.api_base_url)
    app = builder.build()
    app.bot_data["state"] = handlers.BotState(retriever=retriever, answer_passages=config.answer_passages)
    app.bot_data["workers"] = config.search_workers
    app.bot_data["answers"] = buttons.AnswerMemory()

    app.add_handler(CommandHandler("start", buttons.open_link, filters=filters.Regex(buttons.START_WITH_PAYLOAD)))
    app.add_handler(CommandHandler("start", handlers.start))
    app.add_handler(CommandHandler("help", handlers.help_command))
    app.add_handler(CommandHandler("sources", handlers.sources_command))
    app.add_handler(MessageHandler(filters.COMMAND, handlers.unknown_command))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.UpdateType.EDITED, handlers.question))
    app.add_handler(MessageHandler(_MEDIA & ~filters.UpdateType.EDITED, handlers.unsupported))
    app.add_handler(CallbackQueryHandler(buttons.on_button, pattern=buttons.CALLBACK_PATTERN))
    app.add_handler(CallbackQueryHandler(buttons.on_unknown_button))
    app.add_handler(InlineQueryHandler(inline.on_inline_query))
    app.add_error_handler(handlers.on_error)
    return app


async def _post_init(app: Application) -> None:
    # asyncio.to_thread uses the loop's default executor: bound it, so a burst of
    # questions queues instead of oversubscribing the CPU.
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=app.bot_data["workers"], thread_name_prefix="search")
    )
    await app.bot.set_my_commands(COMMANDS)
    await app.bot.set_my_description(DESCRIPTION)
    await app.bot.set_my_short_description(SHORT_DESCRIPTION)
    logger.info("bot @%s is ready", app.bot.username)


def run(config: BotConfig, retriever: Retriever) -> None:
    """Serve until SIGINT or SIGTERM; PTB finishes the updates in hand and stops cleanly.

    Pending updates are kept (``drop_pending_updates=False``): a question asked
    while the bot was down is still answered when it comes back. Network errors
    while starting are retried with PTB's backoff (up to 30 s apart) rather than
    ending the process; an invalid token ends it at once.
    """
    app = build_application(config, retriever)
    app.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False, bootstrap_retries=-1)
