"""BM25 indexes written from rows as they stream in, in the bytes ``LexicalIndex.from_tokens`` saves.

Holding every row's words as Python strings until the end made the build
driver grow with the corpus (issue 13). Here a row's words become int ids at once
(one word → id dict shared by the passage and sentence indexes, which grows
with the vocabulary, not the corpus); each row's (word, count) postings are
spooled to ``.npy`` runs in the scratch folder, and document frequencies are
counted as runs are cut. At save, the runs are put in bm25s's column order and
the CSC score matrix is written column block by column block, each block
gathered from every run's slice of it (a word in most rows is a block of its
own, written run by run), so no step holds all postings. What stays in memory
per row is its length, 4 bytes.

The result is byte for byte what ``bm25s.BM25().index(...).save(...)`` writes
in the same process, vocabulary order included (that order is the iteration
order of a set of the words, which depends only on the words and the order
they were first seen), so ``LexicalIndex.load`` reads it unchanged.
"""

from __future__ import annotations

import json
import math
import os
from array import array
from pathlib import Path

import bm25s
import numpy as np

__all__ = ["LexicalSpool", "RUN_TOKENS", "BLOCK_POSTINGS"]

RUN_TOKENS = 1 << 18  # words buffered before a run is cut: ~15 MB while it is counted (1 << 20: 60 MB)
BLOCK_POSTINGS = 1 << 19  # postings per column block at save: ~35 MB while it is scored (1 << 21: 140 MB)
_NO_WORD = "\x00"  # LexicalIndex.from_tokens' stand-in row for a corpus without a word
_FILES = ("data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy", "vocab.index.json", "params.index.json")


