"""The index on disk: a folder per build, and a ``current`` link swapped atomically.

    layout.py     what a build folder holds (file names, format version, article metadata)
    rows.py       passage rows in chunks.jsonl, read lazily by row number
    integrity.py  durable writes, and checking a build's files against its manifest
    publish.py    staging a build and publishing it (the ``current`` swap, pruning old builds)
    write.py      writing a whole build from memory (the local engine)
    load.py       finding, checking and loading the current build
"""

from .integrity import sha256_file, verify_build
from .layout import DATA_FILES, FORMAT_VERSION, MANIFEST, DocumentMeta
from .load import StoredIndex, check_compatible, load_index, read_manifest, resolve_build
from .publish import Staging, check_writable
from .rows import ChunkTable
from .write import write_index

__all__ = [
    "DATA_FILES", "FORMAT_VERSION", "MANIFEST", "ChunkTable", "DocumentMeta", "Staging", "StoredIndex", "check_compatible", "check_writable",
    "load_index", "read_manifest", "resolve_build", "sha256_file", "verify_build", "write_index",
]
