"""``index build --engine ray``: the build as Ray Data stages, streamed into one published build folder.

    read articles          a folder (loaded here, small) or a JSONL/Parquet dataset (read by Ray in parallel)
    → chunk  (map)         ChunkStage: chunk_document with the model's own token counter
    → embed  (map_batches) EmbedStage: the model loaded once per actor, `workers` actors
    → write  (driver)      rows appended and vectors spooled to shards as batches arrive (StreamingBuild)

Workers get a picklable embedder *factory*, not a live model, so each actor
builds its own. Output order is preserved, so a Ray build of a folder writes
the same rows in the same order as the local engine.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from ..articles import SOURCE_FIELDS, articles_fingerprint, dataset_kind, document_from_row, load_articles
from ..build import BuildReport, chunk_settings_for, encode_in_batches
from ..chunking import ChunkSettings, chunk_document, embedding_texts
from ..embedding import Embedder
from ..errors import CorpusError, QAError
from ..models import Document, Source
from ..store import Staging, check_writable
from ..store.rows import decode_row, encode_row
from .streaming import StreamingBuild

__all__ = ["build_with_ray", "EmbedderFactory"]

logger = logging.getLogger(__name__)

EmbedderFactory = Callable[[], Embedder]
ARTICLES_PER_BATCH = 16  # per embed call: enough texts (~30 a article) for full model batches
# One worker = one CPU: mostly the embedding actor, a little for chunking beside it, and a sliver
# left for the dataset's read tasks (with every CPU held by actors, reading never gets scheduled).
EMBED_CPUS, CHUNK_CPUS, READ_CPUS = 0.7, 0.2, 0.1


def _document_json(document: Document) -> str:
    return json.dumps({"id": document.doc_id, "text": document.text, "sha256": document.sha256, **asdict(document.source)},
                      ensure_ascii=False)


def _document_from_json(raw: str) -> Document:
    row = json.loads(raw)
    return Document(doc_id=row["id"], text=row["text"], sha256=row["sha256"],
                    source=Source(**{k: row.get(k, "") for k in SOURCE_FIELDS}))


class ChunkStage:
    """Article row → its passages; loads the embedder only for its token counter and window."""

    def __init__(self, factory: EmbedderFactory) -> None:
        embedder = factory()
        self.settings: ChunkSettings = chunk_settings_for(embedder)
        self.count_tokens = embedder.count_tokens

    def __call__(self, row: dict[str, Any]) -> dict[str, Any]:
        if "document" in row:  # already a Document (a folder read on the driver)
            document = _document_from_json(row["document"])
        else:
            try:
                document = document_from_row(row)
            except CorpusError as exc:
                # A bad row is data, not a crash: Ray would retry a raised error, to the same end.
                return {"document": "", "chunks": b"", "error": str(exc)}
        chunks = chunk_document(document, self.settings, self.count_tokens)
        return {"document": _document_json(document), "chunks": b"".join(encode_row(c) for c in chunks), "error": ""}


class EmbedStage:
    """A batch of chunked articles → one vector per passage and per sentence (embedding_texts order)."""

    def __init__(self, factory: EmbedderFactory, batch_size: int) -> None:
        self.embedder = factory()
        self.settings: ChunkSettings = chunk_settings_for(self.embedder)
        self.batch_size = batch_size

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts: list[str] = []
        sizes: list[int] = []
        for raw, rows, error in zip(batch["document"], batch["chunks"], batch["error"]):
            if error:
                sizes.append(0)
                continue
            chunks = [decode_row(json.loads(line)) for line in bytes(rows).splitlines()]
            mine = embedding_texts(_document_from_json(raw), chunks, self.settings)
            texts += mine
            sizes.append(len(mine))
        began = time.time()  # wall clock, comparable across the workers of one machine or a synced cluster
        vectors = encode_in_batches(self.embedder, texts, batch_size=self.batch_size, progress=False)
        ended = time.time()
        bounds = np.cumsum([0] + sizes)
        out = np.empty(len(sizes), dtype=object)
        for i in range(len(sizes)):
            out[i] = np.ascontiguousarray(vectors[bounds[i] : bounds[i + 1]], dtype=np.float32).tobytes()
        times = np.full(len(sizes), began), np.full(len(sizes), ended)
        return {"document": batch["document"], "chunks": batch["chunks"], "error": batch["error"], "vectors": out,
                "encode_start": times[0], "encode_end": times[1]}


def _read_stage(ray_data, corpus: Path):
    """The articles as a Ray dataset, and how many there are (to check that none is dropped)."""
    kind = dataset_kind(corpus)
    if kind == "folder":
        documents = load_articles(corpus)
        return ray_data.from_items([{"document": _document_json(d)} for d in documents]), len(documents)
    if kind == "jsonl":
        dataset = ray_data.read_json(str(corpus), lines=True, num_cpus=READ_CPUS)
    else:
        dataset = ray_data.read_parquet(str(corpus), num_cpus=READ_CPUS)
    return dataset, dataset.count()


def _ray_running() -> bool:
    try:
        import ray
    except ImportError:
        return False
    return ray.is_initialized()


def _start_ray(address: str | None, workers: int):
    try:
        import ray
    except ImportError:
        raise QAError("--engine ray needs Ray: pip install -e '.[distributed]'.") from None
    if ray.is_initialized():  # the caller's session (tests, a notebook): used as it is, left running
        pass
    elif address:
        ray.init(address=address, log_to_driver=False)
    else:
        # A private local cluster of `workers` CPUs, on loopback only.
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # rows land in input order: reproducible builds
    context.enable_progress_bars = False
    return ray


def build_with_ray(
    corpus: Path,
    out_dir: Path,
    factory: EmbedderFactory,
    *,
    address: str | None = None,
    workers: int = 2,
    batch_size: int = 32,
    articles_per_batch: int = ARTICLES_PER_BATCH,
    timings: dict[str, float] | None = None,
) -> BuildReport:
    """Build and publish a new index with Ray; the previous build stays served until the new one is complete.

    ``timings``, if given, receives ``embed_window_s``: from the first batch's encoding start to the last one's
    end over all actors, the pipeline's embedding time without Ray start-up and model loading.
    """
    started = time.perf_counter()
    check_writable(out_dir)
    probe = factory()  # the manifest needs the model's name, backend, dimension and chunk window
    settings = chunk_settings_for(probe)
    manifest = {
        "model": probe.name, "backend": getattr(probe, "backend", ""), "dimension": probe.dimension,
        "prompts": list(getattr(probe, "prompts", ("", ""))),
        "metric": "inner_product", "normalized": True, "chunking": asdict(settings),
        "corpus": articles_fingerprint(corpus), "engine": "ray",
    }
    owned = not _ray_running()
    ray = _start_ray(address, workers)
    try:
        articles, expected = _read_stage(ray.data, corpus)
        pool = ray.data.ActorPoolStrategy(size=workers)
        embedded = (
            articles.map(ChunkStage, fn_constructor_kwargs={"factory": factory}, compute=pool, num_cpus=CHUNK_CPUS)
            .map_batches(EmbedStage, fn_constructor_kwargs={"factory": factory, "batch_size": batch_size},
                         batch_size=articles_per_batch, batch_format="numpy", compute=pool, num_cpus=EMBED_CPUS)
        )
        with Staging(out_dir) as staging:
            writer = StreamingBuild(staging, probe.dimension)
            try:
                window = [float("inf"), 0.0]  # first encode start, last encode end, over every actor
                for row in embedded.iter_rows():
                    window = [min(window[0], row["encode_start"]), max(window[1], row["encode_end"])]
                    if row["error"]:
                        raise CorpusError(f"{row['error']} Nothing was published.")
                    document = _document_from_json(row["document"])
                    chunks = [decode_row(json.loads(line)) for line in bytes(row["chunks"]).splitlines()]
                    vectors = np.frombuffer(row["vectors"], dtype=np.float32).reshape(-1, probe.dimension)
                    writer.add(document, chunks, vectors)
                if timings is not None:
                    timings["embed_window_s"] = max(0.0, window[1] - window[0])
                if writer.articles != expected:
                    raise CorpusError(f"Ray returned {writer.articles} of {expected} articles; nothing was published.")
                path = writer.publish(manifest)
            finally:
                writer.discard_scratch()
    except ray.exceptions.RayError as exc:
        raise _user_error(exc) from exc
    finally:
        if owned:
            ray.shutdown()
    return BuildReport(path, writer.articles, writer.passages, writer.sentence_vectors.rows,
                       time.perf_counter() - started, writer.articles, writer.passages + writer.sentence_vectors.rows)


def _user_error(exc: BaseException) -> QAError:
    first = (str(exc).strip().splitlines() or [""])[0]
    return QAError(f"The Ray build failed ({type(exc).__name__}: {first}); the previous index is still served.")
