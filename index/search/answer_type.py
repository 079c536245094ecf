"""What kind of answer a question wants, and whether a sentence holds that kind of thing.

"Who", "where" and "which newspaper" want a name, "how many" a number, "when"
a date, and "what did … say" a quoted statement. The signal is general: it
knows question words and the shapes of names, numbers, dates and quotes, in
English and Russian, and nothing about any article or question set.
"""

from __future__ import annotations

import re

__all__ = ["KINDS", "wanted_kind", "holds_wanted_kind"]

KINDS = ("name", "number", "date", "quote")

_ORGS = r"(?:newspaper|paper|outlet|organi[sz]ation|group|agency|network|charity|company|country|countries|city|republic)"
_WANTS = [
    ("number", r"how (?:many|much|long|old)\b|what (?:number|percentage|share)\b|сколько\b|как долго\b"),
    ("date", r"when\b|what (?:year|date|day|month)\b|(?:в|с) како[мй] (?:году|дату|день|месяце)|когда\b"),
    ("name", rf"who(?:m|se)?\b|where\b|(?:which|what) {_ORGS}\b|кто\b|кого\b|кому\b|чей\b|чья\b|где\b|куда\b|откуда\b"
             r"|как(?:ая|ой|ое|ие) (?:газет|организац|страна|город|групп)"),
    ("quote", r"what did .+ (?:say|call|tell|write|describe)\b|how did .+ (?:describe|call|put)\b|что (?:сказал|заявил|написал)"),
]
_WANTED = [(kind, re.compile(rf"(?:^|[\s,;:(])(?:{pattern})", re.IGNORECASE)) for kind, pattern in _WANTS]

_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundreds?|thousands?"
    r"|millions?|dozens?|a few|several|half"
    r"|один|одна|два|две|три|четыре|пять|шесть|семь|восемь|девять|десять|двадцать|сто|сотни|тысяч\w*|миллион\w*|десятк\w*"
)
_MONTHS = (
    r"january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|январ\w*|феврал\w*|март\w*|апрел\w*|ма[яей]|июн\w*|июл\w*|август\w*|сентябр\w*|октябр\w*|ноябр\w*|декабр\w*"
    r"|понедельник\w*|вторник\w*|сред[ау]|четверг\w*|пятниц\w*|суббот\w*|воскресень\w*"
)
_HOLDS = {
    "number": re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.IGNORECASE),
    "date": re.compile(rf"\b(?:1[89]|20)\d\d\b|\b(?:{_MONTHS})\b|\b(?:last|this|next) (?:week|month|year)\b|\bago\b", re.IGNORECASE),
    "quote": re.compile(r"[“”\"«»]"),
}
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-ZА-ЯЁ][\w’'-]+")


def wanted_kind(question: str) -> str:
    """The kind of answer the question asks for, or "" when its words do not say (most what/why/how questions)."""
    for kind, pattern in _WANTED:
        if pattern.search(question.strip()):
            return kind
    return ""


def holds_wanted_kind(sentence: str, kind: str, question: str) -> bool:
    """Whether ``sentence`` holds an answer of that kind; names already in the question do not count."""
    if kind == "name":
        asked = {w.casefold() for w in re.findall(r"\w+", question)}
        return any(m.group(0).casefold() not in asked for m in _CAPITALISED.finditer(sentence.strip()))
    pattern = _HOLDS.get(kind)
    return bool(pattern and pattern.search(sentence))
