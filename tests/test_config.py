from __future__ import annotations

import pytest

from bot.config import BotConfig
from index.errors import QAError


def test_config_defaults_without_environment(monkeypatch: pytest.MonkeyPatch):
    for name in ("RATE_LIMIT_PER_MINUTE", "RATE_LIMIT_BURST", "ALLOWED_USER_IDS", "ALLOW_GROUPS", "INDEX_RELOAD_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    config = BotConfig.from_env()
    assert (config.rate_limit_per_minute, config.rate_limit_burst) == (10, 5)
    assert config.allowed_user_ids == frozenset() and config.allow_groups
    assert config.reload_seconds == 5


def test_config_reads_access_settings(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ALLOWED_USER_IDS", " 12345, 67890 ;42")
    monkeypatch.setenv("ALLOW_GROUPS", "false")
    config = BotConfig.from_env()
    assert config.allowed_user_ids == frozenset({12345, 67890, 42})
    assert not config.allow_groups


@pytest.mark.parametrize(("name", "value", "says"), [
    ("ALLOWED_USER_IDS", "@alice,12345", "numeric Telegram user ids"),
    ("ALLOW_GROUPS", "maybe", "true or false"),
    ("RATE_LIMIT_PER_MINUTE", "0", "whole number from 1"),
    ("ALLOWED_USER_IDS", ", ;", "numeric Telegram user ids"),  # names nobody: not "everyone"
    ("ALLOWED_USER_IDS", "-5", "numeric Telegram user ids"),
    ("MIN_CONFIDENCE", "nan", "number from 0 to 1"),
    ("MIN_CONFIDENCE", "99", "number from 0 to 1"),
    ("MIN_CONFIDENCE", "-0.1", "number from 0 to 1"),
    ("QUERY_THREADS", "nan", "whole number from 1 to 256"),
    ("QUERY_THREADS", "inf", "whole number from 1 to 256"),
    ("QUERY_THREADS", "1.5", "whole number from 1 to 256"),
    ("QUERY_THREADS", "0", "whole number from 1 to 256"),
    ("SEARCH_WORKERS", "nan", "whole number from 1 to 32"),
    ("ANSWER_PASSAGES", "inf", "whole number from 1 to 10"),
    ("INDEX_RELOAD_SECONDS", "-1", "whole number from 0"),
    ("TELEGRAM_MAX_SENDS_PER_SECOND", "1e9", "whole number from 1"),
    ("METRICS_PORT", "0", "from 1 to 65535. Unset it to turn it off"),
    ("METRICS_PORT", "http", "from 1 to 65535"),
])
def test_config_refuses_bad_values_with_a_clear_message(monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str):
    monkeypatch.setenv(name, value)
    with pytest.raises(QAError, match=says):
        BotConfig.from_env()


def test_config_numbers_in_range_are_read(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MIN_CONFIDENCE", "0.6")
    monkeypatch.setenv("QUERY_THREADS", "4")
    monkeypatch.setenv("METRICS_PORT", "9108")
    config = BotConfig.from_env()
    assert (config.index.min_confidence, config.index.query_threads, config.metrics_port) == (0.6, 4, 9108)


def test_config_refusal_is_one_line(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("QUERY_THREADS", "nan")
    with pytest.raises(QAError) as refused:
        BotConfig.from_env()
    assert "\n" not in str(refused.value) and "Unset it to use the default 1" in str(refused.value)
