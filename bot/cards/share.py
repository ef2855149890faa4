"""What an agent sees around Share: the note that replaces a private card once it is shared,
and what to do when Slack will not post the shared copy."""

from __future__ import annotations

from bot.blockkit import MESSAGE_BLOCKS_MAX, Message, escape, link
from bot.cards.parts import _WARNING, _context, _notice
from bot.text import clip

_CANNOT_POST = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
BOT_NOT_IN_CONVERSATION = frozenset({"not_in_channel", "channel_not_found"})
"""Slack's refusals that mean the bot is not in the conversation (``/invite`` fixes them)."""
INVITE_HINT = (
    ":information_source: I'm not a member of this conversation, so I can't post in it "
    "myself. Invite me with `/invite @purchases` and my answers land here directly."
)


def shared_note(permalink: str | None) -> Message:
    """What replaces the private card once it is shared: a link to the shared copy."""
    linked = link(permalink, "this card")
    if linked is not None:
        return _notice(f":white_check_mark: Shared {linked} with the conversation.")
    return _notice(":white_check_mark: Shared this card with the conversation.")


def share_refused_message(error: str | None) -> Message:
    """Slack would not post the shared copy: what the agent can do (the card stays)."""
    if error in _CANNOT_POST:
        text = (
            f"{_WARNING} I can't post in this conversation yet, so the card was not shared.\n"
            "Invite me first with `/invite @purchases`, then press Share again."
        )
    else:
        code = escape(clip(error or "unknown", 60))
        text = f"{_WARNING} Slack would not post the shared card (`{code}`). Please try again."
    return {**_notice(text), "response_type": "ephemeral", "replace_original": False}


def with_invite_hint(message: Message) -> Message:
    """``message`` with one line saying how to invite the bot (it could not post here); in
    the notification text instead when the message has no room for another block."""
    blocks = message.get("blocks", [])
    if len(blocks) >= MESSAGE_BLOCKS_MAX:
        return {**message, "text": f"{message['text']}\n{INVITE_HINT}"}
    return {**message, "blocks": [*blocks, _context(INVITE_HINT)]}
