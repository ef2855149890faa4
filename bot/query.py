"""The command language: ``/purchases …`` text in, a query (or a reason why not) out.

Everything about the grammar lives here and nowhere else: parsing, id-type inference, Slack
markup, finding identifiers in a message, the lookup form's checks, and the compact form of
a query that rides in a button's value. All pure functions: no I/O, no clock (``today`` is
passed in), and none of them raises on any text. The README's "The command" and
``HELP_TEXT`` give the grammar as people see it; ``docs/contract.md`` why it must not drift.

Grammar decisions, so the language stays unambiguous:

* The member always comes first; dates and options follow in any order. A first token that
  is a date or a keyword is refused ("start with the member") rather than searched for;
  quoting (``"…"`` or Slack's ``“…”``) makes any text a member, spaces included.
* Phone numbers with spaces: the leading tokens made only of digits, ``+ ( ) - .`` (not
  dates) join into one member when together they look like a phone number (a leading ``+``
  or 10 to 15 digits), or whenever ``type:phone`` is given. Several such tokens that do not
  make a phone number are an error, never silently split into member and junk.
* Phones are normalised to a leading ``+`` (if typed) and digits. Emails keep their case as
  typed (CrowdTwist matches them case-insensitively; echoing what was typed reads better),
  minus a trailing ``.``, ``,`` or ``;`` picked up by copy and paste. Other ids are trimmed.
* Dates are ``YYYY-MM-DD`` (a missing leading zero is tolerated), inclusive. One bare day is
  the start; one bare month, ``today``, ``yesterday``, ``this month`` … ``last 30 days`` is
  that whole period; two bare dates are the start of the first and the end of the second.
  A bare year is refused (after a phone number it could be part of it): ``in 2024``,
  ``from:2024`` and ``until 2024`` say which is meant. ``before``/``after`` are refused
  because their inclusiveness is a guess.
* Keywords and options are case-insensitive and work with or without the colon
  (``from:2024-03-01`` = ``from 2024-03-01``); each end, the type and the page may be set once.
"""

from __future__ import annotations

import json
import re
import unicodedata
from calendar import monthrange
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from itertools import pairwise
from urllib.parse import unquote

from bot.crowdtwist.models import IdType

__all__ = [
    "HELP_TEXT",
    "MAX_BUTTON_VALUE",
    "MAX_COMMAND_LENGTH",
    "MAX_IDENTIFIERS",
    "MAX_MEMBER_LENGTH",
    "MAX_PAGE",
    "USAGE",
    "Command",
    "FormRequest",
    "HelpRequest",
    "PurchaseQuery",
    "UsageError",
    "decode_query",
    "encode_query",
    "find_member_identifiers",
    "infer_id_type",
    "parse_command",
    "query_from_form",
    "unwrap_slack_markup",
    "validate_member",
]

USAGE = (
    "/purchases <member> [<start> [<end>]] [from:<date>] [to:<date>] [type:<id_type>] [page:<n>]"
)
MAX_MEMBER_LENGTH = 254
MAX_PAGE = 100_000
MAX_COMMAND_LENGTH = 4_000
"""Longer command text is refused outright (no real command comes near it)."""
MAX_IDENTIFIERS = 10
"""The most identifiers :func:`find_member_identifiers` returns."""
MAX_BUTTON_VALUE = 2_000
"""Slack's limit on a button's ``value``."""
_MAX_SCANNED = 50_000
"""How much of a message :func:`find_member_identifiers` reads (Slack's own cap is 40,000)."""
_MAX_PHONE_DIGITS = 15
"""E.164: no phone number has more digits."""


@dataclass(frozen=True, slots=True)
class PurchaseQuery:
    """One purchase-history lookup: who, how to read the id, which dates, which page."""

    member: str
    id_type: IdType
    id_type_inferred: bool = True
    start: date | None = None
    end: date | None = None
    page: int = 1

    def with_page(self, page: int) -> PurchaseQuery:
        """The same lookup on another page."""
        return replace(self, page=page)

    @property
    def range_label(self) -> str | None:
        """The date range in words, or None when the whole history is asked for."""
        if self.start and self.end:
            if self.start == self.end:
                return f"on {self.start.isoformat()}"
            return f"{self.start.isoformat()} to {self.end.isoformat()}"
        if self.start:
            return f"since {self.start.isoformat()}"
        if self.end:
            return f"until {self.end.isoformat()}"
        return None


@dataclass(frozen=True, slots=True)
class HelpRequest:
    """``/purchases help``."""


@dataclass(frozen=True, slots=True)
class FormRequest:
    """``/purchases`` with nothing after it: open the lookup form."""


@dataclass(frozen=True, slots=True)
class UsageError:
    """The text could not be read as a lookup; ``message`` says what was wrong.

    One sentence of plain text with mrkdwn code spans; ``& < >`` are *not* escaped (the
    card escapes them), and quoted input is shortened and cannot break out of its span.
    """

    message: str


Command = PurchaseQuery | HelpRequest | FormRequest | UsageError

