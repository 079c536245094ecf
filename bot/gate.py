"""The first handler every update meets (handler group -1): it stops what is not ours to answer.

It leaves groups when groups are not allowed, turns away users outside
ALLOWED_USER_IDS, ignores group chatter not addressed to the bot, and applies
the per-user rate limit, answering a flood with a single "slow down".
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from .access import addressed_to_bot, is_group
from .i18n import Translator
from .metrics import metrics_of
from .ratelimit import Verdict
from .state import BotContext, BotState, chat_tag

__all__ = ["gate"]

logger = logging.getLogger(__name__)


async def gate(update: Update, context: BotContext) -> None:
    """Runs before every handler; raises ApplicationHandlerStop for an update that is not ours to answer."""
    state = context.state
    chat = update.effective_chat
    if chat is not None and is_group(chat.type):
        await _check_group(update, context, state)
    user = update.effective_user
    if user is None:
        if update.message or update.callback_query:
            raise ApplicationHandlerStop  # sent on behalf of a channel or an anonymous admin: no one to answer
        return
    if not state.access.user_allowed(user.id):
        await _turn_away(update, state, context.t)
    if state.limiter is not None and (update.message is not None or update.callback_query is not None):
        await _check_rate(update, context, state)


async def _check_group(update: Update, context: BotContext, state: BotState) -> None:
    chat = update.effective_chat
    if not state.access.allow_groups:
        logger.info("leaving group chat=%s (ALLOW_GROUPS=false)", chat_tag(chat.id))
        try:
            await context.bot.leave_chat(chat.id)
        except TelegramError:
            logger.warning("could not leave group chat=%s", chat_tag(chat.id))
        raise ApplicationHandlerStop
    if update.callback_query is not None:
        return  # a press on one of our own buttons
    message = update.message
    if message is None or not addressed_to_bot(message, context.bot.id, context.bot.username):
        raise ApplicationHandlerStop  # the group's own conversation, an edit, or a membership change


async def _turn_away(update: Update, state: BotState, t: Translator) -> None:
    chat = update.effective_chat
    logger.info("refused a user outside ALLOWED_USER_IDS in chat=%s", chat_tag(chat.id if chat else None))
    if chat is not None and chat.type == ChatType.PRIVATE and update.message is not None:
        await _limited_reply(update, state, t.gettext("Sorry, this bot only answers the people it was set up for."))
    elif update.callback_query is not None:
        await update.callback_query.answer()
    raise ApplicationHandlerStop


async def _check_rate(update: Update, context: BotContext, state: BotState) -> None:
    user_id = update.effective_user.id
    verdict = state.limiter.check(user_id)
    if verdict is Verdict.ALLOW:
        return
    metrics_of(context).rate_limited.inc()
    if verdict is Verdict.WARN:
        chat = update.effective_chat
        logger.info("rate limit reached in chat=%s", chat_tag(chat.id if chat else None))
        await _say_slow_down(update, state.limiter.retry_in(user_id), context.t)
    elif update.callback_query is not None:
        await update.callback_query.answer()  # a spinner that never stops looks broken
    raise ApplicationHandlerStop


async def _limited_reply(update: Update, state: BotState, text: str) -> None:
    """Reply unless this user is flooding: even refusals must not become a flood of replies."""
    if state.limiter is None or state.limiter.check(update.effective_user.id) is Verdict.ALLOW:
        await update.effective_message.reply_text(text)


async def _say_slow_down(update: Update, wait: float, t: Translator) -> None:
    seconds = max(1, round(wait))
    text = t.ngettext(
        "You're asking faster than I can answer. Please wait about %(seconds)d second and ask again.",
        "You're asking faster than I can answer. Please wait about %(seconds)d seconds and ask again.",
        seconds,
    ) % {"seconds": seconds}
    if update.callback_query is not None:
        await update.callback_query.answer(text)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)
