"""Run the real PTB Application in a thread against the loopback stand-in."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator

from bot.app import build_application, polling_options
from bot.config import BotConfig
from index.search import Retriever

from .botapi import FakeBotAPI


@contextlib.contextmanager
def bot_running(api: FakeBotAPI, retriever: Retriever, **settings) -> Iterator[None]:
    """Run the bot with PTB's own run_polling and the product's polling options in a thread, as `python -m bot` does."""
    app = build_application(BotConfig(token=api.token, api_base_url=api.base_url, **settings), retriever)
    loop = asyncio.new_event_loop()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        app.run_polling(**polling_options(), stop_signals=None, poll_interval=0.0, timeout=1, close_loop=False)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        # Polling has begun only once getUpdates is called: stopping earlier races PTB's start-up.
        api.wait_for(lambda: any(m == "getUpdates" for m, _ in api.calls))
        yield
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=15)
        loop.close()
    assert not thread.is_alive()
