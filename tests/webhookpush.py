"""The stand-in's side of webhook mode: it posts each update to the bot's webhook, as Telegram does.

Once the bot calls ``setWebhook``, updates queued with ``user_says`` and the
like are POSTed to the URL it gave, one at a time and in order, with the
``X-Telegram-Bot-Api-Secret-Token`` header carrying the secret it gave. An
update the webhook does not accept with 200 is tried again shortly, a bounded
number of times, then given up. ``post_update`` posts one update by hand, e.g.
a forged one with the wrong secret.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_TRIES = 50
_RETRY_SECONDS = 0.1


FORGER = 77  # the chat and user of ``forged_update``


def forged_update(update_id: int, text: str) -> dict[str, Any]:
    """A text message as Telegram would post it, for a test to post by hand (message_id 90000 + update_id)."""
    sender = {"id": FORGER, "is_bot": False, "first_name": "Mallory"}
    chat = {"id": FORGER, "type": "private"}
    message = {"message_id": 90_000 + update_id, "date": int(time.time()), "chat": chat, "from": sender, "text": text}
    return {"update_id": update_id, "message": message}


def post_update(url: str, update: dict[str, Any], secret: str | None) -> int:
    """POST one update to a webhook; the HTTP status it answered (0: no answer at all)."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(url, data=json.dumps(update).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


@dataclass
class Delivery:
    update_id: int
    status: int
    tries: int


class WebhookPusher:
    """Delivers the updates that ``pending()`` hands out to the webhook set last, in a thread of its own."""

    def __init__(self, cond: threading.Condition, pending: Callable[[int], list[dict[str, Any]]]) -> None:
        self._cond = cond
        self._pending = pending  # update_id → the updates queued after it
        self.url = ""
        self.secret: str | None = None
        self.deliveries: list[Delivery] = []
        self._last = 0
        self._stopped = False
        self._thread: threading.Thread | None = None

    def set(self, url: str, secret: str | None) -> None:
        """Called with the stand-in's condition held, as setWebhook is."""
        self.url, self.secret = url, secret
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        self._cond.notify_all()

    def delete(self) -> None:
        self.url = ""

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and not (self.url and self._pending(self._last)):
                    self._cond.wait(0.5)
                if self._stopped:
                    return
                update, url, secret = self._pending(self._last)[0], self.url, self.secret
            status, tries = 0, 0
            while status != 200 and tries < _TRIES and not self._stopped:
                tries += 1
                status = post_update(url, update, secret)
                if status != 200:
                    time.sleep(_RETRY_SECONDS)
            with self._cond:
                self.deliveries.append(Delivery(update["update_id"], status, tries))
                self._last = update["update_id"]
                self._cond.notify_all()
