"""Open the retriever that the CLI, the terminal chat and the bot all share."""

from __future__ import annotations

from .config import IndexConfig
from .embedding import Embedder, load_embedder
from .reload import ReloadingRetriever
from .search import IndexRetriever
from .store import check_compatible, load_index

__all__ = ["open_retriever", "open_reloading_retriever"]


def open_retriever(config: IndexConfig, embedder: Embedder | None = None) -> IndexRetriever:
    """Load the index and its model once, refusing an index built for another model or damaged."""
    # The index is loaded and verified before the model: refusing it should not cost seconds.
    index = load_index(config.index_dir, model=embedder.name if embedder else config.model)
    embedder = embedder or load_embedder(config.model)
    check_compatible(index.manifest, config.index_dir, model=embedder.name, dimension=embedder.dimension)
    return IndexRetriever(index, embedder, config.search_settings)


def open_reloading_retriever(config: IndexConfig, embedder: Embedder | None = None) -> ReloadingRetriever:
    """Like ``open_retriever``, but able to swap in a rebuilt index later, with the same model."""
    first = open_retriever(config, embedder)
    model = first.embedder

    def load() -> IndexRetriever:
        index = load_index(config.index_dir, model=model.name, dimension=model.dimension)
        return IndexRetriever(index, model, config.search_settings)

    holder = ReloadingRetriever(config.index_dir, load, first=first)
    return holder
