"""`python -m index bench --engine ray`: Ray build throughput against bare encode, a simulated large build, its index.

1. Throughput: the seed articles copied ``copies`` times (new ids) as a JSONL
   dataset, built by ``build_with_ray`` with 1 and then 2 workers on a local
   Ray, against bare ``model.encode`` of the same texts with as many torch
   threads. Texts are passages + sentences (``embedding_texts``).
2. A simulated large build: the streaming writer the Ray driver runs, fed
   synthetic articles (seed articles under new ids, their real vectors mixed
   and perturbed as in ``index bench``) in a fresh process per size, timed,
   with its peak memory. Embedding is not re-run; the projection for 10M
   passages adds the measured embedding rate, scaled linearly by workers.
3. The index each simulated build publishes is queried like ``index bench``
   does: latency, recall@10 against exact search, RSS, load time.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, replace
from functools import partial
from pathlib import Path

import numpy as np

from .bench import measure_in_child
from .bench_common import machine_notes, rss_mb, timed
from .config import IndexConfig

__all__ = ["run_ray_bench", "format_ray_table"]

DEFAULT_SIM_SIZES = (20_000, 100_000)
PROJECTED_PASSAGES = 10_000_000
PROJECTED_WORKERS = (2, 8, 32)


def _dataset(config: IndexConfig, copies: int, path: Path) -> int:
    from .corpus import load_corpus

    documents = load_corpus(config.corpus_dir)
    with open(path, "w", encoding="utf-8") as f:
        for k in range(copies):
            for d in documents:
                row = {"id": f"copy{k}/{d.doc_id}", "text": d.text, **asdict(d.source)}
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return copies * len(documents)


def _texts(dataset: Path, embedder) -> list[str]:
    from .articles import load_articles
    from .build import chunk_settings_for
    from .chunking import chunk_document
    from .chunking import embedding_texts

    settings = chunk_settings_for(embedder)
    return [t for d in load_articles(dataset) for t in embedding_texts(d, chunk_document(d, settings, embedder.count_tokens))]


def _bare_rate(embedder, texts: list[str], threads: int) -> float:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        seconds = timed(lambda: embedder.bare_encode(texts), 1)[0]
    finally:
        torch.set_num_threads(before)
    return len(texts) / seconds


def _ray_rate(config: IndexConfig, dataset: Path, out: Path, workers: int) -> dict:
    import ray

    from .embedding import load_embedder
    from .engines.ray_build import build_with_ray

    started = time.perf_counter()
    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1",
             logging_level="warning")
    init_s = time.perf_counter() - started
    try:
        factory = partial(load_embedder, config.model, config.backend, config.models_dir, 1)
        timings: dict[str, float] = {}
        report = build_with_ray(dataset, out, factory, workers=workers, timings=timings)
    finally:
        ray.shutdown()
    steady = report.encoded_texts / max(1e-9, timings["embed_window_s"])
    return {"workers": workers, "seconds": round(report.seconds, 2), "ray_init_s": round(init_s, 2),
            "steady_texts_per_s": round(steady, 1), "embed_window_s": round(timings["embed_window_s"], 1),
            "passages": report.chunks, "texts": report.encoded_texts, "texts_per_s": round(report.encoded_texts / report.seconds, 1),
            "passages_per_s": round(report.chunks / report.seconds, 1), "path": str(report.path)}


def run_ray_bench(config: IndexConfig, *, copies: int = 8, sim_sizes=DEFAULT_SIM_SIZES, work_dir: Path | None = None,
                  questions_file: Path | None = None, log=print) -> dict:
    from .embedding import load_embedder

    work = Path(work_dir or tempfile.mkdtemp(prefix="qa-bench-ray-"))
    work.mkdir(parents=True, exist_ok=True)
    machine = machine_notes()
    log(f"bench folder: {work}; {machine}")
    dataset = work / "articles.jsonl"
    articles = _dataset(config, copies, dataset)
    embedder = load_embedder(config.model, config.backend, config.models_dir)
    texts = _texts(dataset, embedder)
    runs, bare = [], {}
    for workers in (1, 2):
        bare[workers] = round(_bare_rate(embedder, texts, workers), 1)
        runs.append(_ray_rate(config, dataset, work / f"ray-{workers}", workers))
        log(f"{workers} worker(s): Ray {runs[-1]['steady_texts_per_s']} texts/s steady ({runs[-1]['texts_per_s']} over the "
            f"whole build), bare encode ({workers} threads) {bare[workers]} texts/s")

    seed_index = Path(runs[-1]["path"])
    questions = _questions(questions_file)
    (work / "questions.json").write_text(json.dumps(questions), encoding="utf-8")
    sims = []
    for n in sim_sizes:
        size_dir = work / f"sim-{n}"
        sims.append({**_child("simulate", str(n), str(size_dir), str(seed_index)), **measure_in_child(config, size_dir, work / "questions.json")})
        log(f"simulated {n}: {sims[-1]}")

    rate1, rate2 = runs[0]["steady_texts_per_s"], runs[1]["steady_texts_per_s"]
    texts_per_passage = runs[-1]["texts"] / runs[-1]["passages"]
    big = sims[-1]
    writer_s_per_passage = big["writer_s"] / big["passages"]
    slope = (sims[-1]["driver_growth_mb"] - sims[0]["driver_growth_mb"]) / max(1, sims[-1]["passages"] - sims[0]["passages"])
    projection = [
        {"workers": w, "hours": round((PROJECTED_PASSAGES * texts_per_passage / (rate1 * w)
                                        + PROJECTED_PASSAGES * writer_s_per_passage) / 3600, 1)}
        for w in PROJECTED_WORKERS
    ]
    return {
        "articles": articles, "texts": len(texts), "runs": runs, "bare_texts_per_s": bare,
        "scaling_1_to_2": round(rate2 / rate1, 2), "ray_vs_bare": {w: round(r["steady_texts_per_s"] / bare[w], 2) for w, r in zip((1, 2), runs)},
        "simulated": sims, "projection_10m": projection,
        "driver_mb_per_million_passages": round(slope * 1e6, 0),
        "projected_driver_peak_gb_10m": round((sims[0]["driver_growth_mb"] + slope * (PROJECTED_PASSAGES - sims[0]["passages"])) / 1024, 1),
        "notes": (
            f"Machine: {machine}. Throughput: {articles} articles (the seeds copied {copies} times), texts = passages + "
            f"sentences; Ray seconds are the whole build_with_ray call (actors start and load the model, publish included), "
            f"Ray start-up reported apart; bare = model.encode of the same texts, batch 32, with as many torch threads as "
            f"workers. Simulated builds: the streaming writer fed synthetic articles in a fresh process per size (vectors "
            f"not re-embedded); 10M projection = measured 1-worker embedding rate × workers (linear beyond 2 is assumed, "
            f"not measured) + the writer's measured seconds per passage; driver +MB = peak private RSS (RssAnon) while "
            f"streaming and publishing (sampled every 50 ms) minus that before the build, fitted linearly over the sizes; "
            f"+RSS MB = the same for all of VmRSS, which also counts pages of the files being written and mapped. Ray texts/s = all texts over "
            f"the embedding window (first batch's encode start to last batch's end, over all actors: no start-up or "
            f"model loading); whole build = the same texts over the whole call."
        ),
    }


def _questions(path: Path | None) -> list[str]:
    path = path or Path("tests/data/dev_questions.jsonl")
    return [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _child(*args: str) -> dict:
    child = subprocess.run([sys.executable, "-m", "index.bench_ray", *args], capture_output=True, text=True, check=False)
    if child.returncode != 0:
        raise RuntimeError(f"the bench child {args[0]} failed:\n{child.stderr[-2000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def _synthetic_articles(seed, n: int, rng_seed: int):
    """Seed articles again and again under new ids, their vectors mixed and perturbed, until ``n`` passages."""
    from .bench_synthetic import mix as _mix
    from .models import Document

    chunk_vecs = seed.chunk_vectors.reconstruct_n(0, seed.chunk_vectors.ntotal)
    sentence_vecs = seed.sentence_vectors.reconstruct_n(0, seed.sentence_vectors.ntotal)
    metas = list(seed.documents.values())
    bodies = {m.doc_id: _article_text(seed, m.doc_id) for m in metas}
    rng = np.random.default_rng(rng_seed)
    k = passages = 0
    while passages < n:
        meta = metas[k % len(metas)]
        rows = list(meta.chunk_rows)
        chunks = [replace(seed.chunks[r], doc_id=f"s{k}", chunk_id=f"s{k}#{seed.chunks[r].start}") for r in rows]
        first, counts = seed.chunk_first_sentence, seed.sentence_counts
        sentence_rows = [i for r in rows for i in range(first[r], first[r] + counts[r])]
        base = np.vstack([chunk_vecs[rows], sentence_vecs[sentence_rows]])
        partner = chunk_vecs[rng.integers(0, len(chunk_vecs), len(base))]
        yield Document(f"s{k}", bodies[meta.doc_id], meta.source, ""), chunks, _mix(base, partner, rng.random(len(base)).astype(np.float32), rng)
        k += 1
        passages += len(chunks)


def simulate(n: int, size_dir: Path, seed_build: Path) -> dict:
    """In a fresh process: stream ``n`` synthetic passages through the writer, then write what `measure_size` needs."""
    import faiss

    from .bench import HELD_OUT
    from .bench_synthetic import mix as _mix
    from .engines.streaming import StreamingBuild
    from .store import Staging, load_index

    seed = load_index(seed_build)
    baseline, baseline_anon = rss_mb(), rss_mb("RssAnon")
    peak, peak_anon = [baseline], [baseline_anon]
    started = time.perf_counter()
    writer = StreamingBuild(Staging(size_dir / "index"), seed.manifest["dimension"])
    for document, chunks, vectors in _synthetic_articles(seed, n, n):
        writer.add(document, chunks, vectors)
        if writer.articles % 64 == 0:
            peak.append(rss_mb())
            peak_anon.append(rss_mb("RssAnon"))
    keys = ("model", "backend", "dimension", "metric", "normalized", "chunking")
    sampler = _Sampler(peak, peak_anon)  # building the FAISS index at publish is the likely peak
    path = writer.publish({**{key: seed.manifest[key] for key in keys}, "synthetic": True, "corpus": {}})
    sampler.stop()
    writer_s = time.perf_counter() - started
    # The exact baseline needs the float vectors: the same generator gives them again.
    parts: dict[str, list[np.ndarray]] = {"chunks": [], "sentences": []}
    for _, chunks, vectors in _synthetic_articles(seed, n, n):
        parts["chunks"].append(vectors[: len(chunks)])
        parts["sentences"].append(vectors[len(chunks) :])
    for name, arrays in parts.items():
        flat = faiss.IndexFlatIP(seed.manifest["dimension"])
        flat.add(np.concatenate(arrays))
        faiss.write_index(flat, str(size_dir / f"exact-{name}.faiss"))
    rng = np.random.default_rng(n + 1)
    vecs = seed.chunk_vectors.reconstruct_n(0, seed.chunk_vectors.ntotal)
    pick = rng.integers(0, len(vecs), (2, HELD_OUT))
    np.save(size_dir / "held_out.npy", _mix(vecs[pick[0]], vecs[pick[1]], rng.random(HELD_OUT).astype(np.float32), rng),
            allow_pickle=False)
    return {"passages": writer.passages, "sentences": writer.sentence_vectors.rows, "writer_s": round(writer_s, 1),
            "peak_rss_mb": round(max(peak), 0), "driver_rss_growth_mb": round(max(peak) - baseline, 0),
            "driver_growth_mb": round(max(peak_anon) - baseline_anon, 0), "build": path.name}


class _Sampler:
    """Reads this process's RSS and private RSS every 50 ms in a thread, into the two lists, until stopped."""

    def __init__(self, samples: list[float], anon: list[float]) -> None:
        import threading

        self.samples, self.anon, self._done = samples, anon, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.wait(0.05):
            self.samples.append(rss_mb())
            self.anon.append(rss_mb("RssAnon"))

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def _article_text(seed, doc_id: str) -> str:
    """The article text, rebuilt from its passages' offsets (the build keeps passages, not whole articles)."""
    meta = seed.documents[doc_id]
    chunks = [seed.chunks[r] for r in meta.chunk_rows]
    out = [" "] * (chunks[-1].end if chunks else 0)
    for c in chunks:
        out[c.start : c.end] = c.text
    return "".join(out)


