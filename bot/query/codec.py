"""A query in a button's ``value``: compact JSON written, and only that JSON read back.

Button values come back from Slack's clients, so :func:`decode_query` trusts nothing.
"""

from __future__ import annotations

import json
import re
from datetime import date

from bot.compact_json import dumps
from bot.crowdtwist.models import IdType
from bot.query.model import MAX_BUTTON_VALUE, MAX_MEMBER_LENGTH, MAX_PAGE, PurchaseQuery

_ENCODED_KEYS = frozenset({"m", "t", "p", "x", "s", "e"})
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
    return dumps(data)


def decode_query(value: str | None) -> PurchaseQuery | None:
    """Read a button value back; None for anything that is not a valid query.

    Button values come back from Slack's clients and are untrusted: only what
    :func:`encode_query` writes is accepted (known keys, a page from 1 to ``MAX_PAGE``,
    ``YYYY-MM-DD`` dates in order, a non-blank member of at most ``MAX_MEMBER_LENGTH``
    characters without C0 controls or surrogates).
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
    return PurchaseQuery(
        member=member,
        id_type=kind,
        id_type_inferred="x" not in data,
        start=start,
        end=end,
        page=page,
    )
