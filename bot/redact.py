"""Keep members' personal data and secrets out of logs: masking and keyed hashing."""

from __future__ import annotations

import hashlib
import hmac
import re

_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*", re.UNICODE)
_BRACKETED = re.compile(r"\[(?!(?:secret|email|number|…)\])[^\]]*\]")  # ids like [12345]
_NUMBER_RUN = re.compile(r"\+?\d[\d\s().-]*\d")
_HARMLESS = re.compile(
    r"\d{4}-\d{2}-\d{2}"  # a date
    r"|\d{1,2}:\d{2}(:\d{2})?"  # a time
    r"|\d{1,3}(\.\d{1,3}){3}"  # an IPv4 address
    r"|\d+\.\d+"  # a decimal figure (seconds, ratios)
)
_SECRET = re.compile(r"\b(?:xox[abposr]|xapp)-[\w-]+|CTApiKey\s+\S+", re.IGNORECASE)
_MIN_ID_DIGITS = 7
_TAG_LENGTH = 16
_MEMBER_TAG = re.compile(rf"(?<![\w-])m_[0-9a-f]{{{_TAG_LENGTH}}}(?![\w-])")


def _mask_number(match: re.Match[str]) -> str:
    """Mask phone numbers and long ids; keep dates, times, addresses and short figures."""
    text = match.group(0)
    if _HARMLESS.fullmatch(text.strip()):
        return text
    digits = sum(c.isdigit() for c in text)
    if digits >= _MIN_ID_DIGITS or (text.startswith("+") and digits >= 5):
        return "[number]"
    return text


def _redact_piece(text: str) -> str:
    text = _BRACKETED.sub("[…]", text)
    text = _SECRET.sub("[secret]", text)
    text = _EMAIL.sub("[email]", text)
    return _NUMBER_RUN.sub(_mask_number, text)


def redact_text(text: str) -> str:
    """Mask emails, phone numbers and long ids, bracketed ids and tokens in free text.

    Member tags (:func:`member_hash`) are already safe and pass through byte for byte: a tag
    is how an auditor follows one member, and a hex digest often holds a run of 7+ digits
    that would otherwise be masked as a number.
    """
    pieces = _MEMBER_TAG.split(text)
    tags = _MEMBER_TAG.findall(text)
    masked = [_redact_piece(piece) for piece in pieces]
    return "".join(part for pair in zip(masked, [*tags, ""], strict=True) for part in pair)


def member_hash(member: str, key: bytes) -> str:
    """A keyed, stable, non-reversible tag for a member id: the same member, the same tag."""
    digest = hmac.new(key, member.strip().lower().encode(), hashlib.sha256).hexdigest()
    return "m_" + digest[:_TAG_LENGTH]
