"""`python -m index.bench_lexical [--repeats N] [passages ...]`: the streaming build's BM25 part alone, old writer against new.

Each size is built twice, each time in a fresh process: "lists" keeps every
row's words as Python lists of str and indexes them at publish with
``LexicalIndex.from_tokens`` (what ``StreamingBuild`` did before), "spool" feeds
``LexicalSpool`` (what it does now). Rows are synthetic: passages of 100 words
cut into 4 sentences of 25, words drawn Zipf-like (Zipf–Mandelbrot, s = 1.07,
q = 2.7) from 200,000. As in the real tokenizer, whose stemming cache keeps
65,536 words, the commonest words are shared str objects and the rest fresh
ones. Peak RSS is the process's own high-water mark (getrusage), less its RSS
before the first row.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .bench_common import rss_mb

__all__ = ["run_lexical_bench", "format_lexical_table"]

VOCABULARY = 200_000
SHARED_WORDS = 65_536  # index.lexical's stemming cache: the words it hands out as the same object
PASSAGE_WORDS, SENTENCES = 100, 4
ARTICLE_PASSAGES = 5


def _words(rng: np.random.Generator) -> list[str]:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    lengths = rng.integers(3, 11, VOCABULARY)
    return [f"{''.join(letters[rng.integers(0, 26, k)])}{i}" for i, k in enumerate(lengths)]


def _articles(passages: int, seed: int):
    """Lists of passages of ``PASSAGE_WORDS`` words, ``ARTICLE_PASSAGES`` a list, until ``passages``."""
    rng = np.random.default_rng(seed)
    words = _words(rng)
    weights = 1.0 / (np.arange(VOCABULARY) + 2.7) ** 1.07
    cdf = np.cumsum(weights) / weights.sum()
    made = 0
    while made < passages:
        count = min(ARTICLE_PASSAGES, passages - made)
        ranks = np.minimum(np.searchsorted(cdf, rng.random(count * PASSAGE_WORDS)), VOCABULARY - 1).tolist()
        # A rare word is a new str each time it is read, as the stemmer makes it.
        tokens = [words[r] if r < SHARED_WORDS else words[r][:-1] + words[r][-1] for r in ranks]
        yield [tokens[i : i + PASSAGE_WORDS] for i in range(0, len(tokens), PASSAGE_WORDS)]
        made += count


def _sentences(passages: list[list[str]]) -> list[list[str]]:
    step = PASSAGE_WORDS // SENTENCES
    return [p[i : i + step] for p in passages for i in range(0, len(p), step)]


def measure(mode: str, passages: int, folder: Path) -> dict:
    """In a fresh process: stream ``passages`` synthetic passages through one writer, then publish."""
    from .lexical import LexicalIndex
    from .lexical_stream import LexicalSpool

    articles = _articles(passages, seed=passages)
    first = next(articles)  # the word list exists before the baseline: both writers get it for free
    baseline = rss_mb()
    started = time.perf_counter()
    if mode == "lists":
        chunk_tokens: list[list[str]] = []
        sentence_tokens: list[list[str]] = []
        for article in _chain(first, articles):
            chunk_tokens += article
            sentence_tokens += _sentences(article)
        streamed = time.perf_counter()
        for name, lexical in (("chunks", LexicalIndex.from_tokens(chunk_tokens)), ("sentences", LexicalIndex.from_tokens(sentence_tokens))):
            (folder / name).mkdir(parents=True)
            lexical.save(folder / name)
    elif mode == "spool":
        vocabulary: dict[str, int] = {}
        (folder / "scratch").mkdir(parents=True)
        spools = {name: LexicalSpool(folder / "scratch", name, vocabulary) for name in ("chunks", "sentences")}
        for article in _chain(first, articles):
            spools["chunks"].add(article)
            spools["sentences"].add(_sentences(article))
        streamed = time.perf_counter()
        for name, spool in spools.items():
            spool.save(folder / name)
            spool.discard()
        (folder / "scratch").rmdir()
    else:
        raise ValueError(f"unknown writer {mode!r}")
    done = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    index_mb = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20
    return {"mode": mode, "passages": passages, "growth_mb": round(peak - baseline), "stream_s": round(streamed - started, 1),
            "publish_s": round(done - streamed, 1), "index_mb": round(index_mb)}


def _chain(first, rest):
    yield first
    yield from rest


def run_lexical_bench(sizes=(100_000, 1_000_000), *, repeats: int = 1, work_dir: Path | None = None, log=print) -> dict:
    """Each size ``repeats`` times, the two writers in turn; the figures are medians over the repeats."""
    work = Path(work_dir or tempfile.mkdtemp(prefix="qa-bench-lexical-"))
    results = []
    for n in sizes:
        runs: dict[str, list[dict]] = {"lists": [], "spool": []}
        for r in range(repeats):
            for mode in runs:
                out = work / f"{mode}-{n}-{r}"
                runs[mode].append(_child(mode, str(n), str(out)))
                log(json.dumps(runs[mode][-1]))
        # Bytes differ between processes (bm25s orders words by the strings' salted hash): scores are compared.
        same = _same_scores(work / f"lists-{n}-0", work / f"spool-{n}-0")
        for r in range(repeats):
            for mode in runs:
                shutil.rmtree(work / f"{mode}-{n}-{r}")
        results.append({"passages": n, "repeats": repeats, "same_scores": same,
                        **{f"{m}_{k}": round(float(np.median([x[k] for x in rs])), 1) for m, rs in runs.items()
                           for k in ("growth_mb", "stream_s", "publish_s", "index_mb")}})
    return {"sizes": results, "folder": str(work)}


def _same_scores(a: Path, b: Path) -> bool:
    from .lexical import LexicalIndex

    rng = np.random.default_rng(0)
    for name in ("chunks", "sentences"):
        one, two = (LexicalIndex.load(p / name, mmap=True) for p in (a, b))
        known = list(one._bm25.vocab_dict)
        for pick in rng.integers(0, len(known), (5, 3)):
            words = [known[i] for i in pick]
            if not np.allclose(one.scores(words), two.scores(words), rtol=1e-5):
                return False
    return True


def _child(*args: str) -> dict:
    child = subprocess.run([sys.executable, "-m", "index.bench_lexical", "measure", *args], capture_output=True, text=True, check=False)
    if child.returncode != 0:
        raise RuntimeError(f"the bench child failed:\n{child.stderr[-2000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def format_lexical_table(result: dict) -> str:
    lines = [f"{'passages':>10} {'repeats':>7} {'lists +MB':>10} {'spool +MB':>10} {'ratio':>6} {'lists stream s':>15} {'spool stream s':>15} "
             f"{'lists publish s':>16} {'spool publish s':>16} {'same scores':>12}"]
    for s in result["sizes"]:
        lines.append(f"{s['passages']:>10} {s['repeats']:>7} {s['lists_growth_mb']:>10} {s['spool_growth_mb']:>10} "
                     f"{s['lists_growth_mb'] / max(1, s['spool_growth_mb']):>6.1f} {s['lists_stream_s']:>15} {s['spool_stream_s']:>15} "
                     f"{s['lists_publish_s']:>16} {s['spool_publish_s']:>16} {str(s['same_scores']):>12}")
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:2] == ["measure"]:
        print(json.dumps(measure(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))))
    else:
        repeats = int(sys.argv[2]) if sys.argv[1:2] == ["--repeats"] else 1
        sizes = tuple(int(a) for a in sys.argv[3 if repeats > 1 or sys.argv[1:2] == ["--repeats"] else 1 :])
        print(format_lexical_table(run_lexical_bench(sizes or (100_000, 1_000_000), repeats=repeats)))
