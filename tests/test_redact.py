from __future__ import annotations

import io
import logging

from bot.redact import protect_token

TOKEN = "123456:AAE-secret-part-of-the-token"


def test_protect_token_redacts_messages_arguments_and_tracebacks():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        protect_token(TOKEN)
        log = logging.getLogger("telegram.ext.somewhere")
        log.warning("POST https://api.telegram.org/bot%s/getMe", TOKEN)
        log.warning("only the secret: %s", TOKEN.split(":")[1])
        try:
            raise ValueError(f"The token `{TOKEN}` was rejected by the server.")
        except ValueError:
            log.exception("invalid token")
    finally:
        root.removeHandler(handler)
    output = stream.getvalue()
    assert "secret-part-of-the-token" not in output
    assert output.count("[redacted token]") == 3
    assert "invalid token" in output and "ValueError" in output


def test_protect_token_quiets_url_loggers():
    protect_token("")
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
    assert logging.getLogger("telegram").getEffectiveLevel() >= logging.INFO
