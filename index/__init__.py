"""Articles → sentence-aware chunks → embeddings → FAISS index on disk → search.

The bot and the CLI use this surface; the modules behind it are private detail.
"""

from .errors import QAError
from .models import Answer, Passage, Source, SourceInfo
from .search import Retriever

__all__ = ["Answer", "Passage", "QAError", "Retriever", "Source", "SourceInfo"]
