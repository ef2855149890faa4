"""What an agent sees around Share: the note that replaces a private card once it is shared,
and what to do when Slack will not post the shared copy."""

from __future__ import annotations

from bot.blockkit import Message, escape
from bot.cards.parts import _WARNING, _notice
from bot.text import clip

_CANNOT_POST = frozenset({"not_in_channel", "channel_not_found", "is_archived"})


def shared_note(permalink: str | None) -> Message:
    """What replaces the private card once it is shared: a link to the shared copy."""
    safe = permalink if permalink and permalink.startswith("https://") else None
    if safe and not any(c in safe for c in "<>| "):
        return _notice(f":white_check_mark: Shared <{safe}|this card> with the conversation.")
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
