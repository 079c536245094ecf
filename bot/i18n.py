"""The bot's words in the reader's language: gettext catalogs in ``bot/locales``, managed with Babel.

English is the source language: the messages in the code are the msgids, so
English needs no catalog. Every other language is one catalog,
``bot/locales/<lang>/LC_MESSAGES/bot.po``, and is offered as soon as it exists.
``make`` compiles the catalogs to ``.mo`` (``pybabel compile``); a catalog with
no ``.mo``, or edited since it was compiled, is compiled in memory when first
used, so a fresh clone speaks every language it has a catalog for.

Code marks its messages with ``t.gettext(...)`` / ``t.ngettext(...)``, ``t``
being the reader's translations, and fills named placeholders with ``%``, so
that ``pybabel extract`` finds every message and Babel's checker can compare
the placeholders of each translation with its original.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

__all__ = ["N_", "DEFAULT", "DOMAIN", "ENGLISH", "LANGUAGES", "LOCALES", "Translator", "language_from_env", "language_name", "pick", "translations"]

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "bot"
DEFAULT = "en"
# What every renderer takes: gettext's translations (NullTranslations answers in the source language).
Translator = gettext.NullTranslations
ENGLISH = gettext.NullTranslations()


def N_(message: str) -> str:
    """Mark a message kept in a constant for ``pybabel extract``; it is translated where it is shown."""
    return message


def _catalog(lang: str) -> Path:
    return LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


LANGUAGES: tuple[str, ...] = (DEFAULT, *sorted(p.parents[1].name for p in LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.po")))


def pick(code: str | None) -> str:
    """The language to speak for a language tag or locale: 'ru', 'ru-RU', 'ru_RU.UTF-8' → 'ru'; unknown → English."""
    primary = (code or "").split(".")[0].replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else DEFAULT


def language_from_env(env: Mapping[str, str]) -> str:
    """The terminal's language, in POSIX order of precedence: LC_ALL, then LC_MESSAGES, then LANG."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if env.get(name):
            return pick(env[name])
    return DEFAULT


def language_name(lang: str) -> str:
    """The language's own name for itself, from Babel's locale data: 'English', 'русский'."""
    return Locale.parse(lang).get_display_name(lang) or lang


@cache
def translations(lang: str) -> Translator:
    """The catalog for ``lang``, loaded once; English (and any language without a catalog) is the source text."""
    if lang == DEFAULT or lang not in LANGUAGES:
        return ENGLISH
    po = _catalog(lang)
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as compiled:
            return Translations(compiled, domain=DOMAIN)
    with po.open("rb") as source:
        catalog = read_po(source, locale=lang, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)
