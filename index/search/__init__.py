"""Question → ranked passages, and whether the corpus answers the question at all.

    protocol.py     the Retriever the bot and the CLI depend on
    settings.py     SearchSettings; the tuned weights come from tuned.json (`python -m index tune`)
    signals.py      candidates from four searches, and the named signals read for each
    answer_type.py  what kind of answer a question wants, and which sentences hold one
    fusion.py       signals → one ranking score, and the decline confidence
    grouping.py     passages of other articles that report the same fact
    lookup.py       passages by their offsets, for deep links and the Context button
    retriever.py    IndexRetriever: all of the above over a loaded index
"""

from .protocol import Retriever
from .retriever import IndexRetriever
from .settings import Mode, SearchSettings

__all__ = ["Retriever", "IndexRetriever", "SearchSettings", "Mode"]
