"""The command grammar: ``/purchases …`` text in, a :data:`Command` out; the usage line and help.

:func:`parse_command` reads the words (:mod:`bot.query.tokens`) into the member
(:mod:`bot.query.members`), dates (:mod:`bot.query.dates`) and options, and never raises.

Grammar decisions, so the language stays unambiguous:

* The member always comes first; dates and options follow in any order. A first token that
  is a date or a keyword is refused ("start with the member") rather than searched for;
  quoting (``"…"`` or Slack's ``“…”``) makes any text a member, spaces included.
* Phone numbers with spaces: the leading tokens made only of digits, ``+ ( ) - .`` (not
  dates) join into one member when together they look like a phone number (a leading ``+``
  or 10 to 15 digits), or whenever ``type:phone`` is given. Several such tokens that do not
  make a phone number are an error, never silently split into member and junk.
* How each kind of member is normalised: see :mod:`bot.query.members`.
* Dates are ``YYYY-MM-DD`` (a missing leading zero is tolerated), inclusive. One bare day is
  the start; one bare month, ``today``, ``yesterday``, ``this month`` … ``last 30 days`` is
  that whole period; two bare dates are the start of the first and the end of the second.
  A bare year is refused (after a phone number it could be part of it): ``in 2024``,
  ``from:2024`` and ``until 2024`` say which is meant. ``before``/``after`` are refused
  because their inclusiveness is a guess.
* Keywords and options are case-insensitive and work with or without the colon
  (``from:2024-03-01`` = ``from 2024-03-01``); each end, the type and the page may be set once.
* ``find:<purchase id>`` takes any one word, or a quoted id (``find:"EU 42"``, the one place
  a quote may follow a colon); ``only:`` takes ``awaiting``, ``capped`` or ``short``. Each is
  set once, and at most one of ``page:``, ``find:`` and ``only:`` is given: a find picks its
  own page, and a filter's pages are pages of its matches.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from bot.crowdtwist.models import IdType
from bot.query.dates import ISO_DAY, ISO_MONTH, UNITS, Period, date_phrase_at
from bot.query.markup import MENTION_KINDS, ZERO_WIDTH, quote_in_code
from bot.query.members import (
    DIGITS,
    EMPTY_MEMBER,
    FOR_COMMAND,
    TYPES_LIST,
    digits_of,
    infer_id_type,
    looks_like_phone,
    normalise_member,
    type_named,
)
from bot.query.model import (
    MAX_COMMAND_LENGTH,
    MAX_FIND_LENGTH,
    MAX_PAGE,
    Command,
    FormRequest,
    HelpRequest,
    Only,
    PurchaseQuery,
    ReceiptsRequest,
    UsageError,
)
from bot.query.tokens import Token, as_typed, tokenize

USAGE = (
    "/purchases <member> [<start> [<end>]] [from:<date>] [to:<date>] [type:<id_type>] [page:<n>]"
)
SEARCH_USAGE = "/purchases <member> [dates] find:<purchase id> | only:awaiting|capped|short"

HELP_TEXT = f"""\
*/purchases* shows a loyalty member's purchase history.
`{USAGE}`
`{SEARCH_USAGE}`

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

*Find and filter* (read every page of the range; dates still narrow it)
• `find:NW-400026` → the page holding that purchase, the row marked
   (also `find NW-400026`; quote spaces: `find:"EU 42"`)
• `only:awaiting` → purchases with points still awaiting
• `only:capped` → earned more than awarded + awaiting
• `only:short` → either; each card shows 10 and the range's totals
• one of `find:`, `only:` and `page:` at a time

*More*
• `receipts` → the member's receipt scans and why each scored or not
   (dates narrow them by the day submitted)
• `page:2` → a later page
• `/purchases` alone opens a form
• On a message, *⋮ → Purchase history* looks up the emails
   and phone numbers in it and answers in its thread

