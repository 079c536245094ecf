"""Abuse and access, end to end through the stand-in: rate limit, allow-list, groups, buttons."""

from __future__ import annotations

import time

from index.search import Retriever

from .botapi import FakeBotAPI
from .botrun import bot_running

GROUP = -1001


def _settle(api: FakeBotAPI, seconds: float = 1.0) -> None:
    """Give the bot time to (not) answer what is still queued."""
    time.sleep(seconds)


def test_rate_limit_answers_a_flood_with_one_slow_down(api: FakeBotAPI, fake_retriever: Retriever):
    with bot_running(api, fake_retriever, rate_limit_burst=2, rate_limit_per_minute=1):
        asked = [api.user_says(f"Rainbow Railroad question {i}") for i in range(6)]
        other = api.user_says("Rainbow Railroad", chat_id=43, user_id=43)
        api.wait_for(lambda: api.replies_to(other))
        api.wait_for(lambda: len(api.sent_after(asked[0] - 1)) >= 3)
        _settle(api)
    to_flooder = api.sent_after(asked[0] - 1)
    assert sum("Rainbow Railroad" in m["text"] for m in to_flooder) == 2
    assert [m["text"] for m in to_flooder].count(
        next(m["text"] for m in to_flooder if "faster than I can answer" in m["text"])
    ) == 1
    assert len(to_flooder) == 3  # two answers, one "slow down", the rest dropped silently
    assert api.rejected == []


def test_allow_list_admits_only_listed_ids(api: FakeBotAPI, fake_retriever: Retriever):
    with bot_running(api, fake_retriever, allowed_user_ids=frozenset({7})):
        stranger = api.user_says("Rainbow Railroad", chat_id=42, user_id=42)
        friend = api.user_says("Rainbow Railroad", chat_id=7, user_id=7)
        api.wait_for(lambda: api.replies_to(friend))
        refusal = api.wait_for(lambda: api.sent_after(stranger, chat_id=42))[0]
    assert "only answers the people it was set up for" in refusal["text"]
    assert "Rainbow Railroad" not in refusal["text"]


def test_group_answers_only_commands_mentions_and_replies(api: FakeBotAPI, fake_retriever: Retriever):
    with bot_running(api, fake_retriever):
        chatter = api.user_says("Rainbow Railroad is on the news again", chat_id=GROUP, chat_type="group")
        other_bot = api.user_says("/ask@some_other_bot Rainbow Railroad", chat_id=GROUP, chat_type="group")
        unknown = api.user_says("/weather", chat_id=GROUP, chat_type="group")
        mention = api.user_says("@corpus_test_bot what does Rainbow Railroad do?", chat_id=GROUP, chat_type="group")
        command = api.user_says("/ask What does Rainbow Railroad do?", chat_id=GROUP, chat_type="group")
        answer = api.wait_for(lambda: api.replies_to(mention))[0]
        api.wait_for(lambda: api.replies_to(command))
        follow_up = api.user_says("and who funds Rainbow Railroad?", chat_id=GROUP, chat_type="group", reply_to=answer)
        api.wait_for(lambda: api.replies_to(follow_up))
        _settle(api)
    assert "Rainbow Railroad" in answer["text"]
    assert not api.replies_to(chatter) and not api.replies_to(other_bot) and not api.replies_to(unknown)
    assert len(api.sent_after(chatter, chat_id=GROUP)) == 3


def test_allow_groups_false_leaves_groups(api: FakeBotAPI, fake_retriever: Retriever):
    with bot_running(api, fake_retriever, allow_groups=False):
        api.bot_added_to_group(GROUP)
        api.wait_for(lambda: GROUP in api.left_chats)
        asked = api.user_says("@corpus_test_bot Rainbow Railroad?", chat_id=GROUP - 1, chat_type="supergroup")
        api.wait_for(lambda: GROUP - 1 in api.left_chats)
        _settle(api)
    assert not api.replies_to(asked)
    assert not [m for m in api.sent if m["chat"]["id"] < 0]


def test_forged_button_gets_a_polite_toast(api: FakeBotAPI, fake_retriever: Retriever):
    with bot_running(api, fake_retriever):
        query_id = api.user_presses("page:999999:forged")
        [answered] = api.wait_for(lambda: [c for c in api.answered_callbacks if c["callback_query_id"] == query_id])
    assert "no longer works" in answered["text"]
    assert api.rejected == []


def test_ask_without_a_question_explains(api: FakeBotAPI, fake_retriever: Retriever):
    with bot_running(api, fake_retriever):
        asked = api.user_says("/ask")
        reply = api.wait_for(lambda: api.sent_after(asked))[0]
    assert "question in words" in reply["text"]


def test_privacy_command_says_nothing_is_kept(api: FakeBotAPI, fake_retriever: Retriever):
    with bot_running(api, fake_retriever):
        asked = api.user_says("/privacy")
        reply = api.wait_for(lambda: api.sent_after(asked))[0]
    assert "What I keep about you: nothing" in reply["text"]
    assert "memory only" in reply["text"]
