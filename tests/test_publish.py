"""Publishing under concurrency and clock trouble, and output-side filesystem failures."""

from __future__ import annotations

import errno
import json
import threading
from pathlib import Path

import pytest

import index.store.publish as publish
import index.store.write as write
import index.vectors as vectors
from index.build import build_index
from index.cli import main
from index.errors import IndexCorrupt, IndexWriteError
from index.store import load_index
from index.store.publish import publish_lock

from .conftest import SEEDS
from .fakes import FakeEmbedder


def _builds(out: Path) -> list[str]:
    return sorted(p.name for p in (out / "builds").iterdir())


@pytest.mark.parametrize("ids", [["3", "2", "1"], ["2", "3", "1"]], ids=["reverse", "clock-steps-back"])
def test_publish_in_any_id_order_keeps_current_and_the_one_before(
    tmp_path: Path, fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch, ids: list[str]
):
    # Build ids come from the clock: a clock stepping back gives a newer build a smaller id.
    pending = iter(f"2026010{i}T000000000000Z-1" for i in ids)
    monkeypatch.setattr(publish, "_build_id", lambda: next(pending))
    paths = [build_index(SEEDS, tmp_path, fake_embedder, progress=False).path for _ in ids]
    assert (tmp_path / "current").resolve() == paths[-1]
    assert load_index(tmp_path).path == paths[-1]
    assert _builds(tmp_path) == sorted(p.name for p in paths[-2:])


def test_concurrent_builds_on_one_folder_all_succeed_and_current_is_complete(tmp_path: Path, fake_embedder: FakeEmbedder):
    errors: list[BaseException] = []
    reports = []

    def run() -> None:
        try:
            reports.append(build_index(SEEDS, tmp_path, fake_embedder, progress=False))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and len(reports) == 3
    index = load_index(tmp_path, model=fake_embedder.name)
    assert index.path in {r.path for r in reports}
    assert len(index.chunks) == reports[0].chunks
    assert len(_builds(tmp_path)) <= 2 and not list((tmp_path / "builds").glob(".tmp-*"))


def test_publish_waits_for_the_lock_holder(tmp_path: Path, fake_embedder: FakeEmbedder):
    first = build_index(SEEDS, tmp_path, fake_embedder, progress=False)
    done = threading.Event()

    def run() -> None:
        build_index(SEEDS, tmp_path, fake_embedder, progress=False)
        done.set()

    with publish_lock(tmp_path):
        worker = threading.Thread(target=run)
        worker.start()
        assert not done.wait(1.5)  # embedding done, it waits to publish
        assert load_index(tmp_path).path == first.path
    worker.join(timeout=60)
    assert done.is_set() and load_index(tmp_path).path != first.path


def test_build_fails_clearly_when_the_lock_is_never_released(tmp_path: Path, fake_embedder: FakeEmbedder,
                                                             monkeypatch: pytest.MonkeyPatch):
    first = build_index(SEEDS, tmp_path, fake_embedder, progress=False)
    monkeypatch.setattr(publish, "LOCK_WAIT_SECONDS", 0.2)
    with publish_lock(tmp_path), pytest.raises(IndexWriteError, match="held .*lock"):
        build_index(SEEDS, tmp_path, fake_embedder, progress=False)
    assert load_index(tmp_path).path == first.path and not list((tmp_path / "builds").glob(".tmp-*"))


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _faiss_full(*args, **kwargs):
    raise RuntimeError("Error in faiss::FileIOWriter: write error (No space left on device)")


@pytest.mark.parametrize("target, fake", [("write_bytes", _enospc), ("write_npy", _enospc), ("faiss.write_index", _faiss_full)])
def test_full_disk_is_a_clear_error_and_leaves_no_staging_folder(
    tmp_path: Path, fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch, target: str, fake
):
    first = build_index(SEEDS, tmp_path, fake_embedder, progress=False)
    owner, name = (vectors.faiss, "write_index") if "." in target else (write, target)
    monkeypatch.setattr(owner, name, fake)
    with pytest.raises(IndexWriteError, match="No space left on device.*still served"):
        build_index(SEEDS, tmp_path, fake_embedder, progress=False)
    assert not list((tmp_path / "builds").glob(".tmp-*"))
    assert load_index(tmp_path).path == first.path


def test_cli_build_into_a_file_fails_in_one_line_before_loading_the_model(tmp_path: Path, capsys, monkeypatch):
    import index.embedding

    monkeypatch.setattr(index.embedding, "load_embedder", lambda *a, **k: pytest.fail("the model was loaded"))
    out = tmp_path / "not-a-folder"
    out.write_text("x")
    assert main(["build", "--corpus", str(SEEDS), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Cannot write the index to" in err and "Traceback" not in err


@pytest.mark.parametrize("error", [PermissionError(errno.EACCES, "Permission denied"), OSError(errno.EROFS, "Read-only file system")])
def test_cli_build_into_an_unwritable_folder_fails_in_one_line(tmp_path: Path, capsys, monkeypatch, error: OSError):
    # Tests run as root, whom chmod does not stop: the refusal the kernel would give is raised instead.
    def refuse(*args, **kwargs):
        raise error

    monkeypatch.setattr(publish.tempfile, "TemporaryFile", refuse)
    assert main(["build", "--corpus", str(SEEDS), "--out", str(tmp_path / "idx")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and error.strerror in err


def test_cache_write_failure_is_a_clear_error(tmp_path: Path, fake_embedder: FakeEmbedder, monkeypatch):
    import index.vector_cache

    monkeypatch.setattr(index.vector_cache.np, "save", _enospc)
    with pytest.raises(IndexWriteError, match="No space left"):
        build_index(SEEDS, tmp_path, fake_embedder, progress=False)
    assert not list((tmp_path / "embeddings").glob(".tmp-*"))


@pytest.mark.parametrize("damage", ["truncate", "overwrite"])
def test_rows_changed_under_a_running_reader_raise_index_corrupt(tmp_path: Path, fake_embedder: FakeEmbedder, damage: str):
    build_index(SEEDS, tmp_path, fake_embedder, progress=False)
    index = load_index(tmp_path)
    path = index.path / "chunks.jsonl"
    size = path.stat().st_size
    if damage == "truncate":
        with open(path, "r+b") as f:
            f.truncate(size // 2)
    else:
        with open(path, "r+b") as f:  # in place, as an editor saving over it would
            f.write(b"\xff\xfe" * (size // 2))
    with pytest.raises(IndexCorrupt, match="changed after the build was published.*must never be edited"):
        [index.chunks[i] for i in range(len(index.chunks))]


def test_rows_read_back_equal_to_what_was_written(tmp_path: Path, fake_embedder: FakeEmbedder):
    build_index(SEEDS, tmp_path, fake_embedder, progress=False)
    index = load_index(tmp_path)
    lines = (index.path / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
    assert [c.text for c in index.chunks] == [json.loads(line)["text"] for line in lines]
