"""The catalogs: every message in the code is in each of them, translated, with the same placeholders and tags."""

from __future__ import annotations

import os
import re
import shutil
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from babel.support import Translations

from bot import i18n
from bot.i18n import LANGUAGES, LOCALES, language_from_env, language_name, pick, translations
from bot.memory import LanguageChoices

from .conftest import ROOT

_TAG = re.compile(r"</?[a-z]+>")


def _code_messages() -> set[str | tuple[str, ...]]:
    """Every message the code marks, found the way `make messages` finds them (pybabel extract)."""
    found = [m for _, _, m, *_ in extract_from_dir(ROOT / "bot", method_map=[("**.py", "python")])]
    with open(ROOT / "index" / "formats.py", "rb") as source:
        found += [m for _, m, *_ in extract_from_file("python", source.name)]
    return set(found)


def _catalog(path: Path, lang: str | None = None):
    with path.open("rb") as source:
        return read_po(source, locale=lang)


def test_template_lists_every_message_in_the_code():
    template = {m.id for m in _catalog(LOCALES / "bot.pot") if m.id}
    assert template == _code_messages(), "run `make messages` and translate what is new"


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != i18n.DEFAULT])
def test_catalog_translates_every_message_with_matching_placeholders_and_tags(lang: str):
    catalog = _catalog(LOCALES / lang / "LC_MESSAGES" / "bot.po", lang)
    assert catalog.num_plurals == get_plural(lang).num_plurals  # the Plural-Forms header fits the language (Russian: 3)
    translated = {m.id: m for m in catalog if m.id}
    assert set(translated) == _code_messages()
    for message in translated.values():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert not message.fuzzy and all(s.strip() for s in strings), f"untranslated: {message.id!r}"
        originals = message.id if isinstance(message.id, tuple) else (message.id,)
        for string in strings:
            assert sorted(_TAG.findall(string)) == sorted(_TAG.findall(originals[0])), message.id
    # Babel's own checks: the right number of plural forms, and the same %(name)s placeholders.
    assert [(m.id, errors) for m, errors in catalog.check()] == []


def test_catalog_compiles_and_answers_in_russian():
    catalog = _catalog(LOCALES / "ru" / "LC_MESSAGES" / "bot.po", "ru")
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    t = Translations(compiled, domain="bot")
    assert t.gettext("More passages") == "Ещё отрывки"
    size = "That message is %(length)d character long.", "That message is %(length)d characters long."
    forms = {n: t.ngettext(*size, n) % {"length": n} for n in (1, 2, 5, 11, 21, 22, 112, 1001)}
    assert forms == {
        1: "В сообщении 1 символ.", 2: "В сообщении 2 символа.", 5: "В сообщении 5 символов.", 11: "В сообщении 11 символов.",
        21: "В сообщении 21 символ.", 22: "В сообщении 22 символа.", 112: "В сообщении 112 символов.", 1001: "В сообщении 1001 символ.",
    }


def test_translations_compile_a_catalog_whose_mo_is_missing_or_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    locales = tmp_path / "locales"
    shutil.copytree(LOCALES, locales, ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.setattr(i18n, "LOCALES", locales)
    load = translations.__wrapped__  # past the cache
    assert load("ru").gettext("Sources") == "Источники"  # no .mo: compiled in memory
    po = locales / "ru" / "LC_MESSAGES" / "bot.po"
    stale = _catalog(po, "ru")
    stale.get("Sources").string = "Old"
    with (po.with_suffix(".mo")).open("wb") as out:
        write_mo(out, stale)
    os.utime(po.with_suffix(".mo"), (1, 1))  # older than the .po: the .po wins
    assert load("ru").gettext("Sources") == "Источники"
    os.utime(po.with_suffix(".mo"))  # newer: it is used as compiled
    assert load("ru").gettext("Sources") == "Old"


@pytest.mark.parametrize(
    ("code", "lang"),
    [("ru", "ru"), ("ru-RU", "ru"), ("RU", "ru"), ("ru_RU.UTF-8", "ru"), ("en", "en"), ("en-GB", "en"),
     ("de", "en"), ("", "en"), (None, "en"), ("C.UTF-8", "en"), ("POSIX", "en")],
)
def test_pick_maps_telegram_codes_and_locales_to_a_catalog(code: str | None, lang: str):
    assert pick(code) == lang


@pytest.mark.parametrize(
    ("env", "lang"),
    [({"LANG": "ru_RU.UTF-8"}, "ru"), ({"LANG": "ru_RU.UTF-8", "LC_ALL": "C"}, "en"),
     ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "ru_RU"}, "ru"), ({}, "en")],
)
def test_language_from_env_follows_posix_precedence(env: dict[str, str], lang: str):
    assert language_from_env(env) == lang


def test_language_names_are_their_own():
    assert (language_name("en"), language_name("ru")) == ("English", "русский")


def test_language_choices_are_bounded_and_keep_the_recently_used():
    choices = LanguageChoices(capacity=2)
    choices.choose(1, "ru")
    choices.choose(2, "en")
    assert choices.chosen(1) == "ru"  # 1 is now the most recently used
    choices.choose(3, "ru")
    assert (choices.chosen(1), choices.chosen(2), choices.chosen(3), len(choices)) == ("ru", None, "ru", 2)
