"""Open the retriever that the CLI, the terminal chat and the bot all share."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from .config import IndexConfig
from .embedding import Embedder, load_embedder
from .search import IndexRetriever
from .store import check_compatible, load_index, read_manifest
from .vectors import set_search_threads

__all__ = ["open_retriever"]


def open_retriever(config: IndexConfig, embedder: Embedder | None = None) -> IndexRetriever:
    """Load the index and its model once, refusing an index built for another model."""
    model = embedder.name if embedder else config.model
    # Checked before the model loads: refusing the index should not cost seconds.
    check_compatible(read_manifest(config.index_dir), config.index_dir, model=model)
    # One question is too small to split across cores: on a shared 2-core machine a
    # second thread waits on the first (measured: 31 ms with one torch thread, 210 ms
    # with two under load), and the bot already runs questions side by side.
    set_search_threads(config.query_threads)
    # The index (passage metadata, mapped vector files) loads while the model does:
    # at a million passages reading the metadata takes seconds of its own.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="load-index") as pool:
        pending = pool.submit(load_index, config.index_dir, model=model)
        embedder = embedder or load_embedder(config.model, config.backend, config.models_dir, threads=config.query_threads)
        index = pending.result()
    check_compatible(index.manifest, config.index_dir, model=embedder.name, dimension=embedder.dimension)
    return IndexRetriever(index, embedder, config.search_settings)