class LexicalSpool:
    """One BM25 index (passages or sentences): rows in, bm25s's saved index out."""

    def __init__(self, folder: Path, name: str, vocabulary: dict[str, int], *, run_tokens: int = RUN_TOKENS,
                 block_postings: int = BLOCK_POSTINGS) -> None:
        self.folder, self.name, self.vocabulary = folder, name, vocabulary
        self.run_tokens, self.block_postings = run_tokens, block_postings
        self.rows = 0
        self.tokens = 0
        self._lengths = array("i")
        self._local = np.full(0, -1, dtype=np.int64)  # shared word id → this index's id, in first-seen order
        self._order = array("q")  # this index's ids → shared word ids
        self._df = np.zeros(0, dtype=np.int64)
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []
        self._pending_tokens = 0
        self.runs: list[Path] = []

    def add(self, rows: list[list[str]]) -> None:
        """Rows' words, in row order (as ``tokenize`` gives them)."""
        counts = [len(r) for r in rows]
        total = sum(counts)
        self._lengths.extend(counts)
        if total:
            vocabulary = self.vocabulary
            shared = np.fromiter((vocabulary.setdefault(w, len(vocabulary)) for r in rows for w in r), np.int64, total)
            local = self._local_ids(shared)
            row_ids = np.repeat(np.arange(self.rows, self.rows + len(rows), dtype=np.int64), counts)
            self._pending.append((row_ids, local))
            self._pending_tokens += total
            self.tokens += total
        self.rows += len(rows)
        if self._pending_tokens >= self.run_tokens:
            self._cut_run()

    def _local_ids(self, shared: np.ndarray) -> np.ndarray:
        if len(self._local) < len(self.vocabulary):
            grown = np.full(max(len(self.vocabulary), 2 * len(self._local)), -1, dtype=np.int64)
            grown[: len(self._local)] = self._local
            self._local = grown
        local = self._local[shared]
        new = local < 0
        if new.any():
            fresh, first = np.unique(shared[new], return_index=True)
            fresh = fresh[np.argsort(first)]  # first-seen order, which the vocabulary's order is built from
            self._local[fresh] = np.arange(len(self._order), len(self._order) + len(fresh))
            self._order.extend(fresh.tolist())
            local = self._local[shared]
        return local

    def _cut_run(self) -> None:
        if not self._pending:
            return
        row_ids = np.concatenate([p[0] for p in self._pending])
        local = np.concatenate([p[1] for p in self._pending])
        self._pending, self._pending_tokens = [], 0
        # One key per (row, word): unique gives each row's words with their counts, rows ascending.
        keys, tf = np.unique((row_ids << 32) | local, return_counts=True)
        del row_ids, local
        run = np.stack([keys & 0xFFFFFFFF, keys >> 32, tf]).astype(np.int32)  # word, row, count
        path = self.folder / f"{self.name}-{len(self.runs):05d}.npy"
        np.save(path, run, allow_pickle=False)
        self.runs.append(path)
        df = np.bincount(run[0], minlength=len(self._order))
        df[: len(self._df)] += self._df
        self._df = df

    def save(self, folder: Path) -> None:
        """Write the five files bm25s.BM25.save writes (no corpus, no pickle) into ``folder``."""
        self._cut_run()
        if not self.rows:
            raise ValueError("a BM25 index of no rows")  # from_tokens fails too (bm25s: "max() arg is an empty sequence")
        if self.tokens:
            shared_words = list(self.vocabulary)
            words = [shared_words[g] for g in self._order]
            del shared_words
            lengths = np.frombuffer(self._lengths, dtype=np.int32)
            df = self._df
        else:
            words, df = [_NO_WORD], np.array([self.rows], dtype=np.int64)
            lengths = np.ones(self.rows, dtype=np.int32)
            self._no_word_run(lengths)
        # bm25s numbers the words in the iteration order of the set it gathers them into.
        ordered = list(set(words))
        position = {w: i for i, w in enumerate(ordered)}
        final = np.fromiter((position[w] for w in words), np.int64, len(words))
        del words
        df_final = np.zeros(len(ordered), dtype=np.int64)
        df_final[final] = df
        indptr = np.zeros(len(ordered) + 1, dtype=np.int64)
        np.cumsum(df_final, out=indptr[1:])
        model = bm25s.BM25()
        if (model.method, model.idf_method) != ("lucene", "lucene"):
            raise RuntimeError(f"bm25s defaults to {model.method}/{model.idf_method}: this writer scores lucene only")
        n = self.rows
        idf = np.array([math.log(1 + (n - d + 0.5) / (d + 0.5)) for d in df_final.tolist()], dtype=model.dtype)
        self._sort_runs(final)
        folder.mkdir(parents=True, exist_ok=True)
        avg_len = float(lengths.sum()) / n
        self._write_columns(folder, indptr, idf, lengths, avg_len, model)
        np.save(folder / _FILES[2], indptr, allow_pickle=False)
        _write_vocabulary(folder / _FILES[3], ordered, position)
        params = dict(k1=model.k1, b=model.b, delta=model.delta, method=model.method, idf_method=model.idf_method,
                      dtype=model.dtype, int_dtype=model.int_dtype, num_docs=n, version=bm25s.__version__,
                      backend=model.backend)
        with open(folder / _FILES[4], "w") as f:
            json.dump(params, f, indent=4)

    def _no_word_run(self, lengths: np.ndarray) -> None:
        # from_tokens gives every row the one word "\x00" when no row has a word: the same postings, spooled.
        rows = np.arange(self.rows, dtype=np.int32)
        path = self.folder / f"{self.name}-empty.npy"
        np.save(path, np.stack([np.zeros_like(rows), rows, lengths]), allow_pickle=False)
        self.runs = [path]

    def _sort_runs(self, final: np.ndarray) -> None:
        """Each run renumbered to bm25s's word ids and sorted by them, rows ascending within a word."""
        for path in self.runs:
            run = np.load(path, allow_pickle=False)
            run[0] = final[run[0]]
            # Kept C-ordered: indexing by columns can hand back a Fortran-ordered array, and runs are read by offset.
            np.save(path, np.ascontiguousarray(run[:, np.argsort(run[0], kind="stable")]), allow_pickle=False)

    def _write_columns(self, folder: Path, indptr: np.ndarray, idf: np.ndarray, lengths: np.ndarray, avg_len: float,
                       model: bm25s.BM25) -> None:
        total = int(indptr[-1])
        marks = np.searchsorted(indptr[1:], np.arange(self.block_postings, total, self.block_postings))
        # A word in most rows (its column grows with the corpus) is a block of its own, written run by run.
        big = np.flatnonzero(np.diff(indptr) > self.block_postings)
        bounds = np.unique(np.concatenate([[0], marks + 1, big, big + 1, [len(indptr) - 1]]))
        cuts, layout = [], []
        for path in self.runs:
            run = np.load(path, mmap_mode="r", allow_pickle=False)
            cuts.append(np.searchsorted(run[0], bounds))
            if not run.flags.c_contiguous:
                raise RuntimeError(f"{path.name} is not a C-ordered run")
            layout.append((run.offset, run.shape[1]))
            del run
        k1, b = model.k1, model.b

        def write(word: np.ndarray, row: np.ndarray, tf: np.ndarray) -> None:
            # bm25s's arithmetic, in its order and precision: a float64 length norm per row, float32 idf.
            tf = tf.astype(np.float64)
            norm = k1 * ((1 - b) + b * lengths[row].astype(np.float64) / avg_len)
            data.write((idf[word] * (tf / (norm + tf))).astype(model.dtype).tobytes())
            indices.write(row.astype(model.int_dtype).tobytes())

        with open(folder / _FILES[0], "wb") as data, open(folder / _FILES[1], "wb") as indices:
            _npy_header(data, np.dtype(model.dtype), total)
            _npy_header(indices, np.dtype(model.int_dtype), total)
            for block in range(len(bounds) - 1):
                # Read, not mapped: a map kept open keeps every page it read in the RSS, and mapping
                # each run afresh for each block cost more than the reading.
                parts = (_read_columns(path, offset, n, int(cut[block]), int(cut[block + 1]))
                         for path, cut, (offset, n) in zip(self.runs, cuts, layout))
                written = 0
                if bounds[block + 1] - bounds[block] == 1:  # one word: the runs' slices are already in row order
                    for part in parts:
                        write(*part)
                        written += part.shape[1]
                else:
                    block_run = np.concatenate(list(parts), axis=1)
                    # Runs are in row order, so a stable sort by word leaves each column's rows ascending.
                    write(*block_run[:, np.argsort(block_run[0], kind="stable")])
                    written = block_run.shape[1]
                    del block_run
                if written != indptr[bounds[block + 1]] - indptr[bounds[block]]:
                    raise RuntimeError("a BM25 run lost postings between spooling and saving")

    def discard(self) -> None:
        for path in self.runs:
            path.unlink(missing_ok=True)
        self.runs = []


