"""Staging a build beside the live ones and publishing it by swapping the ``current`` link.

A build is written to ``builds/.tmp-<id>`` and published by one rename of the
folder and one ``rename`` over the ``current`` symlink: a crash, Ctrl-C or kill
at any point leaves the previous build loadable. Nothing here is pickled.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..processes import pid_alive
from .integrity import file_hashes, fsync_dir, write_text
from .layout import BUILDS, CURRENT, FORMAT_VERSION, MANIFEST, STAGING_PREFIX

__all__ = ["Staging"]

logger = logging.getLogger(__name__)

_KEEP_BUILDS = 2  # the live one, and the one a reader may still be loading


def _build_id() -> str:
    now = datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S}{now.microsecond:06d}Z-{os.getpid()}"


class Staging:
    """A build being written: a hidden folder that becomes ``builds/<id>`` when published."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)
        self.builds = self.out_dir / BUILDS
        self.builds.mkdir(parents=True, exist_ok=True)
        _remove_abandoned(self.builds)
        self.build_id = _build_id()
        self.path = self.builds / f"{STAGING_PREFIX}{self.build_id}"
        self.path.mkdir()

    def publish(self, manifest: dict[str, Any]) -> Path:
        """Record every file's hash in the manifest, then make this build the current one."""
        manifest = {
            "format_version": FORMAT_VERSION,
            **manifest,
            "build_id": self.build_id,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "files": file_hashes(self.path),
        }
        # The manifest goes last: a folder without one is never a build.
        write_text(self.path / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
        final = self.builds / self.build_id
        os.rename(self.path, final)
        fsync_dir(self.builds)
        link = self.out_dir / f".current-{os.getpid()}"
        if link.is_symlink():
            link.unlink()
        os.symlink(Path(BUILDS) / self.build_id, link)
        os.replace(link, self.out_dir / CURRENT)
        fsync_dir(self.out_dir)
        _prune(self.builds, keep=_KEEP_BUILDS)
        return final


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


def _prune(builds: Path, keep: int) -> None:
    finished = sorted((p for p in builds.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    for old in finished[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
