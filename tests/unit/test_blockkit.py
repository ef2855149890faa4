"""Block Kit checks: each limit is caught by one failing fixture; valid input passes.

A fixture expecting ``sdk(...)`` proves slack_sdk's models catch that limit (the checker in
``tests/support/blockkit_rules.py`` leaves it to them); the others are the checker's own rules.
Escaping (``bot.blockkit``) and the text picture (``tests/support/render.py``) are tested last.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from bot.blockkit import escape
from tests.support.blockkit_rules import (
    assert_valid_message,
    assert_valid_view,
    message_problems,
    view_problems,
)
from tests.support.render import readable, render_text, unescape

Fixture = dict[str, Any]


def plain(text: str) -> Fixture:
    return {"type": "plain_text", "text": text}


def mrkdwn(text: str) -> Fixture:
    return {"type": "mrkdwn", "text": text}


def button(action_id: str, label: str = "Go", **extra: Any) -> Fixture:
    return {"type": "button", "text": plain(label), "action_id": action_id, **extra}


def option(label: str, value: str) -> Fixture:
    return {"text": plain(label), "value": value}


def valid_message() -> Fixture:
    return {
        "text": "Purchases for jane@example.com",
        "blocks": [
            {"type": "header", "text": plain("Purchases for jane@example.com")},
            {"type": "context", "elements": [mrkdwn("Searched as email")]},
            {"type": "section", "text": mrkdwn("*27 purchases*"), "accessory": button("details_0")},
            {"type": "section", "fields": [mrkdwn("*Total*\n400"), mrkdwn("*Earned*\n500")]},
            {"type": "divider"},
            {"type": "actions", "block_id": "nav", "elements": [button("prev"), button("next")]},
        ],
    }


def valid_view() -> Fixture:
    options = [option("Email", "email"), option("CrowdTwist id", "id")]
    return {
        "type": "modal",
        "callback_id": "lookup",
        "title": plain("Purchase history"),
        "submit": plain("Look up"),
        "close": plain("Cancel"),
        "private_metadata": "{}",
        "blocks": [
            {
                "type": "input",
                "block_id": "member",
                "label": plain("Member"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "member_input",
                    "placeholder": plain("Email or id"),
                    "max_length": 254,
                    "initial_value": "jane@example.com",
                },
            },
            {
                "type": "input",
                "block_id": "id_type",
                "label": plain("Search as"),
                "element": {
                    "type": "static_select",
                    "action_id": "id_type_select",
                    "options": options,
                    "initial_option": options[0],
                },
            },
            {
                "type": "input",
                "block_id": "start",
                "optional": True,
                "label": plain("From"),
                "element": {
                    "type": "datepicker",
                    "action_id": "start_date",
                    "initial_date": "2024-03-01",
                },
            },
        ],
    }


def test_valid_message_and_view_pass() -> None:
    assert message_problems(valid_message()) == []
    assert view_problems(valid_view()) == []
    assert_valid_message(valid_message())
    assert_valid_view(valid_view())


def test_assert_valid_lists_every_problem() -> None:
    message = valid_message()
    message["text"] = ""
    message["blocks"][0]["text"]["text"] = "x" * 151
    with pytest.raises(AssertionError) as raised:
        assert_valid_message(message)
    assert "text fallback" in str(raised.value)
    assert "slack_sdk: text attribute cannot exceed 150 characters" in str(raised.value)


def _set(path: str, value: Any) -> Callable[[Fixture], None]:
    """A mutation setting the value at a dotted path (list indexes as numbers)."""

    def mutate(fixture: Fixture) -> None:
        *parents, last = path.split(".")
        target: Any = fixture
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def sdk(finding: str) -> str:
    """A problem slack_sdk's models report (our checker leaves that rule to them)."""
    return f"slack_sdk: {finding}"


def _append_block(block: Fixture, times: int = 1) -> Callable[[Fixture], None]:
    def mutate(fixture: Fixture) -> None:
        fixture["blocks"].extend(copy.deepcopy(block) for _ in range(times))

    return mutate


