"""Member ids: which kind a member looks like, and each kind checked and normalised.

Phones are normalised to a leading ``+`` (if typed) and digits. Emails keep their case as
typed (CrowdTwist matches them case-insensitively; echoing what was typed reads better),
minus a trailing ``.``, ``,`` or ``;`` picked up by copy and paste. Other ids are trimmed.
Also the lookup form's checks (:func:`validate_member`, :func:`query_from_form`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from bot.crowdtwist.models import IdType
from bot.query.markup import (
    CLOSE_QUOTES,
    CONTROL_CATEGORIES,
    OPEN_QUOTES,
    ZERO_WIDTH,
    plain_spaces,
    quote_in_code,
    quote_in_curly,
    unwrap_slack_markup,
)
from bot.query.model import (
    MAX_FIND_LENGTH,
    MAX_MEMBER_LENGTH,
    MAX_PHONE_DIGITS,
    Only,
    PurchaseQuery,
    UsageError,
)

EMPTY_MEMBER = (
    "Tell me whose purchases to show: an email, phone number, CrowdTwist id or third-party id."
)
TYPES_LIST = "use email, id, third_party_id or mobile_phone_number"

_TYPE_ALIASES: dict[str, IdType] = {
    "email": IdType.EMAIL,
    "e_mail": IdType.EMAIL,
    "mail": IdType.EMAIL,
    "id": IdType.ID,
    "crowdtwist": IdType.ID,
    "crowdtwist_id": IdType.ID,
    "ct": IdType.ID,
    "ct_id": IdType.ID,
    "third_party_id": IdType.THIRD_PARTY_ID,
    "third_party": IdType.THIRD_PARTY_ID,
    "thirdparty": IdType.THIRD_PARTY_ID,
    "3p": IdType.THIRD_PARTY_ID,
    "3p_id": IdType.THIRD_PARTY_ID,
    "external": IdType.THIRD_PARTY_ID,
    "external_id": IdType.THIRD_PARTY_ID,
    "mobile_phone_number": IdType.MOBILE_PHONE_NUMBER,
    "mobile_phone": IdType.MOBILE_PHONE_NUMBER,
    "mobile": IdType.MOBILE_PHONE_NUMBER,
    "phone": IdType.MOBILE_PHONE_NUMBER,
    "phone_number": IdType.MOBILE_PHONE_NUMBER,
    "tel": IdType.MOBILE_PHONE_NUMBER,
}

DIGITS = re.compile(r"[0-9]+")
"""All digits: a CrowdTwist id (or a count, or a page number)."""
PHONE_TEXT = re.compile(r"\+?[0-9\s().\-]*[0-9][0-9\s().\-]*")
"""Digits with a leading ``+`` if any, spaces, dashes, dots and brackets: a phone as typed."""
_LABEL = r"[^\W_](?:[\w\-]*[^\W_])?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})+")


@dataclass(frozen=True, slots=True)
class MessageStyle:
    """How error messages quote input and name the fix, per place they are shown."""

    quote: Callable[[str], str]
    as_third_party: str


FOR_COMMAND = MessageStyle(quote_in_code, "add `type:third_party_id`")
FOR_FORM = MessageStyle(quote_in_curly, "choose the third-party id type")


def digits_of(text: str) -> str:
    """The ASCII digits in ``text``, in order."""
    return "".join(c for c in text if "0" <= c <= "9")


def _alias_key(value: str) -> str:
    return value.strip().lower().replace("-", "_").replace(" ", "_")


def looks_like_phone(text: str) -> bool:
    """A leading ``+``, or 10 to 15 digits, with only spaces, dashes, dots and brackets."""
    if not PHONE_TEXT.fullmatch(text):
        return False
    return text.startswith("+") or 10 <= len(digits_of(text)) <= MAX_PHONE_DIGITS


def infer_id_type(member: str) -> IdType:
    """How to read an (unwrapped) member when no ``type:`` was given.

    Contains ``@`` → email; a leading ``+`` or 10–15 digits with phone punctuation (a bare
    10–15 digit number too) → mobile phone number; other all-digit text → CrowdTwist id;
    anything else → third-party id.
    """
    value = member.strip()
    if "@" in value:
        return IdType.EMAIL
    if looks_like_phone(value):
        return IdType.MOBILE_PHONE_NUMBER
    if DIGITS.fullmatch(value):
        return IdType.ID
    return IdType.THIRD_PARTY_ID


def _member_problem(value: str, style: MessageStyle) -> str | None:
    """What is wrong with a trimmed member whatever its type, or None."""
    if not value:
        return EMPTY_MEMBER
    if len(value) > MAX_MEMBER_LENGTH:
        return (
            f"{style.quote(value)} is too long for a member: {len(value)} characters, "
            f"the most is {MAX_MEMBER_LENGTH}."
        )
    for char in value:
        if unicodedata.category(char) in CONTROL_CATEGORIES:
            return (
                f"{style.quote(value)} contains a control character (U+{ord(char):04X}); "
                "type the member again without it."
            )
    return None


def normalise_member(
    member: str, kind: IdType, *, explicit: bool, style: MessageStyle
) -> str | UsageError:
    """The member as CrowdTwist should get it, or why it cannot be read as ``kind``."""
    value = member.strip()
    problem = _member_problem(value, style)
    if problem:
        return UsageError(problem)
    shown = style.quote(value)
    if kind is IdType.EMAIL:
        return _normalise_email(value, style, explicit=explicit)
    if kind is IdType.MOBILE_PHONE_NUMBER:
        text = value[4:].strip() if value[:4].lower() == "tel:" else value
        if not PHONE_TEXT.fullmatch(text):
            return UsageError(
                f"{shown} is not a phone number: use digits, with a leading + and spaces, "
                "dashes, dots or brackets if you like."
            )
        digits = digits_of(text)
        if len(digits) > MAX_PHONE_DIGITS:
            return UsageError(
                f"{shown} is too long for a phone number: it has {len(digits)} digits "
                f"and the most is {MAX_PHONE_DIGITS}."
            )
        return ("+" if text.startswith("+") else "") + digits
    if kind is IdType.ID and not DIGITS.fullmatch(value):
        return UsageError(
            f"{shown} is not a CrowdTwist id (those are all digits); "
            f"{style.as_third_party} for other ids."
        )
    return value


def _normalise_email(value: str, style: MessageStyle, *, explicit: bool) -> str | UsageError:
    """A plausible email address (trailing punctuation dropped), or what is wrong with it."""
    email = value.rstrip(".,;")
    local, at, domain = email.rpartition("@")
    reason = None
    if any(c.isspace() for c in email):
        reason = "it contains a space"
    elif not at:
        reason = "it has no @"
    elif not local:
        reason = "nothing comes before the @"
    elif "@" in local:
        reason = "it has more than one @"
    elif not domain:
        reason = "nothing comes after the @"
    elif not _DOMAIN.fullmatch(domain):
        reason = f"{style.quote(domain)} is not a domain like example.com"
    if reason is None:
        return email
    hint = "" if explicit else f" ({style.as_third_party} if it is a third-party id)"
    return UsageError(f"{style.quote(value)} is not an email address: {reason}{hint}.")


def validate_member(text: str) -> str | UsageError:
    """The lookup form's member field, checked: markup unwrapped, trimmed, quotes removed.

    The type-specific checks (is it an email, a phone number …) come later, in
    :func:`query_from_form`, once the type is known.
    """
    value = plain_spaces(unwrap_slack_markup(text.translate(ZERO_WIDTH))).strip()
    if len(value) >= 2 and value[0] in OPEN_QUOTES and value[-1] in CLOSE_QUOTES:
        value = value[1:-1].strip()
    problem = _member_problem(value, FOR_FORM)
    return UsageError(problem) if problem else value


def type_named(value: str) -> IdType | None:
    """The id type a ``type:`` word or the form's choice names (``phone``, ``3p`` …), or None."""
    return _TYPE_ALIASES.get(_alias_key(value))


