"""Synthetic large indexes for the benchmarks, made from the seed index.

Encoding a million passages takes hours here, so a passage at size N copies a
seed passage's text and sentence spans, and its vectors are real seed vectors
mixed with another seed passage's vector and Gaussian noise, renormalised.
Neighbours in such a set differ mostly by their noise, which compact codes
keep worse than real embeddings would: a hard case for the IVF's codes.
"""

from __future__ import annotations

import numpy as np
from dataclasses import replace

from .lexical import LexicalIndex, tokenize
from .models import Chunk

__all__ = ["NOISE", "mix", "synthetic", "lexical"]

NOISE = 0.5  # norm of the Gaussian perturbation added to a (unit) seed vector
BLOCK = 100_000


def mix(a: np.ndarray, b: np.ndarray, weight: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Unit vectors near seed vectors: a + weight·b + Gaussian noise, renormalised."""
    v = a + weight[:, None] * b
    v += rng.normal(scale=NOISE / np.sqrt(a.shape[1]), size=v.shape).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v


def synthetic(n: int, chunks: list[Chunk], chunk_vecs: np.ndarray, sentence_vecs: np.ndarray, seed: int):
    """n passages copied from seed passages, with perturbed vectors for passages and their sentences."""
    rng = np.random.default_rng(seed)
    first = np.concatenate([[0], np.cumsum([len(c.sentences) for c in chunks])]).astype(np.int64)
    # Sorted, so each article's copies are consecutive rows in reading order, as in a real build.
    proto = np.sort(rng.integers(0, len(chunks), n))
    partner = rng.integers(0, len(chunks), n)
    weight = rng.random(n).astype(np.float32)
    counts = np.array([len(chunks[p].sentences) for p in proto])
    out_chunks = np.empty((n, chunk_vecs.shape[1]), np.float32)
    out_sentences = np.empty((int(counts.sum()), chunk_vecs.shape[1]), np.float32)
    for b in range(0, n, BLOCK):
        sl = slice(b, b + BLOCK)
        out_chunks[sl] = mix(chunk_vecs[proto[sl]], chunk_vecs[partner[sl]], weight[sl], rng)
    # Each sentence of passage i: its seed sentence, mixed with passage i's partner the same way.
    owner = np.repeat(np.arange(n), counts)
    seed_sentence = first[proto[owner]] + (np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts))
    for b in range(0, len(owner), BLOCK):
        sl = slice(b, b + BLOCK)
        out_sentences[sl] = mix(sentence_vecs[seed_sentence[sl]], chunk_vecs[partner[owner[sl]]], weight[owner[sl]], rng)
    synthetic = [replace(chunks[p], chunk_id=f"synthetic-{i}") for i, p in enumerate(proto)]
    return synthetic, proto, out_chunks, out_sentences


def lexical(seed: list[Chunk], documents: list, proto: np.ndarray) -> tuple[LexicalIndex, LexicalIndex]:
    """BM25 over the synthetic passages and their sentences, each seed text tokenized once."""
    body = {d.doc_id: d.text for d in documents}
    chunk_words = tokenize([c.text for c in seed])
    sentence_words = [tokenize([body[c.doc_id][s.start : s.end] for s in c.sentences]) for c in seed]
    return (
        LexicalIndex.from_tokens([chunk_words[p] for p in proto]),
        LexicalIndex.from_tokens([words for p in proto for words in sentence_words[p]]),
    )
