"""Reply latency through the webhook and through long polling, side by side: `python -m tests.latency`.

Not part of the test suite. Runs the real PTB Application in this process
against the loopback stand-in, once polling and once behind PTB's webhook
server, in alternating rounds so that both see the same machine load. Each
question comes from a chat of its own (so per-chat pacing never waits) and is
timed from the moment the stand-in queues it to the moment it receives the
answer. ``--real`` uses the bundled model on an index of the seed corpus built
into a temporary folder (else the fake embedder); ``--russian`` asks the
shared set's Russian questions instead; ``--transcript`` also prints one
webhook exchange with the right secret and two forged ones.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from index.build import build_index
from index.config import IndexConfig
from index.search import IndexRetriever
from index.store import load_index

from .botapi import FakeBotAPI
from .botrun import WEBHOOK_SECRET, bot_running
from .fakes import FAKE_SETTINGS, FakeEmbedder
from .soak import percentile, questions
from .webhookpush import FORGER, forged_update, post_update

ROOT = Path(__file__).resolve().parents[1]


def _retriever(real: bool, folder: Path) -> IndexRetriever:
    if real:
        from index.embedding import DEFAULT_MODEL, load_embedder

        embedder = load_embedder(DEFAULT_MODEL)
    else:
        embedder = FakeEmbedder()
    build_index(ROOT / "seeds", folder, embedder, progress=False)
    settings = IndexConfig().search_settings if real else FAKE_SETTINGS
    return IndexRetriever(load_index(folder, model=embedder.name, dimension=embedder.dimension), embedder, settings)


def _russian(count: int) -> list[str]:
    """``count`` Russian questions, cycling through the shared set's (its ``russian`` kind)."""
    rows = [json.loads(line) for line in (ROOT / "tests" / "data" / "dev_questions_more.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    russian = [row["question"] for row in rows if row.get("kind") == "russian"]
    return [russian[i % len(russian)] for i in range(count)]


def _round(retriever: IndexRetriever, mode: str, asked: list[str], first_chat: int) -> list[float]:
    """Seconds from queued to answered, per question, one question at a time."""
    took = []
    with FakeBotAPI() as api, bot_running(api, retriever, mode=mode):
        for number, text in enumerate(asked):
            chat = first_chat + number
            started = time.monotonic()
            message_id = api.user_says(text, chat_id=chat, user_id=chat)
            [reply, *_] = api.wait_for(lambda: api.replies_to(message_id), timeout=60)
            took.append(reply["sent_at"] - started)
    return took


def _transcript(retriever: IndexRetriever) -> None:
    with FakeBotAPI() as api, bot_running(api, retriever, mode="webhook"):
        [hook] = [p for m, p in api.calls if m == "setWebhook"]
        print(f"bot → stand-in: setWebhook url={hook['url']} secret_token=<{len(hook['secret_token'])} characters>")
        asked = api.user_says("What does Rainbow Railroad do?")
        reply = api.wait_for(lambda: api.replies_to(asked))[0]
        delivery = api.webhook.deliveries[0]
        print(f"stand-in → webhook: update {delivery.update_id} \"What does Rainbow Railroad do?\" with the secret: HTTP {delivery.status}")
        print(f"bot → stand-in: sendMessage reply to {asked}: {reply['text'].splitlines()[0]!r} …")
        for label, secret, update_id in (("a wrong secret", "guessed-secret", 900), ("no secret", None, 901)):
            status = post_update(hook["url"], forged_update(update_id, "Rainbow Railroad"), secret)
            print(f"test → webhook: forged update {update_id} with {label}: HTTP {status}")
        time.sleep(1.0)
        print(f"bot → chat of the forged updates: {len(api.sent_after(0, chat_id=FORGER))} messages")
        print(f"secret right: answered; wrong or missing: {'refused' if not api.sent_after(0, chat_id=FORGER) else 'ANSWERED'}")
    assert WEBHOOK_SECRET == hook["secret_token"]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.latency", description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=30, help="questions per mode and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--real", action="store_true", help="the bundled model instead of the fake embedder")
    parser.add_argument("--transcript", action="store_true")
    parser.add_argument("--russian", action="store_true", help="ask the Russian questions of tests/data/dev_questions_more.jsonl")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        retriever = _retriever(args.real, Path(folder))
        if args.transcript:
            _transcript(retriever)
        asked = _russian(args.questions) if args.russian else questions(args.questions)
        took: dict[str, list[float]] = {"polling": [], "webhook": []}
        for number in range(args.rounds):
            for mode in ("polling", "webhook") if number % 2 == 0 else ("webhook", "polling"):
                took[mode] += _round(retriever, mode, asked, first_chat=10_000 * (number + 1))
    print(f"\n{'embedder':10} {'mode':8} {'questions':>9} {'p50 ms':>7} {'p90 ms':>7} {'max ms':>7}")
    for mode, values in took.items():
        print(f"{'real' if args.real else 'fake':10} {mode:8} {len(values):>9} {statistics.median(values) * 1000:>7.1f} "
              f"{percentile(values, 0.9) * 1000:>7.1f} {max(values) * 1000:>7.1f}")
    ratio = statistics.median(took["webhook"]) / statistics.median(took["polling"])
    print(f"webhook p50 / polling p50 = {ratio:.2f}")


if __name__ == "__main__":
    main()
