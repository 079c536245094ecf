"""Who may talk to the bot, and which group messages are meant for it.

Decisions only: the handlers act on them. In a group the bot answers commands,
messages that @mention it and replies to its own messages, and ignores the
rest of the conversation, which is none of its business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import Message, MessageEntity
from telegram.constants import ChatType

__all__ = ["AccessPolicy", "is_group", "addressed_to_bot", "valid_start_payload"]

# Telegram's own alphabet for deep-link payloads (https://core.telegram.org/bots/features#deep-linking).
_START_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class AccessPolicy:
    allowed_user_ids: frozenset[int] = frozenset()  # empty: everyone
    allow_groups: bool = True

    def user_allowed(self, user_id: int | None) -> bool:
        if not self.allowed_user_ids:
            return True
        return user_id is not None and user_id in self.allowed_user_ids


def is_group(chat_type: str | None) -> bool:
    return chat_type in (ChatType.GROUP, ChatType.SUPERGROUP, ChatType.CHANNEL)


def addressed_to_bot(message: Message, bot_id: int, bot_username: str | None) -> bool:
    """A group message is for the bot if it is a command, mentions the bot, or replies to the bot."""
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return True
    entities = message.parse_entities([MessageEntity.MENTION, MessageEntity.BOT_COMMAND, MessageEntity.TEXT_MENTION])
    for entity, text in entities.items():
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            return True
        if entity.type == MessageEntity.MENTION and bot_username and text.lower() == f"@{bot_username.lower()}":
            return True
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id:
            return True
    return False


def valid_start_payload(args: list[str] | None) -> str | None:
    """The /start deep-link payload if it has Telegram's shape, else None (junk or forged)."""
    if not args or len(args) != 1:
        return None
    return args[0] if _START_PAYLOAD.fullmatch(args[0]) else None