HELP_TEXT = f"""\
*/purchases* shows a loyalty member's purchase history.
`{USAGE}`

*Member* (always first)
• `jane@example.com` → email
• `+1 (555) 010-0040` → phone: a leading + or 10–15 digits
• `12345` → CrowdTwist id (all digits)
• anything else → third-party id; quote spaces: `"EU/42 B"`
• `type:email`, `type:phone`, `type:id`, `type:3p` → no guessing
   (also `mobile_phone_number`, `crowdtwist`, `third_party_id`)

*Dates* (inclusive; after the member, in any order)
• `2024-03-01` → since that day
• `2024-03-01 2024-03-31` → from the first to the second
• `2024-03` → that month; `2024-01 2024-03` → January to March
• `today`, `yesterday`, `this month`, `last month`, `this year`, `last year`
• `last 30 days` (or weeks, months, years) → up to and including today
• `from:2024-03-01` → start only (also `since`, `start`)
• `to:2024-03-31` → end only (also `until`, `end`)
• the colon is optional: `since last month`, `until 2024-06`
• `in 2024`, `in 2024-03`, `on 2024-03-01` → exactly that year, month, day
• a year alone needs a word: `in 2024`, `from:2023`, `until 2024`

*More*
• `page:2` → a later page
• `/purchases` alone opens a form
• On a message, *⋮ → Purchase history* looks up the emails
   and phone numbers in it and answers in its thread

*Examples*
`/purchases jane@example.com last 90 days`
`/purchases +44 20 7946 0958 2024-01 2024-03`
`/purchases "EU/42 B" type:3p from:2023 page:2`"""

# --------------------------------------------------------------------------------------------
# Characters, quoting, words
# --------------------------------------------------------------------------------------------

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u2060\ufeff"))
"""Invisible characters that copy and paste leaves behind: dropped before anything else."""
_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
_OPEN_QUOTES = '"“”„'
_CLOSE_QUOTES = '"”“'
_SHOWN_MAX = 60

_EMPTY_MEMBER = (
    "Tell me whose purchases to show: an email, phone number, CrowdTwist id or third-party id."
)
_TYPES_LIST = "use email, id, third_party_id or mobile_phone_number"

_HELP_WORDS = frozenset({"help", "-h", "--help", "?"})
_START_KEYS = frozenset({"from", "since", "start"})
_END_KEYS = frozenset({"to", "until", "end"})
_EXACT_KEYS = frozenset({"in", "on"})
_DATE_KEYS = _START_KEYS | _END_KEYS | _EXACT_KEYS
_KEYS = _DATE_KEYS | {"type", "page"}
_RELATIVE_WORDS = frozenset({"today", "yesterday", "this", "last"})
_UNITS = {
    "day": "days",
    "days": "days",
    "week": "weeks",
    "weeks": "weeks",
    "month": "months",
    "months": "months",
    "year": "years",
    "years": "years",
}
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

_DIGITS = re.compile(r"[0-9]+")
_PHONE_TEXT = re.compile(r"\+?[0-9\s().\-]*[0-9][0-9\s().\-]*")
_PHONE_FIRST_TOKEN = re.compile(r"\+?[0-9().\-]*[0-9][0-9().\-]*")
_PHONE_NEXT_TOKEN = re.compile(r"[0-9().\-]*[0-9][0-9().\-]*")
_DATE_LIKE_TOKEN = re.compile(
    r"[0-9]{4}-[0-9]{1,2}(?:-[0-9]{1,2})?|[0-9]{1,2}[./\-][0-9]{1,2}[./\-][0-9]{2,4}"
)
_ISO_DAY = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_ISO_MONTH = re.compile(r"([0-9]{4})-([0-9]{1,2})")
_YEAR = re.compile(r"[0-9]{4}")
_OTHER_DATE = re.compile(r"[0-9]{1,4}[./\-][0-9]{1,2}(?:[./\-][0-9]{1,4})?|[0-9]{4}/[0-9]{1,2}")
_OPTION_LIKE = re.compile(r"([A-Za-z][A-Za-z_\-]*):.*", re.DOTALL)
_LABEL = r"[^\W_](?:[\w\-]*[^\W_])?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})+")


def _shown(value: str) -> str:
    """``value`` made safe to quote: control characters replaced, long values shortened."""
    cleaned = "".join(
        "\ufffd" if unicodedata.category(c) in _CONTROL_CATEGORIES else c for c in value
    )
    if len(cleaned) > _SHOWN_MAX:
        cleaned = cleaned[: _SHOWN_MAX - 1] + "…"
    return cleaned or "(nothing)"


def _code(value: str) -> str:
    """``value`` as a mrkdwn code span that a backtick in it cannot end early."""
    return "`" + _shown(value).replace("`", "ˋ") + "`"


def _curly(value: str) -> str:
    """``value`` in curly quotes, for plain-text places such as a form field's error."""
    return f"“{_shown(value)}”"


@dataclass(frozen=True, slots=True)
class _Style:
    """How error messages quote input and name the fix, per place they are shown."""

    quote: Callable[[str], str]
    as_third_party: str


_FOR_COMMAND = _Style(_code, "add `type:third_party_id`")
_FOR_FORM = _Style(_curly, "choose the third-party id type")


def _spaces(text: str) -> str:
    """Every kind of whitespace (tabs, newlines, no-break spaces) as a plain space."""
    return "".join(" " if c.isspace() else c for c in text)


def _digits_of(text: str) -> str:
    return "".join(c for c in text if "0" <= c <= "9")


def _alias_key(value: str) -> str:
    return value.strip().lower().replace("-", "_").replace(" ", "_")


# --------------------------------------------------------------------------------------------
# Slack markup
# --------------------------------------------------------------------------------------------

_SLACK_MARKUP = re.compile(r"<([^<>]*)>")
_MARKUP_OR_ENTITY = re.compile(r"<([^<>]*)>|&(amp|lt|gt);")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_MENTION_KINDS = frozenset({"user", "channel", "special"})


def _decode_entities(text: str) -> str:
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


def _markup_parts(inner: str) -> tuple[str, str]:
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
        return _markup_parts(inner)[1]

    return _MARKUP_OR_ENTITY.sub(one, text)


# --------------------------------------------------------------------------------------------
# Members: inference and normalisation
# --------------------------------------------------------------------------------------------


