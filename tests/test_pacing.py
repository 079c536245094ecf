"""Per-chat pacing: a flood from one user draws no 429 from a stand-in that enforces Telegram's per-chat limits."""

from __future__ import annotations

import asyncio
import time

import pytest
from telegram.error import RetryAfter

from bot.pacing import ChatPacer, Pace
from index.search import Retriever

from .botapi import FakeBotAPI
from .botrun import bot_running

_FLOODER, _OTHER = 42, 43


def _flood(api: FakeBotAPI, count: int) -> tuple[list[int], float]:
    """``count`` questions at once from one user, then one from another; the other's reply latency."""
    asked = [api.user_says(f"Rainbow Railroad question {i}", chat_id=_FLOODER, user_id=_FLOODER) for i in range(count)]
    started = time.monotonic()
    other = api.user_says("What does Rainbow Railroad do?", chat_id=_OTHER, user_id=_OTHER)
    api.wait_for(lambda: api.replies_to(other))
    return asked, time.monotonic() - started


def _replied_to(api: FakeBotAPI, chat_id: int) -> list[int | None]:
    return [m["reply_to"] for m in api.sent if m["chat"]["id"] == chat_id]


def test_flood_within_the_per_user_limit_draws_no_429_and_keeps_order(fake_retriever: Retriever):
    """Default limits: the burst of five is answered, in order, then one "slow down"; nothing is refused."""
    with FakeBotAPI(pace_chats=True) as api, bot_running(api, fake_retriever):
        asked, other_latency = _flood(api, 25)
        api.wait_for(lambda: any("asking faster" in m["text"] for m in api.sent_after(0, _FLOODER)))
        time.sleep(1.5)  # anything more would have come by now
    sent = api.sent_after(0, _FLOODER)
    assert api.too_many == [] and api.rejected == []
    assert [m["reply_to"] for m in sent[:5]] == asked[:5]
    assert len(sent) == 6 and "asking faster" in sent[-1]["text"]
    assert other_latency < 1.5, other_latency  # the flood's chat was still being paced meanwhile


@pytest.mark.slow
def test_flood_of_25_answers_draws_no_429_and_keeps_order(fake_retriever: Retriever):
    """With the per-user limit raised, all 25 are answered at about one a second, in the order asked."""
    with FakeBotAPI(pace_chats=True) as api, bot_running(api, fake_retriever, rate_limit_per_minute=1000, rate_limit_burst=100):
        started = time.monotonic()
        asked, other_latency = _flood(api, 25)
        api.wait_for(lambda: all(api.replies_to(m) for m in asked), timeout=90)
        took = time.monotonic() - started
    replies = [r for r in _replied_to(api, _FLOODER) if r is not None]
    print(f"\nflood: 25 questions, {len(replies)} answers, {len(api.too_many)} x 429, "
          f"other user answered in {other_latency * 1000:.0f} ms, flood answered in {took:.1f} s")
    assert api.too_many == [] and api.rejected == []
    assert replies == asked
    assert other_latency < 1.5, other_latency


class _Telegram:
    """A send callback that records when it ran, and refuses the first call with a 429 if told to."""

    def __init__(self, refuse_first: bool = False) -> None:
        self.times: list[tuple[int, float]] = []
        self.refuse_first = refuse_first

    async def send(self, chat_id: int) -> bool:
        if self.refuse_first:
            self.refuse_first = False
            raise RetryAfter(1)
        self.times.append((chat_id, time.monotonic()))
        return True


async def _send_all(pacer: ChatPacer, telegram: _Telegram, chats: list[int]) -> None:
    await asyncio.gather(*(pacer.process_request(telegram.send, (c,), {}, "sendMessage", {"chat_id": c}, None) for c in chats))


def test_pacer_paces_one_chat_without_slowing_another():
    pacer, telegram = ChatPacer(private=Pace(burst=2, period=0.4)), _Telegram()
    asyncio.run(_send_all(pacer, telegram, [1, 1, 1, 1, 2]))
    one = [t for c, t in telegram.times if c == 1]
    two = [t for c, t in telegram.times if c == 2]
    assert one[3] - one[0] >= 0.35  # two at once, then one every 0.2 s
    assert two[0] - one[0] < 0.1


def test_pacer_waits_out_a_429_and_counts_it():
    floods = []
    pacer, telegram = ChatPacer(on_flood=lambda: floods.append(1)), _Telegram(refuse_first=True)
    started = time.monotonic()
    asyncio.run(_send_all(pacer, telegram, [7]))
    assert floods == [1] and len(telegram.times) == 1
    assert telegram.times[0][1] - started >= 1.0


def test_pacer_forgets_idle_chats():
    now = [0.0]
    pacer, telegram = ChatPacer(private=Pace(burst=3, period=3.0), clock=lambda: now[0]), _Telegram()

    async def scenario() -> list[int]:
        await _send_all(pacer, telegram, [1, 2, 3])
        held = pacer.chats
        now[0] = 10.0  # every bucket has drained: forgetting loses nothing
        await _send_all(pacer, telegram, [4])
        return [held, pacer.chats]

    assert asyncio.run(scenario()) == [3, 1]


def test_pacer_holds_at_most_max_chats_idle_lanes():
    pacer, telegram = ChatPacer(max_chats=2, clock=lambda: 0.0), _Telegram()

    async def one_after_another() -> int:
        for chat in (1, 2, 3, 4):
            await _send_all(pacer, telegram, [chat])
        return pacer.chats

    assert asyncio.run(one_after_another()) == 2


@pytest.mark.parametrize("group", [-100123, "@some_channel"])
def test_pacer_holds_a_group_to_both_its_paces(group: int | str):
    """A group has the per-chat pace and, on top, the per-minute one (here scaled down to a second)."""
    pacer, telegram = ChatPacer(group=(Pace(burst=2, period=0.2), Pace(burst=3, period=1.0))), _Telegram()

    async def send() -> None:
        calls = [pacer.process_request(telegram.send, (group,), {}, "sendMessage", {"chat_id": group}, None) for _ in range(4)]
        await asyncio.gather(*calls)

    asyncio.run(send())
    times = [t for _, t in telegram.times]
    assert times[2] - times[0] >= 0.08  # the per-chat pace: two at once, then one every 0.1 s
    assert times[3] - times[0] >= 0.3  # the per-minute pace: three in its burst, then one every 0.33 s
