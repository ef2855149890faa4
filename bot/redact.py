"""Keep members' personal data and secrets out of logs: masking and keyed hashing."""

from __future__ import annotations

import hashlib
import hmac
import re

_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*", re.UNICODE)
_BRACKETED = re.compile(r"\[[^\]]*\]")
_DIGIT_RUN = re.compile(r"\+?\d[\d\s().-]{3,}\d")
_SECRET = re.compile(r"\b(?:xox[abposr]|xapp)-[\w-]+|CTApiKey\s+\S+", re.IGNORECASE)


def redact_text(text: str) -> str:
    """Mask emails, long digit runs (phones, ids), bracketed ids and tokens in free text."""
    text = _SECRET.sub("[secret]", text)
    text = _EMAIL.sub("[email]", text)
    text = _BRACKETED.sub("[…]", text)
    return _DIGIT_RUN.sub("[number]", text)


def member_hash(member: str, key: bytes) -> str:
    """A keyed, stable, non-reversible tag for a member id: the same member, the same tag."""
    digest = hmac.new(key, member.strip().lower().encode(), hashlib.sha256).hexdigest()
    return "m_" + digest[:16]