def _looks_like_phone(text: str) -> bool:
    """A leading ``+``, or 10 to 15 digits, with only spaces, dashes, dots and brackets."""
    if not _PHONE_TEXT.fullmatch(text):
        return False
    return text.startswith("+") or 10 <= len(_digits_of(text)) <= _MAX_PHONE_DIGITS


def infer_id_type(member: str) -> IdType:
    """How to read an (unwrapped) member when no ``type:`` was given.

    Contains ``@`` → email; a leading ``+`` or 10–15 digits with phone punctuation (a bare
    10–15 digit number too) → mobile phone number; other all-digit text → CrowdTwist id;
    anything else → third-party id.
    """
    value = member.strip()
    if "@" in value:
        return IdType.EMAIL
    if _looks_like_phone(value):
        return IdType.MOBILE_PHONE_NUMBER
    if _DIGITS.fullmatch(value):
        return IdType.ID
    return IdType.THIRD_PARTY_ID


def _member_problem(value: str, style: _Style) -> str | None:
    """What is wrong with a trimmed member whatever its type, or None."""
    if not value:
        return _EMPTY_MEMBER
    if len(value) > MAX_MEMBER_LENGTH:
        return (
            f"{style.quote(value)} is too long for a member: {len(value)} characters, "
            f"the most is {MAX_MEMBER_LENGTH}."
        )
    for char in value:
        if unicodedata.category(char) in _CONTROL_CATEGORIES:
            return (
                f"{style.quote(value)} contains a control character (U+{ord(char):04X}); "
                "type the member again without it."
            )
    return None