def _read_columns(path: Path, offset: int, n: int, start: int, end: int) -> np.ndarray:
    """Columns start:end of a run saved as a (3, n) int32 array whose data begin at ``offset``."""
    out = np.empty((3, end - start), dtype=np.int32)
    if end > start:
        fd = os.open(path, os.O_RDONLY)
        try:
            for k in range(3):
                out[k] = np.frombuffer(os.pread(fd, (end - start) * 4, offset + (k * n + start) * 4), dtype=np.int32)
        finally:
            os.close(fd)
    return out


def _npy_header(f, dtype: np.dtype, length: int) -> None:
    """The header np.save writes for a 1-D array, so the column data can follow in pieces."""
    header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": (length,)}
    np.lib.format.write_array_header_1_0(f, header)


def _write_vocabulary(path: Path, ordered: list[str], position: dict[str, int]) -> None:
    """json.dumps of bm25s's vocab dict (ensure_ascii off), written in pieces; "" is its extra empty word."""
    if "" not in position:
        ordered = ordered + [""]
    with open(path, "w", encoding="utf-8") as f:
        f.write("{")
        for start in range(0, len(ordered), 65536):
            piece = ", ".join(f"{json.dumps(w, ensure_ascii=False)}: {start + i}"
                              for i, w in enumerate(ordered[start : start + 65536]))
            f.write((", " if start else "") + piece)
        f.write("}")
