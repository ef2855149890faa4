"""Slack text: its ``<…>`` markup and entities undone, invisible and control characters.

Also how typed input is quoted back in a message, so it can neither break out nor run long.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

from bot.text import clip, code_span

ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u2060\ufeff"))
"""Invisible characters that copy and paste leaves behind: dropped before anything else."""
CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
OPEN_QUOTES = '"“”„'
CLOSE_QUOTES = '"”“'
_SHOWN_MAX = 60

# --------------------------------------------------------------------------------------------
# Quoting typed input in a message
# --------------------------------------------------------------------------------------------


def quotable(value: str) -> str:
    """``value`` made safe to quote: control characters replaced, long values shortened."""
    cleaned = "".join(
        "\ufffd" if unicodedata.category(c) in CONTROL_CATEGORIES else c for c in value
    )
    return clip(cleaned, _SHOWN_MAX) or "(nothing)"


def quote_in_code(value: str) -> str:
    """``value`` as a mrkdwn code span that a backtick in it cannot end early."""
    return code_span(quotable(value))


def quote_in_curly(value: str) -> str:
    """``value`` in curly quotes, for plain-text places such as a form field's error."""
    return f"“{quotable(value)}”"


def plain_spaces(text: str) -> str:
    """Every kind of whitespace (tabs, newlines, no-break spaces) as a plain space."""
    return _ANY_SPACE.sub(" ", text)


# --------------------------------------------------------------------------------------------
# Slack markup
# --------------------------------------------------------------------------------------------

SLACK_MARKUP = re.compile(r"<([^<>]*)>")
_ANY_SPACE = re.compile(r"\s")
"""What ``str.isspace`` calls whitespace (``\\s`` in a str pattern is defined as that)."""
_MARKUP_OR_ENTITY = re.compile(r"<([^<>]*)>|&(amp|lt|gt);")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
MENTION_KINDS = frozenset({"user", "channel", "special"})
"""The kinds of :func:`markup_parts` that name a Slack user, channel or group."""


def _decode_entities(text: str) -> str:
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


def markup_parts(inner: str) -> tuple[str, str]:
    """The kind of one ``<…>`` (without the brackets) and the text a person sees for it."""
    target, _, label = inner.partition("|")
    target, label = _decode_entities(target), _decode_entities(label)
    lowered = target.lower()
    if target.startswith("@"):
        return "user", "@" + (label.lstrip("@") or target[1:])
    if target.startswith("#"):
        return "channel", "#" + (label.lstrip("#") or target[1:])
    if target.startswith("!"):
        return "special", label or "@" + target[1:].split("^", 1)[0]
    if lowered.startswith("mailto:"):
        raw = target[7:].split("?", 1)[0].strip()
        address = unquote(raw)
        same = label.strip().casefold() in (raw.casefold(), address.casefold())
        return "mailto", (label.strip() if same else address) or label
    if lowered.startswith("tel:"):
        return "tel", unquote(target[4:]).strip() or label
    return "link", label or target


def unwrap_slack_markup(text: str) -> str:
    """Text as the person typed it: Slack's ``<…>`` markup and ``&amp; &lt; &gt;`` undone.

    ``<mailto:a@b.com|a@b.com>`` → the address, ``<tel:+15550100|…>`` → the number,
    ``<https://x|label>`` → the label (the URL when there is none), ``<@U1>`` → ``@U1``,
    ``<#C1|general>`` → ``#general``, ``<!here>`` → ``@here``. Everything else is unchanged.
    """

    def one(match: re.Match[str]) -> str:
        inner = match.group(1)
        if inner is None:
            return _ENTITIES[match.group(2)]
        return markup_parts(inner)[1]

    return _MARKUP_OR_ENTITY.sub(one, text)