def _normalise_member(
    member: str, kind: IdType, *, explicit: bool, style: _Style
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
        if not _PHONE_TEXT.fullmatch(text):
            return UsageError(
                f"{shown} is not a phone number: use digits, with a leading + and spaces, "
                "dashes, dots or brackets if you like."
            )
        digits = _digits_of(text)
        if len(digits) > _MAX_PHONE_DIGITS:
            return UsageError(
                f"{shown} is too long for a phone number: it has {len(digits)} digits "
                f"and the most is {_MAX_PHONE_DIGITS}."
            )
        return ("+" if text.startswith("+") else "") + digits
    if kind is IdType.ID and not _DIGITS.fullmatch(value):
        return UsageError(
            f"{shown} is not a CrowdTwist id (those are all digits); "
            f"{style.as_third_party} for other ids."
        )
    return value


def _normalise_email(value: str, style: _Style, *, explicit: bool) -> str | UsageError:
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
    value = _spaces(unwrap_slack_markup(text.translate(_ZERO_WIDTH))).strip()
    if len(value) >= 2 and value[0] in _OPEN_QUOTES and value[-1] in _CLOSE_QUOTES:
        value = value[1:-1].strip()
    problem = _member_problem(value, _FOR_FORM)
    return UsageError(problem) if problem else value


def _type_named(value: str) -> IdType | None:
    return _TYPE_ALIASES.get(_alias_key(value))


def query_from_form(
    member: str, id_type: str | None, start: date | None, end: date | None
) -> PurchaseQuery | dict[str, str]:
    """The lookup form's values as a query, or error messages by field name.

    Field names are ``member``, ``id_type``, ``start`` and ``end``; ``id_type`` None, empty
    or ``"infer"`` means infer it. Messages are plain text (form errors show no mrkdwn).
    """
    errors: dict[str, str] = {}
    named = (id_type or "").strip()
    kind: IdType | None = None
    explicit = bool(named) and named.lower() not in ("infer", "auto")
    if explicit:
        kind = _type_named(named)
        if kind is None:
            errors["id_type"] = f"Unknown type {_curly(named)}: {_TYPES_LIST}."
    checked = validate_member(member)
    normal: str | None = None
    if isinstance(checked, UsageError):
        errors["member"] = checked.message
    elif not errors:
        kind = kind or infer_id_type(checked)
        result = _normalise_member(checked, kind, explicit=explicit, style=_FOR_FORM)
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
        return errors or {"member": _EMPTY_MEMBER}
    return PurchaseQuery(normal, kind, id_type_inferred=not explicit, start=start, end=end)


def _as_date(value: date | None) -> date | None:
    """A plain date even when a datetime slipped in (they do not compare with dates)."""
    return value.date() if isinstance(value, datetime) else value


# --------------------------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    """One word of a command: as typed (``raw``) and as meant (``text``)."""

    raw: str
    text: str
    quoted: bool = False
    markup: str | None = None
    """The kind of Slack markup when the word is exactly one ``<…>``."""

    @property
    def plain(self) -> bool:
        """Neither quoted nor markup: a word that may be a keyword or a date."""
        return not self.quoted and self.markup is None


def _tokenize(text: str) -> list[_Token] | UsageError:
    """Words split on any whitespace; ``"…"`` (or ``“…”``) and ``<…>`` stay whole."""
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
            continue
        if char in _OPEN_QUOTES:
            close = next((j for j in range(i + 1, n) if text[j] in _CLOSE_QUOTES), -1)
            if close < 0:
                return UsageError(
                    f"The quote in {_code(text[i:].strip())} is never closed; "
                    "end the member with another quote."
                )
            inner = _spaces(unwrap_slack_markup(text[i + 1 : close]))
            tokens.append(_Token(raw=text[i : close + 1], text=inner, quoted=True))
            i = close + 1
            continue
        j = i
        while j < n and not text[j].isspace():
            markup = _SLACK_MARKUP.match(text, j) if text[j] == "<" else None
            j = markup.end() if markup else j + 1
        raw = text[i:j]
        whole = _SLACK_MARKUP.fullmatch(raw)
        kind = _markup_parts(whole.group(1))[0] if whole else None
        tokens.append(_Token(raw=raw, text=_spaces(unwrap_slack_markup(raw)).strip(), markup=kind))
        i = j
    return tokens


def _split_keys(tokens: Sequence[_Token]) -> list[_Token]:
    """``from:2024-03-01`` as two words, ``from`` and ``2024-03-01``, for one code path."""
    out: list[_Token] = []
    for token in tokens:
        key, colon, value = token.text.partition(":")
        if token.plain and colon and key.lower() in _KEYS:
            out.append(_Token(raw=token.raw, text=key))
            if value:
                out.append(_Token(raw="", text=value))
        else:
            out.append(token)
    return out


def _span(tokens: Sequence[_Token]) -> str:
    """The words as typed, for quoting in a message.

    A value split off ``key:value`` has no ``raw`` of its own (its key token holds it all);
    leading a span, it shows as its text.
    """
    words = [t.raw for t in tokens if t.raw]
    if tokens and not tokens[0].raw:
        words.insert(0, tokens[0].text)
    return " ".join(words)


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Period:
    """A run of days a date expression stands for; ``day`` marks a bare ``YYYY-MM-DD``."""

    first: date
    last: date
    day: bool = False


def _shift(day: date, days: int) -> date | None:
    """``day`` moved by ``days``, or None past the calendar's ends."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return None


def _month(year: int, month: int) -> _Period:
    return _Period(date(year, month, 1), date(year, month, monthrange(year, month)[1]))


def _outside_calendar(phrase: str) -> UsageError:
    return UsageError(f"{_code(phrase)} falls outside the calendar (years 1 to 9999).")


def _date_word(word: str, *, allow_year: bool) -> _Period | UsageError | None:
    """One word as a day, month or (when allowed) year; None when it is no date at all."""
    text = word.rstrip(",")
    if match := _ISO_DAY.fullmatch(text):
        try:
            day = date(*(int(g) for g in match.groups()))
        except ValueError:
            return UsageError(f"{_code(word)} is not a real date.")
        return _Period(day, day, day=True)
    if match := _ISO_MONTH.fullmatch(text):
        year, month = (int(g) for g in match.groups())
        if year < 1 or not 1 <= month <= 12:
            return UsageError(f"{_code(word)} is not a real month.")
        return _month(year, month)
    if _YEAR.fullmatch(text):
        if not allow_year:
            return UsageError(
                f"{_code(word)} alone could be anything: write `in {text}` for that year, "
                f"or `from:{text}` / `until {text}`."
            )
        if int(text) < 1:
            return UsageError(f"{_code(word)} is not a real year.")
        return _Period(date(int(text), 1, 1), date(int(text), 12, 31))
    if _OTHER_DATE.fullmatch(text):
        return UsageError(
            f"{_code(word)} is not a date I can read: write dates as YYYY-MM-DD, like `2024-03-01`."
        )
    return None


def _window_start(today: date, count: int, unit: str) -> date:
    """The first day of the last ``count`` units up to and including ``today`` (clamped)."""
    if unit in ("days", "weeks"):
        days = count * (7 if unit == "weeks" else 1) - 1
        return _shift(today, -days) or date.min
    months = today.year * 12 + today.month - 1 - count * (12 if unit == "years" else 1)
    year, month0 = divmod(months, 12)
    if year < 1:
        return date.min
    month = month0 + 1
    back = date(year, month, min(today.day, monthrange(year, month)[1]))
    return _shift(back, 1) or today


def _relative(tokens: Sequence[_Token], i: int, today: date) -> tuple[_Period, int] | UsageError:
    """``this|last month|year`` and ``last N days|weeks|months|years`` at ``tokens[i]``."""
    word = tokens[i].text.lower().rstrip(",")
    following = [t.text.lower().rstrip(",") if t.plain else "" for t in tokens[i + 1 : i + 3]]
    nxt = following[0] if following else ""
    if nxt in ("month", "year"):
        back = word == "last"
        if nxt == "year":
            year = today.year - back
            if year < 1:
                return _outside_calendar(_span(tokens[i : i + 2]))
            return _Period(date(year, 1, 1), date(year, 12, 31)), i + 2
        year, month = today.year, today.month
        if back:
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        if year < 1:
            return _outside_calendar(_span(tokens[i : i + 2]))
        return _month(year, month), i + 2
    if word == "last" and _DIGITS.fullmatch(nxt):
        unit = _UNITS.get(following[1]) if len(following) > 1 else None
        if unit is None:
            return UsageError(
                f"{_code(_span(tokens[i : i + 2]))} needs a unit: days, weeks, months or years, "
                f"like `last {nxt} days`."
            )
        count = int(nxt) if len(nxt) <= 7 else 10**7
        if count == 0:
            return UsageError(
                f"{_code(_span(tokens[i : i + 3]))} covers no time at all: use 1 or more."
            )
        return _Period(_window_start(today, count, unit), today), i + 3
    phrase = _span(tokens[i : i + 2]) if nxt else tokens[i].raw
    return UsageError(
        f"{_code(phrase)} is not a date I can read: try `last 30 days`, `last month`, "
        "`this year` or `last 6 months`."
    )


def _when(
    tokens: Sequence[_Token], i: int, today: date, *, allow_year: bool
) -> tuple[_Period, int] | UsageError | None:
    """The date expression starting at ``tokens[i]`` and where it ends; None if there is none."""
    if i >= len(tokens) or not tokens[i].plain:
        return None
    word = tokens[i].text.lower().rstrip(",")
    if word == "today":
        return _Period(today, today), i + 1
    if word == "yesterday":
        day = _shift(today, -1)
        return (_Period(day, day), i + 1) if day else _outside_calendar(tokens[i].text)
    if word in ("this", "last"):
        return _relative(tokens, i, today)
    found = _date_word(tokens[i].text, allow_year=allow_year)
    if found is None or isinstance(found, UsageError):
        return found
    return found, i + 1


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Options:
    """What follows the member, read."""

    start: date | None = None
    end: date | None = None
    kind: IdType | None = None
    page: int = 1


def parse_command(text: str, *, today: date) -> Command:
    """Read ``/purchases`` text: a lookup, a request for help or for the form, or what is wrong.

    ``today`` anchors ``today``, ``last 30 days`` and the like (the caller's clock, so tests
    are deterministic). Never raises.
    """
    if isinstance(today, datetime):
        today = today.date()
    cleaned = text.translate(_ZERO_WIDTH)
    if not cleaned.strip():
        return FormRequest()
    if len(cleaned) > MAX_COMMAND_LENGTH:
        return UsageError(
            f"That is too long for a command: {len(cleaned)} characters, "
            f"the most is {MAX_COMMAND_LENGTH}."
        )
    tokens = _tokenize(cleaned)
    if isinstance(tokens, UsageError):
        return tokens
    if not tokens:
        return FormRequest()
    if tokens[0].plain and tokens[0].text.lower() in _HELP_WORDS:
        return HelpRequest()
    return _lookup(tokens, today)


def _lookup(tokens: Sequence[_Token], today: date) -> PurchaseQuery | UsageError:
    """The member (first), then dates and options."""
    first = tokens[0]
    if refused := _not_a_member(first):
        if first.plain and not isinstance(_options(_split_keys(tokens), today), UsageError):
            return UsageError(_EMPTY_MEMBER)  # only dates and options: no member at all
        return refused
    run = _phone_run(tokens) if first.plain or first.markup == "tel" else []
    options = _options(_split_keys(tokens[max(len(run), 1) :]), today)
    if isinstance(options, UsageError):
        return options
    explicit = options.kind
    if len(run) > 1 and explicit is IdType.MOBILE_PHONE_NUMBER:
        member = " ".join(t.text for t in run)
    elif len(run) > 1 and explicit is not None:
        return UsageError(
            f"{_code(_span(run))} is written like a phone number, but the type is "
            f"{explicit.label}; put it in quotes to search for it as written."
        )
    elif len(run) > 1:
        member = " ".join(t.text for t in run)
        if not _looks_like_phone(member):
            count = len(_digits_of(member))
            return UsageError(
                f"{_code(_span(run))} is not one member I can read: a phone number needs a "
                f"leading + or 10 to 15 digits, and this has {count}; add `type:phone` or "
                "quote it."
            )
    else:
        member = first.text
    kind = explicit or infer_id_type(member)
    normal = _normalise_member(member, kind, explicit=explicit is not None, style=_FOR_COMMAND)
    if isinstance(normal, UsageError):
        return normal
    return PurchaseQuery(
        member=normal,
        id_type=kind,
        id_type_inferred=explicit is None,
        start=options.start,
        end=options.end,
        page=options.page,
    )


def _not_a_member(first: _Token) -> UsageError | None:
    """Why the first word cannot be the member (a mention, a date, a keyword), or None."""
    if first.markup in _MENTION_KINDS:
        return UsageError(
            f"{_code(first.text)} is a Slack mention, not a loyalty member: give an email, "
            "phone number, CrowdTwist id or third-party id."
        )
    if not first.plain:
        return None
    word = first.text.lower()
    keyword = word.partition(":")[0] in _KEYS or word in _RELATIVE_WORDS
    if keyword or _ISO_DAY.fullmatch(word) or _ISO_MONTH.fullmatch(word):
        return UsageError(
            f"Start with the member (an email, phone number, CrowdTwist id or third-party id), "
            f"not {_code(first.text)}; to search for that text itself, put it in quotes."
        )
    return None


def _phone_run(tokens: Sequence[_Token]) -> list[_Token]:
    """The leading words that could be pieces of one phone number (dates never are)."""
    run: list[_Token] = []
    for token in tokens:
        pattern = _PHONE_NEXT_TOKEN if run else _PHONE_FIRST_TOKEN
        if token.quoted or token.markup not in (None, "tel"):
            break
        if not pattern.fullmatch(token.text) or _DATE_LIKE_TOKEN.fullmatch(token.text):
            break
        run.append(token)
    return run


def _stray(token: _Token) -> UsageError:
    """The message for a word that is neither a date nor an option."""
    text = token.text
    if token.plain and (option := _OPTION_LIKE.fullmatch(text)) and "@" not in text:
        return UsageError(
            f"Unknown option {_code(option.group(1) + ':')}: use `from:`, `to:`, `type:` or "
            "`page:`."
        )
    if token.plain and text.lower() in ("before", "after"):
        return UsageError(
            f"{_code(text)} is ambiguous about the day itself: use `until` or `since`, "
            "which include it."
        )
    return UsageError(
        f"I don't understand {_code(text)}: after the member come only dates and options "
        "(see `/purchases help`)."
    )


def _options(tokens: Sequence[_Token], today: date) -> _Options | UsageError:
    """Dates, ``type:`` and ``page:`` after the member; each end, type and page set once."""
    starts: list[tuple[int, date, str]] = []
    ends: list[tuple[int, date, str]] = []
    bare: list[tuple[int, _Period, str]] = []
    kind: tuple[IdType, str] | None = None
    page: tuple[int, str] | None = None
    i = 0
    while i < len(tokens):
        token = tokens[i]
        word = token.text.lower() if token.plain else ""
        if word in _DATE_KEYS:
            found = _when(tokens, i + 1, today, allow_year=True)
            if found is None:
                return _needs_date(tokens, i)
            if isinstance(found, UsageError):
                return found
            period, after = found
            source = _span(tokens[i:after])
            if word not in _END_KEYS:
                starts.append((i, period.first, source))
            if word not in _START_KEYS:
                ends.append((i, period.last, source))
            i = after
        elif word in ("type", "page"):
            value = tokens[i + 1] if i + 1 < len(tokens) and tokens[i + 1].plain else None
            source = _span(tokens[i : i + 2] if value else tokens[i : i + 1])
            if word == "type":
                named = _read_type(value, source)
                if isinstance(named, UsageError):
                    return named
                if kind:
                    return _twice("type", kind[1], source)
                kind = (named, source)
            else:
                number = _read_page(value, source)
                if isinstance(number, UsageError):
                    return number
                if page:
                    return _twice("page", page[1], source)
                page = (number, source)
            i += 2
        else:
            found = _when(tokens, i, today, allow_year=False)
            if isinstance(found, UsageError):
                return found
            if found is None:
                return _unexpected(tokens, i)
            period, after = found
            bare.append((i, period, _span(tokens[i:after])))
            i = after
    if len(bare) > 2:
        return UsageError(
            f"Too many dates: {_code(bare[2][2])} would be a third; "
            "give at most a start and an end."
        )
    if len(bare) == 1:
        at, period, source = bare[0]
        starts.append((at, period.first, source))
        if not period.day:
            ends.append((at, period.last, source))
    elif len(bare) == 2:
        starts.append((bare[0][0], bare[0][1].first, bare[0][2]))
        ends.append((bare[1][0], bare[1][1].last, bare[1][2]))
    for name, setters in (("start", starts), ("end", ends)):
        if len(setters) > 1:
            first, second = sorted(setters)[:2]
            return UsageError(
                f"The {name} date is set twice: by {_code(first[2])} and by {_code(second[2])}."
            )
    start = starts[0][1] if starts else None
    end = ends[0][1] if ends else None
    if start and end and end < start:
        return UsageError(
            f"The end date {end.isoformat()} is before the start date {start.isoformat()}."
        )
    return _Options(start, end, kind[0] if kind else None, page[0] if page else 1)


def _needs_date(tokens: Sequence[_Token], i: int) -> UsageError:
    """The message for a ``from``/``to``/``in`` without a date after it."""
    key = tokens[i].text.lower()
    if i + 1 < len(tokens):
        return UsageError(
            f"{_code(tokens[i + 1].text)} is not a date I can read: after `{key}` comes a date "
            "like `2024-03-01`, `2024-03`, `2024`, `today` or `last month`."
        )
    return UsageError(f"{_code(tokens[i].raw)} needs a date after it, like `{key} 2024-03-01`.")


def _unexpected(tokens: Sequence[_Token], i: int) -> UsageError:
    """The message for a word that starts no date or option: hint at the likely intent."""
    token = tokens[i]
    unit = tokens[i + 1].text.lower() if i + 1 < len(tokens) and tokens[i + 1].plain else ""
    if token.plain and _DIGITS.fullmatch(token.text) and unit in _UNITS:
        phrase = _span(tokens[i : i + 2])
        return UsageError(f"{_code(phrase)} needs `last` before it: `last {phrase}`.")
    return _stray(token)


def _read_type(value: _Token | None, source: str) -> IdType | UsageError:
    if value is None:
        return UsageError(f"{_code(source)} needs a type after it: {_TYPES_LIST}.")
    named = _type_named(value.text)
    if named is None:
        return UsageError(f"Unknown type {_code(value.text)}: {_TYPES_LIST}.")
    return named


def _read_page(value: _Token | None, source: str) -> int | UsageError:
    if value is None:
        return UsageError(f"{_code(source)} needs a page number after it, like `page:2`.")
    text = value.text.rstrip(",")
    if _DIGITS.fullmatch(text) and len(text) <= 7 and 1 <= int(text) <= MAX_PAGE:
        return int(text)
    return UsageError(
        f"{_code(source)} is not a page number: use a whole number from 1 to {MAX_PAGE}."
    )


def _twice(name: str, first: str, second: str) -> UsageError:
    return UsageError(f"The {name} is set twice: by {_code(first)} and by {_code(second)}.")


# --------------------------------------------------------------------------------------------
# Identifiers in a message (the "Purchase history" shortcut)
# --------------------------------------------------------------------------------------------

# The scanner is linear in the message's length by construction: no pattern here can run over
# the whole text from many starting points. Links and emails are found from their anchors
# ("://", "www.", "@") with each regex confined to a window of bounded length around the
# anchor (``_SCHEME_MAX``, ``_LOCAL_MAX`` and ``_DOMAIN_MAX`` characters), so the windows
# add up to at most a constant times the text. The other patterns either fail at once at a
# position or (possessively) consume the run they match and never look at it again.
_SCHEME_MAX = 32
_LOCAL_MAX = 64  # RFC 5321: a local part has at most 64 characters
_DOMAIN_MAX = 253  # and a domain at most 253
_SCHEME_CHARS_REVERSED = re.compile(rf"[A-Za-z0-9+.\-]{{0,{_SCHEME_MAX}}}")
_WORD_CHAR = re.compile(r"\w")
_SPACE = re.compile(r"\s")
_EMAIL_LOCAL_CHARS = r"[\w.%+'\-]"
"""What a local part may hold here: letters, digits, ``_ . % + ' -`` (``o'brien+vip``)."""
_EMAIL_LOCAL_REVERSED = re.compile(rf"{_EMAIL_LOCAL_CHARS}{{0,{_LOCAL_MAX + 1}}}")
_EMAIL_DOMAIN = r"(?:[^\W_][\w\-]*+(?<!-)\.)+[^\W\d_]{2,}+"
_EMAIL_DOMAIN_AT = re.compile(_EMAIL_DOMAIN)
_EMAIL_GOES_ON = re.compile(r"[\w\-]|\.[^\W_]")
_EMAIL_EXACT = re.compile(rf"{_EMAIL_LOCAL_CHARS}++@{_EMAIL_DOMAIN}")
_DATE_OR_TIME_IN_TEXT = re.compile(
    r"(?<![0-9./\-])"
    r"(?:[0-9]{4}[\-/][0-9]{1,2}[\-/][0-9]{1,2}"
    r"|[0-9]{1,2}[./\-][0-9]{1,2}[./\-][0-9]{4}"
    r"|[0-9]{1,2}[./][0-9]{1,2}[./][0-9]{2}"
    r"|[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)"
    r"(?![0-9]|[./\-:][0-9])"
)
_PHONE_GROUP = r"(?:\([0-9]++\)|[0-9]++)"
_PHONE_IN_TEXT = re.compile(
    r"(?<![\w+#/=:.,@$€£¥\-])"
    rf"(?:\+[ \u00a0]?)?{_PHONE_GROUP}"
    rf"(?:(?:[ \u00a0]?[.\-][ \u00a0]?|[ \u00a0])?{_PHONE_GROUP})*+"
)
# Checked after a phone candidate rather than inside its pattern: a failed look-ahead at the
# end of a long run of digit groups would make the regex retry from every group in the run.
_PHONE_GOES_ON = re.compile(r"[\w@]|[.\-/][0-9]")
_THOUSANDS = re.compile(r"[0-9]{1,3}([., \u00a0])[0-9]{3}(?:\1[0-9]{3})+")
_NOT_A_PHONE_BEFORE = re.compile(
    r"\b(?:order|invoice|receipt|ticket|case|ref|reference|tracking|confirmation|transaction"
    r"|txn|po|sku|card)s?\s*(?:no\.?|num(?:ber)?\.?|id|#)?\s*[:#.]?\s*$",
    re.IGNORECASE,
)


def _blank(match: re.Match[str]) -> str:
    """Spaces as wide as the match, so later positions still line up."""
    return " " * len(match.group(0))


def _blank_spans(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` with each (start, end) span (in order, not overlapping) replaced by spaces."""
    parts, last = [], 0
    for start, end in spans:
        parts += [text[last:start], " " * (end - start)]
        last = end
    return "".join(parts) + text[last:]


