"""Run the real PTB Application in a thread against the loopback stand-in."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Literal

from telegram.ext import Application

from bot.app import build_application, polling_options
from bot.config import BotConfig
from bot.webhook import WebhookConfig, webhook_options
from index.search import Retriever

from .botapi import FakeBotAPI

WEBHOOK_SECRET = "loopback-test-secret_1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def bot_running(api: FakeBotAPI, retriever: Retriever, mode: Literal["polling", "webhook"] = "polling",
                **settings) -> Iterator[Application]:
    """Run the bot with PTB's own run_polling (or run_webhook) and the product's options in a thread, as `python -m bot` does."""
    if mode == "webhook":
        port = free_port()
        settings["webhook"] = WebhookConfig(f"http://127.0.0.1:{port}/telegram-hook", WEBHOOK_SECRET, "127.0.0.1", port)
    config = BotConfig(token=api.token, api_base_url=api.base_url, **settings)
    app = build_application(config, retriever)
    loop = asyncio.new_event_loop()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        if config.webhook is not None:
            app.run_webhook(**webhook_options(config.webhook, polling_options()), stop_signals=None, close_loop=False)
        else:
            app.run_polling(**polling_options(), stop_signals=None, poll_interval=0.0, timeout=1, close_loop=False)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        # Serving has begun only once getUpdates (or setWebhook, sent once the server listens) is called:
        # stopping earlier races PTB's start-up.
        started = "setWebhook" if config.webhook is not None else "getUpdates"
        api.wait_for(lambda: any(m == started for m, _ in api.calls))
        yield app
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=15)
        loop.close()
    assert not thread.is_alive()
