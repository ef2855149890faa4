"""bot.query.grammar: the command read into a query, help or the form; every error; HELP_TEXT."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.query import (
    HELP_TEXT,
    MAX_COMMAND_LENGTH,
    MAX_MEMBER_LENGTH,
    MAX_PAGE,
    USAGE,
    FormRequest,
    HelpRequest,
    PurchaseQuery,
    ReceiptsRequest,
    UsageError,
    decode_query,
    encode_query,
    parse_command,
    query_from_form,
)
from tests.support.query_helpers import (
    COMMAND_TYPES,
    EMAIL,
    EMPTY_MEMBER,
    ID,
    JANE,
    PHONE,
    THIRD,
    TODAY,
    d,
    dates,
    error_of,
    interesting,
    members,
    parse,
    parsed_query,
)

# --------------------------------------------------------------------------------------------
# Help and the form
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["help", "HELP", "Help", " help ", "-h", "--help", "?", "help me"])
def test_help(text: str) -> None:
    assert parse(text) == HelpRequest()


@pytest.mark.parametrize(
    "text", ["", " ", "\t", "\n", "\u00a0", "  \u200b ", "\ufeff", "\u2007\u202f"]
)
def test_nothing_opens_the_form(text: str) -> None:
    assert parse(text) == FormRequest()


def test_quoted_help_is_a_member() -> None:
    assert parsed_query('"help"') == PurchaseQuery("help", THIRD)


# --------------------------------------------------------------------------------------------
# Errors: each one sentence, saying exactly what was wrong
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"{JANE} 2024-02-30", "`2024-02-30` is not a real date."),
        (f"{JANE} from:2023-02-29", "`2023-02-29` is not a real date."),
        (f"{JANE} 0000-01-01", "`0000-01-01` is not a real date."),
        (f"{JANE} 2024-13", "`2024-13` is not a real month."),
        (f"{JANE} in 0000", "`0000` is not a real year."),
        (
            f"{JANE} 2024-03-01 2024-01-01",
            "The end date 2024-01-01 is before the start date 2024-03-01.",
        ),
        (
            f"{JANE} from:2024-03-01 to:2024-01-01",
            "The end date 2024-01-01 is before the start date 2024-03-01.",
        ),
        (
            f"{JANE} since 2024-03 until 2024-02",
            "The end date 2024-02-29 is before the start date 2024-03-01.",
        ),
        (
            f"{JANE} type:foo",
            "Unknown type `foo`: use email, id, third_party_id or mobile_phone_number.",
        ),
        ('""', EMPTY_MEMBER),
        ("“ ”", EMPTY_MEMBER),
        ("<mailto:|>", EMPTY_MEMBER),
        ("type:email", EMPTY_MEMBER),
        ("from:2024-01-01 type:id", EMPTY_MEMBER),
        ("last 30 days", EMPTY_MEMBER),
        ("today", EMPTY_MEMBER),
        (
            f"{JANE} 2024-01-01 from:2024-02-01",
            "The start date is set twice: by `2024-01-01` and by `from:2024-02-01`.",
        ),
        (
            f"{JANE} since 2024-01-01 from:2024-02-01",
            "The start date is set twice: by `since 2024-01-01` and by `from:2024-02-01`.",
        ),
        (
            f"{JANE} to:2024-04-01 until 2024-05-01",
            "The end date is set twice: by `to:2024-04-01` and by `until 2024-05-01`.",
        ),
        (
            f"{JANE} 2024-03 to:2024-04-15",
            "The end date is set twice: by `2024-03` and by `to:2024-04-15`.",
        ),
        (
            f"{JANE} last 30 days 2024-01-01 2024-02-01",
            "Too many dates: `2024-02-01` would be a third; give at most a start and an end.",
        ),
        (
            f"{JANE} type:email type:id",
            "The type is set twice: by `type:email` and by `type:id`.",
        ),
        (f"{JANE} page:2 page:3", "The page is set twice: by `page:2` and by `page:3`."),
        (
            f"{JANE} page:0",
            f"`page:0` is not a page number: use a whole number from 1 to {MAX_PAGE}.",
        ),
        (
            f"{JANE} page:-1",
            f"`page:-1` is not a page number: use a whole number from 1 to {MAX_PAGE}.",
        ),
        (
            f"{JANE} page:{MAX_PAGE + 1}",
            f"`page:{MAX_PAGE + 1}` is not a page number: use a whole number from 1 to {MAX_PAGE}.",
        ),
        (
            f"{JANE} page:two",
            f"`page:two` is not a page number: use a whole number from 1 to {MAX_PAGE}.",
        ),
        (
            f"{JANE} page:1.5",
            f"`page:1.5` is not a page number: use a whole number from 1 to {MAX_PAGE}.",
        ),
        (f"{JANE} page:", "`page:` needs a page number after it, like `page:2`."),
        (
            f"{JANE} type:",
            "`type:` needs a type after it: use email, id, third_party_id or mobile_phone_number.",
        ),
        (
            f"{JANE} form:2024-01-01",
            "Unknown option `form:`: use `from:`, `to:`, `type:`, `page:`, `find:` or `only:`.",
        ),
        (
            f"{JANE} Pages:2",
            "Unknown option `Pages:`: use `from:`, `to:`, `type:`, `page:`, `find:` or `only:`.",
        ),
        (
            f"{JANE} foo",
            "I don't understand `foo`: after the member come only dates and options "
            "(see `/purchases help`).",
        ),
        (
            f"{JANE} 2024-03-01 2024-03-31 please",
            "I don't understand `please`: after the member come only dates and options "
            "(see `/purchases help`).",
        ),
        (
            f'{JANE} "quoted"',
            "I don't understand `quoted`: after the member come only dates and options "
            "(see `/purchases help`).",
        ),
        (
            f"{JANE} <@U123>",
            "I don't understand `@U123`: after the member come only dates and options "
            "(see `/purchases help`).",
        ),
        (
            f"{JANE} 2024",
            "`2024` alone could be anything: write `in 2024` for that year, "
            "or `from:2024` / `until 2024`.",
        ),
        (
            f"{JANE} 03/01/2024",
            "`03/01/2024` is not a date I can read: write dates as YYYY-MM-DD, like `2024-03-01`.",
        ),
        (
            f"{JANE} 01.03.2024",
            "`01.03.2024` is not a date I can read: write dates as YYYY-MM-DD, like `2024-03-01`.",
        ),
        (
            f"{JANE} 2024/03/01",
            "`2024/03/01` is not a date I can read: write dates as YYYY-MM-DD, like `2024-03-01`.",
        ),
        (f"{JANE} 30 days", "`30 days` needs `last` before it: `last 30 days`."),
        (f"{JANE} last 0 days", "`last 0 days` covers no time at all: use 1 or more."),
        (
            f"{JANE} last 30",
            "`last 30` needs a unit: days, weeks, months or years, like `last 30 days`.",
        ),
        (
            f"{JANE} last week",
            "`last week` is not a date I can read: try `last 30 days`, `last month`, "
            "`this year` or `last 6 months`.",
        ),
        (
            f"{JANE} this",
            "`this` is not a date I can read: try `last 30 days`, `last month`, "
            "`this year` or `last 6 months`.",
        ),
        (
            f"{JANE} before 2024-01-01",
            "`before` is ambiguous about the day itself: use `until` or `since`, which include it.",
        ),
        (f"{JANE} since", "`since` needs a date after it, like `since 2024-03-01`."),
        (f"{JANE} from:", "`from:` needs a date after it, like `from 2024-03-01`."),
        (
            f"{JANE} since soon",
            "`soon` is not a date I can read: after `since` comes a date like `2024-03-01`, "
            "`2024-03`, `2024`, `today` or `last month`.",
        ),
        (
            "since 2024-01-01 jane@example.com",
            "Start with the member (an email, phone number, CrowdTwist id or third-party id), "
            "not `since`; to search for that text itself, put it in quotes.",
        ),
        (
            "type:email jane@example.com",
            "Start with the member (an email, phone number, CrowdTwist id or third-party id), "
            "not `type:email`; to search for that text itself, put it in quotes.",
        ),
        (
            "2024-03-01 jane@example.com",
            "Start with the member (an email, phone number, CrowdTwist id or third-party id), "
            "not `2024-03-01`; to search for that text itself, put it in quotes.",
        ),
        (
            "<@U0123ABC>",
            "`@U0123ABC` is a Slack mention, not a loyalty member: give an email, "
            "phone number, CrowdTwist id or third-party id.",
        ),
        (
            "<@U0123ABC|jane> 2024-03-01",
            "`@jane` is a Slack mention, not a loyalty member: give an email, "
            "phone number, CrowdTwist id or third-party id.",
        ),
        (
            "<#C0456|loyalty-help>",
            "`#loyalty-help` is a Slack mention, not a loyalty member: give an email, "
            "phone number, CrowdTwist id or third-party id.",
        ),
        (
            "<!here>",
            "`@here` is a Slack mention, not a loyalty member: give an email, "
            "phone number, CrowdTwist id or third-party id.",
        ),
        (
            "@example.com",
            "`@example.com` is not an email address: nothing comes before the @ "
            "(add `type:third_party_id` if it is a third-party id).",
        ),
        (
            "jane@",
            "`jane@` is not an email address: nothing comes after the @ "
            "(add `type:third_party_id` if it is a third-party id).",
        ),
        (
            "jane@gmail",
            "`jane@gmail` is not an email address: `gmail` is not a domain like example.com "
            "(add `type:third_party_id` if it is a third-party id).",
        ),
        (
            "jane@@example.com",
            "`jane@@example.com` is not an email address: it has more than one @ "
            "(add `type:third_party_id` if it is a third-party id).",
        ),
        ("jane type:email", "`jane` is not an email address: it has no @."),
        ("@jane type:email", "`@jane` is not an email address: nothing comes before the @."),
        (
            '"jane doe@example.com"',
            "`jane doe@example.com` is not an email address: it contains a space "
            "(add `type:third_party_id` if it is a third-party id).",
        ),
        (
            "abc type:id",
            "`abc` is not a CrowdTwist id (those are all digits); add `type:third_party_id` "
            "for other ids.",
        ),
        (
            "jane type:phone",
            "`jane` is not a phone number: use digits, with a leading + and spaces, dashes, "
            "dots or brackets if you like.",
        ),
        (
            "+1234567890123456 type:phone",
            "`+1234567890123456` is too long for a phone number: it has 16 digits "
            "and the most is 15.",
        ),
        (
            "+12345678901234567",
            "`+12345678901234567` is too long for a phone number: it has 17 digits "
            "and the most is 15.",
        ),
        (
            "555 0100",
            "`555 0100` is not one member I can read: a phone number needs a leading + or "
            "10 to 15 digits, and this has 7; add `type:phone` or quote it.",
        ),
        (
            "12345 2",
            "`12345 2` is not one member I can read: a phone number needs a leading + or "
            "10 to 15 digits, and this has 6; add `type:phone` or quote it.",
        ),
        (
            "1234 5678 9012 3456",
            "`1234 5678 9012 3456` is not one member I can read: a phone number needs a "
            "leading + or 10 to 15 digits, and this has 16; add `type:phone` or quote it.",
        ),
        (
            "+1 555 010 0040 type:email",
            "`+1 555 010 0040` is written like a phone number, but the type is email; "
            "put it in quotes to search for it as written.",
        ),
        (
            '"EU/42#7 B',
            'The quote in `"EU/42#7 B` is never closed; end the member with another quote.',
        ),
        (
            f"{'x' * (MAX_MEMBER_LENGTH + 1)}",
            f"`{'x' * 59}…` is too long for a member: {MAX_MEMBER_LENGTH + 1} characters, "
            f"the most is {MAX_MEMBER_LENGTH}.",
        ),
        (
            "ab\x00c",
            "`ab\ufffdc` contains a control character (U+0000); type the member again without it.",
        ),
        (
            "ab\u202ec",
            "`ab\ufffdc` contains a control character (U+202E); type the member again without it.",
        ),
        (
            "x" * (MAX_COMMAND_LENGTH + 1),
            f"That is too long for a command: {MAX_COMMAND_LENGTH + 1} characters, "
            f"the most is {MAX_COMMAND_LENGTH}.",
        ),
    ],
)
def test_errors(text: str, message: str) -> None:
    assert error_of(text) == message


def test_member_at_the_length_limit_is_fine() -> None:
    assert parsed_query("x" * MAX_MEMBER_LENGTH).member == "x" * MAX_MEMBER_LENGTH


def test_future_dates_are_allowed() -> None:
    query = parsed_query(f"{JANE} 2030-01-01 2031-12-31")
    assert (query.start, query.end) == (d("2030-01-01"), d("2031-12-31"))


def test_quoted_input_cannot_break_out_of_its_code_span() -> None:
    message = error_of(f"{JANE} a`b*c")
    assert message.startswith("I don't understand `aˋb*c`:")
    assert message.count("`") % 2 == 0


@pytest.mark.parametrize("text", [f"{JANE} fooo", f"{JANE} 2024-02-30", "jane@", f"{JANE} page:0"])
def test_error_messages_are_one_sentence(text: str) -> None:
    message = error_of(text)
    assert message.endswith(".")
    assert message[0].isupper() or message[0] == "`"
    assert "\n" not in message


# --------------------------------------------------------------------------------------------
# HELP_TEXT
# --------------------------------------------------------------------------------------------


def test_help_text_covers_the_language() -> None:
    assert USAGE in HELP_TEXT
    for needle in (
        "type:email",
        "type:phone",
        "type:id",
        "type:3p",
        "third_party_id",
        "mobile_phone_number",
        "page:2",
        "from:2024-03-01",
        "to:2024-03-31",
        "since",
        "until",
        "last 30 days",
        "this month",
        "last month",
        "this year",
        "last year",
        "today",
        "yesterday",
        "in 2024",
        "2024-03",
        "Purchase history",
        "form",
        '"EU/42 B"',
    ):
        assert needle in HELP_TEXT, needle


def test_help_text_is_short_lines_of_slack_text() -> None:
    lines = HELP_TEXT.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert len(HELP_TEXT) < 3000
    assert "&" not in HELP_TEXT  # the card escapes & < >; pre-escaped text would show twice


def test_every_example_in_the_help_text_works() -> None:
    examples = re.findall(r"^`/purchases (.+)`$", HELP_TEXT, flags=re.MULTILINE)
    assert len(examples) >= 3
    for example_text in examples:
        if example_text.startswith("<member>"):
            continue
        parsed = parse(example_text)
        if isinstance(parsed, ReceiptsRequest):
            parsed = parsed.query
        assert isinstance(parsed, PurchaseQuery), example_text


def test_every_date_form_in_the_help_text_works() -> None:
    section = HELP_TEXT.split("*Dates*")[1].split("*Find and filter*")[0]
    spans = re.findall(r"`([^`]+)`", section)
    keywords_alone = {"since", "start", "until", "end"}
    tried = 0
    for span in spans:
        if span in keywords_alone:
            continue
        result = parse(f"{JANE} {span}")
        assert isinstance(result, PurchaseQuery), (span, result)
        tried += 1
    assert tried >= 15


def test_every_member_example_in_the_help_text_is_read_as_documented() -> None:
    assert parsed_query("jane@example.com").id_type is EMAIL
    assert parsed_query("+1 (555) 010-0040").id_type is PHONE
    assert parsed_query("12345").id_type is ID
    assert parsed_query('"EU/42 B"').id_type is THIRD
    assert parsed_query('"EU/42 B" type:3p').id_type is THIRD


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

_vocabulary = st.sampled_from(
    [
        "help",
        "from:",
        "to:",
        "since",
        "until",
        "in",
        "on",
        "type:",
        "page:",
        "last",
        "this",
        "today",
        "yesterday",
        "month",
        "year",
        "days",
        "0",
        "30",
        "999999999999",
        "2024",
        "9999",
        "0000",
        "2024-02-29",
        "2023-02-29",
        "9999-12-31",
        "0001-01-01",
        "2024-13",
        "2024-3",
        "jane@example.com",
        "+1",
        "(555)",
        "010-0040",
        "12345",
        '"',
        "“",
        "<mailto:a@b.com|a@b.com>",
        "<tel:+15550100040|+1 555 010 0040>",
        "<@U1>",
        "<https://x.y/1|1>",
        "&amp;",
        "type:phone",
        "type:email",
        "page:1",
        "page:100001",
    ]
)
_soup = st.lists(_vocabulary | interesting, max_size=12).map(" ".join)


@settings(max_examples=500, deadline=None)
@given(text=st.text(), today=st.dates())
@example(text="jane@example.com last 999999999 days", today=date.min)
@example(text="jane@example.com yesterday", today=date.min)
@example(text="jane@example.com this year", today=date.max)
@example(text="\x00", today=TODAY)
def test_parse_command_never_raises_on_any_text(text: str, today: date) -> None:
    assert isinstance(parse_command(text, today=today), COMMAND_TYPES)


@settings(max_examples=1000, deadline=None)
@given(text=_soup, today=st.dates())
def test_parse_command_never_raises_on_grammar_soup(text: str, today: date) -> None:
    result = parse_command(text, today=today)
    assert isinstance(result, COMMAND_TYPES)
    if isinstance(result, UsageError):
        assert result.message.endswith(".")
        assert "\n" not in result.message
    if isinstance(result, PurchaseQuery):
        assert result.member == result.member.strip()
        assert 0 < len(result.member) <= MAX_MEMBER_LENGTH
        assert 1 <= result.page <= MAX_PAGE
        assert not (result.start and result.end and result.end < result.start)
        assert decode_query(encode_query(result)) == result
        if result.id_type is PHONE:
            assert re.fullmatch(r"\+?[0-9]{1,15}", result.member)


# A grammar-aware generator: valid commands built from parts, with the query they must give.

_keyword_case = st.sampled_from([str.lower, str.upper, str.title])
_gap = st.sampled_from([" ", "  ", "\t", "\u00a0", " \u00a0 "])

_TYPE_WORDS = {
    EMAIL: ["email", "e-mail"],
    ID: ["id", "crowdtwist", "ct"],
    THIRD: ["third_party_id", "3p", "external", "third-party"],
    PHONE: ["mobile_phone_number", "phone", "mobile"],
}


@dataclass(frozen=True)
class _Case:
    text: str
    expected: PurchaseQuery
    today: date


@st.composite
def _commands(draw: st.DrawFn) -> _Case:
    member = draw(members)
    today = draw(st.dates(min_value=date(2, 1, 1), max_value=date(9998, 12, 31)))
    case = draw(_keyword_case)
    chunks: list[str] = []
    start: date | None = None
    end: date | None = None
    form = draw(st.sampled_from(["none", "day", "two", "month", "options", "words", "in", "last"]))
    if form == "day":
        start = draw(dates)
        chunks.append(start.isoformat())
    elif form == "two":
        start, end = sorted([draw(dates), draw(dates)])
        chunks.append(f"{start.isoformat()}{draw(_gap)}{end.isoformat()}")
    elif form == "month":
        first = draw(dates).replace(day=1)
        start, end = first, _month_end(first)
        chunks.append(first.isoformat()[:7])
    elif form in ("options", "words"):
        start = draw(st.none() | dates)
        end = draw(st.none() | dates)
        if start and end and end < start:
            start, end = end, start
        colon = ":" if form == "options" else draw(st.sampled_from([" ", ": "]))
        if start:
            key = draw(st.sampled_from(["from", "since", "start"]))
            chunks.append(f"{case(key)}{colon}{start.isoformat()}")
        if end:
            key = draw(st.sampled_from(["to", "until", "end"]))
            chunks.append(f"{case(key)}{colon}{end.isoformat()}")
    elif form == "in":
        year = draw(st.integers(1, 9999))
        start, end = date(year, 1, 1), date(year, 12, 31)
        chunks.append(f"{case('in')} {year:04d}")
    elif form == "last":
        count = draw(st.integers(1, 5000))
        start, end = date.fromordinal(max(1, today.toordinal() - (count - 1))), today
        chunks.append(case(f"last {count} days"))
    explicit = draw(st.booleans())
    if explicit:
        alias = draw(st.sampled_from(_TYPE_WORDS[member.kind]))
        chunks.append(f"{case('type')}:{alias}")
    page = draw(st.integers(1, MAX_PAGE))
    if page != 1 or draw(st.booleans()):
        chunks.append(f"{case('page')}:{page}")
    chunks = draw(st.permutations(chunks))
    text = draw(_gap).join([member.text, *chunks])
    expected = PurchaseQuery(member.member, member.kind, not explicit, start, end, page)
    return _Case(text, expected, today)


def _month_end(first: date) -> date:
    if first.month == 12:
        return first.replace(day=31)
    return first.replace(month=first.month + 1) - timedelta(days=1)


@settings(max_examples=1000, deadline=None)
@given(case=_commands())
def test_valid_generated_commands_parse_to_their_query(case: _Case) -> None:
    assert parse_command(case.text, today=case.today) == case.expected


@settings(max_examples=300, deadline=None)
@given(case=_commands(), padding=_gap)
def test_surrounding_whitespace_changes_nothing(case: _Case, padding: str) -> None:
    padded = f"{padding}{case.text}{padding}"
    assert parse_command(padded, today=case.today) == case.expected


@settings(max_examples=300, deadline=None)
@given(case=_commands())
def test_a_parsed_query_is_the_same_when_typed_into_the_form(case: _Case) -> None:
    query = case.expected
    named = None if query.id_type_inferred else query.id_type.value
    assert query_from_form(query.member, named, query.start, query.end) == query.with_page(1)