def _word_end(text: str, start: int) -> int:
    """Where the run of non-space characters from ``start`` ends."""
    space = _SPACE.search(text, start)
    return len(text) if space is None else space.start()


def _starts_word(text: str, at: int) -> bool:
    return at == 0 or not _WORD_CHAR.match(text, at - 1)


def _scheme_start(text: str, colon: int) -> int | None:
    """Where the scheme before ``://`` at ``colon`` begins (a letter at a word start), if any.

    Only the ``_SCHEME_MAX`` characters before the colon are read.
    """
    window = text[max(0, colon - _SCHEME_MAX) : colon]
    run = _SCHEME_CHARS_REVERSED.match(window[::-1])
    length = run.end() if run else 0
    for at in range(colon - length, colon):
        if text[at].isascii() and text[at].isalpha() and _starts_word(text, at):
            return at
    return None


def url_spans(text: str) -> list[tuple[int, int]]:
    """Links in plain text (``scheme://…``, ``www.…``) as (start, end) spans, in order.

    Each anchor is found with ``str.find`` and a link runs to the next space, where the
    search resumes: every character is looked at a bounded number of times.
    """
    spans: list[tuple[int, int]] = []
    at = 0
    while (colon := text.find("://", at)) != -1:
        start = _scheme_start(text, colon)
        end = _word_end(text, colon + 3)
        if start is None or end == colon + 3:
            at = colon + 3
            continue
        spans.append((start, end))
        at = end
    masked = _blank_spans(text, spans)
    more: list[tuple[int, int]] = []
    at = 0
    while (www := masked.find("www.", at)) != -1:
        end = _word_end(masked, www + 4)
        if end > www + 4 and _starts_word(masked, www):
            more.append((www, end))
            at = end
        else:
            at = www + 4
    return sorted(spans + more)


