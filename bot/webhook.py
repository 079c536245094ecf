"""Webhook mode: Telegram POSTs each update to the bot's own HTTP server (PTB's, on tornado).

Set WEBHOOK_URL to the public https address Telegram should post to; the bot
listens on WEBHOOK_LISTEN:WEBHOOK_PORT at the same path, normally behind a
reverse proxy that ends TLS. WEBHOOK_SECRET is required: Telegram sends it in
the ``X-Telegram-Bot-Api-Secret-Token`` header of every update, and PTB refuses
(403) any request without it, so nobody who merely finds the URL can forge updates.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from index.errors import QAError

__all__ = ["WebhookConfig", "webhook_from_env", "webhook_options"]

# Telegram's rule for secret_token: 1-256 characters, A-Z, a-z, 0-9, _ and -.
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    secret: str = field(repr=False)  # like the token, never printed
    listen: str = "127.0.0.1"
    port: int = 8443

    @property
    def path(self) -> str:
        """Where the bot's server takes updates: the path of the public URL, so a proxy passes it on unchanged."""
        return urlsplit(self.url).path.strip("/")


def webhook_from_env(env: os._Environ[str] | dict[str, str], *, local_api: bool,
                     read_int: Callable[..., int | None]) -> WebhookConfig | None:
    """None when WEBHOOK_URL is unset (long polling). ``read_int`` is bot.config's range-checked reader."""
    url = (env.get("WEBHOOK_URL") or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    # Telegram's cloud posts only to https; a self-hosted Bot API server (TELEGRAM_API_BASE_URL) also takes http.
    schemes = ("https", "http") if local_api else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise QAError(
            f"WEBHOOK_URL={url!r} must be an {' or '.join(schemes)} URL with a host, "
            "e.g. https://bot.example.org/telegram. Unset it to use long polling."
        )
    secret = (env.get("WEBHOOK_SECRET") or "").strip()
    if not _SECRET.fullmatch(secret):
        raise QAError(
            "WEBHOOK_SECRET must be set with WEBHOOK_URL: 1 to 256 characters of A-Z, a-z, 0-9, _ and -, "
            "e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(32))'`."
        )
    listen = (env.get("WEBHOOK_LISTEN") or WebhookConfig.listen).strip()
    return WebhookConfig(url, secret, listen, read_int(env, "WEBHOOK_PORT", WebhookConfig.port, 1, 65535))


def webhook_options(webhook: WebhookConfig, common: dict[str, Any]) -> dict[str, Any]:
    """Arguments for PTB's run_webhook; ``common`` holds those shared with polling (bot.app.polling_options)."""
    return {
        **common,
        "listen": webhook.listen,
        "port": webhook.port,
        "url_path": webhook.path,
        "webhook_url": webhook.url,
        "secret_token": webhook.secret,
    }