def format_ray_table(result: dict) -> str:
    lines = [f"{'workers':>7} {'Ray texts/s':>12} {'bare texts/s':>13} {'Ray/bare':>9} {'whole build':>12} {'passages/s':>11} "
             f"{'build s':>8} {'embed s':>8} {'ray init s':>10}"]
    for run in result["runs"]:
        w = run["workers"]
        lines.append(f"{w:>7} {run['steady_texts_per_s']:>12} {result['bare_texts_per_s'][w]:>13} {result['ray_vs_bare'][w]:>9} "
                     f"{run['texts_per_s']:>12} {run['passages_per_s']:>11} {run['seconds']:>8} {run['embed_window_s']:>8} "
                     f"{run['ray_init_s']:>10}")
    lines.append(f"scaling 1 → 2 workers: ×{result['scaling_1_to_2']}")
    lines.append(f"{'simulated':>10} {'writer s':>9} {'driver +MB':>10} {'+RSS MB':>8} {'codes':>11} {'p50 ms':>7} {'p99 ms':>7} "
                 f"{'recall@10':>9} {'RSS MB':>7} {'load s':>7}")
    for s in result["simulated"]:
        lines.append(f"{s['passages']:>10} {s['writer_s']:>9} {s['driver_growth_mb']:>10} {s.get('driver_rss_growth_mb', ''):>8} "
                     f"{s.get('codes') or s['index_type']:>11} {s['query_p50_ms']:>7} "
                     f"{s['query_p99_ms']:>7} {s['recall_at_10']:>9} {s['rss_mb']:>7} {s['load_s']:>7}")
    lines.append("10M passages, projected: " + ", ".join(f"{p['workers']} workers {p['hours']} h" for p in result["projection_10m"])
                 + f"; driver growth ≈ {result['projected_driver_peak_gb_10m']} GB ({result['driver_mb_per_million_passages']} MB per million passages)")
    lines.append(result["notes"])
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1] == "simulate":
        print(json.dumps(simulate(int(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))))