def email_spans(text: str) -> list[tuple[int, int]]:
    """Emails in plain text as (start, end) spans, in order; the text is read around each ``@``.

    For each ``@`` the local part is read backwards over at most ``_LOCAL_MAX + 1``
    characters and the domain forwards over at most ``_DOMAIN_MAX`` (a longer local part or
    domain is not an email), so each ``@`` costs a bounded amount of work.
    """
    spans: list[tuple[int, int]] = []
    at = 0
    while (sign := text.find("@", at)) != -1:
        at = sign + 1
        if spans and sign < spans[-1][1]:
            continue
        before = text[max(0, sign - _LOCAL_MAX - 1) : sign][::-1]
        local = _EMAIL_LOCAL_REVERSED.match(before)
        size = local.end() if local else 0
        if not size or size > _LOCAL_MAX or (spans and sign - size < spans[-1][1]):
            continue
        domain = _EMAIL_DOMAIN_AT.match(text[sign + 1 : sign + 1 + _DOMAIN_MAX + 1])
        if domain is None or domain.end() > _DOMAIN_MAX:
            continue
        end = sign + 1 + domain.end()
        if _EMAIL_GOES_ON.match(text, end):
            continue
        start = sign - size
        while text[start] in ".'":  # a local part starts with neither; a quote is prose
            start += 1
        if start < sign:
            spans.append((start, end))
    return spans


