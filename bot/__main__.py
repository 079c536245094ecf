"""`python -m bot`: the Telegram bot, or the terminal chat when no token is set."""

from __future__ import annotations

import argparse
import logging
import sys

from index.errors import QAError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument("--console", action="store_true", help="use the terminal chat even if a token is set")
    args = parser.parse_args(argv)
    try:
        from .config import BotConfig

        config = BotConfig.from_env()
        _setup_logging(config.log_level)
        from .redact import protect_token

        protect_token(config.token)
        from index.pipeline import open_retriever

        retriever = open_retriever(config.index)
        if args.console or not config.token:
            if not args.console:
                print("TELEGRAM_BOT_TOKEN is not set: starting the terminal chat.", file=sys.stderr)
            from .console import run_console

            return run_console(retriever, config.answer_passages)
        from telegram.error import InvalidToken

        from .app import run

        try:
            run(config, retriever)
        except InvalidToken:
            print("error: Telegram rejected TELEGRAM_BOT_TOKEN. Copy the token from @BotFather again.", file=sys.stderr)
            return 1
        return 0
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _setup_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("faiss", "sentence_transformers", "transformers", "huggingface_hub"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


if __name__ == "__main__":
    sys.exit(main())
