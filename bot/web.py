"""The operator's HTTP port (METRICS_PORT): /metrics, /healthz and /readyz, in both polling and webhook mode.

- ``/metrics``: the Prometheus exposition of the bot's registry (``bot.metrics``);
- ``/healthz``: 200 while the process serves at all (liveness);
- ``/readyz``: 200 when ready, else 503 with one reason a line (``bot.readiness``).

A small threaded WSGI server of the standard library in a daemon thread: a
scrape never waits on the event loop, and a busy event loop never fails a probe.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app

from index.errors import QAError

from .readiness import Readiness

__all__ = ["WebServer", "start_web"]

logger = logging.getLogger(__name__)

# Passed in a fresh list each time: wsgiref adds Content-Length to the list it is given.
_TEXT = ("Content-Type", "text/plain; charset=utf-8")


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass  # a scrape every few seconds is not news


def _app(registry: CollectorRegistry, readiness: Readiness) -> Callable[..., Iterable[bytes]]:
    metrics = make_wsgi_app(registry)

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return metrics(environ, start_response)
        if path == "/healthz":
            start_response("200 OK", [_TEXT])
            return [b"ok\n"]
        if path == "/readyz":
            problems = readiness.problems()
            start_response("503 Service Unavailable" if problems else "200 OK", [_TEXT])
            return ["".join(f"{p}\n" for p in problems).encode() if problems else b"ready\n"]
        start_response("404 Not Found", [_TEXT])
        return [b"not found: try /metrics, /healthz or /readyz\n"]

    return serve


class WebServer:
    def __init__(self, server: _Server) -> None:
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="metrics-web", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def start_web(registry: CollectorRegistry, readiness: Readiness, host: str, port: int) -> WebServer:
    """Serve on ``host:port`` (port 0: any free port, see ``WebServer.port``)."""
    try:
        server = make_server(host, port, _app(registry, readiness), server_class=_Server, handler_class=_Quiet)
    except OSError as exc:
        raise QAError(f"cannot serve metrics on {host}:{port} ({exc.strerror}): set METRICS_PORT to a free port.") from None
    web = WebServer(server)
    logger.info("metrics, /healthz and /readyz on http://%s:%d", host, web.port)
    return web
