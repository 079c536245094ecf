"""`index search`, `index eval` and the bot put the same passage first, with the real default model.

Each path is taken as a user takes it: the CLI as a process reading questions
on standard input; the evaluation with every question encoded up front in one
batch, as `index eval` does; the bot through the loopback Bot API, where the
first passage is read back from its Context 1 button.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from index.config import IndexConfig
from index.evaluate import evaluate, load_questions, with_question_vectors
from index.locator import decode, doc_key
from index.models import Answer
from index.pipeline import open_retriever

from .botapi import FakeBotAPI
from .botrun import bot_running
from .conftest import DEV_QUESTIONS, ROOT

QUESTIONS = load_questions(DEV_QUESTIONS)
# (answered, article key, start, end) of the first passage
First = tuple[bool, str, int, int]


class Recording:
    """The retriever evaluate() is given, keeping each answer it hands back."""

    def __init__(self, retriever) -> None:
        self.retriever, self.answers = retriever, {}

    def search(self, question: str, top_k: int = 3) -> Answer:
        answer = self.answers[question] = self.retriever.search(question, top_k)
        return answer

    def sources(self):
        return self.retriever.sources()


def _first(answer: dict) -> First:
    top = answer["passages"][0]
    return answer["answered"], doc_key(top["doc_id"]), top["start"], top["end"]


def _cli_firsts(index_dir: Path) -> dict[str, First]:
    asked = "".join(f"{q.question}\n" for q in QUESTIONS)
    done = subprocess.run(
        [sys.executable, "-m", "index", "search", "--json", "--questions", "-", "--index", str(index_dir)],
        input=asked, capture_output=True, text=True, encoding="utf-8", cwd=ROOT, timeout=120,
        env={**os.environ, "EMBEDDING_MODEL": "", "EMBEDDING_BACKEND": ""},
    )
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    return {a["question"]: _first(a) for a in answers}


def _eval_firsts(retriever) -> dict[str, First]:
    recording = Recording(with_question_vectors(retriever, QUESTIONS))
    evaluate(recording, QUESTIONS)
    return {q: (a.answered, doc_key(a.passages[0].doc_id), a.passages[0].start, a.passages[0].end)
            for q, a in recording.answers.items()}


def _bot_firsts(retriever) -> dict[str, First]:
    unlimited = {"rate_limit_per_minute": 1_000_000, "rate_limit_burst": 1_000_000}
    found = {}
    with FakeBotAPI() as api, bot_running(api, retriever, **unlimited):
        for chat, q in enumerate(QUESTIONS, 1):  # a chat each: one chat is paced to about a message a second
            asked = api.user_says(q.question, chat_id=chat, user_id=chat)
            # The buttons come under the answer's last message: Context 1 first, Sources only when it answers.
            data = api.wait_for(lambda: [b["callback_data"] for m in api.sent_after(asked, chat) for b in api.buttons(m)])
            where = decode(data[0].removeprefix("c:"))
            assert data[0].startswith("c:") and where is not None, data
            found[q.question] = (any(d.startswith("s:") for d in data), where.doc_key, where.start, where.end)
    return found


def test_search_eval_and_bot_put_the_same_passage_first(real_index_dir: Path):
    retriever = open_retriever(IndexConfig(index_dir=real_index_dir))  # what the CLI and `python -m bot` open
    cli, evaluated, bot = _cli_firsts(real_index_dir), _eval_firsts(retriever), _bot_firsts(retriever)
    assert set(cli) == set(evaluated) == set(bot) == {q.question for q in QUESTIONS}
    differing = {q: (cli[q], evaluated[q], bot[q]) for q in cli if not cli[q] == evaluated[q] == bot[q]}
    assert differing == {}