MESSAGE_RULES: list[tuple[str, Callable[[Fixture], None], str]] = [
    ("text missing", lambda m: m.pop("text"), "text fallback"),
    ("text blank", _set("text", "  "), "text fallback"),
    ("text over 4000", _set("text", "x" * 4001), "4000"),
    ("text over 40000", _set("text", "x" * 40_001), "40000"),
    ("too many blocks", _append_block({"type": "divider"}, 45), "over the limit of 50"),
    (
        "header too long",
        _set("blocks.0.text.text", "x" * 151),
        sdk("text attribute cannot exceed 150 characters"),
    ),
    ("header not plain", _set("blocks.0.text", mrkdwn("Hi")), "must be plain_text"),
    (
        "bad text type",
        _set("blocks.1.elements.0", {"type": "markdown", "text": "a"}),
        "is not plain_text or mrkdwn",
    ),
    ("empty text", _set("blocks.1.elements.0", mrkdwn("")), "is empty"),
    (
        "section text long",
        _set("blocks.2.text.text", "x" * 3001),
        sdk("text attribute cannot exceed 3000 characters"),
    ),
    (
        "too many fields",
        _set("blocks.3.fields", [mrkdwn("f")] * 11),
        sdk("fields attribute cannot exceed 10 items"),
    ),
    ("field too long", _set("blocks.3.fields.0.text", "x" * 2001), "over the limit of 2000"),
    (
        "section empty",
        _set("blocks.3", {"type": "section"}),
        sdk("text or fields attribute must be specified"),
    ),
    (
        "context crowded",
        _set("blocks.1.elements", [mrkdwn("c")] * 11),
        sdk("elements attribute cannot exceed 10 elements"),
    ),
    (
        "actions crowded",
        _set("blocks.5.elements", [button(f"a{i}") for i in range(26)]),
        sdk("elements attribute cannot exceed 25 elements"),
    ),
    ("actions empty", _set("blocks.5.elements", []), "non-empty list"),
    (
        "button text long",
        _set("blocks.5.elements.0.text.text", "x" * 76),
        sdk("text attribute cannot exceed 75 characters"),
    ),
    ("button text mrkdwn", _set("blocks.5.elements.0.text", mrkdwn("Go")), "must be plain_text"),
    (
        "button value long",
        _set("blocks.5.elements.0.value", "x" * 2001),
        sdk("value attribute cannot exceed 2000 characters"),
    ),
    (
        "action_id long",
        _set("blocks.5.elements.0.action_id", "x" * 256),
        sdk("action_id attribute cannot exceed 255 characters"),
    ),
    (
        "button url long",
        _set("blocks.5.elements.0.url", "https://" + "x" * 3000),
        sdk("url attribute cannot exceed 3000 characters"),
    ),
    (
        "button style",
        _set("blocks.5.elements.0.style", "green"),
        sdk("style attribute must be one of the following values"),  # named in set order
    ),
    (
        "block_id long",
        _set("blocks.5.block_id", "x" * 256),
        sdk("block_id cannot exceed 255 characters"),
    ),
    ("block_id twice", _set("blocks.4.block_id", "nav"), "used twice"),
    ("action_id twice", _set("blocks.5.elements.1.action_id", "details_0"), "used twice"),
    (
        "block text total",
        _append_block({"type": "section", "text": mrkdwn("x" * 2500)}, 5),
        "over the limit of 12000",
    ),
    (
        "input in a message",
        _append_block(valid_view()["blocks"][0]),
        "belong in modals",
    ),
    ("response_type", _set("response_type", "public"), "ephemeral or in_channel"),
    ("replace_original", _set("replace_original", "yes"), "true or false"),
    ("unknown block", _append_block({"type": "carousel_of_doom"}), sdk("unknown block type")),
    ("block not an object", _append_block("divider"), "must be an object"),  # type: ignore[arg-type]
    # Rules no fixture above reached before the per-field limits moved to slack_sdk.
    ("delete_original", _set("delete_original", 1), "true or false"),
    (
        "accessibility_label long",
        _set("blocks.5.elements.0.accessibility_label", "x" * 76),
        sdk("accessibility_label attribute cannot exceed 75 characters"),
    ),
    ("button value not text", _set("blocks.5.elements.0.value", ["v"]), "must be a string"),
    ("fields empty", _set("blocks.3.fields", []), "non-empty list"),
    ("context empty", _set("blocks.1.elements", []), "non-empty list"),
    ("context text long", _set("blocks.1.elements.0.text", "x" * 3001), "over the limit of 3000"),
    ("text not an object", _set("blocks.2.text", "hi"), "must be a text object"),
    (
        "image url long",
        _append_block({"type": "image", "image_url": "https://" + "x" * 3000, "alt_text": "a"}),
        sdk("image_url attribute cannot exceed 3000 characters"),
    ),
    (
        "image alt text long",
        _append_block(
            {"type": "image", "image_url": "https://e.com/a.png", "alt_text": "x" * 2001}
        ),
        sdk("alt_text attribute cannot exceed 2000 characters"),
    ),
    (
        "image alt text empty",
        _append_block({"type": "image", "image_url": "https://e.com/a.png", "alt_text": ""}),
        "alt_text: is empty",
    ),
    (
        "image url missing",
        _append_block({"type": "image", "alt_text": "a"}),
        "image_url: is missing",
    ),
    (
        "image title long",
        _append_block(
            {
                "type": "image",
                "image_url": "https://e.com/a.png",
                "alt_text": "a",
                "title": plain("x" * 2001),
            }
        ),
        sdk("title attribute cannot exceed 2000 characters"),
    ),
    (
        "context image alt text long",
        _set(
            "blocks.1.elements.0",
            {"type": "image", "image_url": "https://e.com/a.png", "alt_text": "x" * 2001},
        ),
        sdk("alt_text attribute cannot exceed 2000 characters"),
    ),
    (
        "unknown element",
        _set("blocks.5.elements.0", {"type": "doohickey", "action_id": "x" * 256}),
        "unknown element type",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [pytest.param(m, e, id=name) for name, m, e in MESSAGE_RULES],
)
def test_message_rule_is_caught(mutate: Callable[[Fixture], None], expected: str) -> None:
    message = valid_message()
    mutate(message)
    problems = message_problems(message)
    assert any(expected in problem for problem in problems), problems


VIEW_RULES: list[tuple[str, Callable[[Fixture], None], str]] = [
    ("not a modal", _set("type", "message"), "must be modal"),
    ("title missing", lambda v: v.pop("title"), "title: is missing"),
    ("title long", _set("title.text", "x" * 25), sdk("title must be between 1 and 24 characters")),
    ("submit long", _set("submit.text", "x" * 25), sdk("submit cannot exceed 24 characters")),
    ("close long", _set("close.text", "x" * 25), sdk("close cannot exceed 24 characters")),
    (
        "metadata long",
        _set("private_metadata", "x" * 3001),
        sdk("private_metadata cannot exceed 3000 characters"),
    ),
    (
        "callback_id long",
        _set("callback_id", "x" * 256),
        sdk("callback_id cannot exceed 255 characters"),
    ),
    (
        "too many blocks",
        _append_block({"type": "divider"}, 98),
        sdk("views must contain between 1 and 100 blocks"),
    ),
    ("no blocks", _set("blocks", []), sdk("views must contain between 1 and 100 blocks")),
    ("input without submit", lambda v: v.pop("submit"), "needs a submit button"),
    (
        "label long",
        _set("blocks.0.label.text", "x" * 2001),
        sdk("label attribute cannot exceed 2000 characters"),
    ),
    ("label mrkdwn", _set("blocks.0.label", mrkdwn("Member")), "must be plain_text"),
    (
        "hint long",
        _set("blocks.0.hint", plain("x" * 2001)),
        sdk("hint attribute cannot exceed 2000 characters"),
    ),
    (
        "input element missing",
        lambda v: v["blocks"][0].pop("element"),
        sdk("InputBlock.__init__() missing 1 required keyword-only argument"),
    ),
    (
        "placeholder long",
        _set("blocks.0.element.placeholder.text", "x" * 151),
        sdk("placeholder attribute cannot exceed 150 characters"),
    ),
    (
        "initial value over max_length",
        _set("blocks.0.element.initial_value", "x" * 255),
        "over the limit of 254",
    ),
    ("max_length too big", _set("blocks.0.element.max_length", 3001), "max_length"),
    (
        "too many options",
        _set("blocks.1.element.options", [option(str(i), str(i)) for i in range(101)]),
        sdk("options attribute cannot exceed 100 elements"),
    ),
    (
        "option text long",
        _set("blocks.1.element.options.1", option("x" * 76, "id")),
        "over the limit of 75",
    ),
    (
        "option value long",
        _set("blocks.1.element.options.1", option("Id", "x" * 151)),
        "over the limit of 150",
    ),
    (
        "option text mrkdwn",
        _set("blocks.1.element.options.1", {"text": mrkdwn("Id"), "value": "id"}),
        "must be plain_text",
    ),
    (
        "initial option unknown",
        _set("blocks.1.element.initial_option", option("Phone", "phone")),
        "not one of the options",
    ),
    ("bad initial date", _set("blocks.2.element.initial_date", "2024-3-1"), "YYYY-MM-DD"),
    ("impossible date", _set("blocks.2.element.initial_date", "2024-02-30"), "YYYY-MM-DD"),
    ("select action twice", _set("blocks.1.element.action_id", "member_input"), "used twice"),
    # Rules no fixture above reached before the per-field limits moved to slack_sdk.
    ("title mrkdwn", _set("title", mrkdwn("Purchases")), "must be plain_text"),
    ("submit mrkdwn", _set("submit", mrkdwn("Go")), "must be plain_text"),
    ("hint mrkdwn", _set("blocks.0.hint", mrkdwn("Hint")), "must be plain_text"),
    ("placeholder mrkdwn", _set("blocks.0.element.placeholder", mrkdwn("p")), "must be plain_text"),
    ("options empty", _set("blocks.1.element.options", []), "non-empty list"),
    (
        "option value missing",
        _set("blocks.1.element.options.1", {"text": plain("Id")}),
        "value: is missing",
    ),
    ("option not an object", _set("blocks.1.element.options.1", "id"), "must be an option object"),
    (
        "date with a tail",  # slack_sdk's pattern is not anchored at the end
        _set("blocks.2.element.initial_date", "2024-03-011"),
        "YYYY-MM-DD",
    ),
    ("metadata not text", _set("private_metadata", {"a": 1}), "must be a string"),
]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [pytest.param(m, e, id=name) for name, m, e in VIEW_RULES],
)
def test_view_rule_is_caught(mutate: Callable[[Fixture], None], expected: str) -> None:
    view = valid_view()
    mutate(view)
    problems = view_problems(view)
    assert any(expected in problem for problem in problems), problems


