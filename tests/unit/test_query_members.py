"""bot.query.members: members inferred, grouped, quoted, unwrapped and normalised; the form."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.crowdtwist.models import IdType
from bot.query import (
    MAX_MEMBER_LENGTH,
    PurchaseQuery,
    UsageError,
    decode_query,
    encode_query,
    infer_id_type,
    query_from_form,
    validate_member,
)
from tests.support.query_helpers import (
    EMAIL,
    EMPTY_MEMBER,
    ID,
    JANE,
    PHONE,
    THIRD,
    d,
    dates,
    interesting,
    parsed_query,
)

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
# Properties
# --------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    member=st.text() | interesting,
    id_type=st.none() | st.text(max_size=20) | st.sampled_from([k.value for k in IdType]),
    start=st.none() | dates,
    end=st.none() | dates,
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
