"""The shortcut's identifier scanner: every legal email found whole, in time linear in the text."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.crowdtwist.models import IdType
from bot.query import find_member_identifiers, scanner

EMAIL = IdType.EMAIL
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
