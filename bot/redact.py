"""Keep the bot token out of every log line, whoever writes it.

httpx logs request URLs, which embed the token; PTB puts the token in the
message of ``InvalidToken`` and logs the API URL at DEBUG. Quieting those
loggers is not enough on its own, so every handler of the root logger also
gets a filter that rewrites any record containing the token.
"""

from __future__ import annotations

import logging

__all__ = ["protect_token"]

_MASK = "[redacted token]"


class _RedactToken(logging.Filter):
    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__("redact-token")
        self.secrets = secrets

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, _MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if any(s in message for s in self.secrets):
            record.msg, record.args = self._clean(message), None
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        return True


def protect_token(token: str) -> None:
    """Quiet the loggers that print URLs, and redact the token from whatever else is logged."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    telegram_logger = logging.getLogger("telegram")
    if telegram_logger.getEffectiveLevel() < logging.INFO:
        telegram_logger.setLevel(logging.INFO)
    if not token:
        return
    # The part after the colon is the secret; the bot id before it is public.
    secrets = tuple(s for s in (token, token.partition(":")[2]) if len(s) >= 8)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, _RedactToken) for f in handler.filters):
            handler.addFilter(_RedactToken(secrets))
