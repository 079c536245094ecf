"""Defaults for the index tools, each overridable from the environment.

| variable          | default             | meaning                                            |
|-------------------|---------------------|----------------------------------------------------|
| CORPUS_DIR        | seeds               | folder of .txt/.md articles and sources.toml       |
| INDEX_DIR         | .index              | where builds are written and read                  |
| EMBEDDING_MODEL   | all-MiniLM-L6-v2    | sentence-transformers model name or local folder   |
| MIN_CONFIDENCE    | 0.48                | below this confidence, a question is declined      |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .embedding import DEFAULT_MODEL
from .errors import QAError
from .search import SearchSettings

__all__ = ["IndexConfig"]


@dataclass(frozen=True)
class IndexConfig:
    corpus_dir: Path = Path("seeds")
    index_dir: Path = Path(".index")
    model: str = DEFAULT_MODEL
    min_confidence: float = SearchSettings.min_confidence

    @classmethod
    def from_env(cls) -> IndexConfig:
        env = os.environ
        return cls(
            corpus_dir=Path(env.get("CORPUS_DIR") or cls.corpus_dir),
            index_dir=Path(env.get("INDEX_DIR") or cls.index_dir),
            model=env.get("EMBEDDING_MODEL") or cls.model,
            min_confidence=_float(env, "MIN_CONFIDENCE", cls.min_confidence),
        )

    @property
    def search_settings(self) -> SearchSettings:
        return SearchSettings(min_confidence=self.min_confidence)


def _float(env: os._Environ[str] | dict[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise QAError(f"{name}={raw!r} is not a number. Unset it to use the default {default}.") from None
