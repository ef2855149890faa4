"""A plain-text picture of a Block Kit message or modal, for tests to read what a person sees.

:func:`render_text` draws blocks as lines (headers underlined, fields in two columns, controls in
brackets); :func:`readable` resolves mrkdwn tokens and entities the way Slack shows them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any


def unescape(text: str) -> str:
    """Undo :func:`bot.blockkit.escape`: what a person reads."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _block_type(block: Any) -> Any:
    return block.get("type") if isinstance(block, Mapping) else None


_TOKEN = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
_RULE = "─" * 40


def _token_text(match: re.Match[str]) -> str:
    """What Slack shows for ``<…>``: a date's fallback, a link's label, a mention's name."""
    target, label = match.group(1), match.group(2)
    if target[:1] in "@#":
        return target[0] + (label or target[1:])
    if target.startswith("!"):
        return label or "@" + target[1:].split("^")[0]
    return label or target


def readable(text: str) -> str:
    """mrkdwn as a person reads it: tokens resolved, entities unescaped (emphasis kept)."""
    return unescape(_TOKEN.sub(_token_text, text))


def _text_of(obj: Any) -> str:
    if not isinstance(obj, Mapping):
        return ""
    text = str(obj.get("text", ""))
    return readable(text) if obj.get("type") == "mrkdwn" else text


def _columns(fields: Sequence[Any]) -> Iterator[str]:
    """Section fields two to a row, the left column padded to line up."""
    cells = [_text_of(item).splitlines() or [""] for item in fields]
    width = max((len(line) for cell in cells[::2] for line in cell), default=0)
    for left, right in zip(cells[::2], [*cells[1::2], []], strict=False):
        for i in range(max(len(left), len(right))):
            a = left[i] if i < len(left) else ""
            b = right[i] if i < len(right) else ""
            yield f"{a:<{width}}   {b}".rstrip()


def _element_text(element: Any) -> str:
    """One interactive element as a bracketed control."""
    if not isinstance(element, Mapping):
        return ""
    kind = element.get("type")
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if kind == "static_select":
        chosen = element.get("initial_option") or {}
        return f"[▾ {_text_of(chosen.get('text')) or _text_of(element.get('placeholder'))}]"
    if kind == "datepicker":
        return f"[📅 {element.get('initial_date') or _text_of(element.get('placeholder'))}]"
    if kind == "plain_text_input":
        shown = element.get("initial_value") or _text_of(element.get("placeholder"))
        return f"[✎ {shown}]"
    return f"[{_text_of(element.get('text')) or kind}]"


def _block_lines(block: Any) -> Iterator[str]:
    kind = _block_type(block)
    if kind == "header":
        title = _text_of(block.get("text"))
        yield from (title, "═" * len(title))
    elif kind == "section":
        lines = _text_of(block.get("text")).splitlines()
        lines.extend(_columns(block.get("fields") or []))
        if "accessory" in block:
            accessory = _element_text(block["accessory"])
            lines = [f"{lines[0]}  {accessory}" if lines else accessory, *lines[1:]]
        yield from lines
    elif kind == "context":
        elements = block.get("elements") or []
        yield " ".join(
            _element_text(e) if _block_type(e) == "image" else _text_of(e) for e in elements
        )
    elif kind == "actions":
        yield "  ".join(_element_text(e) for e in block.get("elements") or [])
    elif kind == "input":
        optional = " (optional)" if block.get("optional") else ""
        yield f"{_text_of(block.get('label'))}{optional}"
        yield f"  {_element_text(block.get('element'))}"
    elif kind == "divider":
        yield _RULE
    else:
        yield f"[{kind} block]"


def render_text(message_or_view: Mapping[str, Any]) -> str:
    """A plain-text picture of what a person sees of a message or a modal."""
    lines: list[str] = []
    title = message_or_view.get("title")
    if title is not None:
        lines.extend([f"┌ {_text_of(title)} ┐", ""])
    blocks = message_or_view.get("blocks")
    if blocks:
        for block in blocks:
            lines.extend(_block_lines(block))
    else:
        lines.append(readable(str(message_or_view.get("text", ""))))
    buttons = [
        f"[{_text_of(message_or_view[name])}]"
        for name in ("close", "submit")
        if message_or_view.get(name)
    ]
    if buttons:
        lines.extend(["", "  ".join(buttons)])
    return "\n".join(lines)