def test_slack_sdk_findings_are_reported() -> None:
    """slack_sdk's own validators run too: here one that no rule above checks."""
    view = valid_view()
    select = view["blocks"][1]["element"]
    select["option_groups"] = [{"label": plain("All"), "options": select["options"]}]
    problems = view_problems(view)
    assert any("slack_sdk" in p and "option_groups" in p for p in problems), problems


def test_slack_sdk_also_reports_limits_it_knows() -> None:
    message = valid_message()
    message["blocks"][0]["text"]["text"] = "x" * 151
    assert any(p.startswith("blocks[0] (header): slack_sdk:") for p in message_problems(message))


def test_problems_say_where() -> None:
    """Our rules name the element; slack_sdk's findings name the block they came from."""
    message = valid_message()
    message["blocks"][5]["elements"][1]["text"] = mrkdwn("Next")
    assert any(
        p.startswith("blocks[5] (actions).elements[1] (button)")
        for p in (message_problems(message))
    )
    message = valid_message()
    message["blocks"][5]["elements"][1]["text"]["text"] = "x" * 76
    assert any(p.startswith("blocks[5] (actions): slack_sdk:") for p in message_problems(message))


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a<b>&c", "a&lt;b&gt;&amp;c"),
        ("&amp;", "&amp;amp;"),
        ("<!channel>", "&lt;!channel&gt;"),
        ("plain", "plain"),
    ],
)
def test_escape_round_trips(raw: str, escaped: str) -> None:
    assert escape(raw) == escaped
    assert unescape(escape(raw)) == raw