*Examples*
`/purchases jane@example.com last 90 days`
`/purchases +44 20 7946 0958 2024-01 2024-03`
`/purchases "EU/42 B" type:3p from:2023 page:2`
`/purchases jane@example.com receipts last month`
`/purchases jane@example.com find:NW-400026`
`/purchases jane@example.com this year only:short`"""

_HELP_WORDS = frozenset({"help", "-h", "--help", "?"})
_START_KEYS = frozenset({"from", "since", "start"})
_END_KEYS = frozenset({"to", "until", "end"})
_EXACT_KEYS = frozenset({"in", "on"})
_DATE_KEYS = _START_KEYS | _END_KEYS | _EXACT_KEYS
_KEYS = _DATE_KEYS | {"type", "page", "find", "only"}
_ONLY_CHOICES = "`only:awaiting`, `only:capped` or `only:short`"
_CONTROL = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
_RELATIVE_WORDS = frozenset({"today", "yesterday", "this", "last"})
_RECEIPTS_WORD = "receipts"

_PHONE_FIRST_TOKEN = re.compile(r"\+?[0-9().\-]*[0-9][0-9().\-]*")
_PHONE_NEXT_TOKEN = re.compile(r"[0-9().\-]*[0-9][0-9().\-]*")
_DATE_LIKE_TOKEN = re.compile(
    r"[0-9]{4}-[0-9]{1,2}(?:-[0-9]{1,2})?|[0-9]{1,2}[./\-][0-9]{1,2}[./\-][0-9]{2,4}"
)
_T = TypeVar("_T")
_OPTION_LIKE = re.compile(r"([A-Za-z][A-Za-z_\-]*):.*", re.DOTALL)


def _split_keys(tokens: Sequence[Token]) -> list[Token]:
    """``from:2024-03-01`` as two words, ``from`` and ``2024-03-01``, for one code path."""
    out: list[Token] = []
    for token in tokens:
        key, colon, value = token.text.partition(":")
        if token.plain and colon and key.lower() in _KEYS:
            out.append(Token(raw=token.raw, text=key))
            if value:
                out.append(Token(raw="", text=value))
        else:
            out.append(token)
    return out


@dataclass(slots=True)
class _Options:
    """What follows the member, read."""

    start: date | None = None
    end: date | None = None
    kind: IdType | None = None
    page: int = 1
    find: str | None = None
    only: Only | None = None
    receipts: bool = False


def parse_command(text: str, *, today: date) -> Command:
    """Read ``/purchases`` text: a lookup, a request for help or for the form, or what is wrong.

    ``today`` anchors ``today``, ``last 30 days`` and the like (the caller's clock, so tests
    are deterministic). Never raises.
    """
    if isinstance(today, datetime):
        today = today.date()
    cleaned = text.translate(ZERO_WIDTH)
    if not cleaned.strip():
        return FormRequest()
    if len(cleaned) > MAX_COMMAND_LENGTH:
        return UsageError(
            f"That is too long for a command: {len(cleaned)} characters, "
            f"the most is {MAX_COMMAND_LENGTH}."
        )
    tokens = tokenize(cleaned)
    if isinstance(tokens, UsageError):
        return tokens
    if not tokens:
        return FormRequest()
    if tokens[0].plain and tokens[0].text.lower() in _HELP_WORDS:
        return HelpRequest()
    return _lookup(tokens, today)


def _lookup(tokens: Sequence[Token], today: date) -> PurchaseQuery | ReceiptsRequest | UsageError:
    """The member (first), then dates and options."""
    first = tokens[0]
    if refused := _not_a_member(first):
        if first.plain and not isinstance(_options(_split_keys(tokens), today), UsageError):
            return UsageError(EMPTY_MEMBER)  # only dates and options: no member at all
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
            f"{quote_in_code(as_typed(run))} is written like a phone number, but the type is "
            f"{explicit.label}; put it in quotes to search for it as written."
        )
    elif len(run) > 1:
        member = " ".join(t.text for t in run)
        if not looks_like_phone(member):
            count = len(digits_of(member))
            return UsageError(
                f"{quote_in_code(as_typed(run))} is not one member I can read: "
                f"a phone number needs a leading + or 10 to 15 digits, and this has {count}; "
                "add `type:phone` or quote it."
            )
    else:
        member = first.text
    kind = explicit or infer_id_type(member)
    normal = normalise_member(member, kind, explicit=explicit is not None, style=FOR_COMMAND)
    if isinstance(normal, UsageError):
        return normal
    query = PurchaseQuery(
        member=normal,
        id_type=kind,
        id_type_inferred=explicit is None,
        start=options.start,
        end=options.end,
        page=options.page,
        find=options.find,
        only=options.only,
    )
    return ReceiptsRequest(query) if options.receipts else query


def _not_a_member(first: Token) -> UsageError | None:
    """Why the first word cannot be the member (a mention, a date, a keyword), or None."""
    if first.markup in MENTION_KINDS:
        return UsageError(
            f"{quote_in_code(first.text)} is a Slack mention, not a loyalty member: give an email, "
            "phone number, CrowdTwist id or third-party id."
        )
    if not first.plain:
        return None
    word = first.text.lower()
    keyword = word.partition(":")[0] in _KEYS or word in _RELATIVE_WORDS
    keyword = keyword or word == _RECEIPTS_WORD
    if keyword or ISO_DAY.fullmatch(word) or ISO_MONTH.fullmatch(word):
        return UsageError(
            f"Start with the member (an email, phone number, CrowdTwist id or third-party id), "
            f"not {quote_in_code(first.text)}; to search for that text itself, put it in quotes."
        )
    return None


def _phone_run(tokens: Sequence[Token]) -> list[Token]:
    """The leading words that could be pieces of one phone number (dates never are)."""
    run: list[Token] = []
    for token in tokens:
        pattern = _PHONE_NEXT_TOKEN if run else _PHONE_FIRST_TOKEN
        if token.quoted or token.markup not in (None, "tel"):
            break
        if not pattern.fullmatch(token.text) or _DATE_LIKE_TOKEN.fullmatch(token.text):
            break
        run.append(token)
    return run


def _stray(token: Token) -> UsageError:
    """The message for a word that is neither a date nor an option."""
    text = token.text
    if token.plain and (option := _OPTION_LIKE.fullmatch(text)) and "@" not in text:
        return UsageError(
            f"Unknown option {quote_in_code(option.group(1) + ':')}: "
            "use `from:`, `to:`, `type:`, `page:`, `find:` or `only:`."
        )
    if token.plain and text.lower() in ("before", "after"):
        return UsageError(
            f"{quote_in_code(text)} is ambiguous about the day itself: use `until` or `since`, "
            "which include it."
        )
    return UsageError(
        f"I don't understand {quote_in_code(text)}: after the member come only dates and options "
        "(see `/purchases help`)."
    )


def _options(tokens: Sequence[Token], today: date) -> _Options | UsageError:
    """Dates, ``type:``, ``page:``, ``find:`` and ``only:`` after the member; each set once,
    and at most one of ``page:``, ``find:`` and ``only:``."""
    starts: list[tuple[int, date, str]] = []
    ends: list[tuple[int, date, str]] = []
    bare: list[tuple[int, Period, str]] = []
    kind: tuple[IdType, str] | None = None
    page: tuple[int, str] | None = None
    receipts: str | None = None
    find: tuple[str, str] | None = None
    only: tuple[Only, str] | None = None
    i = 0
    while i < len(tokens):
        token = tokens[i]
        word = token.text.lower() if token.plain else ""
        if word == _RECEIPTS_WORD:
            if receipts is not None:
                return UsageError(f"{quote_in_code(token.raw)} is given twice: once is enough.")
            receipts = token.raw
            i += 1
        elif word in _DATE_KEYS:
            found = date_phrase_at(tokens, i + 1, today, allow_year=True)
            if found is None:
                return _needs_date(tokens, i)
            if isinstance(found, UsageError):
                return found
            period, after = found
            source = as_typed(tokens[i:after])
            if word not in _END_KEYS:
                starts.append((i, period.first, source))
            if word not in _START_KEYS:
                ends.append((i, period.last, source))
            i = after
        elif word == "type":
            value, source = _option_value(tokens, i)
            kind_set = _once("type", kind, _read_type(value, source), source)
            if isinstance(kind_set, UsageError):
                return kind_set
            kind, i = kind_set, i + 2
        elif word == "page":
            value, source = _option_value(tokens, i)
            page_set = _once("page", page, _read_page(value, source), source)
            if isinstance(page_set, UsageError):
                return page_set
            page, i = page_set, i + 2
        elif word == "find":
            value, source = _option_value(tokens, i, quoted=True)
            find_set = _once("purchase to find", find, _read_find(value, source), source)
            if isinstance(find_set, UsageError):
                return find_set
            find, i = find_set, i + 2
        elif word == "only":
            value, source = _option_value(tokens, i)
            only_set = _once("filter", only, _read_only(value, source), source)
            if isinstance(only_set, UsageError):
                return only_set
            only, i = only_set, i + 2
        else:
            found = date_phrase_at(tokens, i, today, allow_year=False)
            if isinstance(found, UsageError):
                return found
            if found is None:
                return _unexpected(tokens, i)
            period, after = found
            bare.append((i, period, as_typed(tokens[i:after])))
            i = after
    if len(bare) > 2:
        return UsageError(
            f"Too many dates: {quote_in_code(bare[2][2])} would be a third; "
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
                f"The {name} date is set twice: "
                f"by {quote_in_code(first[2])} and by {quote_in_code(second[2])}."
            )
    start = starts[0][1] if starts else None
    end = ends[0][1] if ends else None
    if start and end and end < start:
        return UsageError(
            f"The end date {end.isoformat()} is before the start date {start.isoformat()}."
        )
    if conflict := _one_of(page, find, only):
        return conflict
    if receipts is not None and (search := find or only) is not None:
        return UsageError(
            f"{quote_in_code(receipts)} and {quote_in_code(search[1])} cannot go together: "
            "receipts are listed on their own."
        )
    return _Options(
        start,
        end,
        kind[0] if kind else None,
        page[0] if page else 1,
        find[0] if find else None,
        only[0] if only else None,
        receipts is not None,
    )


def _option_value(
    tokens: Sequence[Token], i: int, *, quoted: bool = False
) -> tuple[Token | None, str]:
    """The value after the option at ``i`` (a plain word; quoted too when ``quoted``), and
    the option as typed."""
    after = tokens[i + 1] if i + 1 < len(tokens) else None
    value = after if after is not None and (after.plain or quoted) else None
    return value, as_typed(tokens[i : i + 2] if value else tokens[i : i + 1])


def _once(
    name: str, before: tuple[_T, str] | None, read: _T | UsageError, source: str
) -> tuple[_T, str] | UsageError:
    """An option's value with how it was typed, or why not (unreadable, or set twice)."""
    if isinstance(read, UsageError):
        return read
    if before is not None:
        return _twice(name, before[1], source)
    return read, source


