from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.console import run_console
from index import cli

from .conftest import ROOT, SEEDS, seed_texts


def _run(*args: str, stdin: str | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=timeout)


def test_cli_search_json_quotes_the_corpus(real_index_dir: Path):
    done = _run("index", "search", "--json", "How many men were detained?", "--index", str(real_index_dir))
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["question"] == "How many men were detained?"
    assert answer["answered"] is True
    assert len(answer["passages"]) == 5
    for p in answer["passages"]:
        assert {"rank", "score", "doc_id", "title", "url", "text", "start", "end", "highlight"} <= set(p)
        text = seed_texts()[p["doc_id"]]
        assert text[p["start"] : p["end"]] == p["text"]
        assert p["highlight"] in p["text"]
    glxy = [p for p in answer["passages"] if p["doc_id"] == "002_c6844e9f196c398b.txt"]
    assert all(p["url"] == "https://glxy.eu/news/816-anti-gay-pogroms-continue-in-chechnya" for p in glxy)
    assert all(p["fragment_url"].startswith(p["url"] + "#:~:text=") for p in answer["passages"] if p["url"])
    assert all(p["fragment_url"] == "" for p in answer["passages"] if not p["url"])


def test_cli_search_questions_file_prints_json_lines(real_index_dir: Path):
    done = _run("index", "search", "--questions", "-", "--top-k", "2", "--index", str(real_index_dir),
                stdin="Who denied the reports?\n\nWhat is a good recipe for lasagna?\n")
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert [a["answered"] for a in answers] == [True, False]
    assert all(len(a["passages"]) == 2 for a in answers)


def test_cli_eval_compares_ours_with_both_baselines_on_the_dev_set(real_index_dir: Path):
    done = _run("index", "eval", str(ROOT / "tests/data/dev_questions.jsonl"), "--index", str(real_index_dir), "--calibrate")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for line in ("bm25 ", "dense ", "ours ", "ours ÷ bm25", "by kind of question", "paraphrase", "precision", "calibration:"):
        assert line in out


def test_cli_eval_squad_indexes_paragraphs_as_articles(real_index_dir: Path):
    done = _run("index", "eval", "--squad", str(ROOT / "tests/data/squad_tiny.json"), "--index", str(real_index_dir), "--json")
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert set(figures["systems"]) == {"bm25", "dense", "ours"}
    ours = figures["systems"]["ours"]
    assert ours["answerable"] == 5 and ours["absent"] == 1
    assert ours["hit@5"] == 1.0
    assert set(ours["kinds"]) == {"answerable", "impossible"}
    # Questions about lighthouses and bees are not about the seed articles.
    # Our index declines most questions about other things; the decline rule trades a few for paraphrases.
    assert figures["off_corpus"]["asked"] == 5 and figures["off_corpus"]["declined"] >= 4


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["search", "anything", "--index", "{tmp}/missing"], "python -m index build"),
        (["build", "--corpus", "{tmp}", "--out", "{tmp}/out"], "no readable"),
        (["build", "--corpus", "{tmp}/missing", "--out", "{tmp}/out"], "does not exist"),
        (["search", "--index", "{tmp}"], "Give either a QUESTION"),
        (["eval", "{tmp}/nope.jsonl", "--index", "{tmp}"], "Cannot read the question file"),
        (["eval", "--index", "{tmp}"], "Give either a question FILE or --squad FILE"),
        (["eval", "--squad", "{tmp}/nope.json", "--index", "{tmp}"], "not a readable SQuAD"),
    ],
)
def test_cli_errors_are_one_line_without_traceback(tmp_path: Path, capsys, argv: list[str], message: str):
    code = cli.main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_cli_search_refuses_index_of_another_model(fake_index_dir: Path, capsys):
    assert cli.main(["search", "q", "--index", str(fake_index_dir)]) == 2
    assert "Rebuild it with: python -m index build" in capsys.readouterr().err


def test_console_answers_with_citations_and_commands(fake_retriever):
    out = io.StringIO()
    code = run_console(fake_retriever, 2, stdin=io.StringIO("Rainbow Railroad help\n\n/sources\n/bogus\n/quit\nnever read\n"), stdout=out)
    text = out.getvalue()
    assert code == 0
    assert "[1] " in text and "[2] " in text and "paragraph" in text
    assert "https://glxy.eu/news/816-anti-gay-pogroms-continue-in-chechnya" in text
    assert "Unknown command" in text
    assert "never read" not in text


def test_console_more_numbers_on_and_context_shows_the_surroundings(fake_retriever):
    out = io.StringIO()
    script = "/more\nRainbow Railroad help\n/more\n/context 3\n/context 9\n/more\n/more\n"
    assert run_console(fake_retriever, 2, stdin=io.StringIO(script), stdout=out) == 0
    replies = out.getvalue().split("\n> ")
    assert "Ask a question first" in replies[0]
    assert "[1] " in replies[1] and "[3] " not in replies[1]
    assert "[3] " in replies[2] and "[4] " in replies[2] and "[1] " not in replies[2]
    assert "in context" in replies[3] and "  │ " in replies[3]
    assert "/context 1 to /context 4" in replies[4]
    assert "[5] " in replies[5]
    assert "no more passages" in replies[6]
    assert "#:~:text=" in replies[1] + replies[2]

def test_bot_without_token_falls_back_to_terminal_chat(real_index_dir: Path):
    env_free = {"INDEX_DIR": str(real_index_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=ROOT, input="Who denied the reports?\n", capture_output=True, text=True,
        timeout=180, env={**_clean_env(), **env_free},
    )
    assert done.returncode == 0, done.stderr
    assert "terminal chat" in done.stderr
    assert "[1] " in done.stdout and "denied" in done.stdout


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
