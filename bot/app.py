"""Wire the handlers into a python-telegram-bot Application and run it with long polling or a webhook."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from index.errors import QAError
from index.reload import ReloadingRetriever, ReloadResult
from index.search import Retriever

from . import admin, buttons, handlers, inline
from .gate import gate
from .config import BotConfig
from .metrics import Metrics
from .ordering import ChatOrder
from .pacing import ChatPacer
from .profile import register_profile
from .readiness import AnsweredRequest, Readiness, probe
from .redact import protect_token
from .state import CONTEXT_TYPES, BotState
from .web import start_web
from .webhook import webhook_options

__all__ = ["build_application", "polling_options", "run"]

logger = logging.getLogger(__name__)

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
    metrics, readiness = Metrics(), Readiness()
    limiter = ChatPacer(config.max_sends_per_second, max_retries=_FLOOD_RETRIES, on_flood=metrics.flood_waits.inc)
    builder = (
        Application.builder()
        .token(config.token)
        .concurrent_updates(ChatOrder())
        .rate_limiter(limiter)
        # PTB's own pool sizes (256 for requests, 1 for getUpdates), with readiness told of every answer.
        .context_types(CONTEXT_TYPES)
        .request(AnsweredRequest(readiness, connection_pool_size=256))
        .get_updates_request(AnsweredRequest(readiness, connection_pool_size=1))
        .post_init(_post_init)
        # Cleanup on shutdown, not stop: shutdown comes even when starting failed after post_init.
        .post_shutdown(_post_shutdown)
    )
    if config.api_base_url:
        builder = builder.base_url(config.api_base_url)
        if config.api_base_url.endswith("/bot"):  # files come from the same server, as on Telegram's own
            builder = builder.base_file_url(config.api_base_url.removesuffix("bot") + "file/bot")
    app = builder.build()
    state: BotState = app.bot_data
    state.configure(config, retriever)
    state.metrics, state.readiness = metrics, readiness
    state.metrics_at = (config.metrics_listen, config.metrics_port)
    metrics.count_passages(lambda: _passage_count(retriever))

    app.add_handler(TypeHandler(Update, gate), group=-1)
    app.add_handler(CommandHandler("start", buttons.open_link, filters=filters.Regex(buttons.START_WITH_PAYLOAD)))
    app.add_handler(CommandHandler("start", handlers.start))
    app.add_handler(CommandHandler("help", handlers.help_command))
    app.add_handler(CommandHandler("sources", handlers.sources_command))
    app.add_handler(CommandHandler("privacy", handlers.privacy_command))
    app.add_handler(CommandHandler("language", handlers.language_command))
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


def _passage_count(retriever: Retriever) -> int | None:
    if isinstance(retriever, ReloadingRetriever):
        return retriever.chunk_count
    index = getattr(retriever, "index", None)
    return len(index.chunks) if index is not None else None


async def _post_init(app: Application) -> None:
    state: BotState = app.bot_data
    listen, port = state.metrics_at
    if port is not None:  # first, so /healthz answers while the model warms up
        state.web = start_web(state.metrics.registry, state.readiness, listen, port)
    # asyncio.to_thread uses the loop's default executor: bound it, so a burst of
    # questions queues instead of oversubscribing the CPU.
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=state.workers, thread_name_prefix="search"))
    await _warm_up(state.retriever, state.workers)
    await register_profile(app.bot)
    if isinstance(state.retriever, ReloadingRetriever):
        _watch_index(state, state.retriever, loop)
    state.probe = loop.create_task(probe(app.bot, state.readiness), name="telegram-probe")
    state.readiness.started = True
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


def _watch_index(state: BotState, retriever: ReloadingRetriever, loop: asyncio.AbstractEventLoop) -> None:
    """Reload on SIGHUP, and when a rebuilt index is published (polled every INDEX_RELOAD_SECONDS)."""

    async def reload() -> None:
        # Loading reads and hashes files: off the event loop, so questions keep flowing meanwhile.
        try:
            result = await asyncio.to_thread(retriever.reload)
        except Exception as exc:  # a bug here must not end the watching, nor the serving
            logger.exception("index reload failed unexpectedly; still serving the previous index")
            result = ReloadResult(False, retriever.chunk_count, retriever.chunk_count, type(exc).__name__)
        state.metrics.reloads.labels("reloaded" if result.reloaded else "failed").inc()
        state.readiness.index_reloaded(result)

    def on_sighup() -> None:
        logger.info("SIGHUP: reloading the index")
        state.reload_tasks.add(loop.create_task(reload()))

    async def watch(every: int) -> None:
        while True:
            await asyncio.sleep(every)
            if retriever.changed():
                await reload()

    with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):  # not the main thread, e.g. in tests
        loop.add_signal_handler(signal.SIGHUP, on_sighup)
    if state.reload_seconds > 0:
        state.reload_tasks.add(loop.create_task(watch(state.reload_seconds), name="index-watch"))


async def _post_shutdown(app: Application) -> None:
    state: BotState = app.bot_data
    tasks = [t for t in (*state.reload_tasks, state.probe) if t is not None]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if web := state.web:
        state.web = None
        web.close()
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
    app = build_application(config, retriever)
    try:
        if config.webhook is not None:
            _run_webhook(app, config)
        else:
            app.run_polling(**polling_options())
    except RuntimeError as exc:
        # PTB 22: a stop signal during its start-up handshake (deleteWebhook) makes its retry
        # loop sleep after the event loop has gone. No update had been fetched yet, so
        # nothing is lost: it is a clean stop, not a crash. Anything else is a real error.
        if "no running event loop" not in str(exc):
            raise
        logger.info("stopped during start-up, before any update was fetched")


def _run_webhook(app: Application, config: BotConfig) -> None:
    webhook = config.webhook
    try:
        app.run_webhook(**webhook_options(webhook, polling_options()))
    except OSError as exc:  # tornado could not bind: the one start-up failure an operator meets here
        raise QAError(
            f"cannot listen for the webhook on {webhook.listen}:{webhook.port} ({exc.strerror}): "
            "set WEBHOOK_PORT to a free port, or stop what holds it."
        ) from None
