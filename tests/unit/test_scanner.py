"""bot.query.scanner: what the shortcut finds in a message; each legal email whole, linearly."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.crowdtwist.models import IdType
from bot.query import (
    MAX_IDENTIFIERS,
    PurchaseQuery,
    decode_query,
    encode_query,
    find_member_identifiers,
    infer_id_type,
    scanner,
)
from tests.support.query_helpers import EMAIL, PHONE, interesting, parsed_query

N = 40_000

# Texts that made the old regexes retry from every position (n² or worse).
ADVERSARIAL: dict[str, Callable[[int], str]] = {
    "dotted words": lambda n: ("a." * n)[:n],
    "digit groups ending in a letter": lambda n: ("1 " * n)[: n - 1] + "x",
    "a long domain": lambda n: "x@" + ("a." * n)[: n - 2],
    "many @": lambda n: ("a@" * n)[:n],
    "emails back to back": lambda n: ("a@b.co" * n)[:n],
    "many schemes": lambda n: ("a://" * n)[:n],
    "many www": lambda n: ("www." * n)[:n],
    "a long local part": lambda n: "a" * (n - 12) + "@example.com",
    "brackets": lambda n: ("1(" * n)[:n],
    "mixed prose": lambda n: ("o'b+v@ex.co 555-010-0040 http://x.y/1 " * n)[:n],
}


# -- defect 6: apostrophes and + ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "o'brien+vip@example.com",
        "Customer o'brien+vip@example.com asked",
        "<mailto:o'brien+vip@example.com|o'brien+vip@example.com>",
        "email: <mailto:o'brien+vip@example.com|o'brien+vip@example.com>, thanks",
        "'o'brien+vip@example.com'",
    ],
)
def test_an_email_with_an_apostrophe_and_a_plus_is_found_whole(text: str) -> None:
    assert find_member_identifiers(text) == [("o'brien+vip@example.com", EMAIL)]


def test_a_quoted_email_loses_its_quotes() -> None:
    assert find_member_identifiers("it's 'alice@example.com'") == [("alice@example.com", EMAIL)]


_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?", fullmatch=True)
_local = st.from_regex(r"[A-Za-z0-9_%+-]([A-Za-z0-9_.%+'-]{0,40}[A-Za-z0-9_%+-])?", fullmatch=True)
_emails = st.builds(
    lambda local, labels, tld: f"{local}@{'.'.join(labels)}.{tld}",
    _local.filter(lambda local: ".." not in local),
    st.lists(_label, min_size=1, max_size=3),
    st.from_regex(r"[a-z]{2,6}", fullmatch=True),
)
_before = st.sampled_from(["", " ", "Hi ", "\n", "(", "email: ", "to: ", "<@U1> "])
_after = st.sampled_from(["", " ", ".", ",", ")", "!", "?", "\n", " thanks", ". Order 12"])


@settings(max_examples=400, deadline=None)
@given(email=_emails, before=_before, after=_after, markup=st.booleans())
def test_every_legal_email_slack_can_format_is_found(
    email: str, before: str, after: str, markup: bool
) -> None:
    shown = f"<mailto:{email}|{email}>" if markup else email
    assert find_member_identifiers(before + shown + after) == [(email, EMAIL)]


# -- defect 2: linear by construction ---------------------------------------------------------


class _Recorder:
    """Stands in for a compiled pattern and records how much text each call is given."""

    def __init__(self, pattern: re.Pattern[str], seen: list[int]) -> None:
        self._pattern, self._seen = pattern, seen

    def match(self, text: str, pos: int = 0, *args: Any) -> re.Match[str] | None:
        self._seen.append(len(text) - pos)
        return self._pattern.match(text, pos, *args)


@pytest.fixture
def windows(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[int]]:
    seen: dict[str, list[int]] = {}
    for name in ("_SCHEME_CHARS_REVERSED", "_EMAIL_LOCAL_REVERSED", "_EMAIL_DOMAIN_AT"):
        seen[name] = []
        monkeypatch.setattr(scanner, name, _Recorder(getattr(scanner, name), seen[name]))
    return seen


@pytest.mark.parametrize("case", list(ADVERSARIAL))
def test_anchored_patterns_only_ever_read_bounded_windows(
    windows: dict[str, list[int]], case: str
) -> None:
    find_member_identifiers(ADVERSARIAL[case](N))
    bounds = {
        "_SCHEME_CHARS_REVERSED": scanner._SCHEME_MAX,
        "_EMAIL_LOCAL_REVERSED": scanner._LOCAL_MAX + 1,
        "_EMAIL_DOMAIN_AT": scanner._DOMAIN_MAX + 1,
    }
    total = 0
    for name, lengths in windows.items():
        assert max(lengths, default=0) <= bounds[name], name
        total += sum(lengths)
    assert total <= 400 * N  # a constant per character, whatever the text


def _best_of(runs: int, text: str) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        find_member_identifiers(text)
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.parametrize("case", list(ADVERSARIAL))
def test_scanning_four_times_the_text_takes_about_four_times_as_long(case: str) -> None:
    """A complexity check, not a benchmark: 4x the text must cost well under 16x (n²).

    Best of five runs each, against a threshold of 8x, halfway (geometrically) between
    linear and quadratic growth; tiny timings are floored so clock noise cannot decide.
    """
    make = ADVERSARIAL[case]
    small, large = _best_of(5, make(N // 4)), _best_of(5, make(N))
    assert large / max(small, 0.002) < 8, (case, small, large)


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
# Properties
# --------------------------------------------------------------------------------------------

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
@given(text=st.text() | interesting | st.lists(_message_pieces | interesting).map(" ".join))
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
