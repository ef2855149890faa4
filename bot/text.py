"""Text helpers the messages (``cards``) and the command language (``query``) share.

Cutting text to a length, and code spans that a backtick inside cannot end early.
"""

from __future__ import annotations

BACKTICK_LOOKALIKE = "\u02cb"
"""``ˋ`` (U+02CB), shown in place of a backtick inside a code span."""


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def code_span(text: str) -> str:
    """``text`` as a mrkdwn code span, every backtick in it shown as :data:`BACKTICK_LOOKALIKE`.

    A backtick in the text would close the span early and leave the rest live mrkdwn (a
    bare link, ``@channel``).
    """
    return "`" + text.replace("`", BACKTICK_LOOKALIKE) + "`"
