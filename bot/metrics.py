"""The bot's operational counters, in the Prometheus format (served by ``bot.web`` on METRICS_PORT).

Every metric lives in the application's own ``CollectorRegistry``, so two bots
in one process (as in the tests) never share a count. Labels take values from
small fixed sets (an outcome, a button kind, an exception class name): no
question text, user id or chat id is ever a label or a value.

| metric                              | type      | labels           |
|-------------------------------------|-----------|------------------|
| newsqa_questions_total              | counter   | outcome: answered, declined |
| newsqa_reply_seconds                | histogram | (none): question received → last reply message sent |
| newsqa_button_presses_total         | counter   | kind: context, more, sources, other; outcome |
| newsqa_inline_queries_total         | counter   | outcome: answered, declined, empty |
| newsqa_rate_limited_total           | counter   | (none): messages refused by the per-user limit |
| newsqa_telegram_flood_waits_total   | counter   | (none): 429 answers from Telegram |
| newsqa_index_reloads_total          | counter   | outcome: reloaded, failed |
| newsqa_index_passages               | gauge     | (none): passages in the index being served |
| newsqa_errors_total                 | counter   | type: exception class of a failed update |
"""

from __future__ import annotations

import math
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from telegram.ext import ContextTypes

__all__ = ["BUTTON_KINDS", "Metrics", "metrics_of"]

BUTTON_KINDS = {"c": "context", "m": "more", "s": "sources"}
# From a cached answer (tens of ms) to a flood paced at one message a second (tens of seconds).
_REPLY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """One application's counters; ``registry`` is what ``bot.web`` exposes."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.questions = Counter("newsqa_questions", "Questions answered from the articles, or declined.", ["outcome"], registry=r)
        self.reply_seconds = Histogram(
            "newsqa_reply_seconds", "Seconds from a question reaching the bot to its last reply message sent.",
            buckets=_REPLY_BUCKETS, registry=r,
        )
        self.buttons = Counter("newsqa_button_presses", "Presses on the buttons under answers.", ["kind", "outcome"], registry=r)
        self.inline_queries = Counter("newsqa_inline_queries", "Inline queries (@bot question).", ["outcome"], registry=r)
        self.rate_limited = Counter("newsqa_rate_limited", "Messages refused by the per-user rate limit.", registry=r)
        self.flood_waits = Counter("newsqa_telegram_flood_waits", "429 Too Many Requests answers from Telegram.", registry=r)
        self.reloads = Counter("newsqa_index_reloads", "Attempts to load a rebuilt index.", ["outcome"], registry=r)
        self.passages = Gauge("newsqa_index_passages", "Passages in the index being served.", registry=r)
        self.errors = Counter("newsqa_errors", "Updates whose handling failed, by exception class.", ["type"], registry=r)
        for outcome in ("answered", "declined"):
            self.questions.labels(outcome)  # present at 0 from the start, so rates work at once
        for outcome in ("reloaded", "failed"):
            self.reloads.labels(outcome)

    def question(self, answered: bool, seconds: float) -> None:
        self.questions.labels("answered" if answered else "declined").inc()
        self.reply_seconds.observe(seconds)

    def button(self, kind: str, outcome: str) -> None:
        self.buttons.labels(BUTTON_KINDS.get(kind, "other"), outcome).inc()

    def error(self, exc: BaseException | None) -> None:
        self.errors.labels(type(exc).__name__ if exc is not None else "unknown").inc()

    def count_passages(self, count: Callable[[], int | None]) -> None:
        """Read the index size at every scrape, so a reload needs no bookkeeping."""
        self.passages.set_function(lambda: _or_nan(count()))


def _or_nan(value: int | None) -> float:
    return math.nan if value is None else float(value)


# Handlers built outside ``bot.app`` (unit tests) count into this one, which nobody serves.
_UNSERVED = Metrics()


def metrics_of(context: ContextTypes.DEFAULT_TYPE) -> Metrics:
    return getattr(context.application.bot_data, "metrics", None) or _UNSERVED
