"""Block Kit for the renderer: the ``Message`` type, mrkdwn escaping, and the limits cards clip to.

Only what runtime code uses lives here. The tests check every message and modal against all of
Slack's limits with ``tests/support/blockkit_rules.py`` (slack_sdk's block models plus the rules
they miss), and picture them as text with ``tests/support/render.py``.
"""

from __future__ import annotations

from typing import Any

Message = dict[str, Any]
"""``{"text": str, "blocks": [...]}`` plus optional ``response_type``, ``replace_original``…"""

TEXT_RECOMMENDED_MAX = 4000
MESSAGE_BLOCKS_MAX = 50
HEADER_MAX = 150
SECTION_TEXT_MAX = 3000
ACTIONS_ELEMENTS_MAX = 25
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
ACCESSIBILITY_LABEL_MAX = 75
OPTION_TEXT_MAX = 75
LINK_URL_MAX = 1000
"""The longest URL put into a mrkdwn link (escaped); Slack's permalinks are about 150."""


def escape(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` as Slack requires for any outside text put into mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str | None, label: str) -> str | None:
    """``<url|label>`` in mrkdwn, escaped as Slack's formatting rules require; None for a URL
    that is not ``https://``, has a ``|`` or whitespace (which no escape can carry), or
    is longer than :data:`LINK_URL_MAX` escaped.

    A thread's permalink carries ``?thread_ts=…&cid=…``: unescaped, the ``&`` starts an
    entity and the link breaks.
    """
    if not url or not url.startswith("https://") or any(c == "|" or c.isspace() for c in url):
        return None
    escaped = escape(url)
    if len(escaped) > LINK_URL_MAX or not escaped.isprintable():
        return None
    return f"<{escaped}|{escape(label)}>"
