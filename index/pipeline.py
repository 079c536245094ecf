"""Open the retriever that the CLI, the terminal chat and the bot all share."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from .config import IndexConfig
from .embedding import Embedder, load_embedder
from .errors import IndexMismatch, QAError
from .language import load_detector
from .reload import ReloadingRetriever
from .search import IndexRetriever
from .store import check_compatible, load_index, read_manifest
from .vectors import set_search_threads

__all__ = ["check_backend", "open_retriever", "open_reloading_retriever"]


def open_retriever(config: IndexConfig, embedder: Embedder | None = None) -> IndexRetriever:
    """Load the index and its model once, refusing an index built for another model, or damaged."""
    model = embedder.name if embedder else config.model
    # Checked before the model loads: refusing the index should not cost seconds.
    check_compatible(read_manifest(config.index_dir), config.index_dir, model=model)

    # One question is too small to split across cores: on a shared 2-core machine a
    # second thread waits on the first (measured: 31 ms with one torch thread, 210 ms
    # with two under load), and the bot already runs questions side by side.
    set_search_threads(config.query_threads)
    # The index (passage metadata, mapped vector files) loads while the model does:
    # at a million passages reading the metadata takes seconds of its own. So does the
    # language detector, which the first question would otherwise wait for.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="load-index") as pool:
        pending = pool.submit(load_index, config.index_dir, model=model)
        detector = pool.submit(load_detector)
        try:
            embedder = embedder or load_embedder(config.model, config.backend, config.models_dir, threads=config.query_threads)
        except QAError:
            pending.result()  # a damaged index is the first thing to report: a model will not fix it
            raise
        index = pending.result()
        detector.result()
    check_compatible(index.manifest, config.index_dir, model=embedder.name, dimension=embedder.dimension)
    check_backend(index.manifest, config.index_dir, getattr(embedder, "backend", ""))
    return IndexRetriever(index, embedder, config.search_settings)


def check_backend(manifest: dict, index_dir, backend: str) -> None:
    """An int8 and a float32 copy of one model place texts differently: a build is queried as it was built."""
    built = manifest.get("backend") or ""
    if built and backend and built != backend:
        raise IndexMismatch(
            f"The index at {index_dir} was built with the {built} backend, but this run uses {backend}. "
            f"Set EMBEDDING_BACKEND={built}, or rebuild it with: python -m index build --out {index_dir} --backend {backend}"
        )


def open_reloading_retriever(config: IndexConfig, embedder: Embedder | None = None) -> ReloadingRetriever:
    """Like ``open_retriever``, but able to swap in a rebuilt index later, with the same model."""
    first = open_retriever(config, embedder)
    model = first.embedder

    def load() -> IndexRetriever:
        return first.with_index(load_index(config.index_dir, model=model.name, dimension=model.dimension))

    return ReloadingRetriever(config.index_dir, load, first=first)
