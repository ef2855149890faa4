"""What the bot.query tests share: a fixed today, the id types, parsing shortcuts, strategies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hypothesis import assume
from hypothesis import strategies as st

from bot.crowdtwist.models import IdType
from bot.query import Command, FormRequest, HelpRequest, PurchaseQuery, UsageError, parse_command

TODAY = date(2024, 5, 15)
JANE = "jane@example.com"
EMAIL, ID, THIRD, PHONE = (
    IdType.EMAIL,
    IdType.ID,
    IdType.THIRD_PARTY_ID,
    IdType.MOBILE_PHONE_NUMBER,
)
EMPTY_MEMBER = (
    "Tell me whose purchases to show: an email, phone number, CrowdTwist id or third-party id."
)
COMMAND_TYPES = (PurchaseQuery, HelpRequest, FormRequest, UsageError)


def parse(text: str, today: date = TODAY) -> Command:
    return parse_command(text, today=today)


def parsed_query(text: str, today: date = TODAY) -> PurchaseQuery:
    result = parse(text, today)
    assert isinstance(result, PurchaseQuery), result
    return result


def error_of(text: str, today: date = TODAY) -> str:
    result = parse(text, today)
    assert isinstance(result, UsageError), result
    return result.message


def d(text: str) -> date:
    return date.fromisoformat(text)


interesting = st.text(
    alphabet=st.sampled_from(
        list('0123456789+-.()@:"“”„ <>|&;#!/^?`\t\u00a0\u200b\nabcdefhilmnoprstuyADEFHLMNOTY_')
    ),
    max_size=80,
)

_KEYWORDS = {
    "help",
    "from",
    "since",
    "start",
    "to",
    "until",
    "end",
    "in",
    "on",
    "type",
    "page",
    "today",
    "yesterday",
    "this",
    "last",
}


@dataclass(frozen=True)
class _Member:
    text: str
    member: str
    kind: IdType


_alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@st.composite
def _emails(draw: st.DrawFn) -> _Member:
    local = draw(st.text(_alnum, min_size=1, max_size=12))
    local += draw(st.text(_alnum + "._%+-", max_size=8))
    labels = draw(st.lists(st.text(_alnum, min_size=1, max_size=10), min_size=1, max_size=3))
    tld = draw(
        st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=6)
    )
    email = f"{local}@{'.'.join(labels)}.{tld}"
    text = draw(st.sampled_from([email, f"<mailto:{email}|{email}>", f'"{email}"']))
    return _Member(text, email, EMAIL)


def _digit_string(size: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=size, max_size=size)


@st.composite
def _phones(draw: st.DrawFn) -> _Member:
    area, middle, last = draw(_digit_string(3)), draw(_digit_string(3)), draw(_digit_string(4))
    country = draw(st.sampled_from(["", "1", "44", "353"]))
    plus = f"+{country}" if country else ""
    digits = country + area + middle + last
    text = draw(
        st.sampled_from(
            [
                f"{plus} ({area}) {middle}-{last}",
                f"{plus} {area} {middle} {last}",
                f"{plus} {area}-{middle}-{last}",
                f"{plus} {area}.{middle}.{last}",
                f"{plus}{area}{middle}{last}",
                f"<tel:{plus}{area}{middle}{last}|{plus} {area} {middle} {last}>",
            ]
        )
    ).strip()
    return _Member(text, ("+" if plus else "") + digits, PHONE)


@st.composite
def _ids(draw: st.DrawFn) -> _Member:
    size = draw(st.integers(1, 9) | st.integers(16, 30))
    value = draw(_digit_string(size))
    return _Member(value, value, ID)


@st.composite
def _third_party_ids(draw: st.DrawFn) -> _Member:
    first = draw(st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    rest = draw(st.text(_alnum + "-_/#.", max_size=20))
    value = first + rest
    assume(value.lower() not in _KEYWORDS)
    if draw(st.booleans()):
        words = draw(st.lists(st.text(_alnum + "-_/#", min_size=1, max_size=6), max_size=3))
        value = " ".join([value, *words])
        opening, closing = draw(st.sampled_from([('"', '"'), ("“", "”")]))
        return _Member(f"{opening}{value}{closing}", value, THIRD)
    return _Member(value, value, THIRD)


members = st.one_of(_emails(), _phones(), _ids(), _third_party_ids())
dates = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
