"""A loopback stand-in for the Telegram Bot API, for end-to-end tests.

It speaks the HTTP API that python-telegram-bot uses (form-encoded POSTs to
``/bot<token>/<method>``), holds updates for ``getUpdates`` long polling, records
what the bot sends, and rejects malformed HTML and over-long messages with the
same 400 errors Telegram gives. ``fail_next`` makes it answer 429 with
``retry_after`` or hang up without a response, as a flaky network does.
``pace_chats=True`` makes it enforce Telegram's per-chat flood limits
(tests/chatpace.py), refusals counted in ``too_many``. After ``setWebhook``
it pushes updates to the bot's webhook instead (tests/webhookpush.py).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote

from .chatpace import PACED_METHODS, ChatBuckets
from .webhookpush import WebhookPusher

MAX_MESSAGE = 4096
# Telegram's HTML subset: https://core.telegram.org/bots/api#html-style
_ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote", "tg-spoiler", "span", "tg-emoji"}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_BAD_AMP = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")
_BAD_LT = re.compile(r"<(?!/?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?>)")


class _TelegramHTML(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.error = ""

    def fail(self, message: str) -> None:
        self.error = self.error or message

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED_TAGS:
            return self.fail(f'Unsupported start tag "{tag}"')
        if tag == "a" and not dict(attrs).get("href"):
            return self.fail("Can't find end tag corresponding to start tag \"a\"")
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.fail(f'Unsupported start tag "{tag}"')

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            return self.fail(f'Unmatched end tag "{tag}"')
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in _NAMED_ENTITIES:
            return self.fail(f'Unsupported HTML entity "&{name};"')
        self.text.append(_NAMED_ENTITIES[name])

    def handle_charref(self, name: str) -> None:
        self.text.append(chr(int(name[1:], 16) if name[:1] in "xX" else int(name)))


def parse_telegram_html(text: str) -> tuple[str, str]:
    """(visible text, error) for a message sent with parse_mode=HTML; error is empty if Telegram would accept it."""
    for pattern, what in ((_BAD_AMP, "&"), (_BAD_LT, "<")):
        if match := pattern.search(text):
            return "", f"can't parse entities: unescaped {what} at byte offset {len(text[: match.start()].encode())}"
    parser = _TelegramHTML()
    parser.feed(text)
    parser.close()
    if not parser.error and parser.stack:
        parser.error = f'Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"'
    if parser.error:
        return "", f"can't parse entities: {parser.error}"
    return "".join(parser.text), ""


def _user(user_id: int, language_code: str | None = None) -> dict[str, Any]:
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "Test"}
    if language_code:
        user["language_code"] = language_code
    return user


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int = 0) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


class FakeBotAPI:
    """Start with ``with FakeBotAPI(token) as api:``; point the bot at ``api.base_url``."""

    def __init__(self, token: str = "123456:TEST-token-for-the-loopback-stand-in", username: str = "corpus_test_bot",
                 *, pace_chats: bool = False) -> None:
        self.token = token
        self.bot_user = {"id": int(token.split(":")[0]), "is_bot": True, "first_name": "Corpus", "username": username}
        self.updates: list[dict[str, Any]] = []  # every update queued, delivered or not
        self.sent: list[dict[str, Any]] = []  # every message the bot sent, as stored here
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.rejected: list[tuple[str, str]] = []  # (method, description) of every 4xx answer
        self.callback_answers: dict[str, dict[str, Any]] = {}  # query id → answerCallbackQuery parameters
        self.inline_answers: dict[str, dict[str, Any]] = {}  # query id → answerInlineQuery parameters
        self._pending_callbacks: set[str] = set()
        self._pending_inline: set[str] = set()
        self._chat_types: dict[int, str] = {}
        self._query_ids = itertools.count(5000)
        self._confirmed = 0
        self._ids = itertools.count(1000)
        self._update_ids = itertools.count(1)
        self._cond = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._failures: dict[str, list[tuple[str, int]]] = {}  # method → queued ("429" | "network", retry_after)
        self.failed: list[tuple[str, str]] = []  # (method, kind) of every failure served
        self.answered_callbacks: list[dict[str, Any]] = []
        self.left_chats: list[int] = []
        self._chat_types: dict[int, str] = {}
        self._buckets = ChatBuckets() if pace_chats else None
        self.too_many: list[tuple[str, int]] = []  # (method, chat_id) of every per-chat 429 served
        self.webhook = WebhookPusher(self._cond, lambda after: [u for u in self.updates if u["update_id"] > after])
        self.files: dict[str, bytes] = {}  # file_id → content, offered by getFile and served under /file/bot<token>/
        self.handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": lambda p: self.bot_user,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "sendChatAction": lambda p: True,
            "leaveChat": self._leave_chat,
            "setMyCommands": lambda p: True,
            "setMyDescription": lambda p: self._check_length(p, "description", 512),
            "setMyShortDescription": lambda p: self._check_length(p, "short_description", 120),
            "answerCallbackQuery": self._answer_callback_query,
            "answerInlineQuery": self._answer_inline_query,
            "editMessageText": self._edit_message_text,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getFile": self._get_file,
            "close": lambda p: True,
            "logOut": lambda p: True,
        }

    # -- lifecycle --------------------------------------------------------------
    def __enter__(self) -> FakeBotAPI:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                api._serve(self)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            # socketserver's default backlog of 5 drops connections when many chats
            # are answered at once, and the client's SYN retry then costs a second.
            request_queue_size = 128

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.webhook.stop()
        with self._cond:
            self._cond.notify_all()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        assert self._server
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    # -- what tests do ----------------------------------------------------------
    def user_says(self, text: str, *, chat_id: int = 42, user_id: int = 42, chat_type: str = "private",
                  reply_to: dict[str, Any] | None = None, language_code: str | None = None) -> int:
        """Queue a text message from a user, with the entities Telegram would mark; returns its message_id.

        ``reply_to`` is a message (e.g. one from ``sent``) that this one replies to; ``language_code``
        is the user's app language, as Telegram reports it (absent when the app does not say).
        """
        self._chat_types[chat_id] = chat_type
        message = self._message(chat_id, chat_type, text=text, sender=_user(user_id, language_code))
        entities = []
        if text.startswith("/"):
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(text.split()[0])})
        for match in re.finditer(r"@\w+", text):
            entities.append({"type": "mention", "offset": utf16_len(text[: match.start()]), "length": utf16_len(match.group())})
        if entities:
            message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = {k: v for k, v in reply_to.items() if k in ("message_id", "date", "chat", "from", "text")}
        self.push({"message": message})
        return message["message_id"]

    def user_presses(self, data: str, *, chat_id: int = 42, user_id: int = 42) -> str:
        """Queue a press on an inline button carrying ``data``; returns the callback query id."""
        query_id = str(next(self._ids))
        message = self._message(chat_id, "private", sender=self.bot_user, text="an earlier answer")
        sender = {"id": user_id, "is_bot": False, "first_name": "Test"}
        with self._cond:
            self._pending_callbacks.add(query_id)
        self.push({"callback_query": {"id": query_id, "from": sender, "chat_instance": str(chat_id), "message": message, "data": data}})
        return query_id

    def bot_added_to_group(self, chat_id: int = -100) -> None:
        """Queue the my_chat_member update Telegram sends when someone adds the bot to a group."""
        chat = {"id": chat_id, "type": "group", "title": "Test group"}
        adder = {"id": 7, "is_bot": False, "first_name": "Test"}
        self.push({"my_chat_member": {
            "chat": chat, "from": adder, "date": int(time.time()),
            "old_chat_member": {"status": "left", "user": self.bot_user},
            "new_chat_member": {"status": "member", "user": self.bot_user},
        }})

    def fail_next(self, method: str, times: int = 1, *, kind: str = "network", retry_after: int = 1) -> None:
        """Make the next ``times`` calls of ``method`` fail: ``"429"`` (flood control) or ``"network"`` (hang up)."""
        with self._cond:
            self._failures.setdefault(method, []).extend([(kind, retry_after)] * times)

    def user_sends(self, payload: dict[str, Any], *, chat_id: int = 42) -> int:
        """Queue a non-text message, e.g. ``{"sticker": {...}}``."""
        message = self._message(chat_id, "private", sender={"id": chat_id, "is_bot": False, "first_name": "Test"}, **payload)
        self.push({"message": message})
        return message["message_id"]

    def press(self, message: dict[str, Any], callback_data: str, *, user_id: int = 42, language_code: str | None = None) -> str:
        """Queue a press of an inline button under ``message`` (one of ``sent``); returns the query id."""
        query_id = str(next(self._query_ids))
        shown = {k: v for k, v in message.items() if k not in ("html", "reply_to", "params", "sent_at")}
        with self._cond:
            self._pending_callbacks.add(query_id)
        sender = _user(user_id, language_code)
        self.push({"callback_query": {"id": query_id, "from": sender, "chat_instance": "ci-1", "message": shown, "data": callback_data}})
        return query_id

    def inline_query(self, text: str, *, user_id: int = 42, language_code: str | None = None) -> str:
        """Queue ``@bot text`` typed in some chat; returns the query id."""
        query_id = str(next(self._query_ids))
        with self._cond:
            self._pending_inline.add(query_id)
        sender = _user(user_id, language_code)
        self.push({"inline_query": {"id": query_id, "from": sender, "query": text, "offset": "", "chat_type": "group"}})
        return query_id

    @staticmethod
    def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
        """The inline keyboard buttons under a sent message, row by row flattened."""
        markup = message.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]

    def push(self, update: dict[str, Any]) -> None:
        with self._cond:
            self.updates.append({"update_id": next(self._update_ids), **update})
            self._cond.notify_all()

    def replies_to(self, message_id: int) -> list[dict[str, Any]]:
        """Messages sent as replies quoting ``message_id``."""
        return [m for m in self.sent if m.get("reply_to") == message_id]

    def sent_after(self, message_id: int, chat_id: int = 42) -> list[dict[str, Any]]:
        """Messages sent to the chat after ``message_id``, whether or not they quote it."""
        return [m for m in self.sent if m["chat"]["id"] == chat_id and m["message_id"] > message_id]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._cond:
                result = predicate()
                if result:
                    return result
                self._cond.wait(0.05)
        raise AssertionError(f"timed out after {timeout} s; last sent: {[m.get('text', '')[:80] for m in self.sent[-5:]]}")

    # -- the API ----------------------------------------------------------------
    def _message(self, chat_id: int, chat_type: str, sender: dict[str, Any], **fields: Any) -> dict[str, Any]:
        chat_type = self._chat_types.setdefault(chat_id, chat_type)
        chat = {"id": chat_id, "type": chat_type}
        if chat_type != "private":
            chat["title"] = "Test group"
        return {"message_id": next(self._ids), "date": int(time.time()), "chat": chat, "from": sender, **fields}

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        if unquote(request.path).startswith(f"/file/bot{self.token}/"):
            self._serve_file(request, request.path.rsplit("/", 1)[-1])
            return
        match = re.fullmatch(r"/bot([^/]+)/(\w+)", request.path.split("?")[0])
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length).decode() if length else ""
        try:
            if not match or match.group(1) != self.token:
                raise ApiError(401, "Unauthorized")
            method, params = match.group(2), self._params(request.headers.get("Content-Type", ""), body)
            with self._cond:
                failure = self._failures[method].pop(0) if self._failures.get(method) else None
                if failure:
                    self.failed.append((method, failure[0]))
                else:
                    self.calls.append((method, params))
            if failure and failure[0] == "network":
                request.close_connection = True  # no status line at all: the client sees a dropped connection
                return
            if failure:
                raise ApiError(429, f"Too Many Requests: retry after {failure[1]}", retry_after=failure[1])
            self._check_pace(method, params)
            handler = self.handlers.get(method)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            payload = {"ok": True, "result": handler(params)}
            status = 200
        except ApiError as exc:
            with self._cond:
                if not exc.retry_after:  # a served 429 is in ``failed``, not a mistake of the bot's
                    self.rejected.append((match.group(2) if match else "?", exc.description))
            payload = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.retry_after:
                payload["parameters"] = {"retry_after": exc.retry_after}
            status = exc.code
        data = json.dumps(payload).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the bot hung up mid long-poll while shutting down

    def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = params["file_id"]
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {"file_id": file_id, "file_unique_id": file_id, "file_size": len(self.files[file_id]),
                "file_path": f"documents/{file_id}"}

    def _serve_file(self, request: BaseHTTPRequestHandler, file_id: str) -> None:
        data = self.files.get(file_id)
        request.send_response(200 if data is not None else 404)
        request.send_header("Content-Length", str(len(data or b"")))
        request.end_headers()
        request.wfile.write(data or b"")

    @staticmethod
    def _params(content_type: str, body: str) -> dict[str, Any]:
        if "json" in content_type:
            return json.loads(body or "{}")
        params: dict[str, Any] = {}
        for key, value in parse_qsl(body, keep_blank_values=True):
            try:  # PTB sends nested objects as JSON inside form fields
                params[key] = json.loads(value) if value[:1] in "[{" else value
            except ValueError:
                params[key] = value
        return params

    def _check_pace(self, method: str, params: dict[str, Any]) -> None:
        if self._buckets is None or method not in PACED_METHODS or "chat_id" not in params:
            return
        chat_id = int(params["chat_id"])
        if wait := self._buckets.take(chat_id):
            with self._cond:
                self.too_many.append((method, chat_id))
            raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        if not str(params.get("url", "")).startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: bad webhook: an HTTP URL must be provided for webhook")
        with self._cond:
            self.webhook.set(str(params["url"]), params.get("secret_token"))
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        with self._cond:
            self.webhook.delete()
        return True

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook.url:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
        # Like Telegram, asking from an offset confirms, and forgets, every update before it,
        # so a restarted bot is not handed what it already handled.
        with self._cond:
            self._confirmed = max(self._confirmed, int(params.get("offset") or 0))
            offset = self._confirmed
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 1.0)
        with self._cond:
            while True:
                pending = [u for u in self.updates if u["update_id"] >= offset]
                if pending or time.monotonic() >= deadline:
                    return pending
                self._cond.wait(max(deadline - time.monotonic(), 0.01))

    def _leave_chat(self, params: dict[str, Any]) -> bool:
        with self._cond:
            self.left_chats.append(int(params["chat_id"]))
            self._cond.notify_all()
        return True

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        text = str(params.get("text", ""))
        visible = self._check_text(text, params.get("parse_mode"))
        markup = self._check_markup(params.get("reply_markup"))
        reply = params.get("reply_parameters") or {}
        chat_id = int(params["chat_id"])
        fields: dict[str, Any] = {"text": visible}
        if markup:
            fields["reply_markup"] = markup
        message = self._message(chat_id, self._chat_types.get(chat_id, "private"), sender=self.bot_user, **fields)
        with self._cond:
            self.sent.append(
                {**message, "html": text, "reply_to": reply.get("message_id"), "params": params, "sent_at": time.monotonic()}
            )
            self._cond.notify_all()
        return message

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        text = str(params.get("text", ""))
        visible = self._check_text(text, params.get("parse_mode"))
        markup = self._check_markup(params.get("reply_markup"))
        with self._cond:
            found = [m for m in self.sent if m["chat"]["id"] == int(params.get("chat_id") or 0) and m["message_id"] == int(params.get("message_id") or 0)]
            if not found:
                raise ApiError(400, "Bad Request: message to edit not found")
            message = found[0]
            if message["html"] == text and message.get("reply_markup") == markup:
                raise ApiError(400, "Bad Request: message is not modified")
            message.update(text=visible, html=text, edited=True)
            message.pop("reply_markup", None)
            if markup:
                message["reply_markup"] = markup
            self._cond.notify_all()
            return {k: v for k, v in message.items() if k not in ("html", "reply_to", "params", "edited", "sent_at")}

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        with self._cond:
            if query_id not in self._pending_callbacks:
                raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
            if len(str(params.get("text", ""))) > 200:
                raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
            self._pending_callbacks.discard(query_id)
            self.callback_answers[query_id] = params
            self.answered_callbacks.append(params)
            self._cond.notify_all()
        return True

    def _answer_inline_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("inline_query_id", ""))
        results = params.get("results")
        if not isinstance(results, list) or len(results) > 50:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH" if isinstance(results, list) else "Bad Request: results must be an array")
        ids = [str(r.get("id", "")) for r in results]
        if len(set(ids)) != len(ids) or any(not 1 <= len(i.encode()) <= 64 for i in ids):
            raise ApiError(400, "Bad Request: RESULT_ID_INVALID or RESULT_ID_DUPLICATE")
        for result in results:
            if result.get("type") != "article" or not str(result.get("title", "")).strip():
                raise ApiError(400, "Bad Request: result is not a well-formed article")
            content = result.get("input_message_content") or {}
            self._check_text(str(content.get("message_text", "")), content.get("parse_mode"))
            self._check_markup(result.get("reply_markup"))
        with self._cond:
            if query_id not in self._pending_inline:
                raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
            self._pending_inline.discard(query_id)
            self.inline_answers[query_id] = params
            self._cond.notify_all()
        return True

    @staticmethod
    def _check_text(text: str, parse_mode: Any) -> str:
        visible = text
        if str(parse_mode or "").upper() == "HTML":
            visible, error = parse_telegram_html(text)
            if error:
                raise ApiError(400, f"Bad Request: {error}")
        if not visible.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(visible) > MAX_MESSAGE:
            raise ApiError(400, "Bad Request: message is too long")
        return visible

    @staticmethod
    def _check_markup(markup: Any) -> dict[str, Any] | None:
        """An inline keyboard as Telegram validates it: a button has text and one action; callback data is 1-64 bytes."""
        if not markup:
            return None
        rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise ApiError(400, "Bad Request: inline keyboard must be an array of arrays")
        for button in (b for row in rows for b in row):
            actions = [k for k in ("callback_data", "url", "switch_inline_query", "switch_inline_query_current_chat") if k in button]
            if not str(button.get("text", "")).strip() or len(actions) != 1:
                raise ApiError(400, "Bad Request: can't parse inline keyboard button")
            if "callback_data" in button and not 1 <= len(str(button["callback_data"]).encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if "url" in button and not re.match(r"https?://|tg://", str(button["url"])):
                raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
        return markup

    @staticmethod
    def _check_length(params: dict[str, Any], field: str, limit: int) -> bool:
        if len(str(params.get(field, ""))) > limit:
            raise ApiError(400, f"Bad Request: {field} is too long")
        return True
