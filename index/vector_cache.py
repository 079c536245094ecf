"""Per-document embeddings kept on disk between builds, so a rebuild encodes only what changed.

    DIR/embeddings/<key>.npy    float32 rows: the document's passages, then their sentences

The key is the sha256 of the document text together with everything else that
decides its vectors: model, backend and chunk settings. A changed article gets
a new key; entries whose key no build asked for are deleted after the build.
Plain ``.npy`` read with ``allow_pickle=False``: nothing here is unpickled.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
from pathlib import Path
from typing import Any

import numpy as np

from .errors import IndexWriteError
from .processes import pid_alive

__all__ = ["VectorCache", "document_key"]

logger = logging.getLogger(__name__)

_FORMAT = 1  # bump when the row layout changes: old entries then simply miss


def document_key(text: str, recipe: dict[str, Any]) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps({"format": _FORMAT, **recipe}, sort_keys=True).encode())
    digest.update(b"\0")
    digest.update(text.encode("utf-8"))
    return digest.hexdigest()


class VectorCache:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.npy"

    def get(self, key: str, rows: int, dimension: int) -> np.ndarray | None:
        """The stored rows, or None when missing or not the expected shape (then they are re-encoded)."""
        try:
            vectors = np.load(self._path(key), allow_pickle=False)
        except (OSError, ValueError):
            return None
        if vectors.shape != (rows, dimension) or vectors.dtype != np.float32:
            return None
        return vectors

    def put(self, key: str, vectors: np.ndarray) -> None:
        # Unique per call: two builds in one process (threads) may write the same document at once.
        staging = self.folder / f".tmp-{os.getpid()}-{secrets.token_hex(4)}-{key}.npy"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(staging, "wb") as f:
                np.save(f, np.ascontiguousarray(vectors, dtype=np.float32), allow_pickle=False)
            os.replace(staging, self._path(key))  # a killed build leaves no half-written entry
        except OSError as exc:
            with contextlib.suppress(OSError):
                staging.unlink()
            raise IndexWriteError.from_os(self.folder, exc) from exc

    def keep_only(self, keys: set[str]) -> int:
        """Delete entries for documents no longer in the corpus, and leftovers of killed builds."""
        removed = 0
        if not self.folder.is_dir():
            return removed
        for path in self.folder.iterdir():
            if path.name.startswith(".tmp-"):
                pid = path.name.split("-")[1]
                if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
                    path.unlink(missing_ok=True)
                continue
            if path.suffix == ".npy" and path.stem not in keys:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

