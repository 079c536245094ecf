"""Which language a text is in, told by lingua (a maintained detector), among the languages BM25 can stem.

Articles are detected once at build time and recorded in documents.json;
questions at query time, so that BM25 stems a question with its own
language's rules and a question in another language than the articles leans
on the multilingual vectors instead of finding no words.
"""

from __future__ import annotations

import threading
from functools import lru_cache

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "detect_language", "load_detector"]

DEFAULT_LANGUAGE = "en"
# ISO 639-1 code → the Snowball stemmer's name; each also has a bm25s stop-word list.
LANGUAGES = {
    "en": "english", "ru": "russian", "de": "german", "fr": "french", "es": "spanish", "it": "italian",
    "pt": "portuguese", "nl": "dutch", "sv": "swedish", "da": "danish", "tr": "turkish",
}
_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _detector():
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in LANGUAGES]
    # Low-accuracy mode reads trigram models only: 0.2 s to load all of them instead of 6 s, and
    # the scripts and words of a question still tell these languages apart.
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_low_accuracy_mode().build()


def load_detector() -> None:
    """Load the detector's models now (about 0.25 s), e.g. while the embedding model loads, not on the first question."""
    with _LOCK:
        _detector()


# Below this confidence a text is too short or mixed to tell ("gay men Chechnya" reads as Spanish
# at 0.62); a question's script and words are then better read as the articles' language.
_SURE = 0.8


@lru_cache(maxsize=4096)
def detect_language(text: str, fallback: str = DEFAULT_LANGUAGE) -> str:
    """The text's ISO 639-1 code, or ``fallback`` when the detector is not sure."""
    if not any(ch.isalpha() for ch in text):
        return fallback
    with _LOCK:  # building the detector loads its models once; later calls only read them
        detector = _detector()
    values = detector.compute_language_confidence_values(text)
    if not values or values[0].value < _SURE:
        return fallback
    return values[0].language.iso_code_639_1.name.lower()
