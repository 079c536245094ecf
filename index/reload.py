"""Swap a freshly built index into a running retriever, keeping the last good one on any failure.

``ReloadingRetriever`` is a ``Retriever`` that forwards to the index loaded
most recently. A question reads the current retriever once, at its start, so a
search in flight finishes on the index it began with while the next question
already gets the new one. Replacing one attribute is atomic under the GIL, so
no lock is needed on the read path.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import QAError
from .models import Answer, SourceInfo
from .search import IndexRetriever
from .store import MANIFEST

__all__ = ["ReloadingRetriever", "ReloadResult", "build_stamp"]

logger = logging.getLogger(__name__)


def build_stamp(index_dir: Path) -> tuple[str, float] | None:
    """What identifies the published build: where ``current`` points and its manifest's mtime."""
    index_dir = Path(index_dir)
    manifest = index_dir / MANIFEST
    if not manifest.is_file():
        manifest = index_dir / "current" / MANIFEST
    try:
        return os.path.realpath(manifest), manifest.stat().st_mtime
    except OSError:
        return None


@dataclass(frozen=True)
class ReloadResult:
    reloaded: bool
    old_chunks: int
    new_chunks: int
    error: str = ""


class ReloadingRetriever:
    """A Retriever whose index can be replaced while questions are being answered."""

    def __init__(self, index_dir: Path, load: Callable[[], IndexRetriever], first: IndexRetriever | None = None) -> None:
        self.index_dir = Path(index_dir)
        self._load = load
        self._reload_lock = threading.Lock()  # one reload at a time; readers never take it
        # A bad index at start-up raises here: the bot refuses to start rather than serve it.
        self.current: IndexRetriever = first if first is not None else load()
        self._stamp = build_stamp(self.current.index.path)

    def search(self, question: str, top_k: int = 3) -> Answer:
        return self.current.search(question, top_k)

    def sources(self) -> list[SourceInfo]:
        return self.current.sources()

    def __getattr__(self, name: str):
        # Any other Retriever method (e.g. looking a passage up by its offsets) goes to the
        # current index too, so the protocol can grow without this class changing.
        if name.startswith("_") or name == "current":
            raise AttributeError(name)
        return getattr(self.current, name)

    @property
    def chunk_count(self) -> int:
        return len(self.current.index.chunks)

    def changed(self) -> bool:
        """Whether a different build has been published since the last (attempted) load."""
        stamp = build_stamp(self.index_dir)
        return stamp is not None and stamp != self._stamp

    def reload(self) -> ReloadResult:
        """Load the published build and swap it in; on any error keep serving the old one."""
        with self._reload_lock:
            old = self.chunk_count
            # Remember the stamp before loading: a build published meanwhile is seen next time.
            self._stamp = build_stamp(self.index_dir)
            try:
                fresh = self._load()
            except QAError as exc:
                logger.error("index reload failed, still serving the previous index (%d chunks): %s", old, exc)
                return ReloadResult(False, old, old, str(exc))
            self.current = fresh
            new = len(fresh.index.chunks)
            logger.info("index reloaded: %d chunks before, %d chunks now (%s)", old, new, fresh.index.path.name)
            return ReloadResult(True, old, new)
