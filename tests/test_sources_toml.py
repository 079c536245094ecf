"""sources.toml entries with fields of the wrong type or unknown names: warned about, never shown."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from index.corpus import load_corpus

ARTICLE = "Floods in the valley\n\nThe river rose by two metres overnight and the road to the upper villages was closed.\n"


def _load(tmp_path: Path, entry: str, caplog) -> tuple[dict, list[str]]:
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "sources.toml").write_text(f'["a.txt"]\n{entry}\n', encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="index.corpus"):
        [doc] = load_corpus(tmp_path)
    return doc.source.__dict__, [r.getMessage() for r in caplog.records]


@pytest.mark.parametrize(("entry", "field", "kind"), [
    ("title = 5", "title", "number"),
    ('publisher = ["A", "B"]', "publisher", "list"),
    ('publisher = { name = "A" }', "publisher", "table"),
    ("published = true", "published", "boolean"),
    ("author = 1.5", "author", "number"),
])
def test_sources_wrong_type_is_dropped_with_a_warning(tmp_path, caplog, entry, field, kind):
    source, messages = _load(tmp_path, entry, caplog)
    shown = " ".join(str(v) for v in source.values())
    assert "5" not in shown.split() and "[" not in shown and "{" not in shown and "True" not in shown
    assert any("sources.toml" in m and "a.txt" in m and field in m and kind in m for m in messages)


def test_sources_wrong_type_falls_back_like_a_missing_field(tmp_path, caplog):
    source, _ = _load(tmp_path, "title = 5", caplog)
    assert source["title"] == "Floods in the valley"  # the headline, as when no title is given


def test_sources_unknown_field_is_named_in_a_warning(tmp_path, caplog):
    source, messages = _load(tmp_path, 'tittle = "Typo"', caplog)
    assert "Typo" not in source.values()
    assert any("sources.toml" in m and "a.txt" in m and "'tittle'" in m and "unknown" in m for m in messages)


def test_sources_toml_date_and_language_are_accepted_quietly(tmp_path, caplog):
    source, messages = _load(tmp_path, 'published = 2024-05-14\nlanguage = "en"', caplog)
    assert source["published"] == "2024-05-14" and messages == []
