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
])
def test_config_refuses_bad_values_with_a_clear_message(monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str):
    monkeypatch.setenv(name, value)
    with pytest.raises(QAError, match=says):
        BotConfig.from_env()