def _separator_style(between: str) -> str:
    return "-" if "-" in between else "." if "." in between else " "


def _phone_segments(candidate: str) -> list[tuple[int, str]]:
    """A run of digit groups split where one number ends and another begins.

    A new number starts at a bracketed group (after more than a country code), where the
    separator changes once a number is complete (10+ digits), before a group joined in
    another style ("12345 555-010-0040"), and where one more group would make a complete
    number longer than any phone number. "555-010-0040 2 times" → ``555-010-0040`` and
    ``2``; "+44 20 7946 0958 555.010.0042" → both numbers.
    """
    groups = list(re.finditer(r"\(?[0-9]+\)?", candidate))
    styles = [_separator_style(candidate[a.end() : b.start()]) for a, b in pairwise(groups)]
    segments: list[tuple[int, str]] = []
    start, digits, style = 0, 0, ""
    for k, group in enumerate(groups):
        size = len(_digits_of(group.group()))
        if k:
            now = styles[k - 1]
            after = styles[k] if k < len(styles) else now
            plus = candidate[start] == "+"
            if group.group().startswith("("):
                new = digits > 3
            elif digits >= 10 and ((style and now != style) or digits + size > _MAX_PHONE_DIGITS):
                new = True
            else:
                new = now == " " and after != " " and digits >= (10 if plus else 4)
            if new:
                segments.append((start, candidate[start : groups[k - 1].end()]))
                start, digits, now = group.start(), 0, ""
            style = now
        digits += size
    if groups:
        segments.append((start, candidate[start : groups[-1].end()]))
    return segments


