"""Bot settings from the environment.

| variable               | default   | meaning                                                         |
|------------------------|-----------|-----------------------------------------------------------------|
| TELEGRAM_BOT_TOKEN     | (unset)   | token from @BotFather; without it `python -m bot` opens the terminal chat |
| TELEGRAM_API_BASE_URL  | (unset)   | Bot API server, e.g. http://localhost:8081/bot for a self-hosted one |
| ANSWER_PASSAGES        | 3         | passages per answer                                              |
| SEARCH_WORKERS         | 8         | threads answering questions; those waiting share one model call  |
| LOG_LEVEL              | INFO      | DEBUG, INFO, WARNING or ERROR                                    |

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
    search_workers: int = 8
    log_level: str = "INFO"
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
            index=IndexConfig.from_env(),
        )


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
