"""Split documents into passages of whole sentences, with exact character offsets.

Pure text processing: no model is loaded here. A passage never cuts a sentence,
stays within the model's window as measured by the ``count_tokens`` function it
is given, and keeps to one paragraph unless a short paragraph (a subheading, a
dateline) is carried into the next one it introduces.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .models import Chunk, Document, Span

__all__ = [
    "ChunkSettings", "chunk_document", "chunk_corpus", "embedding_texts", "paragraph_spans", "sentence_spans",
    "estimate_tokens",
]

TokenCounter = Callable[[str], int]


@dataclass(frozen=True)
class ChunkSettings:
    # all-MiniLM-L6-v2 reads 256 word pieces; leave room for the special tokens
    # and for words the tokenizer splits more than average.
    max_tokens: int = 200
    # Paragraphs shorter than this, or short and without a full stop, are subheadings
    # or datelines: they join the paragraph they introduce.
    min_tokens: int = 16
    # Embed each passage and sentence with its article's title, and each sentence with the one
    # before it (across paragraphs): a quote is then found with its speaker and its subject.
    contextual: str = "none"
    # A passage gathers whole paragraphs until it holds at least this many tokens, so a one-line
    # quote or a short paragraph is read, and shown, with the paragraph it continues.
    target_tokens: int = 100


def estimate_tokens(text: str) -> int:
    """A tokenizer-free stand-in: words and punctuation marks, which word-piece counts exceed a little."""
    return len(re.findall(r"\w+|[^\w\s]", text))


# Words whose trailing period does not end a sentence, in English and Russian ("т. е.", "ул.", "им.").
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st mt gen col lt sgt capt gov sen rep rev hon pres no vs fig inc ltd co corp dept est approx"
    " т е д г гг ул им др пр см ср стр тыс млн млрд руб обл р-н пер пл просп наб проф акад чл напр т.е т.д т.п т.к"
    .split()
)
# A candidate end: terminal punctuation, closing quotes or brackets, then white space.
_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)")
_ENDS_SENTENCE = re.compile(r"[.!?…:;][\"'”’»)\]]*$")
# What may open the next sentence: a capital letter of any script, or a digit (checked in code: a
# character class cannot say "upper case" for Cyrillic and Latin alike).
_NEXT_START = re.compile(r"\s+[\"'“‘«„(\[—–-]*\s*\w")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentences of ``text[start:end]`` as absolute spans with surrounding white space trimmed."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    cursor = start
    for match in _END.finditer(text, start, end):
        stop = match.end()
        follow = _NEXT_START.match(text, stop, end)
        opener = text[follow.end() - 1] if follow else ""
        if not (opener.isupper() or opener.isdigit()) or _is_abbreviation(text, cursor, match.start()):
            continue
        _append_trimmed(spans, text, cursor, stop)
        cursor = stop
    _append_trimmed(spans, text, cursor, end)
    return spans


def _is_abbreviation(text: str, sentence_start: int, dot: int) -> bool:
    if text[dot] != ".":
        return False
    word = re.search(r"[\w.]*$", text[sentence_start:dot]).group(0)
    if not word:
        return False
    if len(word) == 1 and word.isupper():  # an initial, as in "Ekaterina L. Sokiryanskaya"
        return True
    return "." in word or word.lower() in _ABBREVIATIONS  # "U.S.", "e.g.", "Mr."


def _append_trimmed(spans: list[Span], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append(Span(start, end))


def paragraph_spans(text: str) -> list[Span]:
    """Paragraphs as trimmed spans.

    News text files usually hold one paragraph per line. A file hard-wrapped at a
    fixed width instead marks paragraphs with blank lines; such files are told
    apart by most of their lines being of similar, moderate length.
    """
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\r\n]+", text)]
    nonblank = [(s, e) for s, e in lines if text[s:e].strip()]
    if _looks_hard_wrapped([text[s:e] for s, e in nonblank]):
        blocks = [(m.start(), m.end()) for m in re.finditer(r"\S(?:.|\n(?![ \t\r]*\n))*", text)]
    else:
        blocks = nonblank
    spans: list[Span] = []
    for s, e in blocks:
        _append_trimmed(spans, text, s, e)
    return spans


def _looks_hard_wrapped(lines: Sequence[str]) -> bool:
    if len(lines) < 4:
        return False
    longest = max(len(line) for line in lines)
    if longest > 100:
        return False
    wrapped = sum(1 for line in lines if len(line) >= 0.6 * longest)
    return wrapped >= 0.6 * len(lines)


def chunk_document(
    doc: Document,
    settings: ChunkSettings = ChunkSettings(),
    count_tokens: TokenCounter = estimate_tokens,
) -> list[Chunk]:
    text = doc.text
    paragraphs = paragraph_spans(text)
    total = len(paragraphs)
    chunks: list[Chunk] = []
    # Sentences waiting to be emitted, each with its 1-based paragraph number.
    pending: list[tuple[Span, int]] = []
    pending_tokens = 0

    def flush() -> None:
        nonlocal pending, pending_tokens
        if pending:
            chunks.append(_make_chunk(doc, pending, total))
        pending, pending_tokens = [], 0

    for number, para in enumerate(paragraphs, start=1):
        para_text = text[para.start : para.end]
        para_tokens = count_tokens(para_text)
        if pending and pending_tokens + para_tokens > settings.max_tokens:
            flush()  # a lead-in that cannot fit with its paragraph stands alone
        for sentence in sentence_spans(text, para.start, para.end):
            n = count_tokens(text[sentence.start : sentence.end])
            if pending and pending_tokens + n > settings.max_tokens:
                flush()
            pending.append((sentence, number))
            pending_tokens += n
        if not _is_lead_in(para_text, para_tokens, settings) and pending_tokens >= settings.target_tokens:
            flush()
    flush()
    return chunks


def _is_lead_in(paragraph: str, tokens: int, settings: ChunkSettings) -> bool:
    """Subheadings, datelines and bylines: read with the paragraph that follows them."""
    if tokens < settings.min_tokens:
        return True
    return tokens < settings.max_tokens // 4 and not _ENDS_SENTENCE.search(paragraph)


def _make_chunk(doc: Document, pending: list[tuple[Span, int]], paragraph_count: int) -> Chunk:
    start, end = pending[0][0].start, pending[-1][0].end
    return Chunk(
        chunk_id=f"{doc.doc_id}#{start}-{end}",
        doc_id=doc.doc_id,
        start=start,
        end=end,
        text=doc.text[start:end],
        sentences=tuple(span for span, _ in pending),
        paragraph_first=pending[0][1],
        paragraph_last=pending[-1][1],
        paragraph_count=paragraph_count,
    )


def chunk_corpus(
    documents: Sequence[Document],
    settings: ChunkSettings = ChunkSettings(),
    count_tokens: TokenCounter = estimate_tokens,
) -> list[Chunk]:
    return [chunk for doc in documents for chunk in chunk_document(doc, settings, count_tokens)]


def embedding_texts(doc: Document, chunks: Sequence[Chunk], settings: ChunkSettings = ChunkSettings()) -> list[str]:
    """What each of ``doc``'s passages, then each of their sentences, is embedded as, in index row order.

    With ``settings.contextual``, a passage is read under its article's title and a
    sentence after the sentence before it, so that "They are just small islands"
    carries who said it and about what; offsets and shown text are unaffected.
    """
    sentences = [s for c in chunks for s in c.sentences]
    if settings.contextual == "none":
        return [c.text for c in chunks] + [doc.text[s.start : s.end] for s in sentences]
    title = doc.source.title.strip() if "title" in settings.contextual else ""
    head = f"{title}\n" if title else ""
    texts = [head + c.text for c in chunks]
    previous = ""
    for span in sentences:
        sentence = doc.text[span.start : span.end]
        texts.append(f"{head}{previous} {sentence}".strip() if previous else head + sentence)
        previous = sentence
    return texts
