"""Print a screenshot-like transcript of one conversation with the real bot, for the README.

    .venv/bin/python -m tests.transcript [INDEX_DIR] [--lang ru]

Runs ``python -m bot`` with the real model against the loopback Bot API
stand-in, plays one conversation (a question, each button, a deep link, an
inline query, and with ``--lang ru`` a question the articles don't cover) and
prints what a user would see, the user's Telegram app set to that language.
Not a test: it only shows.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import subprocess
import sys
import textwrap
import time

from .botapi import FakeBotAPI
from .conftest import ROOT

# Per language: the question, the inline query and one the articles don't cover (None: not asked).
SCRIPTS = {
    "en": ("How are the men treated in the camps?", "how many men were detained", None),
    "ru": ("Чем Rainbow Railroad помогает людям из Чечни?", "Rainbow Railroad помогает уехать", "Как приготовить лазанью?"),
}


def show(message_html: str) -> str:
    """Telegram HTML as a reader sees it: bold as **…**, quotes with a bar, links marked ↗."""
    text = re.sub(r"<a href=\"[^\"]*\">(.*?)</a>", r"\1↗", message_html, flags=re.S)
    text = re.sub(r"</?b>", "**", text)
    text = re.sub(r"</?i>", "", text)
    text = re.sub(r"<blockquote>(.*?)</blockquote>", lambda m: "\n".join("▌ " + line for line in m.group(1).split("\n")), text, flags=re.S)
    lines = []
    for line in html.unescape(text).split("\n"):
        prefix = "▌ " if line.startswith("▌ ") else ""
        lines += textwrap.wrap(line[len(prefix) :], 86, initial_indent="  " + prefix, subsequent_indent="  " + prefix) or [""]
    return "\n".join(lines)


def keyboard(message: dict) -> str:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return "\n".join("  " + " ".join(f"[ {b['text']} ]" for b in row) for row in rows)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.transcript")
    parser.add_argument("index_dir", nargs="?", default=str(ROOT / ".index"))
    parser.add_argument("--lang", choices=sorted(SCRIPTS), default="en")
    args = parser.parse_args()
    index_dir, question, inline_question, off_topic = args.index_dir, *SCRIPTS[args.lang]
    user = {"language_code": args.lang}
    with FakeBotAPI() as api:
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url, "INDEX_DIR": index_dir,
               "RATE_LIMIT_BURST": "20"}  # one person's whole tour, at the pace of a script
        proc = subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out: list[str] = []
        asked: list[int] = []
        try:
            api.wait_for(lambda: any(m == "setMyShortDescription" for m, _ in api.calls), timeout=180)

            def bot_says(after: int, label: str) -> list[dict]:
                api.wait_for(lambda: len(api.sent) > after, timeout=60)
                seen = 0
                while seen != len(api.sent):  # a reply may be several messages: wait until they stop
                    seen = len(api.sent)
                    time.sleep(1.0)
                messages = api.sent[after:]
                for m in messages:
                    quoted = " (quoting your question)" if m.get("reply_to") in asked else " (below the answer)" if m.get("reply_to") else ""
                    out.append(f"🤖 {label}{quoted}\n{show(m['html'])}")
                    if m.get("reply_markup"):
                        out.append(keyboard(m))
                return messages

            def press(message: dict, label: str) -> None:
                [data] = [b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row if b["text"] == label]
                out.append(f"👆 you tap [ {label} ]")
                before = len(api.sent)
                query_id = api.press(message, data, **user)
                api.wait_for(lambda: query_id in api.callback_answers, timeout=60)
                bot_says(before, "bot")

            out.append(f"👤 you: {question}")
            before = len(api.sent)
            asked.append(api.user_says(question, **user))
            api.wait_for(lambda: any(m.get("reply_markup") for m in api.sent[before:]), timeout=60)
            answer = bot_says(before, "bot")
            last = answer[-1]
            labels = [b["text"] for b in api.buttons(last)]
            for label in dict.fromkeys(labels[:1] + labels[-2:]):  # Context 1, More passages, Sources, in the user's language
                press(last, label)
            token = re.search(r"\?start=([A-Za-z0-9_-]+)", answer[0]["html"]).group(1)
            out.append(f"🔗 someone opens the passage link t.me/{api.bot_user['username']}?start={token}")
            before = len(api.sent)
            api.user_says(f"/start {token}", **user)
            bot_says(before, "bot")
            out.append(f"👤 in another chat, you type: @{api.bot_user['username']} {inline_question}")
            query_id = api.inline_query(inline_question, **user)
            results = api.wait_for(lambda: api.inline_answers.get(query_id), timeout=60)["results"]
            out.append("📋 Telegram offers:\n" + "\n".join(f"  • {r['title']}\n    {r['description']}" for r in results))
            if off_topic:
                out.append(f"👤 you: {off_topic}")
                before = len(api.sent)
                asked.append(api.user_says(off_topic, **user))
                bot_says(before, "bot")
            links = re.findall(r'href="([^"]+)"', answer[0]["html"])
            out.append("Links in the first answer (↗):\n" + "\n".join(f"  {html.unescape(u)}" for u in links))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print("\n\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