def _one_of(
    page: tuple[int, str] | None, find: tuple[str, str] | None, only: tuple[Only, str] | None
) -> UsageError | None:
    """``page:``, ``find:`` and ``only:`` exclude each other: a find picks its own page, and a
    filter pages over its matches."""
    given = [option[1] for option in (find, only, page) if option is not None]
    if len(given) < 2:
        return None
    return UsageError(
        f"{quote_in_code(given[0])} and {quote_in_code(given[1])} cannot go together: "
        "give one of `find:`, `only:` and `page:`."
    )


def _needs_date(tokens: Sequence[Token], i: int) -> UsageError:
    """The message for a ``from``/``to``/``in`` without a date after it."""
    key = tokens[i].text.lower()
    if i + 1 < len(tokens):
        return UsageError(
            f"{quote_in_code(tokens[i + 1].text)} is not a date I can read: "
            f"after `{key}` comes a date like `2024-03-01`, `2024-03`, `2024`, `today` "
            "or `last month`."
        )
    return UsageError(
        f"{quote_in_code(tokens[i].raw)} needs a date after it, like `{key} 2024-03-01`."
    )


def _unexpected(tokens: Sequence[Token], i: int) -> UsageError:
    """The message for a word that starts no date or option: hint at the likely intent."""
    token = tokens[i]
    unit = tokens[i + 1].text.lower() if i + 1 < len(tokens) and tokens[i + 1].plain else ""
    if token.plain and DIGITS.fullmatch(token.text) and unit in UNITS:
        phrase = as_typed(tokens[i : i + 2])
        return UsageError(f"{quote_in_code(phrase)} needs `last` before it: `last {phrase}`.")
    return _stray(token)


