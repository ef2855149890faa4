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
HEADER_MAX = 150
SECTION_TEXT_MAX = 3000
ACTIONS_ELEMENTS_MAX = 25
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
ACCESSIBILITY_LABEL_MAX = 75
OPTION_TEXT_MAX = 75


def escape(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` as Slack requires for any outside text put into mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
