"""Logging set-up shared by `python -m index` and `python -m bot`."""

from __future__ import annotations

import logging

__all__ = ["setup_logging"]

# Libraries whose INFO output is noise to operators (and, for httpx, URLs that may hold secrets).
_NOISY = ("bm25s", "faiss", "sentence_transformers", "transformers", "huggingface_hub", "httpx", "httpcore")


def setup_logging(level: int | str, fmt: str = "%(levelname)s %(name)s: %(message)s") -> None:
    logging.basicConfig(level=level, format=fmt)
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