def _read_type(value: Token | None, source: str) -> IdType | UsageError:
    if value is None:
        return UsageError(f"{quote_in_code(source)} needs a type after it: {TYPES_LIST}.")
    named = type_named(value.text)
    if named is None:
        return UsageError(f"Unknown type {quote_in_code(value.text)}: {TYPES_LIST}.")
    return named


def _read_page(value: Token | None, source: str) -> int | UsageError:
    if value is None:
        return UsageError(f"{quote_in_code(source)} needs a page number after it, like `page:2`.")
    text = value.text.rstrip(",")
    if DIGITS.fullmatch(text) and len(text) <= 7 and 1 <= int(text) <= MAX_PAGE:
        return int(text)
    return UsageError(
        f"{quote_in_code(source)} is not a page number: use a whole number from 1 to {MAX_PAGE}."
    )


def _read_find(value: Token | None, source: str) -> str | UsageError:
    """The purchase id after ``find``: any word (quoted for spaces), within the id limits."""
    wanted = value.text.strip() if value is not None and value.markup not in MENTION_KINDS else ""
    if not wanted:
        return UsageError(
            f"{quote_in_code(source)} needs a purchase id after it, like `find:NW-400026`."
        )
    if len(wanted) > MAX_FIND_LENGTH:
        return UsageError(
            f"{quote_in_code(source)} is too long for a purchase id: "
            f"{len(wanted)} characters, the most is {MAX_FIND_LENGTH}."
        )
    if _CONTROL.search(wanted):
        return UsageError(f"{quote_in_code(source)} has characters no purchase id has.")
    return wanted


def _read_only(value: Token | None, source: str) -> Only | UsageError:
    if value is None:
        return UsageError(f"{quote_in_code(source)} needs a filter after it: {_ONLY_CHOICES}.")
    try:
        return Only(value.text.lower())
    except ValueError:
        return UsageError(f"Unknown filter {quote_in_code(value.text)}: use {_ONLY_CHOICES}.")


def _twice(name: str, first: str, second: str) -> UsageError:
    return UsageError(
        f"The {name} is set twice: by {quote_in_code(first)} and by {quote_in_code(second)}."
    )
