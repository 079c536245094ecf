"""SQuAD 2.0 as an outside check: every paragraph becomes an article of its own.

The paragraphs are written out as a corpus folder and indexed by the same code
that indexes the real articles, so the check measures the product, not a copy.
A question is answered by its own paragraph; ``is_impossible`` questions were
written to look answerable from that paragraph, but are not.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .errors import QAError
from .evaluate import EvalQuestion

__all__ = ["write_squad_corpus"]


def write_squad_corpus(squad_file: Path, folder: Path) -> list[EvalQuestion]:
    """Write one .txt per paragraph under ``folder`` and return the questions."""
    try:
        data = json.loads(Path(squad_file).read_text(encoding="utf-8"))["data"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise QAError(f"{squad_file} is not a readable SQuAD 2.0 JSON file ({exc}).") from exc
    questions: list[EvalQuestion] = []
    sources = []
    for article in data:
        title = str(article.get("title", "untitled")).replace("_", " ")
        slug = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-") or "article"
        (folder / slug).mkdir(parents=True, exist_ok=True)
        for number, paragraph in enumerate(article["paragraphs"], 1):
            doc_id = f"{slug}/{number:03d}.txt"
            (folder / doc_id).write_text(paragraph["context"], encoding="utf-8")
            sources.append(f"[{json.dumps(doc_id)}]\ntitle = {json.dumps(f'{title}, paragraph {number}')}\n")
            for qa in paragraph["qas"]:
                impossible = bool(qa.get("is_impossible"))
                questions.append(
                    EvalQuestion(
                        id=str(qa["id"]),
                        kind="impossible" if impossible else "answerable",
                        question=str(qa["question"]),
                        gold=(),
                        gold_docs=() if impossible else (doc_id,),
                    )
                )
    (folder / "sources.toml").write_text("\n".join(sources), encoding="utf-8")
    return questions
