from __future__ import annotations

from pathlib import Path

from index.evaluate import EvalQuestion, calibrate, evaluate, first_hit
from index.models import Answer, Passage
from index.squad import write_squad_corpus

DATA = Path(__file__).parent / "data"


def _passage(rank: int, doc_id: str, text: str, corroborations=()) -> Passage:
    return Passage(rank, 1.0 / rank, doc_id, doc_id, "", "", text, 0, len(text), text, 0, len(text), 1, 1, 1,
                   corroborations=tuple(corroborations))


def test_first_hit_counts_a_corroborating_passage_at_its_head_rank():
    q = EvalQuestion("q", "fact", "who?", gold=("the spokesman said",))
    other = _passage(9, "b.txt", "As the spokesman said, nobody was held.")
    answer = Answer("who?", True, [_passage(1, "a.txt", "unrelated"), _passage(2, "c.txt", "a denial", [other])])
    assert first_hit(q, answer) == 2


def test_first_hit_by_gold_document():
    q = EvalQuestion("q", "answerable", "when?", gold=(), gold_docs=("x/002.txt",))
    answer = Answer("when?", True, [_passage(1, "x/001.txt", "1874"), _passage(2, "x/002.txt", "later")])
    assert first_hit(q, answer) == 2
    assert not q.absent and EvalQuestion("i", "impossible", "?", ()).absent


class _Scripted:
    """A retriever that answers from a script: question → (answered, doc ids in rank order)."""

    def __init__(self, script: dict[str, tuple[bool, list[str]]]) -> None:
        self.script = script

    def search(self, question: str, top_k: int = 3) -> Answer:
        answered, docs = self.script[question]
        passages = [_passage(r, d, d) for r, d in enumerate(docs[:top_k], 1)]
        return Answer(question, answered, passages, confidence=1.0 if answered else 0.1)

    def sources(self):
        return []


def test_evaluate_tallies_ranks_kinds_and_abstention():
    questions = [
        EvalQuestion("a", "fact", "qa", (), ("d1",)),
        EvalQuestion("b", "fact", "qb", (), ("d2",)),
        EvalQuestion("c", "paraphrase", "qc", (), ("d3",)),
        EvalQuestion("x", "absent", "qx", ()),
        EvalQuestion("y", "absent", "qy", ()),
    ]
    retriever = _Scripted({
        "qa": (True, ["d1", "d9"]),
        "qb": (True, ["d9", "d8", "d2"]),  # rank 3
        "qc": (False, ["d7"]),  # missed and wrongly declined
        "qx": (False, ["d1"]),
        "qy": (True, ["d1"]),  # an absent question answered
    })
    report = evaluate(retriever, questions, top_k=5)
    assert (report.hit_at(1), report.hit_at(3), report.hit_at(5)) == (1 / 3, 2 / 3, 2 / 3)
    assert abs(report.mrr - (1 + 1 / 3) / 3) < 1e-9
    assert (report.absent, report.absent_declined, report.wrongly_declined) == (2, 1, 1)
    assert report.abstention_precision == 0.5 and report.abstention_recall == 0.5
    assert report.misses == ["c"]
    figures = report.as_dict()
    assert figures["kinds"]["fact"]["hit@1"] == 0.5
    assert figures["kinds"]["paraphrase"]["wrongly_declined"] == 1
    assert figures["kinds"]["absent"] == {"answerable": 0, "absent": 2, "absent_declined": 1}


def test_calibrate_centres_the_threshold_in_the_gap():
    found = calibrate([(0.9, True), (0.7, True), (0.3, False), (0.2, False)])
    assert found.errors == 0 and found.threshold == 0.5 and abs(found.margin - 0.2) < 1e-9


def test_calibrate_minimises_errors_when_the_classes_overlap():
    found = calibrate([(0.9, True), (0.4, True), (0.5, False), (0.1, False)])
    assert found.errors == 1
    assert calibrate([(0.9, True), (0.8, True)]) is None


def test_squad_paragraphs_become_articles(tmp_path: Path):
    questions = write_squad_corpus(DATA / "squad_tiny.json", tmp_path)
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.txt"))
    assert files == ["Beekeeping/001.txt", "Lighthouses/001.txt", "Lighthouses/002.txt"]
    assert (tmp_path / "Lighthouses/001.txt").read_text(encoding="utf-8").startswith("The lighthouse")
    by_id = {q.id: q for q in questions}
    assert by_id["t4"].gold_docs == ("Lighthouses/002.txt",)
    assert by_id["t3"].absent and by_id["t3"].kind == "impossible"
    assert 'title = "Beekeeping, paragraph 1"' in (tmp_path / "sources.toml").read_text(encoding="utf-8")


def test_load_questions_keeps_gold_docs(tmp_path):
    from index.evaluate import load_questions

    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "s1", "kind": "fact", "question": "Where?", "gold_docs": ["a/001.txt"]}\n', encoding="utf-8")
    [question] = load_questions(path)
    assert question.gold_docs == ("a/001.txt",) and not question.absent
