"""One model call at a time, shared by every question waiting for it.

Encoding one short question costs nearly as much as encoding several together,
so when many users ask at once, whoever gets the model encodes every question
queued behind it and hands each its vector.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future

import numpy as np

from .embedding import Embedder

__all__ = ["QuestionEncoder"]


class QuestionEncoder:
    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        # The tokenizer and model are not documented as thread-safe: one call at a time.
        self._model_lock = threading.Lock()
        self._queue_lock = threading.Lock()
        self._waiting: list[tuple[str, Future[np.ndarray]]] = []

    def encode(self, question: str) -> np.ndarray:
        mine: Future[np.ndarray] = Future()
        with self._queue_lock:
            self._waiting.append((question, mine))
        with self._model_lock:
            if not mine.done():  # nobody took it along in their batch: encode all that waits
                with self._queue_lock:
                    batch, self._waiting = self._waiting, []
                try:
                    vectors = self._embedder.encode_queries([q for q, _ in batch], batch_size=max(1, len(batch)))
                except BaseException as exc:
                    for _, future in batch:
                        future.set_exception(exc)
                else:
                    for (_, future), vector in zip(batch, vectors):
                        future.set_result(vector)
        return mine.result()
