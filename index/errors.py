"""The errors a user or operator can act on.

Every message says what went wrong and what to run next, so the command-line
tools print it without a traceback.

    QAError
    ├── CorpusError        the corpus folder is missing, empty or its sources.toml is broken
    ├── ModelError         the embedding model cannot be loaded offline
    ├── IngestError        a source given to `index add` cannot become an article
    └── IndexError_        base of the on-disk index problems
        ├── IndexNotFound  nothing built yet at that path
        ├── IndexMismatch  built with another model, dimension or format
        ├── IndexCorrupt   a file is truncated, altered or missing, or counts disagree
        └── IndexWriteError the index folder cannot be written (permissions, full disk, not a folder)
"""

from __future__ import annotations

__all__ = [
    "QAError", "CorpusError", "ModelError", "IngestError", "IndexError_", "IndexNotFound", "IndexMismatch", "IndexCorrupt",
    "IndexWriteError",
]


class QAError(Exception):
    """Base of every error whose message is meant for the person running the tool."""


class CorpusError(QAError):
    pass


class ModelError(QAError):
    pass


class IngestError(QAError):
    """One source could not be fetched or read as an article; the others go on."""


class IndexError_(QAError):  # noqa: N801 - the builtin IndexError is a different thing
    pass


class IndexNotFound(IndexError_):
    pass


class IndexMismatch(IndexError_):
    pass


class IndexCorrupt(IndexError_):
    """The build on disk is not the one its manifest describes."""


class IndexWriteError(IndexError_):
    """A build could not be written; the build being served is untouched."""

    @classmethod
    def from_os(cls, out_dir: object, exc: BaseException) -> IndexWriteError:
        reason = getattr(exc, "strerror", None)
        if not reason:  # faiss reports a failed write as a RuntimeError with the C message inside
            text = str(exc)
            reason = "No space left on device" if "No space left" in text else (text.strip().splitlines() or [type(exc).__name__])[-1]
        return cls(
            f"Cannot write the index to {out_dir}: {reason}. The index already published there (if any) is "
            "still served; free some space, fix the folder's permissions, or choose another --out."
        )
