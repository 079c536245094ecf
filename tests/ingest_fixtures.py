"""Sources for the `index add` tests, made here: a loopback web server, PDFs and feeds."""

from __future__ import annotations

import contextlib
import textwrap
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PAGES = Path(__file__).parent / "data" / "pages"

# path → (status, headers, body), or a function that answers the request itself.
Route = tuple[int, dict[str, str], bytes] | Callable[[BaseHTTPRequestHandler], None]


class LoopbackSite:
    """A small web site on 127.0.0.1 serving ``routes``; use as a context manager."""

    def __init__(self, routes: dict[str, Route] | None = None) -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server hook
                route = site.routes.get(self.path)
                if route is None:
                    route = (404, {"Content-Type": "text/html"}, b"<html><body>Not found</body></html>")
                if callable(route):
                    route(self)
                    return
                status, headers, body = route
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address) -> None:
                pass  # clients hang up mid-body on purpose here (size caps, time-outs); no traceback on stderr

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def __enter__(self) -> LoopbackSite:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def html_page(name: str) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "text/html; charset=utf-8"}, (PAGES / f"{name}.html").read_bytes()


def slow(seconds: float) -> Callable[[BaseHTTPRequestHandler], None]:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()
        handler.wfile.write(b"<html><body><p>")
        handler.wfile.flush()
        time.sleep(seconds)
        with contextlib.suppress(OSError):  # the client has long given up
            handler.wfile.write(b"late</p></body></html>")

    return answer


def redirect(to: str) -> tuple[int, dict[str, str], bytes]:
    return 302, {"Location": to, "Content-Type": "text/html"}, b""


def make_pdf(paragraphs: list[str], *, title: str = "", author: str = "", created: str = "") -> bytes:
    """A one-page PDF with a real text layer, written object by object (Helvetica, Latin-1 text)."""
    lines: list[str] = []
    for paragraph in paragraphs:
        lines += textwrap.wrap(paragraph, 90) + [""]
    ops = ["BT", "/F1 10 Tf", "12 TL", "50 760 Td"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"({escaped}) Tj T*")
    ops.append("ET")
    content = "\n".join(ops).encode("latin-1")
    info = []
    for key, value in (("Title", title), ("Author", author), ("CreationDate", created)):
        if value:
            info.append(f"/{key} ({value})")
    return _pdf_file([
        b"<< /Type /Catalog /Pages 2 0 R /Lang (en-GB) >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        ("<< " + " ".join(info) + " >>").encode("latin-1"),
    ])


def scanned_pdf() -> bytes:
    """A page with no text layer at all, as a scanner makes (the image left out)."""
    return _pdf_file([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length 23 >>\nstream\n0 0 1 rg 0 0 612 792 re\nendstream",
    ], info=False)


def _pdf_file(objects: list[bytes], info: bool = True) -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    trailer = b"/Size %d /Root 1 0 R" % (len(objects) + 1) + (b" /Info %d 0 R" % len(objects) if info else b"")
    out += b"trailer\n<< " + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def rss(items: list[dict[str, str]], title: str = "Ledger feed") -> bytes:
    """An RSS 2.0 feed; each item may have link, title, author, pubDate."""
    parts = [f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>{title}</title>'
             "<link>http://127.0.0.1/</link><description>Latest stories</description>"]
    for item in items:
        fields = "".join(f"<{k}>{v}</{k}>" for k, v in item.items())
        parts.append(f"<item>{fields}</item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")
