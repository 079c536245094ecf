"""`python -m tests.botproc`: the bot exactly as `python -m bot` serves it, but with the fake embedder.

For tests that need a real process (signals) without loading the real model.
QUESTION_DELAY (seconds) makes every question slow, to catch it in flight.
INDEX_DIR must hold an index built with the fake embedder.
"""

from __future__ import annotations

import os
import sys

from bot.__main__ import _serve
from bot.config import BotConfig
from bot.redact import protect_token
from index.errors import QAError
from index.logs import setup_logging
from index.pipeline import open_reloading_retriever

from .fakes import DelayedEmbedder


def main() -> int:
    config = BotConfig.from_env()
    setup_logging(config.log_level, "%(asctime)s %(levelname)s %(name)s: %(message)s")
    protect_token(config.token)
    embedder = DelayedEmbedder(float(os.environ.get("QUESTION_DELAY") or 0))
    try:
        return _serve(config, open_reloading_retriever(config.index, embedder))
    except QAError as exc:  # as bot.__main__ reports it
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
