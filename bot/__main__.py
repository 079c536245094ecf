"""`python -m bot`: the Telegram bot, or the terminal chat when no token is set."""

from __future__ import annotations

import argparse
import importlib
import os
import threading
import sys
from typing import TYPE_CHECKING

from index.errors import QAError

from .i18n import LANGUAGES

if TYPE_CHECKING:
    from index.search import Retriever

    from .config import BotConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument("--console", action="store_true", help="use the terminal chat even if a token is set")
    parser.add_argument(
        "--lang", choices=LANGUAGES, help="the terminal chat's language (default: from LC_ALL, LC_MESSAGES or LANG, else en)"
    )
    args = parser.parse_args(argv)
    try:
        from index.logs import setup_logging
        from index.pipeline import open_reloading_retriever, open_retriever

        from .config import BotConfig
        from .redact import protect_token

        config = BotConfig.from_env()
        console = args.console or not config.token
        # The terminal chat shares the screen with the logs: only problems are worth showing there.
        quiet = console and "LOG_LEVEL" not in os.environ
        setup_logging("WARNING" if quiet else config.log_level, "%(asctime)s %(levelname)s %(name)s: %(message)s")
        protect_token(config.token)
        if console:
            from .console import run_console
            from .i18n import language_from_env, translations

            t = translations(args.lang or language_from_env(os.environ))
            if not args.console:
                print(t.gettext("TELEGRAM_BOT_TOKEN is not set: starting the terminal chat."), file=sys.stderr)
            print(t.gettext("Loading the index and the model…"), file=sys.stderr, flush=True)
            return run_console(open_retriever(config.index), config.answer_passages, t=t)
        # PTB's import (0.4-1.4 s measured here) runs while the model loads instead of after it.
        threading.Thread(target=importlib.import_module, args=("telegram.ext",), daemon=True).start()
        # Refuses to start on a missing, damaged or mismatched index (QAError below).
        return _serve(config, open_reloading_retriever(config.index))
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _serve(config: BotConfig, retriever: Retriever) -> int:
    from telegram.error import InvalidToken

    from .app import run

    try:
        run(config, retriever)
    except InvalidToken:
        print("error: Telegram rejected TELEGRAM_BOT_TOKEN. Copy the token from @BotFather again.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
