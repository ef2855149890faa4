"""What Slack's clients do to what a person types before anyone else sees it.

Slack stores a message's ``text`` with ``& < >`` escaped, emails as ``<mailto:a@b.com|a@b.com>``
and web addresses as ``<https://…>``. The bot reads message text in that form (the message
shortcut's payload carries it), so the playground sends it the same way.
"""

from __future__ import annotations

import re

from bot.blockkit import escape

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
_EMAIL = rf"[A-Za-z0-9][A-Za-z0-9._%+'\-]*@{_LABEL}(?:\.{_LABEL})*\.[A-Za-z]{{2,}}"
_URL = r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]'’]"
_LINKABLE = re.compile(rf"(?P<url>{_URL})|(?P<email>{_EMAIL})")


def slack_message_text(typed: str) -> str:
    """``typed`` as Slack would store it: escaped, with emails and URLs as link markup."""
    parts: list[str] = []
    last = 0
    for match in _LINKABLE.finditer(typed):
        parts.append(escape(typed[last : match.start()]))
        found = escape(match.group(0))
        if match.group("email"):
            parts.append(f"<mailto:{found}|{found}>")
        else:
            parts.append(f"<{found}>")
        last = match.end()
    parts.append(escape(typed[last:]))
    return "".join(parts)
