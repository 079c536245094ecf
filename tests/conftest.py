from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

# Never reach a model hub from tests, whatever the caller's environment says.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from index.build import build_index  # noqa: E402
from index.config import IndexConfig  # noqa: E402
from index.search import IndexRetriever  # noqa: E402
from index.store import load_index  # noqa: E402

from .botapi import FakeBotAPI  # noqa: E402
from .fakes import FAKE_SETTINGS, FakeEmbedder  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
_real_connect = socket.socket.connect


def _loopback_only(sock: socket.socket, address, *args, **kwargs):
    host = address[0] if isinstance(address, tuple) else ""
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not ipaddress.ip_address(host).is_loopback:
        raise AssertionError(f"a test tried to reach {host}: tests must not leave this machine")
    return _real_connect(sock, address, *args, **kwargs)


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that opens a connection beyond loopback."""
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)
SEEDS = ROOT / "seeds"


def seed_texts() -> dict[str, str]:
    """The seed articles as the index stores them: cleaned of page furniture, which offsets refer to."""
    from index.corpus import load_corpus

    return {d.doc_id: d.text for d in load_corpus(SEEDS)}
DEV_QUESTIONS = Path(__file__).parent / "data" / "dev_questions.jsonl"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A private copy of the seed corpus that a test may change."""
    target = tmp_path / "corpus"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture(scope="session")
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def fake_index_dir(tmp_path_factory: pytest.TempPathFactory, fake_embedder: FakeEmbedder) -> Path:
    out = tmp_path_factory.mktemp("fake-index")
    build_index(SEEDS, out, fake_embedder, progress=False)
    return out


@pytest.fixture(scope="session")
def fake_retriever(fake_index_dir: Path, fake_embedder: FakeEmbedder) -> IndexRetriever:
    index = load_index(fake_index_dir, model=fake_embedder.name, dimension=fake_embedder.dimension)
    return IndexRetriever(index, fake_embedder, FAKE_SETTINGS)


@pytest.fixture(scope="session")
def real_embedder():
    """The default model (the bundled multilingual-e5-small), loaded once for the whole run."""
    from index.embedding import DEFAULT_MODEL, load_embedder

    return load_embedder(DEFAULT_MODEL)


@pytest.fixture(scope="session")
def real_index_dir(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Path:
    out = tmp_path_factory.mktemp("real-index")
    build_index(SEEDS, out, real_embedder, progress=False)
    return out


@pytest.fixture(scope="session")
def real_retriever(real_index_dir: Path, real_embedder) -> IndexRetriever:
    index = load_index(real_index_dir, model=real_embedder.name, dimension=real_embedder.dimension)
    return IndexRetriever(index, real_embedder, IndexConfig().search_settings)


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    """A fresh loopback Bot API stand-in."""
    with FakeBotAPI() as stand_in:
        yield stand_in