def query_from_form(
    member: str,
    id_type: str | None,
    start: date | None,
    end: date | None,
    find: str = "",
    only: str | None = None,
) -> PurchaseQuery | dict[str, str]:
    """The lookup form's values as a query, or error messages by field name.

    Field names are ``member``, ``id_type``, ``start``, ``end``, ``find`` and ``only``;
    ``id_type`` None, empty or ``"infer"`` means infer it; ``only`` None, empty or ``"all"``
    means no filter. Messages are plain text (form errors show no mrkdwn).
    """
    errors: dict[str, str] = {}
    wanted, chosen = _form_search(find, only, errors)
    named = (id_type or "").strip()
    kind: IdType | None = None
    explicit = bool(named) and named.lower() not in ("infer", "auto")
    if explicit:
        kind = type_named(named)
        if kind is None:
            errors["id_type"] = f"Unknown type {quote_in_curly(named)}: {TYPES_LIST}."
    checked = validate_member(member)
    normal: str | None = None
    if isinstance(checked, UsageError):
        errors["member"] = checked.message
    elif not errors:
        kind = kind or infer_id_type(checked)
        result = normalise_member(checked, kind, explicit=explicit, style=FOR_FORM)
        if isinstance(result, UsageError):
            errors["member"] = result.message
        else:
            normal = result
    start, end = _as_date(start), _as_date(end)
    if start and end and end < start:
        errors["end"] = (
            f"The end date {end.isoformat()} is before the start date {start.isoformat()}."
        )
    if errors or normal is None or kind is None:
        return errors or {"member": EMPTY_MEMBER}
    return PurchaseQuery(
        normal,
        kind,
        id_type_inferred=not explicit,
        start=start,
        end=end,
        find=wanted,
        only=chosen,
    )


def _form_search(
    find: str, only: str | None, errors: dict[str, str]
) -> tuple[str | None, Only | None]:
    """The form's purchase id and "Show only" choice; a problem goes into ``errors``."""
    wanted = plain_spaces(find.translate(ZERO_WIDTH)).strip() if isinstance(find, str) else ""
    chosen: Only | None = None
    named = (only or "").strip().lower()
    if named and named != "all":
        try:
            chosen = Only(named)
        except ValueError:
            errors["only"] = f"Unknown choice {quote_in_curly(named)}: awaiting, capped or short."
    if len(wanted) > MAX_FIND_LENGTH:
        errors["find"] = (
            f"A purchase id has at most {MAX_FIND_LENGTH} characters; this has {len(wanted)}."
        )
    elif wanted and any(unicodedata.category(c) in CONTROL_CATEGORIES for c in wanted):
        errors["find"] = "That purchase id has characters no purchase id has."
    elif wanted and chosen is not None:
        errors["find"] = "Find one purchase or show only some: leave one of the two empty."
    return wanted or None, chosen


def _as_date(value: date | None) -> date | None:
    """A plain date even when a datetime slipped in (they do not compare with dates)."""
    return value.date() if isinstance(value, datetime) else value
