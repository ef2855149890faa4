"""A query in a button's ``value``: compact JSON written, and only that JSON read back.

Button values come back from Slack's clients, so :func:`decode_query` trusts nothing.
"""

from __future__ import annotations

import json
import re
from datetime import date

from bot.compact_json import dumps
from bot.crowdtwist.models import IdType
from bot.query.model import (
    MAX_BUTTON_VALUE,
    MAX_FIND_LENGTH,
    MAX_MEMBER_LENGTH,
    MAX_PAGE,
    Only,
    PurchaseQuery,
)

_ENCODED_KEYS = frozenset({"m", "t", "p", "x", "s", "e", "f", "o"})
_ISO_DATE_EXACT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UNSAFE_MEMBER_CHARS = re.compile("[\x00-\x1f\ud800-\udfff]")
"""C0 controls and lone surrogates: never in a member a button carries."""


def encode_query(query: PurchaseQuery) -> str:
    """The query as a compact JSON string for a button's ``value`` (well under 2000 chars)."""
    data: dict[str, object] = {"m": query.member, "t": query.id_type.value, "p": query.page}
    if not query.id_type_inferred:
        data["x"] = 1
    if query.start:
        data["s"] = query.start.isoformat()
    if query.end:
        data["e"] = query.end.isoformat()
    if query.find is not None:
        data["f"] = query.find
    if query.only is not None:
        data["o"] = query.only.value
    return dumps(data)


def decode_query(value: str | None) -> PurchaseQuery | None:
    """Read a button value back; None for anything that is not a valid query.

    Button values come back from Slack's clients and are untrusted: only what
    :func:`encode_query` writes is accepted (known keys, a page from 1 to ``MAX_PAGE``,
    ``YYYY-MM-DD`` dates in order, a non-blank member of at most ``MAX_MEMBER_LENGTH``
    characters without C0 controls or surrogates; a ``find`` id held to the same rules, on
    page 1 only; a known ``only``, never both).
    """
    if not isinstance(value, str) or not value or len(value) > MAX_BUTTON_VALUE:
        return None
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not set(data) <= _ENCODED_KEYS:
        return None
    member, id_type, page, flag = data.get("m"), data.get("t"), data.get("p", 1), data.get("x")
    if not isinstance(member, str) or not member.strip() or len(member) > MAX_MEMBER_LENGTH:
        return None
    if _UNSAFE_MEMBER_CHARS.search(member):
        return None
    if not isinstance(id_type, str):
        return None
    try:
        kind = IdType(id_type)
    except ValueError:
        return None
    if type(page) is not int or not 1 <= page <= MAX_PAGE:
        return None
    if "x" in data and (type(flag) is not int or flag != 1):
        return None
    dates: list[date | None] = []
    for key in ("s", "e"):
        raw = data.get(key)
        if raw is None and key not in data:
            dates.append(None)
            continue
        if not isinstance(raw, str) or not _ISO_DATE_EXACT.fullmatch(raw):
            return None
        try:
            dates.append(date.fromisoformat(raw))
        except ValueError:
            return None
    start, end = dates
    if start and end and end < start:
        return None
    try:
        find, only = _find_of(data), _only_of(data)
    except ValueError:
        return None
    if (find is not None and only is not None) or (find is not None and page != 1):
        return None
    return PurchaseQuery(
        member=member,
        id_type=kind,
        id_type_inferred="x" not in data,
        start=start,
        end=end,
        page=page,
        find=find,
        only=only,
    )


def _find_of(data: dict[str, object]) -> str | None:
    """The ``find`` id a value carries, or None; ValueError when it is not one we write."""
    if "f" not in data:
        return None
    find = data["f"]
    if not isinstance(find, str) or not find.strip() or len(find) > MAX_FIND_LENGTH:
        raise ValueError("bad find")
    if _UNSAFE_MEMBER_CHARS.search(find):
        raise ValueError("bad find")
    return find


def _only_of(data: dict[str, object]) -> Only | None:
    """The ``only`` filter a value carries, or None; ValueError when it is not one we write."""
    if "o" not in data:
        return None
    value = data["o"]
    if not isinstance(value, str):
        raise ValueError("bad only")
    return Only(value)
