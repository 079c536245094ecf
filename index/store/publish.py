"""Staging a build beside the live ones and publishing it by swapping the ``current`` link.

A build is written to ``builds/.tmp-<id>`` and published by one rename of the
folder and one ``rename`` over the ``current`` symlink: a crash, Ctrl-C or kill
at any point leaves the previous build loadable. Nothing here is pickled.

Two builds may run on one folder at once: they embed side by side and publish
one after the other, under an exclusive ``flock`` on ``DIR/.lock``. Pruning
runs under the same lock and keeps exactly the build just published and the
one it replaced (which a reader may still be loading), found from the
``current`` link itself rather than from build names or clocks.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import IndexWriteError
from ..processes import pid_alive
from .integrity import file_hashes, file_sizes, fsync_dir, write_text
from .layout import BUILDS, CURRENT, FORMAT_VERSION, LOCK, MANIFEST, STAGING_PREFIX

__all__ = ["Staging", "check_writable", "publish_lock", "faiss_write_error"]

logger = logging.getLogger(__name__)

LOCK_WAIT_SECONDS = 600.0  # publishing takes seconds; a holder this long is stuck, not busy


def _build_id() -> str:
    now = datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S}{now.microsecond:06d}Z-{os.getpid()}"


def check_writable(out_dir: Path) -> None:
    """Fail before any embedding if the index folder cannot take a new build."""
    out_dir = Path(out_dir)
    try:
        (out_dir / BUILDS).mkdir(parents=True, exist_ok=True)
        # Permissions alone do not say it (root ignores them; a read-only mount does not): write for real.
        with tempfile.TemporaryFile(dir=out_dir / BUILDS, prefix=STAGING_PREFIX):
            pass
    except OSError as exc:
        raise IndexWriteError.from_os(out_dir, exc) from exc


def faiss_write_error(path: Path, exc: RuntimeError) -> OSError:
    """faiss reports a failed write as a RuntimeError; as an OSError the staging context maps it like any other."""
    if "No space left" in str(exc):
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    return OSError(errno.EIO, f"faiss could not write {path.name}", str(path))


class Staging:
    """A build being written: a hidden folder that becomes ``builds/<id>`` when published.

    Used as a context manager: on any failure the folder is removed (a full disk
    must not stay full), and filesystem errors become one ``IndexWriteError``.
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)
        self.builds = self.out_dir / BUILDS
        self.build_id = _build_id()
        self.path = self.builds / f"{STAGING_PREFIX}{self.build_id}"
        try:
            self.builds.mkdir(parents=True, exist_ok=True)
            _remove_abandoned(self.builds)
            self.path.mkdir()
        except OSError as exc:
            raise IndexWriteError.from_os(self.out_dir, exc) from exc

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is None:
            return False
        shutil.rmtree(self.path, ignore_errors=True)
        if isinstance(exc, OSError):
            raise IndexWriteError.from_os(self.out_dir, exc) from exc
        return False

    def publish(self, manifest: dict[str, Any]) -> Path:
        """Record every file's hash in the manifest, then make this build the current one."""
        manifest = {
            "format_version": FORMAT_VERSION,
            **manifest,
            "build_id": self.build_id,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "files": file_hashes(self.path),
            "sizes": file_sizes(self.path),
        }
        # The manifest goes last: a folder without one is never a build.
        write_text(self.path / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
        final = self.builds / self.build_id
        with publish_lock(self.out_dir):
            previous = _current_target(self.out_dir)
            os.rename(self.path, final)
            try:
                fsync_dir(self.builds)
                link = self.out_dir / f".current-{os.getpid()}"
                if link.is_symlink():
                    link.unlink()
                os.symlink(Path(BUILDS) / self.build_id, link)
                os.replace(link, self.out_dir / CURRENT)
            except BaseException:
                shutil.rmtree(final, ignore_errors=True)  # never published: nothing can be reading it
                raise
            fsync_dir(self.out_dir)
            _prune(self.builds, keep={self.build_id, previous})
        return final


@contextmanager
def publish_lock(out_dir: Path) -> Iterator[None]:
    """Hold ``DIR/.lock`` exclusively; the kernel drops a flock when its holder dies, so none goes stale."""
    wait = LOCK_WAIT_SECONDS
    fd = os.open(Path(out_dir) / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waited:
                    logger.info("another build is publishing to %s; waiting for it", out_dir)
                    waited = True
                if time.monotonic() > deadline:
                    raise IndexWriteError(
                        f"Another build has held {Path(out_dir) / LOCK} for over {wait:.0f} s. "
                        "If no build is running, something else holds the lock; stop it and build again."
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _current_target(out_dir: Path) -> str | None:
    """The build id ``current`` names now, or None before the first build."""
    try:
        return Path(os.readlink(out_dir / CURRENT)).name
    except OSError:
        return None


def _remove_abandoned(builds: Path) -> None:
    """Delete staging folders left by builds that were killed."""
    for path in builds.glob(f"{STAGING_PREFIX}*"):
        try:
            pid = int(path.name.rsplit("-", 1)[1])
        except ValueError:
            continue
        if not pid_alive(pid):
            logger.info("removing the unfinished build %s", path.name)
            shutil.rmtree(path, ignore_errors=True)


def _prune(builds: Path, keep: set[str | None]) -> None:
    """Delete finished builds other than ``keep``; staging folders of running builds are not finished builds."""
    for path in builds.iterdir():
        if path.is_dir() and not path.name.startswith(".") and path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)
