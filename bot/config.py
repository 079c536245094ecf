"""Bot settings from the environment.

| variable               | default   | meaning                                                         |
|------------------------|-----------|-----------------------------------------------------------------|
| TELEGRAM_BOT_TOKEN     | (unset)   | token from @BotFather; without it `python -m bot` opens the terminal chat |
| TELEGRAM_API_BASE_URL  | (unset)   | Bot API server, e.g. http://localhost:8081/bot for a self-hosted one |
| ANSWER_PASSAGES        | 3         | passages per answer                                              |
| SEARCH_WORKERS         | 2         | threads answering questions; those waiting share one model call  |
| LOG_LEVEL              | INFO      | DEBUG, INFO, WARNING or ERROR                                    |
| RATE_LIMIT_PER_MINUTE  | 10        | questions a user may ask per minute, once the burst is spent     |
| RATE_LIMIT_BURST       | 5         | questions a user may ask at once                                 |
| ALLOWED_USER_IDS       | (unset)   | comma-separated numeric Telegram user ids; unset: everyone; a value naming no id is an error |
| ADMIN_USER_IDS         | (unset)   | numeric ids who may /add, /remove and /list articles; unset: nobody |
| ALLOW_GROUPS           | true      | false: leave any group the bot is added to                       |
| INDEX_RELOAD_SECONDS   | 5         | how often to look for a rebuilt index; 0: only on SIGHUP         |
| TELEGRAM_MAX_SENDS_PER_SECOND | 30 | requests per second to Telegram overall (its flood limit)    |
| METRICS_PORT           | (unset)   | serve /metrics, /healthz, /readyz on this port; unset: off      |
| METRICS_LISTEN         | 127.0.0.1 | address for METRICS_PORT                                        |
| WEBHOOK_URL            | (unset)   | public https URL for Telegram to post updates to; unset: long polling |
| WEBHOOK_SECRET         | (unset)   | required with WEBHOOK_URL: 1-256 of A-Z a-z 0-9 _ -             |
| WEBHOOK_LISTEN         | 127.0.0.1 | address the webhook server listens on                           |
| WEBHOOK_PORT           | 8443      | port the webhook server listens on                              |

The index settings (INDEX_DIR, EMBEDDING_MODEL, MIN_CONFIDENCE, CORPUS_DIR) are read by ``index.config``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from index.config import IndexConfig
from index.errors import QAError

from .webhook import WebhookConfig, webhook_from_env

__all__ = ["BotConfig", "PAGES"]

# Pages of ANSWER_PASSAGES fetched per question, so More (the button, or /more in the terminal) needs no second search.
PAGES = 3


@dataclass(frozen=True)
class BotConfig:
    token: str = field(default="", repr=False)  # never printed, even by accident
    api_base_url: str = ""
    answer_passages: int = 3
    # One per core: more threads batch a burst a little better (40 users at once: p50 577 ms with 8,
    # 658 ms with 2) but each grows its own allocator arenas, +13.5% RSS over a 10,000-question soak vs +1.7%.
    search_workers: int = 2
    log_level: str = "INFO"
    rate_limit_per_minute: int = 10
    rate_limit_burst: int = 5
    allowed_user_ids: frozenset[int] = frozenset()
    admin_user_ids: frozenset[int] = frozenset()
    allow_groups: bool = True
    reload_seconds: int = 5
    max_sends_per_second: int = 30
    metrics_port: int | None = None  # None: no metrics server; 0: any free port (tests)
    metrics_listen: str = "127.0.0.1"
    webhook: WebhookConfig | None = None  # None: long polling
    index: IndexConfig = field(default_factory=IndexConfig)

    @classmethod
    def from_env(cls) -> BotConfig:
        env = os.environ
        level = (env.get("LOG_LEVEL") or cls.log_level).upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise QAError(f"LOG_LEVEL={level!r} is not one of DEBUG, INFO, WARNING, ERROR.")
        api_base_url = env.get("TELEGRAM_API_BASE_URL", "").strip()
        return cls(
            token=env.get("TELEGRAM_BOT_TOKEN", "").strip(),
            api_base_url=api_base_url,
            answer_passages=_int(env, "ANSWER_PASSAGES", cls.answer_passages, 1, 10),
            search_workers=_int(env, "SEARCH_WORKERS", cls.search_workers, 1, 32),
            log_level=level,
            rate_limit_per_minute=_int(env, "RATE_LIMIT_PER_MINUTE", cls.rate_limit_per_minute, 1, 1_000_000),
            rate_limit_burst=_int(env, "RATE_LIMIT_BURST", cls.rate_limit_burst, 1, 1_000_000),
            allowed_user_ids=_ids(env.get("ALLOWED_USER_IDS", "")),
            admin_user_ids=_admin_ids(env.get("ADMIN_USER_IDS")),
            allow_groups=_bool(env, "ALLOW_GROUPS", cls.allow_groups),
            reload_seconds=_int(env, "INDEX_RELOAD_SECONDS", cls.reload_seconds, 0, 86_400),
            max_sends_per_second=_int(env, "TELEGRAM_MAX_SENDS_PER_SECOND", cls.max_sends_per_second, 1, 100_000),
            metrics_port=_int(env, "METRICS_PORT", None, 1, 65535),
            metrics_listen=(env.get("METRICS_LISTEN") or cls.metrics_listen).strip(),
            webhook=webhook_from_env(env, local_api=bool(api_base_url), read_int=_int),
            index=IndexConfig.from_env(),
        )


def _ids(raw: str) -> frozenset[int]:
    if not raw.strip():
        return frozenset()  # unset: everyone
    parts = [p.strip() for p in raw.replace(";", ",").split(",") if p.strip()]
    try:
        ids = frozenset(int(p) for p in parts)
    except ValueError:
        ids = frozenset()
    # A value that names nobody (", ;") must not fail open into "everyone allowed".
    if not ids or min(ids) < 1:
        raise QAError(
            f"ALLOWED_USER_IDS={raw!r} must be numeric Telegram user ids separated by commas, e.g. 12345,67890 "
            "(usernames can change hands, ids cannot). Unset it to let everyone in."
        )
    return ids


def _admin_ids(raw: str | None) -> frozenset[int]:
    if raw is None:
        return frozenset()
    try:
        ids = _ids(raw)
    except QAError:
        ids = frozenset()
    if not ids:  # set but empty or garbled: the operator meant someone, and nobody would be let in
        raise QAError(
            f"ADMIN_USER_IDS={raw!r} must be numeric Telegram user ids separated by commas, e.g. 12345,67890. "
            "Unset it to let nobody add articles from Telegram."
        )
    return ids


def _bool(env: os._Environ[str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise QAError(f"{name}={raw!r} must be true or false. Unset it to use {str(default).lower()}.")


def _int(env: os._Environ[str], name: str, default: int | None, low: int, high: int) -> int | None:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        fallback = "turn it off" if default is None else f"use {default}"
        raise QAError(f"{name}={raw!r} must be a whole number from {low} to {high}. Unset it to {fallback}.")
    return value
