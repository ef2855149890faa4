"""bot.query: the command language, Slack markup, identifiers in messages, the form, buttons."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from bot.crowdtwist.models import IdType
from bot.query import (
    HELP_TEXT,
    MAX_COMMAND_LENGTH,
    MAX_IDENTIFIERS,
    MAX_MEMBER_LENGTH,
    MAX_PAGE,
    USAGE,
    Command,
    FormRequest,
    HelpRequest,
    PurchaseQuery,
    UsageError,
    decode_query,
    encode_query,
    find_member_identifiers,
    infer_id_type,
    parse_command,
    query_from_form,
    unwrap_slack_markup,
    validate_member,
)

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
# Members: inference, grouping, quoting, markup, normalisation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "member", "id_type"),
    [
        # emails keep their case as typed; trailing copy-and-paste punctuation goes
        ("jane@example.com", "jane@example.com", EMAIL),
        ("Jane.Doe+loyalty@Example.CO.UK", "Jane.Doe+loyalty@Example.CO.UK", EMAIL),
        ("jane@example.com.", "jane@example.com", EMAIL),
        ("jane@example.com,", "jane@example.com", EMAIL),
        ("o'brien@example.ie", "o'brien@example.ie", EMAIL),
        ("josé@exämple.de", "josé@exämple.de", EMAIL),
        # phones: a leading + or 10-15 digits; normalised to + and digits
        ("+15550100040", "+15550100040", PHONE),
        ("+1 (555) 010-0040", "+15550100040", PHONE),
        ("+1 555 010 0040", "+15550100040", PHONE),
        ("+1-555-010-0040", "+15550100040", PHONE),
        ("+1.555.010.0040", "+15550100040", PHONE),
        ("(555) 010-0040", "5550100040", PHONE),
        ("(555)010-0040", "5550100040", PHONE),
        ("555-010-0040", "5550100040", PHONE),
        ("555.010.0040", "5550100040", PHONE),
        ("555 010 0040", "5550100040", PHONE),
        ("5550100040", "5550100040", PHONE),
        ("+44 20 7946 0958", "+442079460958", PHONE),
        ("+44 (0)20 7946 0958", "+4402079460958", PHONE),
        ("+33 1 23 45 67 89", "+33123456789", PHONE),
        ("+49 30 555-01 22", "+49305550122", PHONE),
        ("+1", "+1", PHONE),
        ("123456789012345", "123456789012345", PHONE),
        # CrowdTwist ids: all digits, fewer than 10 or more than 15
        ("12345", "12345", ID),
        ("0042", "0042", ID),
        ("123456789", "123456789", ID),
        ("1234567890123456", "1234567890123456", ID),
        # third-party ids: anything else
        ("ABC-123", "ABC-123", THIRD),
        ("EU/42#7", "EU/42#7", THIRD),
        ("555-0100", "555-0100", THIRD),
        ("shop:123", "shop:123", THIRD),
        ("+abc", "+abc", THIRD),
        ("1-800-FLOWERS", "1-800-FLOWERS", THIRD),
        ("a&amp;b", "a&b", THIRD),
        ("１２３", "１２３", THIRD),
        ("2024", "2024", ID),
    ],
)
def test_member_inference_and_normalisation(text: str, member: str, id_type: IdType) -> None:
    assert parsed_query(text) == PurchaseQuery(member, id_type)
    assert parsed_query(f"{text} page:3") == PurchaseQuery(member, id_type, page=3)


@pytest.mark.parametrize(
    ("text", "member", "id_type"),
    [
        ('"EU/42#7 B"', "EU/42#7 B", THIRD),
        ("“EU/42#7 B”", "EU/42#7 B", THIRD),
        ("”EU/42#7 B”", "EU/42#7 B", THIRD),
        ("„EU/42#7 B“", "EU/42#7 B", THIRD),
        ('"  spaced  out  "', "spaced  out", THIRD),
        ('"tab\there"', "tab here", THIRD),
        ('"since"', "since", THIRD),
        ('"2024-03-01"', "2024-03-01", THIRD),
        ('"type:email"', "type:email", THIRD),
        ('"555 0100"', "555 0100", THIRD),
        ('"+1 555 010 0040"', "+15550100040", PHONE),
        ('"jane@example.com"', "jane@example.com", EMAIL),
        ('"12345"', "12345", ID),
        ('"a &amp; b"', "a & b", THIRD),
    ],
)
def test_quoted_members(text: str, member: str, id_type: IdType) -> None:
    assert parsed_query(text) == PurchaseQuery(member, id_type)
    query = parsed_query(f"{text} 2024-03-01")
    assert (query.member, query.id_type, query.start) == (member, id_type, d("2024-03-01"))


@pytest.mark.parametrize(
    ("text", "member", "id_type"),
    [
        ("<mailto:jane@example.com|jane@example.com>", "jane@example.com", EMAIL),
        ("<mailto:Jane@Example.com|Jane@Example.com>", "Jane@Example.com", EMAIL),
        ("<mailto:jane@example.com?subject=hi|write to Jane>", "jane@example.com", EMAIL),
        ("<mailto:jane%2Bvip@example.com|jane+vip@example.com>", "jane+vip@example.com", EMAIL),
        ("<tel:+15550100040|+1 555 010 0040>", "+15550100040", PHONE),
        ("<tel:5550100040|(555) 010-0040>", "5550100040", PHONE),
        ("<http://shop.example|shop.example>", "shop.example", THIRD),
        ('"<mailto:jane@example.com|jane@example.com>"', "jane@example.com", EMAIL),
    ],
)
def test_slack_markup_members(text: str, member: str, id_type: IdType) -> None:
    assert parsed_query(text) == PurchaseQuery(member, id_type)
    assert parsed_query(f"{text} last month").member == member


@pytest.mark.parametrize(
    ("text", "member", "id_type"),
    [
        ("jane@example.com type:email", "jane@example.com", EMAIL),
        ("12345 type:id", "12345", ID),
        ("12345 type:crowdtwist", "12345", ID),
        ("12345 type:CT", "12345", ID),
        ("12345 type:third_party_id", "12345", THIRD),
        ("12345 type:3p", "12345", THIRD),
        ("12345 type:third-party", "12345", THIRD),
        ("12345 type:external", "12345", THIRD),
        ("5550100 type:phone", "5550100", PHONE),
        ("5550100 type:mobile", "5550100", PHONE),
        ("5550100 type:MOBILE_PHONE_NUMBER", "5550100", PHONE),
        ("555 0100 type:phone", "5550100", PHONE),
        ("555-0100 type:phone", "5550100", PHONE),
        ("tel:5550100 type:phone", "5550100", PHONE),
        ("+1 (555) 010-0040 type:phone", "+15550100040", PHONE),
        ("jane@example.com type:3p", "jane@example.com", THIRD),
        ("5550100040 type:id", "5550100040", ID),
        ("jane@example.com Type: Email", "jane@example.com", EMAIL),
        ("jane@example.com type email", "jane@example.com", EMAIL),
        ("jane@example.com TYPE:E-Mail", "jane@example.com", EMAIL),
    ],
)
def test_explicit_type(text: str, member: str, id_type: IdType) -> None:
    assert parsed_query(text) == PurchaseQuery(member, id_type, id_type_inferred=False)


@pytest.mark.parametrize(
    ("member", "id_type"),
    [
        ("jane@example.com", EMAIL),
        ("@", EMAIL),
        ("not an email@", EMAIL),
        ("+15550100040", PHONE),
        ("+1 (555) 010-0040", PHONE),
        ("  +1 555  ", PHONE),
        ("555.010.0040", PHONE),
        ("5550100040", PHONE),
        ("555 010 0040", PHONE),
        ("123456789012345", PHONE),
        ("1234567890123456", ID),
        ("123456789", ID),
        ("0", ID),
        ("555-0100", THIRD),
        ("+", THIRD),
        ("+abc", THIRD),
        ("1+555", THIRD),
        ("EU/42#7 B", THIRD),
        ("", THIRD),
        ("٣٤٥", THIRD),
    ],
)
def test_infer_id_type(member: str, id_type: IdType) -> None:
    assert infer_id_type(member) is id_type


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "start", "end"),
    [
        ("", None, None),
        ("2024-03-01", "2024-03-01", None),
        ("2024-3-1", "2024-03-01", None),
        ("2024-03-01 2024-03-31", "2024-03-01", "2024-03-31"),
        ("2024-03-01 2024-03-01", "2024-03-01", "2024-03-01"),
        ("2024-03", "2024-03-01", "2024-03-31"),
        ("2024-02", "2024-02-01", "2024-02-29"),
        ("2023-2", "2023-02-01", "2023-02-28"),
        ("2024-01 2024-03", "2024-01-01", "2024-03-31"),
        ("2024-01 2024-03-15", "2024-01-01", "2024-03-15"),
        ("2024-01-15 2024-03", "2024-01-15", "2024-03-31"),
        ("from:2024-03-01", "2024-03-01", None),
        ("to:2024-03-31", None, "2024-03-31"),
        ("from:2024-03-01 to:2024-03-31", "2024-03-01", "2024-03-31"),
        ("to:2024-03-31 from:2024-03-01", "2024-03-01", "2024-03-31"),
        ("FROM:2024-03-01 TO:2024-03-31", "2024-03-01", "2024-03-31"),
        ("from 2024-03-01 to 2024-03-31", "2024-03-01", "2024-03-31"),
        ("from: 2024-03-01 to: 2024-03-31", "2024-03-01", "2024-03-31"),
        ("start:2024-03-01 end:2024-03-31", "2024-03-01", "2024-03-31"),
        ("since 2024-03-01", "2024-03-01", None),
        ("Since 2024-03-01", "2024-03-01", None),
        ("since:2024-03-01", "2024-03-01", None),
        ("until 2024-03-31", None, "2024-03-31"),
        ("until:2024-03-31", None, "2024-03-31"),
        ("2024-03-01 until 2024-03-31", "2024-03-01", "2024-03-31"),
        ("2024-03-01 to 2024-03-31", "2024-03-01", "2024-03-31"),
        ("since 2024-03", "2024-03-01", None),
        ("until 2024-03", None, "2024-03-31"),
        ("from:2023", "2023-01-01", None),
        ("to:2023", None, "2023-12-31"),
        ("since 2023 until 2024-06", "2023-01-01", "2024-06-30"),
        ("in 2024", "2024-01-01", "2024-12-31"),
        ("IN 2024", "2024-01-01", "2024-12-31"),
        ("in:2024", "2024-01-01", "2024-12-31"),
        ("in 2024-02", "2024-02-01", "2024-02-29"),
        ("on 2024-03-01", "2024-03-01", "2024-03-01"),
        ("today", "2024-05-15", "2024-05-15"),
        ("Today", "2024-05-15", "2024-05-15"),
        ("yesterday", "2024-05-14", "2024-05-14"),
        ("yesterday today", "2024-05-14", "2024-05-15"),
        ("2024-05-01 today", "2024-05-01", "2024-05-15"),
        ("this month", "2024-05-01", "2024-05-31"),
        ("last month", "2024-04-01", "2024-04-30"),
        ("this year", "2024-01-01", "2024-12-31"),
        ("last year", "2023-01-01", "2023-12-31"),
        ("LAST YEAR", "2023-01-01", "2023-12-31"),
        ("last 1 day", "2024-05-15", "2024-05-15"),
        ("last 30 days", "2024-04-16", "2024-05-15"),
        ("last 2 weeks", "2024-05-02", "2024-05-15"),
        ("last 1 month", "2024-04-16", "2024-05-15"),
        ("last 3 months", "2024-02-16", "2024-05-15"),
        ("last 1 year", "2023-05-16", "2024-05-15"),
        ("last 999999999 days", "0001-01-01", "2024-05-15"),
        ("last 99999999999999999999999999 months", "0001-01-01", "2024-05-15"),
        ("since last month", "2024-04-01", None),
        ("until last month", None, "2024-04-30"),
        ("from:last month to:yesterday", "2024-04-01", "2024-05-14"),
        ("from: today", "2024-05-15", None),
        ("since yesterday", "2024-05-14", None),
        ("since last 7 days", "2024-05-09", None),
        ("2024-03-01, 2024-03-31", "2024-03-01", "2024-03-31"),
        ("2099-01-01", "2099-01-01", None),
        ("9999-12-31", "9999-12-31", None),
        ("0001-01-01", "0001-01-01", None),
        ("in 9999", "9999-01-01", "9999-12-31"),
        ("in 0001", "0001-01-01", "0001-12-31"),
        ("page:2 2024-03-01", "2024-03-01", None),
        ("type:email\u00a0\t 2024-03-01", "2024-03-01", None),
    ],
)
def test_dates(suffix: str, start: str | None, end: str | None) -> None:
    query = parsed_query(f"{JANE} {suffix}")
    assert query.start == (d(start) if start else None)
    assert query.end == (d(end) if end else None)
    assert query.member == JANE


@pytest.mark.parametrize(
    ("today", "suffix", "start", "end"),
    [
        (date(2024, 3, 31), "last 1 month", "2024-03-01", "2024-03-31"),
        (date(2024, 1, 10), "last month", "2023-12-01", "2023-12-31"),
        (date(2024, 2, 29), "last 1 year", "2023-03-01", "2024-02-29"),
        (date(1, 1, 1), "last 30 days", "0001-01-01", "0001-01-01"),
        (date(1, 1, 1), "last 5 years", "0001-01-01", "0001-01-01"),
        (date(1, 6, 1), "this year", "0001-01-01", "0001-12-31"),
        (date(9999, 12, 31), "this month", "9999-12-01", "9999-12-31"),
        (date(9999, 12, 31), "today", "9999-12-31", "9999-12-31"),
        (date(9999, 12, 31), "last year", "9998-01-01", "9998-12-31"),
        (datetime(2024, 5, 15, 23, 59), "today", "2024-05-15", "2024-05-15"),
    ],
)
def test_dates_relative_to_other_days(today: date, suffix: str, start: str, end: str) -> None:
    query = parsed_query(f"{JANE} {suffix}", today=today)
    assert (query.start, query.end) == (d(start), d(end))


@pytest.mark.parametrize("suffix", ["yesterday", "last month", "last year", "since last year"])
def test_relative_dates_before_year_one_are_errors(suffix: str) -> None:
    assert "falls outside the calendar" in error_of(f"{JANE} {suffix}", today=date.min)


def test_range_label() -> None:
    assert PurchaseQuery(JANE, EMAIL).range_label is None
    assert parsed_query(f"{JANE} on 2024-03-01").range_label == "on 2024-03-01"
    assert parsed_query(f"{JANE} 2024-03").range_label == "2024-03-01 to 2024-03-31"
    assert parsed_query(f"{JANE} since 2024-03-01").range_label == "since 2024-03-01"
    assert parsed_query(f"{JANE} until 2024-03-31").range_label == "until 2024-03-31"


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
            "Unknown option `form:`: use `from:`, `to:`, `type:` or `page:`.",
        ),
        (f"{JANE} Pages:2", "Unknown option `Pages:`: use `from:`, `to:`, `type:` or `page:`."),
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
        assert isinstance(parse(example_text), PurchaseQuery), example_text


def test_every_date_form_in_the_help_text_works() -> None:
    section = HELP_TEXT.split("*Dates*")[1].split("*More*")[0]
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
# unwrap_slack_markup
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<mailto:a@b.com|a@b.com>", "a@b.com"),
        ("<mailto:a@b.com>", "a@b.com"),
        ("<MAILTO:a@b.com|a@b.com>", "a@b.com"),
        ("<mailto:a@b.com?subject=Hi%20there|Email me>", "a@b.com"),
        ("<tel:+15550100040|+1 555 010 0040>", "+15550100040"),
        ("<tel:|+1 555 010 0040>", "+1 555 010 0040"),
        ("<https://example.com/x?a=1&amp;b=2|the shop>", "the shop"),
        ("<https://example.com/x?a=1&amp;b=2>", "https://example.com/x?a=1&b=2"),
        ("<@U0123ABC>", "@U0123ABC"),
        ("<@U0123ABC|jane>", "@jane"),
        ("<#C0456|loyalty-help>", "#loyalty-help"),
        ("<#C0456>", "#C0456"),
        ("<!here>", "@here"),
        ("<!channel>", "@channel"),
        ("<!subteam^S0123|@care-team>", "@care-team"),
        ("<!date^1392734382^{date}|Feb 18th>", "Feb 18th"),
        ("a &amp; b &lt;c&gt;", "a & b <c>"),
        ("&amp;lt;", "&lt;"),
        ("&quot; &nbsp;", "&quot; &nbsp;"),
        ("plain text", "plain text"),
        ("unclosed <mailto:a@b.com", "unclosed <mailto:a@b.com"),
        ("x <mailto:a@b.com|a@b.com>, y <tel:+1555|+1 555>", "x a@b.com, y +1555"),
        ("", ""),
    ],
)
def test_unwrap_slack_markup(text: str, expected: str) -> None:
    assert unwrap_slack_markup(text) == expected


# --------------------------------------------------------------------------------------------
# find_member_identifiers (the message shortcut)
# --------------------------------------------------------------------------------------------

E = EMAIL
P = PHONE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("no identifiers here, just words", []),
        (
            "Hi, I'm <mailto:jane@example.com|jane@example.com> and I got no points",
            [("jane@example.com", E)],
        ),
        (
            "Call me on <tel:+15550100040|+1 555 010 0040> please",
            [("+15550100040", P)],
        ),
        (
            "Customer <mailto:Jane.Doe@Example.com|Jane.Doe@Example.com> "
            "(<tel:+15550100040|+1 555 010 0040>) bought shoes on 2024-03-01 at 10:30, "
            "order #100234567, but got no points",
            [("Jane.Doe@Example.com", E), ("+15550100040", P)],
        ),
        (
            "jane@example.com, JANE@EXAMPLE.COM and <mailto:Jane@Example.com|Jane@Example.com>",
            [("jane@example.com", E)],
        ),
        (
            "phones: (555) 010-0040, 555.010.0040, 555-010-0040 and +1 555 010 0041",
            [("5550100040", P), ("+15550100041", P)],
        ),
        (
            "UK +44 20 7946 0958, FR +33 1 23 45 67 89 or 01 23 45 67 89",
            [("+442079460958", P), ("+33123456789", P), ("0123456789", P)],
        ),
        (
            "See <https://shop.example.com/orders/5550100040?phone=555-010-0041|the order> "
            "and <https://tracking.example.com/5550100042>",
            [],
        ),
        ("https://shop.example.com/u/555-010-0040 and www.example.com/555-010-0041", []),
        ("<https://example.com/profile|jane@example.com>", []),
        ("cc <@U0123456789> and <#C0123456789|support> and <!subteam^S0123456789|@care>", []),
        ("Dates 2024-03-01, 03/01/2024, 01.03.2024, 2024/03/01 and 10:30:15 are not phones", []),
        ("Ordered 2024-03-01 10:30, phone 555-010-0040", [("5550100040", P)]),
        ("2024-03-01 555-010-0040", [("5550100040", P)]),
        ("Order 1234567890, ticket 9876543210, receipt 5550100040", []),
        ("order number: 555-010-0040, order no. 555-010-0041, invoice #555-010-0042", []),
        ("Order #555-010-0040, ref 555 010 0041, tracking: +15550100042", []),
        ("my number 5550100040", []),
        ("Amazon order 123-4567890-1234567", []),
        ("card 4111 1111 1111 1111 and amount $1,234,567.89 and 1.234.567.890", []),
        ("short numbers 12345, 555-0100 and +1 555", []),
        ("call 555-010-0040 2 times, or 555-010-0041.", [("5550100040", P), ("5550100041", P)]),
        (
            "+44 20 7946 0958 555.010.0042 (555) 010-0040 555-010-0041",
            [("+442079460958", P), ("5550100042", P), ("5550100040", P), ("5550100041", P)],
        ),
        ("+33 1 23 45 67 89 01.23.45.67.88", [("+33123456789", P), ("0123456788", P)]),
        ("email: jane@example.com.", [("jane@example.com", E)]),
        (
            "'jane@example.com' and (bob@example.org)",
            [("jane@example.com", E), ("bob@example.org", E)],
        ),
        (
            "&lt;jane@example.com&gt; &amp; 555-010-0040",
            [("jane@example.com", E), ("5550100040", P)],
        ),
        ("jane@localhost and @handle and user@ and @example.com", []),
        (
            "digits in emails are not phones: 5550100040@example.com",
            [("5550100040@example.com", E)],
        ),
        (
            "Forwarded: From: Jane &lt;<mailto:jane@example.com|jane@example.com>&gt;\n"
            "Mobile: <tel:+447700900123|+44 7700 900123>",
            [("jane@example.com", E), ("+447700900123", P)],
        ),
        (
            " ".join(f"member{i}@example.com" for i in range(15)),
            [(f"member{i}@example.com", E) for i in range(MAX_IDENTIFIERS)],
        ),
        ("+15550100040 then <tel:15550100040|1 555 010 0040>", [("+15550100040", P)]),
        ("zero\u200bwidth jane@example.com\u200b", [("jane@example.com", E)]),
    ],
)
def test_find_member_identifiers(text: str, expected: list[tuple[str, IdType]]) -> None:
    assert find_member_identifiers(text) == expected


def test_found_identifiers_work_as_queries() -> None:
    text = "<mailto:jane@example.com|jane@example.com> or call (555) 010-0040"
    for member, id_type in find_member_identifiers(text):
        query = PurchaseQuery(member, id_type)
        assert infer_id_type(member) is id_type
        assert decode_query(encode_query(query)) == query
        assert parsed_query(member) == query


# --------------------------------------------------------------------------------------------
# validate_member and query_from_form (the lookup form)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jane@example.com", "jane@example.com"),
        ("  jane@example.com \n", "jane@example.com"),
        ("<mailto:jane@example.com|jane@example.com>", "jane@example.com"),
        ("<tel:+15550100040|+1 555 010 0040>", "+15550100040"),
        ('"EU/42 B"', "EU/42 B"),
        ("“EU/42 B”", "EU/42 B"),
        ("EU/42\u00a0B", "EU/42 B"),
        ("a\tb", "a b"),
        ('a"', 'a"'),
        ("\u200bjane@example.com", "jane@example.com"),
        ("x" * MAX_MEMBER_LENGTH, "x" * MAX_MEMBER_LENGTH),
    ],
)
def test_validate_member_accepts(text: str, expected: str) -> None:
    assert validate_member(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", EMPTY_MEMBER),
        ("   ", EMPTY_MEMBER),
        ('""', EMPTY_MEMBER),
        ("<mailto:|>", EMPTY_MEMBER),
        (
            "x" * (MAX_MEMBER_LENGTH + 1),
            f"“{'x' * 59}…” is too long for a member: {MAX_MEMBER_LENGTH + 1} characters, "
            f"the most is {MAX_MEMBER_LENGTH}.",
        ),
        (
            "a\x1bb",
            "“a\ufffdb” contains a control character (U+001B); type the member again without it.",
        ),
    ],
)
def test_validate_member_refuses(text: str, message: str) -> None:
    assert validate_member(text) == UsageError(message)


@pytest.mark.parametrize(
    ("member", "id_type", "start", "end", "expected"),
    [
        ("jane@example.com", None, None, None, PurchaseQuery(JANE, EMAIL)),
        ("jane@example.com", "infer", None, None, PurchaseQuery(JANE, EMAIL)),
        ("jane@example.com", "", None, None, PurchaseQuery(JANE, EMAIL)),
        (
            "  Jane@Example.com ",
            "email",
            None,
            None,
            PurchaseQuery("Jane@Example.com", EMAIL, False),
        ),
        ("+1 (555) 010-0040", None, None, None, PurchaseQuery("+15550100040", PHONE)),
        ("555 0100", "mobile_phone_number", None, None, PurchaseQuery("5550100", PHONE, False)),
        ("555 0100", None, None, None, PurchaseQuery("555 0100", THIRD)),
        ("12345", None, None, None, PurchaseQuery("12345", ID)),
        ("12345", "third_party_id", None, None, PurchaseQuery("12345", THIRD, False)),
        ("EU/42 B", "3p", None, None, PurchaseQuery("EU/42 B", THIRD, False)),
        ('"EU/42 B"', None, None, None, PurchaseQuery("EU/42 B", THIRD)),
        (
            "jane@example.com",
            None,
            date(2024, 3, 1),
            date(2024, 3, 31),
            PurchaseQuery(JANE, EMAIL, start=date(2024, 3, 1), end=date(2024, 3, 31)),
        ),
        (
            "jane@example.com",
            None,
            date(2024, 3, 1),
            date(2024, 3, 1),
            PurchaseQuery(JANE, EMAIL, start=date(2024, 3, 1), end=date(2024, 3, 1)),
        ),
        (
            "jane@example.com",
            None,
            None,
            datetime(2024, 3, 31, 12, 0),
            PurchaseQuery(JANE, EMAIL, end=date(2024, 3, 31)),
        ),
    ],
)
def test_query_from_form(
    member: str, id_type: str | None, start: date | None, end: date | None, expected: PurchaseQuery
) -> None:
    assert query_from_form(member, id_type, start, end) == expected


@pytest.mark.parametrize(
    ("member", "id_type", "start", "end", "errors"),
    [
        ("", None, None, None, {"member": EMPTY_MEMBER}),
        (
            "jane@",
            None,
            None,
            None,
            {
                "member": "“jane@” is not an email address: nothing comes after the @ "
                "(choose the third-party id type if it is a third-party id)."
            },
        ),
        (
            "jane@",
            "email",
            None,
            None,
            {"member": "“jane@” is not an email address: nothing comes after the @."},
        ),
        (
            "abc",
            "id",
            None,
            None,
            {
                "member": "“abc” is not a CrowdTwist id (those are all digits); "
                "choose the third-party id type for other ids."
            },
        ),
        (
            "jane",
            "phone",
            None,
            None,
            {
                "member": "“jane” is not a phone number: use digits, with a leading + and "
                "spaces, dashes, dots or brackets if you like."
            },
        ),
        (
            "jane@example.com",
            "username",
            None,
            None,
            {
                "id_type": "Unknown type “username”: use email, id, third_party_id or "
                "mobile_phone_number."
            },
        ),
        (
            "jane@example.com",
            None,
            date(2024, 3, 1),
            date(2024, 1, 1),
            {"end": "The end date 2024-01-01 is before the start date 2024-03-01."},
        ),
        (
            "",
            "nope",
            date(2024, 3, 1),
            date(2024, 1, 1),
            {
                "member": EMPTY_MEMBER,
                "id_type": "Unknown type “nope”: use email, id, third_party_id or "
                "mobile_phone_number.",
                "end": "The end date 2024-01-01 is before the start date 2024-03-01.",
            },
        ),
    ],
)
def test_query_from_form_errors(
    member: str, id_type: str | None, start: date | None, end: date | None, errors: dict[str, str]
) -> None:
    assert query_from_form(member, id_type, start, end) == errors


# --------------------------------------------------------------------------------------------
# encode_query / decode_query
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        PurchaseQuery(JANE, EMAIL),
        PurchaseQuery(JANE, EMAIL, id_type_inferred=False, page=MAX_PAGE),
        PurchaseQuery("+15550100040", PHONE, start=date(2024, 3, 1)),
        PurchaseQuery("12345", ID, end=date(2024, 3, 31), page=7),
        PurchaseQuery('EU/42 "B" \\ é 日本', THIRD, start=date(1, 1, 1), end=date(9999, 12, 31)),
        PurchaseQuery("x" * MAX_MEMBER_LENGTH, THIRD),
        PurchaseQuery('"' * MAX_MEMBER_LENGTH, THIRD),
    ],
)
def test_encode_decode_round_trip(query: PurchaseQuery) -> None:
    value = encode_query(query)
    assert len(value) <= 2000
    assert decode_query(value) == query


def _value(**changes: object) -> str:
    data: dict[str, object] = {"m": JANE, "t": "email", "p": 2}
    data.update(changes)
    return json.dumps({k: v for k, v in data.items() if v is not None})


def test_decode_query_reads_a_good_value() -> None:
    assert decode_query(_value()) == PurchaseQuery(JANE, EMAIL, page=2)
    assert decode_query(_value(x=1, s="2024-03-01", e="2024-03-31")) == PurchaseQuery(
        JANE, EMAIL, False, date(2024, 3, 1), date(2024, 3, 31), 2
    )
    assert decode_query('{"m":"jane@example.com","t":"email"}') == PurchaseQuery(JANE, EMAIL)


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "null",
        "[]",
        '"jane"',
        "42",
        "not json",
        "{",
        "[" * 1000 + "]" * 1000,
        '{"m":' * 600 + "1" + "}" * 600,
        "x" * 2001,
        _value(m=""),
        _value(m="   "),
        _value(m=123),
        _value(m="x" * (MAX_MEMBER_LENGTH + 1)),
        _value(m="a\x00b"),
        _value(m="a\nb"),
        _value(m="\ud800"),
        _value(m=None),
        _value(t="username"),
        _value(t="EMAIL"),
        _value(t=None),
        _value(t=1),
        _value(p=0),
        _value(p=-1),
        _value(p=MAX_PAGE + 1),
        _value(p="2"),
        _value(p=2.0),
        _value(p=True),
        _value(x=0),
        _value(x=True),
        _value(x="1"),
        _value(s="2024-02-30"),
        _value(s="20240301"),
        _value(s="2024-W09-1"),
        _value(s=20240301),
        _value(s="2024-03-01", e="2024-02-01"),
        '{"m":"jane@example.com","t":"email","s":null}',
        _value(admin=True),
        '{"m":"jane@example.com","t":"email","p":NaN}',
        '{"m":"jane@example.com","t":"email","p":1e400}',
    ],
)
def test_decode_query_rejects_tampered_values(value: str | None) -> None:
    assert decode_query(value) is None


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

_interesting = st.text(
    alphabet=st.sampled_from(
        list('0123456789+-.()@:"“”„ <>|&;#!/^?`\t\u00a0\u200b\nabcdefhilmnoprstuyADEFHLMNOTY_')
    ),
    max_size=80,
)
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
_soup = st.lists(_vocabulary | _interesting, max_size=12).map(" ".join)


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


_members = st.one_of(_emails(), _phones(), _ids(), _third_party_ids())
_dates = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
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
    member = draw(_members)
    today = draw(st.dates(min_value=date(2, 1, 1), max_value=date(9998, 12, 31)))
    case = draw(_keyword_case)
    chunks: list[str] = []
    start: date | None = None
    end: date | None = None
    form = draw(st.sampled_from(["none", "day", "two", "month", "options", "words", "in", "last"]))
    if form == "day":
        start = draw(_dates)
        chunks.append(start.isoformat())
    elif form == "two":
        start, end = sorted([draw(_dates), draw(_dates)])
        chunks.append(f"{start.isoformat()}{draw(_gap)}{end.isoformat()}")
    elif form == "month":
        first = draw(_dates).replace(day=1)
        start, end = first, _month_end(first)
        chunks.append(first.isoformat()[:7])
    elif form in ("options", "words"):
        start = draw(st.none() | _dates)
        end = draw(st.none() | _dates)
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


@st.composite
def _valid_queries(draw: st.DrawFn) -> PurchaseQuery:
    member = draw(
        _members.map(lambda m: m.member)
        | st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs")), max_size=300)
    )
    named = draw(st.sampled_from([None, "infer", *[kind.value for kind in IdType]]))
    start, end = draw(st.none() | _dates), draw(st.none() | _dates)
    if start and end and end < start:
        start, end = end, start
    result = query_from_form(member, named, start, end)
    assume(isinstance(result, PurchaseQuery))
    assert isinstance(result, PurchaseQuery)
    return result.with_page(draw(st.integers(1, MAX_PAGE)))


@settings(max_examples=500, deadline=None)
@given(query=_valid_queries())
def test_decode_inverts_encode_for_any_valid_query(query: PurchaseQuery) -> None:
    value = encode_query(query)
    assert len(value) <= 2000
    assert decode_query(value) == query


@settings(max_examples=300, deadline=None)
@given(
    member=st.text(st.characters(min_codepoint=32, codec="utf-8"), min_size=1, max_size=254),
    id_type=st.sampled_from(IdType),
    inferred=st.booleans(),
    start=st.none() | _dates,
    end=st.none() | _dates,
    page=st.integers(1, MAX_PAGE),
)
def test_decode_inverts_encode_for_any_well_formed_query(
    member: str,
    id_type: IdType,
    inferred: bool,
    start: date | None,
    end: date | None,
    page: int,
) -> None:
    assume(member.strip())
    if start and end and end < start:
        start, end = end, start
    query = PurchaseQuery(member, id_type, inferred, start, end, page)
    value = encode_query(query)
    assert len(value) <= 2000
    assert decode_query(value) == query


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=10,
)


@settings(max_examples=500, deadline=None)
@given(
    value=st.text(max_size=2100)
    | _json_values.map(json.dumps)
    | st.dictionaries(st.sampled_from(list("mtpxse")), _json_values, max_size=6).map(json.dumps)
)
def test_decode_query_never_raises(value: str) -> None:
    decoded = decode_query(value)
    if decoded is not None:
        assert 1 <= decoded.page <= MAX_PAGE
        assert decoded.member.strip()
        assert decode_query(encode_query(decoded)) == decoded


_message_pieces = st.sampled_from(
    [
        "Hi,",
        "I bought shoes",
        "order #100234567",
        "order number 555-010-0040",
        "on 2024-03-01",
        "at 10:30",
        "03/01/2024",
        "<https://shop.example.com/orders/5550100040|order>",
        "<https://x.example/555-010-0041>",
        "<@U0123456789>",
        "<#C0123|support>",
        "jane@example.com",
        "JANE@example.com",
        "<mailto:bob@example.org|bob@example.org>",
        "<tel:+15550100040|+1 555 010 0040>",
        "(555) 010-0040",
        "+44 20 7946 0958",
        "555.010.0042",
        "12345",
        "$1,234.56",
        "&amp;",
        "\n",
    ]
)


@settings(max_examples=500, deadline=None)
@given(text=st.text() | _interesting | st.lists(_message_pieces | _interesting).map(" ".join))
def test_find_member_identifiers_never_raises_and_stays_small(text: str) -> None:
    found = find_member_identifiers(text)
    assert len(found) <= MAX_IDENTIFIERS
    keys = [member.casefold() if kind is EMAIL else member.lstrip("+") for member, kind in found]
    assert len(keys) == len(set(keys))
    for member, kind in found:
        assert kind in (EMAIL, PHONE)
        assert infer_id_type(member) is kind
        if kind is PHONE:
            assert re.fullmatch(r"\+?[0-9]{7,15}", member)


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(_message_pieces, max_size=20))
def test_find_member_identifiers_finds_what_realistic_messages_hold(pieces: list[str]) -> None:
    found = dict(find_member_identifiers(" ".join(pieces)))
    expected = {
        "jane@example.com": "jane@example.com",
        "JANE@example.com": "jane@example.com",
        "<mailto:bob@example.org|bob@example.org>": "bob@example.org",
        "<tel:+15550100040|+1 555 010 0040>": "+15550100040",
        "(555) 010-0040": "5550100040",
        "+44 20 7946 0958": "+442079460958",
        "555.010.0042": "5550100042",
    }
    wanted = {expected[piece] for piece in pieces if piece in expected}
    found_keys = {member.casefold() for member in found}
    for member in wanted:
        # "(555) 010-0040" and "+1 555 010 0040" differ in digits, so both may appear
        assert member.casefold() in found_keys or len(found) == MAX_IDENTIFIERS, (pieces, found)
    assert found_keys <= {member.casefold() for member in expected.values()}


@settings(max_examples=300, deadline=None)
@given(text=st.text() | _interesting)
def test_markup_and_form_helpers_never_raise(text: str) -> None:
    assert isinstance(unwrap_slack_markup(text), str)
    assert isinstance(infer_id_type(text), IdType)
    checked = validate_member(text)
    assert isinstance(checked, str | UsageError)
    if isinstance(checked, str):
        assert checked == checked.strip()
        assert 0 < len(checked) <= MAX_MEMBER_LENGTH


@settings(max_examples=300, deadline=None)
@given(
    member=st.text() | _interesting,
    id_type=st.none() | st.text(max_size=20) | st.sampled_from([k.value for k in IdType]),
    start=st.none() | _dates,
    end=st.none() | _dates,
)
def test_query_from_form_never_raises(
    member: str, id_type: str | None, start: date | None, end: date | None
) -> None:
    result = query_from_form(member, id_type, start, end)
    if isinstance(result, dict):
        assert result
        assert set(result) <= {"member", "id_type", "start", "end"}
        assert all(isinstance(message, str) and message for message in result.values())
    else:
        assert decode_query(encode_query(result)) == result
