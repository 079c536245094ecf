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
| ALLOWED_USER_IDS       | (unset)   | comma-separated numeric Telegram user ids; unset: everyone       |
| ADMIN_USER_IDS         | (unset)   | numeric ids who may /add, /remove and /list articles; unset: nobody |
| ALLOW_GROUPS           | true      | false: leave any group the bot is added to                       |
| INDEX_RELOAD_SECONDS   | 5         | how often to look for a rebuilt index; 0: only on SIGHUP         |
| TELEGRAM_MAX_SENDS_PER_SECOND | 30 | requests per second to Telegram overall (its flood limit)    |

The index settings (INDEX_DIR, EMBEDDING_MODEL, MIN_CONFIDENCE, CORPUS_DIR) are read by ``index.config``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from index.config import IndexConfig
from index.errors import QAError

__all__ = ["BotConfig"]


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
    index: IndexConfig = field(default_factory=IndexConfig)

    @classmethod
    def from_env(cls) -> BotConfig:
        env = os.environ
        level = (env.get("LOG_LEVEL") or cls.log_level).upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise QAError(f"LOG_LEVEL={level!r} is not one of DEBUG, INFO, WARNING, ERROR.")
        return cls(
            token=env.get("TELEGRAM_BOT_TOKEN", "").strip(),
            api_base_url=env.get("TELEGRAM_API_BASE_URL", "").strip(),
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
            index=IndexConfig.from_env(),
        )


def _ids(raw: str) -> frozenset[int]:
    parts = [p.strip() for p in raw.replace(";", ",").split(",") if p.strip()]
    try:
        return frozenset(int(p) for p in parts)
    except ValueError:
        raise QAError(
            f"ALLOWED_USER_IDS={raw!r} must be numeric Telegram user ids separated by commas, e.g. 12345,67890 "
            "(usernames can change hands, ids cannot). Unset it to let everyone in."
        ) from None


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


def _int(env: os._Environ[str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise QAError(f"{name}={raw!r} must be a whole number from {low} to {high}. Unset it to use {default}.")
    return value
