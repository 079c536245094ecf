"""Durable writes (data reaches the disk before a build is published) and checking a build against its manifest."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexCorrupt
from .layout import DATA_FILES, MANIFEST

__all__ = ["sha256_file", "verify_build", "write_bytes", "write_text", "write_npy", "fsync_path", "fsync_dir", "file_hashes", "file_sizes", "HASH_LIMIT_BYTES"]

_HASH_BLOCK = 1 << 20
# Loading hashes every file up to this size. A larger one (the float16 vectors of a million
# passages are gigabytes) has its size checked instead, so start-up does not grow with the
# archive; `python -m index verify` hashes every file.
HASH_LIMIT_BYTES = 64 << 20


def write_npy(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as f:
        np.save(f, array, allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    try:
        fsync_path(path)
    except OSError:  # some filesystems refuse to fsync a directory; the rename is still atomic
        pass


def sha256_file(path: Path) -> str:
    """Hash in fixed blocks, so checking a large (or memory-mapped) index never holds a second copy."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def file_hashes(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` by relative path, with its hash: what the manifest records."""
    return {path.relative_to(folder).as_posix(): sha256_file(path) for path in sorted(folder.rglob("*")) if path.is_file()}


def file_sizes(folder: Path) -> dict[str, int]:
    return {path.relative_to(folder).as_posix(): path.stat().st_size for path in sorted(folder.rglob("*")) if path.is_file()}


def verify_build(
    build: Path, manifest: dict[str, Any], index_dir: Path, rebuild: str, *, full: bool = False
) -> None:
    """Every data file the manifest lists is present, has its recorded size, and hashes to what was recorded.

    Unless ``full``, files larger than ``HASH_LIMIT_BYTES`` are checked by size only.
    """
    files = manifest.get("files")
    sizes = manifest.get("sizes") or {}
    if not isinstance(files, dict) or not set(DATA_FILES) <= set(files) or not isinstance(sizes, dict):
        raise IndexCorrupt(
            f"The index manifest {build / MANIFEST} does not list the checksums of {', '.join(DATA_FILES)}. "
            f"Rebuild it with: {rebuild}"
        )
    for name, expected in sorted(files.items()):
        path = build / name
        if Path(name).is_absolute() or ".." in Path(name).parts:  # a manifest must not point outside its build
            raise IndexCorrupt(f"The index manifest {build / MANIFEST} lists a file outside the build. Rebuild it with: {rebuild}")
        try:
            size = path.stat().st_size
            if name in sizes and size != sizes[name]:
                raise IndexCorrupt(
                    f"The index file {path} is damaged: it holds {size} bytes, {MANIFEST} recorded {sizes[name]}. "
                    f"Rebuild it with: {rebuild}"
                )
            if not full and size > HASH_LIMIT_BYTES and name in sizes:
                continue
            actual = sha256_file(path)
        except OSError as exc:
            raise IndexCorrupt(f"The index file {path} cannot be read ({exc.strerror}). Rebuild it with: {rebuild}") from None
        if actual != expected:
            raise IndexCorrupt(
                f"The index file {path} is damaged: its checksum differs from the one in {MANIFEST}. "
                f"Rebuild it with: {rebuild}"
            )
