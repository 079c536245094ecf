"""Wire the handlers into a python-telegram-bot Application and run it with long polling."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from index.reload import ReloadingRetriever
from index.search import Retriever

from . import admin, buttons, handlers, inline
from .gate import gate
from .access import AccessPolicy
from .config import BotConfig
from .ratelimit import RateLimiter
from .redact import protect_token
from .state import BotState

__all__ = ["COMMANDS", "DESCRIPTION", "SHORT_DESCRIPTION", "build_application", "polling_options", "run"]

logger = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("start", "What I can do"),
    BotCommand("help", "How to ask, and how answers cite"),
    BotCommand("sources", "The articles I quote from"),
    BotCommand("ask", "Ask a question (the way to ask in a group)"),
    BotCommand("privacy", "What I keep about you: nothing"),
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
# Retries of one request after Telegram answers 429 with retry_after, before giving up on it.
_FLOOD_RETRIES = 3


def build_application(config: BotConfig, retriever: Retriever) -> Application:
    protect_token(config.token)
    limiter = AIORateLimiter(overall_max_rate=config.max_sends_per_second, max_retries=_FLOOD_RETRIES)
    builder = (
        Application.builder()
        .token(config.token)
        .concurrent_updates(True)
        .rate_limiter(limiter)
        .post_init(_post_init)
        .post_stop(_post_stop)
    )
    if config.api_base_url:
        builder = builder.base_url(config.api_base_url)
        if config.api_base_url.endswith("/bot"):  # files come from the same server, as on Telegram's own
            builder = builder.base_file_url(config.api_base_url.removesuffix("bot") + "file/bot")
    app = builder.build()
    app.bot_data["state"] = BotState(
        retriever=retriever,
        answer_passages=config.answer_passages,
        # Operators need no separate place on ALLOWED_USER_IDS.
        access=AccessPolicy(config.allowed_user_ids and config.allowed_user_ids | config.admin_user_ids, config.allow_groups),
        limiter=RateLimiter(config.rate_limit_per_minute, config.rate_limit_burst),
    )
    app.bot_data["workers"] = config.search_workers
    app.bot_data["reload_seconds"] = config.reload_seconds

    app.bot_data["answers"] = buttons.AnswerMemory()

    app.add_handler(TypeHandler(Update, gate), group=-1)
    app.add_handler(CommandHandler("start", buttons.open_link, filters=filters.Regex(buttons.START_WITH_PAYLOAD)))
    app.add_handler(CommandHandler("start", handlers.start))
    app.add_handler(CommandHandler("help", handlers.help_command))
    app.add_handler(CommandHandler("sources", handlers.sources_command))
    app.add_handler(CommandHandler("privacy", handlers.privacy_command))
    app.add_handler(CommandHandler("ask", handlers.ask_command))
    admin.register(app, config.admin_user_ids, config.index)
    app.add_handler(MessageHandler(filters.COMMAND, handlers.unknown_command))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.UpdateType.EDITED, handlers.question))
    app.add_handler(MessageHandler(_MEDIA & ~filters.UpdateType.EDITED, handlers.unsupported))
    app.add_handler(InlineQueryHandler(inline.on_inline_query))
    # Whatever else arrives as a new message (an empty text, a poll, a dice) still gets a hint.
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE, handlers.nothing_to_answer))
    # Our buttons first; the catch-all answers anything else (forged, or from an older version).
    app.add_handler(CallbackQueryHandler(buttons.on_button, pattern=buttons.CALLBACK_PATTERN))
    app.add_handler(CallbackQueryHandler(handlers.unknown_callback))
    app.add_error_handler(handlers.on_error)
    return app


async def _post_init(app: Application) -> None:
    # asyncio.to_thread uses the loop's default executor: bound it, so a burst of
    # questions queues instead of oversubscribing the CPU.
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=app.bot_data["workers"], thread_name_prefix="search"))
    await _warm_up(app.bot_data["state"].retriever, app.bot_data["workers"])
    try:
        await app.bot.set_my_commands(COMMANDS)
    except TelegramError as exc:  # the command menu is a convenience; answering is what matters
        logger.warning("could not register the command menu: %s", type(exc).__name__)
    try:
        await app.bot.set_my_description(DESCRIPTION)
        await app.bot.set_my_short_description(SHORT_DESCRIPTION)
    except TelegramError as exc:  # like the menu, a convenience
        logger.warning("could not register the description: %s", type(exc).__name__)
    retriever = app.bot_data["state"].retriever
    if isinstance(retriever, ReloadingRetriever):
        _watch_index(app, retriever, loop)
    logger.info("bot @%s is ready", app.bot.username)


async def _warm_up(retriever: Retriever, workers: int) -> None:
    """Ask a question of the longest allowed size on every search thread before serving.

    The model's first inferences allocate its working memory (about 70 MiB with
    MiniLM, most of it on the first question, the rest on the first long one):
    paid here, it costs no user a slow first answer and the bot's memory is
    flat from the moment it is ready.
    """
    longest = ("warm up " * handlers.MAX_QUESTION_CHARS)[: handlers.MAX_QUESTION_CHARS]
    await asyncio.gather(*(asyncio.to_thread(retriever.search, longest, 1) for _ in range(workers)))


def _watch_index(app: Application, retriever: ReloadingRetriever, loop: asyncio.AbstractEventLoop) -> None:
    """Reload on SIGHUP, and when a rebuilt index is published (polled every INDEX_RELOAD_SECONDS)."""

    async def reload() -> None:
        # Loading reads and hashes files: off the event loop, so questions keep flowing meanwhile.
        try:
            await asyncio.to_thread(retriever.reload)
        except Exception:  # a bug here must not end the watching, nor the serving
            logger.exception("index reload failed unexpectedly; still serving the previous index")

    def on_sighup() -> None:
        logger.info("SIGHUP: reloading the index")
        app.bot_data["reload_tasks"].add(loop.create_task(reload()))

    async def watch(every: int) -> None:
        while True:
            await asyncio.sleep(every)
            if retriever.changed():
                await reload()

    app.bot_data["reload_tasks"] = set()
    with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):  # not the main thread, e.g. in tests
        loop.add_signal_handler(signal.SIGHUP, on_sighup)
    if app.bot_data["reload_seconds"] > 0:
        app.bot_data["reload_tasks"].add(loop.create_task(watch(app.bot_data["reload_seconds"]), name="index-watch"))


async def _post_stop(app: Application) -> None:
    for task in app.bot_data.get("reload_tasks", ()):
        task.cancel()
    with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)


def polling_options() -> dict[str, Any]:
    """How the bot polls, shared by `python -m bot` and the end-to-end tests.

    Pending updates are kept (``drop_pending_updates=False``): a question asked
    while the bot was down is still answered when it comes back; a person at
    risk who asked once should not have to ask again. Network errors and
    timeouts while starting (``bootstrap_retries=-1``) and while polling are
    retried with PTB's backoff (up to 30 s apart) rather than ending the
    process; an invalid token ends it at once.
    """
    return {
        "allowed_updates": Update.ALL_TYPES,
        "drop_pending_updates": False,
        "bootstrap_retries": -1,
    }


def run(config: BotConfig, retriever: Retriever) -> None:
    """Serve until SIGINT or SIGTERM; PTB then finishes the answers in hand and stops cleanly."""
    try:
        build_application(config, retriever).run_polling(**polling_options())
    except RuntimeError as exc:
        # PTB 22: a stop signal during its start-up handshake (deleteWebhook) makes its retry
        # loop sleep after the event loop has gone. No update had been fetched yet, so
        # nothing is lost: it is a clean stop, not a crash. Anything else is a real error.
        if "no running event loop" not in str(exc):
            raise
        logger.info("stopped during start-up, before any update was fetched")
