"""bot.query.markup: Slack markup and entities undone."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.crowdtwist.models import IdType
from bot.query import (
    MAX_MEMBER_LENGTH,
    UsageError,
    infer_id_type,
    unwrap_slack_markup,
    validate_member,
)
from tests.support.query_helpers import interesting

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
# Properties
# --------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(text=st.text() | interesting)
def test_markup_and_form_helpers_never_raise(text: str) -> None:
    assert isinstance(unwrap_slack_markup(text), str)
    assert isinstance(infer_id_type(text), IdType)
    checked = validate_member(text)
    assert isinstance(checked, str | UsageError)
    if isinstance(checked, str):
        assert checked == checked.strip()
        assert 0 < len(checked) <= MAX_MEMBER_LENGTH