def _phone_in_text(segment: str) -> str | None:
    """One number found in prose, normalised; None when it is more likely something else.

    Bare digit runs are ignored (order numbers, amounts, ids); so are numbers grouped in
    thousands and numbers that are too short or too long.
    """
    digits = _digits_of(segment)
    if segment.startswith("+"):
        return "+" + digits if 8 <= len(digits) <= _MAX_PHONE_DIGITS else None
    if _THOUSANDS.fullmatch(segment) or _DIGITS.fullmatch(segment):
        return None  # an amount (1.234.567.890) or a bare run (an order number, an id)
    spaced = segment.split()
    if _DIGITS.fullmatch("".join(spaced)) and (
        len(spaced) == 2 or any(len(group) > 4 for group in spaced[1:-1])
    ):
        return None  # numbers side by side ("12345 67890"), not one number in groups
    return digits if 10 <= len(digits) <= _MAX_PHONE_DIGITS else None


def _email_in_markup(address: str) -> str | None:
    email = address.strip().rstrip(".,;")
    if len(email) > MAX_MEMBER_LENGTH:
        return None
    return email if _EMAIL_EXACT.fullmatch(email) else None


def _phone_in_markup(number: str) -> str | None:
    value = number.strip()
    if not _PHONE_TEXT.fullmatch(value):
        return None
    digits = _digits_of(value)
    if not 7 <= len(digits) <= _MAX_PHONE_DIGITS:
        return None
    return ("+" if value.startswith("+") else "") + digits


def find_member_identifiers(text: str) -> list[tuple[str, IdType]]:
    """Emails and phone numbers in a message's text, in order, deduplicated, at most 10.

    Reads Slack's ``<mailto:…|…>`` and ``<tel:…|…>`` markup and plain text; ignores links
    (and digits in them), mentions, dates and times, bare digit runs (order numbers,
    amounts, ids) and numbers introduced as an order, invoice, ticket … number. Emails are
    deduplicated case-insensitively, phones by their digits; phones come normalised.
    """
    text = text[:_MAX_SCANNED].translate(_ZERO_WIDTH)
    found: list[tuple[int, str, IdType]] = []

    def markup(match: re.Match[str]) -> str:
        kind, shown = _markup_parts(match.group(1))
        if kind == "mailto" and (email := _email_in_markup(shown)):
            found.append((match.start(), email, IdType.EMAIL))
        elif kind == "tel" and (phone := _phone_in_markup(shown)):
            found.append((match.start(), phone, IdType.MOBILE_PHONE_NUMBER))
        return _blank(match)

    masked = _SLACK_MARKUP.sub(markup, text)
    masked = _blank_spans(masked, url_spans(masked))
    emails = email_spans(masked)
    found.extend((start, masked[start:end], IdType.EMAIL) for start, end in emails)
    masked = _blank_spans(masked, emails)
    masked = _DATE_OR_TIME_IN_TEXT.sub(_blank, masked)
    for match in _PHONE_IN_TEXT.finditer(masked):
        if _PHONE_GOES_ON.match(masked, match.end()):
            continue
        for offset, segment in _phone_segments(match.group(0)):
            at = match.start() + offset
            phone = _phone_in_text(segment)
            if phone and not _NOT_A_PHONE_BEFORE.search(masked[max(0, at - 40) : at]):
                found.append((at, phone, IdType.MOBILE_PHONE_NUMBER))
    result: list[tuple[str, IdType]] = []
    seen: set[str] = set()
    for _, value, kind in sorted(found, key=lambda f: f[0]):
        key = value.casefold() if kind is IdType.EMAIL else "+" + _digits_of(value)
        if key not in seen:
            seen.add(key)
            result.append((value, kind))
    return result[:MAX_IDENTIFIERS]


# --------------------------------------------------------------------------------------------
# A query in a button's value
# --------------------------------------------------------------------------------------------

_ENCODED_KEYS = frozenset({"m", "t", "p", "x", "s", "e"})
_ISO_DATE_EXACT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def encode_query(query: PurchaseQuery) -> str:
    """The query as a compact JSON string for a button's ``value`` (well under 2000 chars)."""
    data: dict[str, object] = {"m": query.member, "t": query.id_type.value, "p": query.page}
    if not query.id_type_inferred:
        data["x"] = 1
    if query.start:
        data["s"] = query.start.isoformat()
    if query.end:
        data["e"] = query.end.isoformat()
    return _QUERY_JSON.encode(data)


_QUERY_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
"""One encoder for every button value (``json.dumps`` would build one per call)."""


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
    if any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in member):
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