@pytest.mark.parametrize(
    ("mrkdwn_text", "seen"),
    [
        (
            "<!date^1709647320^{date_short_pretty} at {time}|2024-03-05 14:02 UTC>",
            "2024-03-05 14:02 UTC",
        ),
        ("see <https://example.com/a?b=1|the docs>", "see the docs"),
        ("<https://example.com>", "https://example.com"),
        ("ask <@U123>", "ask @U123"),
        ("in <#C123|support>", "in #support"),
        ("<!here> now", "@here now"),
        ("a &lt;b&gt; &amp; c", "a <b> & c"),
    ],
)
def test_readable_resolves_tokens(mrkdwn_text: str, seen: str) -> None:
    assert readable(mrkdwn_text) == seen


def test_render_text_message() -> None:
    message = valid_message()
    message["blocks"][3]["fields"] = [
        mrkdwn("*Total*\n400"),
        mrkdwn("*Earned*\n500"),
        mrkdwn("*Base points*\n1 &amp; 2"),
    ]
    assert render_text(message) == "\n".join(
        [
            "Purchases for jane@example.com",
            "═" * 30,
            "Searched as email",
            "*27 purchases*  [Go]",
            "*Total*         *Earned*",
            "400             500",
            "*Base points*",
            "1 & 2",
            "─" * 40,
            "[Go]  [Go]",
        ]
    )


def test_render_text_view() -> None:
    text = render_text(valid_view())
    assert text.startswith("┌ Purchase history ┐")
    assert "Member\n  [✎ jane@example.com]" in text
    assert "Search as\n  [▾ Email]" in text
    assert "From (optional)\n  [📅 2024-03-01]" in text
    assert text.endswith("[Cancel]  [Look up]")


def test_render_text_without_blocks_shows_text() -> None:
    assert render_text({"text": "Tom &amp; Jerry"}) == "Tom & Jerry"
