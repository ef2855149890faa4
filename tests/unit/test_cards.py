"""bot.cards: what each message and modal says, and that all stay within Block Kit's limits."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import cards
from bot.crowdtwist.errors import CrowdTwistError, ErrorKind
from bot.crowdtwist.models import IdType, Purchase, PurchaseDetail, PurchasePage
from bot.query import MAX_MEMBER_LENGTH, MAX_PAGE, USAGE, PurchaseQuery, UsageError, decode_query
from bot.slack_ids import (
    CHOOSE_MEMBER_ACTION_PREFIX,
    DETAIL_VIEW_CALLBACK_ID,
    DETAILS_ACTION_PREFIX,
    EXPORT_ACTION,
    FORM_END_ACTION,
    FORM_END_BLOCK,
    FORM_ID_TYPE_ACTION,
    FORM_ID_TYPE_BLOCK,
    FORM_ID_TYPE_INFER,
    FORM_MEMBER_ACTION,
    FORM_MEMBER_BLOCK,
    FORM_START_ACTION,
    FORM_START_BLOCK,
    LOOKUP_VIEW_CALLBACK_ID,
    NEXT_PAGE_ACTION,
    OPEN_FORM_ACTION,
    PREV_PAGE_ACTION,
)
from tests.support.blockkit_rules import assert_valid_message, assert_valid_view
from tests.support.render import render_text

JANE = "jane@example.com"
LINK = "https://pos12.crowdtwist.com/users/332170040/purchases?id_type=email&page={}"
DATE_TOKEN = re.compile(r"<!date\^-?\d+\^\{date_short_pretty\} at \{time\}\|[^<>]*>")
ENTITY = re.compile(r"&(?!(?:amp|lt|gt);)")

# --------------------------------------------------------------------------------------------
# Builders and readers
# --------------------------------------------------------------------------------------------


def query(member: str = JANE, **changes: Any) -> PurchaseQuery:
    return PurchaseQuery(member=member, id_type=changes.pop("id_type", IdType.EMAIL), **changes)


def purchase(purchase_id: str = "order_100", **fields: Any) -> Purchase:
    data = {
        "purchase_id": purchase_id,
        "purchase_id_type": "order_id",
        "last_date_purchased": "2024-03-05T14:02:00Z",
        "purchase_total": 400,
        "total_points_earned": 400,
        "total_points_awarded": 400,
        **fields,
    }
    return Purchase.model_validate({k: v for k, v in data.items() if v is not None})


def page_of(
    purchases: Sequence[Purchase] = (),
    *,
    total: int | None = None,
    pages: int | None = None,
    prev: int | None = None,
    nxt: int | None = None,
) -> PurchasePage:
    total = len(purchases) if total is None else total
    paging = {
        "total": total,
        "pages": (total + 9) // 10 if pages is None else pages,
        "prev_page": LINK.format(prev) if prev is not None else "",
        "next_page": LINK.format(nxt) if nxt is not None else None,
    }
    return PurchasePage.model_validate({"purchases": list(purchases), "paging": paging})


def ten_purchases() -> list[Purchase]:
    return [purchase(f"order_{i}") for i in range(10)]


def blocks_of(message: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [b for b in message["blocks"] if b["type"] == kind]


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every button in a message or view, by action_id."""
    found: dict[str, dict[str, Any]] = {}
    for block in message["blocks"]:
        for element in [*block.get("elements", []), block.get("accessory")]:
            if isinstance(element, dict) and element.get("type") == "button":
                found[element["action_id"]] = element
    return found


def label(button: dict[str, Any]) -> str:
    return str(button["text"]["text"])


def decoded_page(button: dict[str, Any]) -> int:
    decoded = decode_query(button["value"])
    assert decoded is not None
    return decoded.page


def mrkdwn_texts(node: Any) -> Iterator[str]:
    """Every mrkdwn string in a message (and its top-level text)."""
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn" or ("blocks" in node and isinstance(node.get("text"), str)):
            yield node["text"]
        for value in node.values():
            yield from mrkdwn_texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from mrkdwn_texts(item)


def assert_escaped(message: dict[str, Any]) -> None:
    """No raw ``<``, ``>`` or bare ``&`` in mrkdwn, apart from the bot's own date tokens."""
    for text in mrkdwn_texts(message):
        rest = DATE_TOKEN.sub("", text)
        assert "<" not in rest, text
        assert ">" not in rest, text
        assert not ENTITY.search(rest), text


def seen(message: dict[str, Any]) -> str:
    return render_text(message)


# --------------------------------------------------------------------------------------------
# The card: header, summary, purchases
# --------------------------------------------------------------------------------------------


def test_card_head_names_member_how_and_range() -> None:
    card = cards.purchase_card(query(start=date(2024, 3, 1)), page_of(ten_purchases(), total=27))
    assert_valid_message(card)
    header = blocks_of(card, "header")[0]["text"]
    assert header == {"type": "plain_text", "text": f"Purchases for {JANE}", "emoji": True}
    assert "Searched as email · since 2024-03-01" in seen(card)


def test_card_says_when_the_type_was_chosen_and_when_no_range() -> None:
    card = cards.purchase_card(query(id_type_inferred=False), page_of(ten_purchases()))
    assert "Searched as email (you chose it) · all dates" in seen(card)


def test_card_summary_and_fallback_text() -> None:
    card = cards.purchase_card(query(), page_of(ten_purchases(), total=27, nxt=2))
    assert "*27 purchases*  ·  Page 1 of 3" in seen(card)
    assert card["text"] == f"Purchases for {JANE} (searched as email): 27 purchases, page 1 of 3"


def test_card_shows_purchases_in_api_order_at_most_ten() -> None:
    many = [purchase(f"order_{i}") for i in (5, 3, 9, 1, 7, 2, 8, 4, 6, 0, 11)]
    text = seen(cards.purchase_card(query(), page_of(many, total=11)))
    positions = [text.index(f"`order_{i}`") for i in (5, 3, 9, 1, 7, 2, 8, 4, 6, 0)]
    assert positions == sorted(positions)
    assert "order_11" not in text


def test_purchase_line_shows_each_figure_in_a_fixed_order() -> None:
    one = purchase(
        "R-77",
        purchase_id_type="receipt_id",
        purchase_total=12345,
        total_points_earned=1500,
        total_points_awarded=1200,
        points_awaiting_fulfillment=300,
    )
    text = seen(cards.purchase_card(query(), page_of([one])))
    assert "*Receipt* `R-77`  ·  2024-03-05 14:02 UTC" in text
    assert "Total *12,345*  ·  Earned *1,500*  ·  Awarded *1,200*  ·  Awaiting *300*" in text


def test_purchase_date_is_in_the_readers_zone_with_utc_fallback() -> None:
    one = purchase(last_date_purchased="2024-03-05T15:02:00+01:00")
    card = cards.purchase_card(query(), page_of([one]))
    epoch = int(datetime(2024, 3, 5, 14, 2, tzinfo=UTC).timestamp())
    token = f"<!date^{epoch}^{{date_short_pretty}} at {{time}}|2024-03-05 14:02 UTC>"
    assert token in json.dumps(card)


def test_missing_date_is_said_plainly() -> None:
    card = cards.purchase_card(query(), page_of([purchase(last_date_purchased=None)]))
    assert "date unknown" in seen(card)


@pytest.mark.parametrize(
    ("total", "shown"),
    [(400, "400"), (1234567, "1,234,567"), (12.5, "12.50"), (0, "0"), (-20, "-20")],
)
def test_totals_are_formatted_for_people(total: float, shown: str) -> None:
    card = cards.purchase_card(query(), page_of([purchase(purchase_total=total)]))
    assert f"Total *{shown}*" in seen(card)


def test_unknown_awaiting_is_unknown_not_zero() -> None:
    card = cards.purchase_card(query(), page_of([purchase(points_awaiting_fulfillment=None)]))
    text = seen(card)
    assert "Awaiting *—*" in text
    assert "Awaiting *0*" not in text
    assert ":hourglass_flowing_sand:" not in text


def test_unknown_points_are_unknown_and_not_flagged() -> None:
    one = purchase(total_points_earned=None, total_points_awarded=None, purchase_total=None)
    text = seen(cards.purchase_card(query(), page_of([one])))
    assert "Total *—*  ·  Earned *—*  ·  Awarded *—*  ·  Awaiting *—*" in text
    assert ":warning:" not in text


def test_capped_purchase_is_flagged_with_the_points_over_the_cap() -> None:
    one = purchase(total_points_earned=500, total_points_awarded=400)
    text = seen(cards.purchase_card(query(), page_of([one])))
    assert ":warning: Capped: 100 points over the cap" in text


def test_awaiting_points_are_flagged_not_called_a_cap() -> None:
    """The API's own sample: earned 500 = awarded 400 + 100 awaiting; no cap applied."""
    one = purchase(
        total_points_earned=500, total_points_awarded=400, points_awaiting_fulfillment=100
    )
    text = seen(cards.purchase_card(query(), page_of([one])))
    assert ":hourglass_flowing_sand: 100 points awaiting fulfilment" in text
    assert "Capped" not in text


def test_cap_and_awaiting_together() -> None:
    one = purchase(
        total_points_earned=701, total_points_awarded=400, points_awaiting_fulfillment=300
    )
    text = seen(cards.purchase_card(query(), page_of([one])))
    assert ":warning: Capped: 1 point over the cap" in text
    assert ":hourglass_flowing_sand: 300 points awaiting fulfilment" in text


def test_plain_purchase_has_no_flags() -> None:
    text = seen(cards.purchase_card(query(), page_of([purchase(points_awaiting_fulfillment=0)])))
    assert ":warning:" not in text
    assert ":hourglass_flowing_sand:" not in text


def test_details_buttons_carry_the_purchase_id_and_type() -> None:
    rows = [purchase("order_1"), purchase("R-2", purchase_id_type="receipt_id")]
    found = buttons(cards.purchase_card(query(), page_of(rows)))
    assert json.loads(found[f"{DETAILS_ACTION_PREFIX}_0"]["value"]) == {
        "id": "order_1",
        "t": "order_id",
    }
    assert json.loads(found[f"{DETAILS_ACTION_PREFIX}_1"]["value"]) == {
        "id": "R-2",
        "t": "receipt_id",
    }
    assert label(found[f"{DETAILS_ACTION_PREFIX}_0"]) == "Details"


def test_details_buttons_can_be_turned_off() -> None:
    card = cards.purchase_card(query(), page_of(ten_purchases()), allow_details=False)
    assert not [a for a in buttons(card) if a.startswith(DETAILS_ACTION_PREFIX)]


def test_no_details_button_when_the_id_cannot_ride_in_a_button() -> None:
    card = cards.purchase_card(query(), page_of([purchase("x" * 2100)]))
    assert_valid_message(card)
    assert not [a for a in buttons(card) if a.startswith(DETAILS_ACTION_PREFIX)]


# --------------------------------------------------------------------------------------------
# The card: navigation and export
# --------------------------------------------------------------------------------------------


def test_first_page_offers_next_and_export() -> None:
    q = query(start=date(2024, 3, 1), end=date(2024, 3, 31), id_type_inferred=False)
    found = buttons(cards.purchase_card(q, page_of(ten_purchases(), total=27, nxt=2)))
    assert PREV_PAGE_ACTION not in found
    assert label(found[NEXT_PAGE_ACTION]) == "Next"
    assert decode_query(found[NEXT_PAGE_ACTION]["value"]) == q.with_page(2)
    assert label(found[EXPORT_ACTION]) == "Export CSV"
    assert decode_query(found[EXPORT_ACTION]["value"]) == q.with_page(1)


def test_middle_page_offers_both_ways() -> None:
    q = query(page=2)
    card = cards.purchase_card(q, page_of(ten_purchases(), total=27, prev=1, nxt=3))
    found = buttons(card)
    assert decoded_page(found[PREV_PAGE_ACTION]) == 1
    assert decoded_page(found[NEXT_PAGE_ACTION]) == 3
    assert "Page 2 of 3" in seen(card)
    assert [label(b) for b in blocks_of(card, "actions")[0]["elements"]] == [
        "Previous",
        "Next",
        "Export CSV",
    ]


def test_last_page_offers_previous_only() -> None:
    found = buttons(cards.purchase_card(query(page=3), page_of([purchase()], total=27, prev=2)))
    assert decoded_page(found[PREV_PAGE_ACTION]) == 2
    assert NEXT_PAGE_ACTION not in found


def test_single_page_offers_export_only_and_can_hide_it() -> None:
    card = cards.purchase_card(query(), page_of([purchase()]))
    assert [a for a in buttons(card) if not a.startswith(DETAILS_ACTION_PREFIX)] == [EXPORT_ACTION]
    hidden = cards.purchase_card(query(), page_of([purchase()]), allow_export=False)
    assert not blocks_of(hidden, "actions")


def test_links_without_a_page_number_fall_back_to_the_neighbours() -> None:
    page = PurchasePage.model_validate(
        {
            "purchases": [purchase().model_dump()],
            "paging": {
                "total": 30,
                "pages": 3,
                "prev_page": "https://pos12.crowdtwist.com/users/1/purchases?id_type=id",
                "next_page": "https://pos12.crowdtwist.com/users/1/purchases?id_type=id&page=x",
            },
        }
    )
    found = buttons(cards.purchase_card(query(page=2), page))
    assert decoded_page(found[PREV_PAGE_ACTION]) == 1
    assert decoded_page(found[NEXT_PAGE_ACTION]) == 3


def test_page_past_the_last_says_so_and_leads_back() -> None:
    q = query(page=9)
    card = cards.purchase_card(q, page_of([], total=27, pages=3, prev=3))
    assert_valid_message(card)
    assert "Page 9 is past the last page (3). This member has 27 purchases." in seen(card)
    found = buttons(card)
    assert list(found) == [PREV_PAGE_ACTION]
    assert label(found[PREV_PAGE_ACTION]) == "Back to page 3"
    assert decode_query(found[PREV_PAGE_ACTION]["value"]) == q.with_page(3)
    assert "past the last page" in card["text"]


@pytest.mark.parametrize("page", [0, -4])
def test_page_before_the_first_says_so_and_leads_forward(page: int) -> None:
    card = cards.purchase_card(query(page=page), page_of([], total=27, pages=3, nxt=1))
    assert_valid_message(card)
    assert f"Page {page} is before the first page." in seen(card)
    found = buttons(card)
    assert list(found) == [NEXT_PAGE_ACTION]
    assert label(found[NEXT_PAGE_ACTION]) == "Go to page 1"
    assert decoded_page(found[NEXT_PAGE_ACTION]) == 1


def test_empty_page_inside_the_range_offers_the_api_links() -> None:
    card = cards.purchase_card(query(page=2), page_of([], total=27, pages=3, prev=1, nxt=3))
    assert "Page 2 has no purchases." in seen(card)
    assert {decoded_page(b) for b in buttons(card).values()} == {1, 3}


def test_empty_history_without_a_range() -> None:
    card = cards.purchase_card(query(), page_of([]))
    assert_valid_message(card)
    assert "No purchases." in seen(card)
    assert not blocks_of(card, "actions")
    assert card["text"] == f"No purchases for {JANE} (searched as email)."


@pytest.mark.parametrize(
    ("start", "end", "phrase"),
    [
        (date(2024, 3, 1), date(2024, 3, 31), "No purchases from 2024-03-01 to 2024-03-31."),
        (date(2024, 3, 1), None, "No purchases since 2024-03-01."),
        (None, date(2024, 3, 31), "No purchases until 2024-03-31."),
        (date(2024, 3, 1), date(2024, 3, 1), "No purchases on 2024-03-01."),
    ],
)
def test_empty_history_with_a_range(start: date | None, end: date | None, phrase: str) -> None:
    card = cards.purchase_card(query(start=start, end=end), page_of([]))
    assert phrase in seen(card)
    assert not buttons(card)


# --------------------------------------------------------------------------------------------
# The card: escaping and worst cases
# --------------------------------------------------------------------------------------------


def test_outside_text_is_escaped_in_mrkdwn_and_raw_in_plain_text() -> None:
    member = "<!channel> & <@U123>"
    rows = [purchase("<b>&1", purchase_id_type="<weird>")]
    card = cards.purchase_card(query(member, id_type=IdType.THIRD_PARTY_ID), page_of(rows))
    assert_valid_message(card)
    assert_escaped(card)
    assert blocks_of(card, "header")[0]["text"]["text"] == f"Purchases for {member}"
    assert "`&lt;b&gt;&amp;1`" in json.dumps(card)
    assert "*<weird>* `<b>&1`" in seen(card)


def test_worst_case_card_stays_within_limits() -> None:
    member = "&<>" * 85
    rows = [
        purchase(
            "&" * 255,
            purchase_id_type="<" * 255,
            purchase_total=10**30,
            total_points_earned=10**40,
            total_points_awarded=-(10**40),
            points_awaiting_fulfillment=10**40,
        )
        for _ in range(10)
    ]
    q = query(member, start=date(2024, 1, 1), end=date(2024, 12, 31), page=MAX_PAGE - 1)
    page = page_of(rows, total=10**12, pages=10**11, prev=MAX_PAGE - 2, nxt=MAX_PAGE)
    card = cards.purchase_card(q, page)
    assert_valid_message(card)
    assert_escaped(card)
    assert len(card["text"]) <= 4000
    assert "1e+30" in seen(card)


def test_backticks_in_an_id_do_not_break_code_formatting() -> None:
    card = cards.purchase_card(query(), page_of([purchase("a`b")]))
    assert "*Order* `a\u02cbb`  ·" in seen(card)


@pytest.mark.parametrize(
    "nasty", ["`https://evil.example` `@channel`", "x` <!channel> `y", "``", "`@here"]
)
def test_backticks_in_members_and_ids_leave_every_piece_inside_code(nasty: str) -> None:
    messages = [
        cards.purchase_card(query(nasty), page_of([purchase(nasty)])),
        cards.crowdtwist_error_message(CrowdTwistError(ErrorKind.NOT_FOUND, "none"), query(nasty)),
    ]
    views = [cards.detail_loading_modal(nasty, "order_id")]
    for blocks in [m["blocks"] for m in messages] + [v["blocks"] for v in views]:
        for block in blocks:
            texts = [
                block.get("text"),
                *list(block.get("fields") or []),
                *list(block.get("elements") or []),
            ]
            for obj in texts:
                if isinstance(obj, dict) and obj.get("type") == "mrkdwn":
                    assert obj["verbatim"] is True
                    # every backtick pairs up: outside text never escapes its code span
                    assert obj["text"].count("`") % 2 == 0, obj["text"]
                    assert "<!channel>" not in obj["text"]


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------

UPSTREAM_JSON = '{"error": {"code": 404, "message": "Not found"}}'


def error(
    kind: ErrorKind, message: str = "CrowdTwist could not use that request."
) -> CrowdTwistError:
    return CrowdTwistError(kind, message, status=500, reason="x", detail=UPSTREAM_JSON)


@pytest.mark.parametrize("kind", list(ErrorKind))
def test_every_error_names_the_lookup_and_hides_upstream_detail(kind: ErrorKind) -> None:
    q = query("+1 555 010 9999", id_type=IdType.MOBILE_PHONE_NUMBER, start=date(2024, 3, 1))
    message = cards.crowdtwist_error_message(error(kind), q)
    assert_valid_message(message)
    text = seen(message)
    assert "`+1 555 010 9999`, searched as mobile phone number, since 2024-03-01" in text
    assert "{" not in json.dumps([*mrkdwn_texts(message)]).replace("{date_short_pretty}", "")
    assert UPSTREAM_JSON not in json.dumps(message)
    assert "Traceback" not in text


def test_not_found_names_identifier_and_type_and_what_to_do() -> None:
    text = seen(cards.crowdtwist_error_message(error(ErrorKind.NOT_FOUND), query("x")))
    assert "No member found for `x` searched as email." in text
    assert "Check it, or pick another type with `type:`" in text


@pytest.mark.parametrize(
    ("kind", "advice"),
    [
        (ErrorKind.UNAUTHORIZED, "ask a Slack admin"),
        (ErrorKind.NOT_CONFIGURED, "ask an admin"),
        (ErrorKind.UNAVAILABLE, "try again"),
        (ErrorKind.BAD_RESPONSE, "try again"),
        (ErrorKind.INVALID_INPUT, "Check the identifier"),
    ],
)
def test_each_error_says_what_to_do(kind: ErrorKind, advice: str) -> None:
    assert advice in seen(cards.crowdtwist_error_message(error(kind), query()))


def test_invalid_input_shows_the_person_safe_reason() -> None:
    failure = error(ErrorKind.INVALID_INPUT, "CrowdTwist could not use that request: ID <bad>.")
    message = cards.crowdtwist_error_message(failure, query())
    assert "CrowdTwist could not use that request: ID <bad>." in seen(message)
    assert_escaped(message)


@pytest.mark.parametrize("kind", list(ErrorKind))
def test_retry_is_offered_only_when_it_may_help(kind: ErrorKind) -> None:
    q = query(page=2)
    found = buttons(cards.crowdtwist_error_message(error(kind), q))
    if kind.retryable:
        assert decode_query(found[NEXT_PAGE_ACTION]["value"]) == q
    else:
        assert not found


@pytest.mark.parametrize("action_id", [NEXT_PAGE_ACTION, PREV_PAGE_ACTION])
def test_failed_page_is_a_separate_note_with_a_retry(action_id: str) -> None:
    q = query(page=3)
    note = cards.page_failed_message(error(ErrorKind.UNAVAILABLE), q, action_id=action_id)
    assert_valid_message(note)
    assert note["response_type"] == "ephemeral"
    assert note["replace_original"] is False
    assert "Page 3 did not load" in seen(note)
    assert "The card above is unchanged." in seen(note)
    retry = buttons(note)[action_id]
    assert label(retry) == "Try again"
    assert decode_query(retry["value"]) == q


def test_usage_error_says_what_was_wrong_and_how_to_ask() -> None:
    message = cards.usage_error_message(UsageError("`2024-02-30` is not a date <sic>."))
    assert_valid_message(message)
    assert_escaped(message)
    text = seen(message)
    assert "`2024-02-30` is not a date <sic>." in text
    assert USAGE in text
    assert "Try `/purchases help`" in text
    assert set(message) == {"text", "blocks"}  # ack(**message) takes these


def test_huge_usage_error_stays_within_limits() -> None:
    assert_valid_message(cards.usage_error_message(UsageError("<" * 10_000)))


def test_help_message_shows_the_help_text_escaped() -> None:
    help_text = "*Usage*\n`/purchases <member> [from:<date>]`\n• Dates & ranges"
    message = cards.help_message(help_text)
    assert_valid_message(message)
    assert_escaped(message)
    assert seen(message) == help_text
    assert set(message) == {"text", "blocks"}


def test_long_help_text_is_split_and_bounded() -> None:
    message = cards.help_message("\n".join(f"line {i} " + "x" * 100 for i in range(400)))
    assert_valid_message(message)
    assert len(blocks_of(message, "section")) > 1


def test_denied_message_says_whom_to_ask() -> None:
    message = cards.denied_message()
    assert_valid_message(message)
    assert "Ask a Slack admin" in seen(message)


def test_denied_message_can_say_why() -> None:
    message = cards.denied_message(reason="Lookups are off in <#C1> & here.")
    assert_valid_message(message)
    assert_escaped(message)
    assert ":no_entry: Lookups are off in <#C1> & here.\nAsk a Slack admin" in seen(message)


def test_internal_error_says_only_what_to_do() -> None:
    message = cards.internal_error_message()
    assert_valid_message(message)
    assert "try again" in seen(message).lower()


def test_choose_member_offers_each_candidate_and_the_form() -> None:
    candidates = [
        ("jane@example.com", IdType.EMAIL),
        ("+1 555 010 9999", IdType.MOBILE_PHONE_NUMBER),
    ]
    message = cards.choose_member_message(candidates)
    assert_valid_message(message)
    found = buttons(message)
    for i, (member, id_type) in enumerate(candidates):
        choice = found[f"{CHOOSE_MEMBER_ACTION_PREFIX}_{i}"]
        assert decode_query(choice["value"]) == PurchaseQuery(member, id_type)
        assert member in label(choice)
    assert OPEN_FORM_ACTION in found


def test_choose_member_with_too_many_candidates_stays_within_limits() -> None:
    candidates = [(f"member{i}@example.com" + "x" * 200, IdType.EMAIL) for i in range(30)]
    message = cards.choose_member_message(candidates)
    assert_valid_message(message)
    assert len(blocks_of(message, "actions")[0]["elements"]) == 25
    assert "…and 6 more" in seen(message)


def test_no_identifier_offers_the_form() -> None:
    message = cards.no_identifier_message()
    assert_valid_message(message)
    assert OPEN_FORM_ACTION in buttons(message)


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------


def test_export_messages() -> None:
    q = query(start=date(2024, 3, 1))
    started = cards.export_started_message(q)
    done = cards.export_done_message(q, 27, False, 50)
    capped = cards.export_done_message(q, 500, True, 50)
    failed = cards.export_failed_message(q, error(ErrorKind.UNAVAILABLE))
    for message in (started, done, capped, failed):
        assert_valid_message(message)
        assert f"`{JANE}`, searched as email, since 2024-03-01" in seen(message)
    assert "Exported 27 purchases" in seen(done)
    assert "Stopped" not in seen(done)
    assert "Stopped after 50 pages" in seen(capped)
    assert "try again" in seen(failed)


# --------------------------------------------------------------------------------------------
# Modals
# --------------------------------------------------------------------------------------------


def _input(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def test_lookup_modal_empty() -> None:
    view = cards.lookup_modal(private_metadata='{"c":"C1"}')
    assert_valid_view(view)
    assert view["callback_id"] == LOOKUP_VIEW_CALLBACK_ID
    assert view["private_metadata"] == '{"c":"C1"}'
    assert view["submit"]["text"] == "Look up"
    assert view["close"]["text"] == "Cancel"
    member = _input(view, FORM_MEMBER_BLOCK)
    assert member["element"]["action_id"] == FORM_MEMBER_ACTION
    assert member["element"]["type"] == "plain_text_input"
    assert "initial_value" not in member["element"]
    select = _input(view, FORM_ID_TYPE_BLOCK)["element"]
    assert select["action_id"] == FORM_ID_TYPE_ACTION
    assert [o["value"] for o in select["options"]] == [FORM_ID_TYPE_INFER, *IdType]
    assert select["initial_option"]["value"] == FORM_ID_TYPE_INFER
    assert select["initial_option"]["text"]["text"] == "Infer from what I type"
    for block_id, action_id in (
        (FORM_START_BLOCK, FORM_START_ACTION),
        (FORM_END_BLOCK, FORM_END_ACTION),
    ):
        block = _input(view, block_id)
        assert block["optional"] is True
        assert block["element"] == {
            **block["element"],
            "type": "datepicker",
            "action_id": action_id,
        }
        assert "initial_date" not in block["element"]


def test_lookup_modal_prefilled() -> None:
    view = cards.lookup_modal(
        private_metadata="",
        member="x" * 300,
        id_type=IdType.MOBILE_PHONE_NUMBER,
        start=date(2024, 3, 1),
        end=date(2024, 3, 31),
    )
    assert_valid_view(view)
    assert _input(view, FORM_MEMBER_BLOCK)["element"]["initial_value"] == "x" * MAX_MEMBER_LENGTH
    initial = _input(view, FORM_ID_TYPE_BLOCK)["element"]["initial_option"]
    assert initial["value"] == IdType.MOBILE_PHONE_NUMBER.value
    assert _input(view, FORM_START_BLOCK)["element"]["initial_date"] == "2024-03-01"
    assert _input(view, FORM_END_BLOCK)["element"]["initial_date"] == "2024-03-31"


def test_detail_loading_modal() -> None:
    view = cards.detail_loading_modal("R-1", "receipt_id")
    assert_valid_view(view)
    assert view["callback_id"] == DETAIL_VIEW_CALLBACK_ID
    assert "Loading Receipt `R-1`…" in seen(view)


def detail(**fields: Any) -> PurchaseDetail:
    data = {
        "third_party_receipt_id": "R-2024-0042",
        "date_purchased": "2024-03-04T09:15:33Z",
        "channel": "In Store",
        "purchase_total": 1230,
        "currency": "USD",
        "base_points": 1230,
        "bonus_points": 270,
        "points_earned": 1500,
        "points_awarded": 1200,
        "coupons": ["SPRING10", {"code": "SHOES25", "name": "25% off", "discount": 25}],
        "items": [
            {
                "sku": "RUN-1",
                "name": "Trail shoes",
                "quantity": 1,
                "price": 129.99,
                "points_awarded": 130,
            },
            {
                "sku": "GIFT-50",
                "name": "Gift card",
                "quantity": 1,
                "price": 50,
                "is_excluded": True,
            },
        ],
        "custom_data": {"store_id": "0042", "register": 7, "tags": ["a", "b"]},
        **fields,
    }
    return PurchaseDetail.model_validate(data)


def test_detail_modal_shows_the_purchase_in_full() -> None:
    view = cards.detail_modal("order_100", "order_id", detail())
    assert_valid_view(view)
    text = seen(view)
    for expected in (
        "*Order `order_100`*",
        "R-2024-0042",
        "2024-03-04 09:15 UTC",
        "In Store",
        "1,230 USD",
        "*Base points*",
        "270",
        "Capped: 300 points earned over the cap",
        "*Coupons (2)*",
        "• `SPRING10`",
        "• `SHOES25` · 25% off · discount 25",
        "*Items (2)*",
        "• `RUN-1` · Trail shoes · qty 1 · price 129.99 · 130 pts",
        "• `GIFT-50` · Gift card · qty 1 · price 50 · — pts · :no_entry_sign: excluded from points",
        "• store_id: 0042",
        "• register: 7",
        '• tags: ["a", "b"]',
    ):
        assert expected in text, expected


def test_detail_modal_without_extras() -> None:
    bare = PurchaseDetail()
    view = cards.detail_modal("order_1", "order_id", bare)
    assert_valid_view(view)
    text = seen(view)
    assert "No items listed." in text
    assert "Coupons" not in text
    assert "Custom data" not in text
    assert "Capped" not in text


def test_detail_modal_with_200_items_summarises_the_rest() -> None:
    items = [
        {"sku": f"SKU-{i}", "quantity": 1, "price": 10, "points_awarded": 10} for i in range(200)
    ]
    view = cards.detail_modal("order_1", "order_id", detail(items=items))
    assert_valid_view(view)
    text = seen(view)
    assert "*Items (200)*" in text
    assert "`SKU-49`" in text
    assert "`SKU-50`" not in text
    assert "…and 150 more items" in text


def test_detail_modal_worst_case_stays_within_limits() -> None:
    nasty = "&<>" * 100
    worst = detail(
        third_party_receipt_id=nasty,
        channel=nasty,
        currency=nasty,
        purchase_total=1e300,
        coupons=[{"code": nasty, "name": nasty, "description": nasty, "discount": 1e300}] * 80,
        items=[
            {
                "sku": nasty,
                "name": nasty,
                "quantity": 10**40,
                "price": 1e300,
                "points_awarded": 10**40,
            }
        ]
        * 200,
        custom_data={f"{nasty}{i}": {"deep": [nasty] * 50} for i in range(100)},
    )
    view = cards.detail_modal(nasty, nasty, worst)
    assert_valid_view(view)
    assert_escaped(view)
    text = seen(view)
    assert "more items" in text
    assert "more coupons" in text
    assert "more entries" in text


@pytest.mark.parametrize("kind", list(ErrorKind))
def test_detail_error_modal(kind: ErrorKind) -> None:
    view = cards.detail_error_modal("R-1", "receipt_id", error(kind))
    assert_valid_view(view)
    assert UPSTREAM_JSON not in json.dumps(view)
    if kind is ErrorKind.NOT_FOUND:
        assert "CrowdTwist has no details for Receipt `R-1`." in seen(view)


# --------------------------------------------------------------------------------------------
# Any data, any query: within limits, escaped, buttons that decode
# --------------------------------------------------------------------------------------------

_numbers = st.one_of(
    st.none(),
    st.integers(min_value=-(10**40), max_value=10**40),
)
_totals = st.one_of(_numbers, st.floats(allow_nan=True, allow_infinity=True))
_times = st.one_of(
    st.none(),
    st.datetimes(timezones=st.none() | st.just(UTC) | st.just(timezone(timedelta(hours=-8)))),
)
_ids = st.text(max_size=300)
_links = st.one_of(
    st.none(),
    st.just(""),
    st.integers(min_value=-(10**7), max_value=10**7).map(LINK.format),
    st.just("https://pos12.crowdtwist.com/users/1/purchases?id_type=id"),
    st.text(max_size=40),
)
_purchases = st.builds(
    Purchase,
    purchase_id=_ids,
    purchase_id_type=st.sampled_from(["order_id", "receipt_id"]) | st.text(max_size=40),
    last_date_purchased=_times,
    purchase_total=_totals,
    total_points_awarded=_numbers,
    total_points_earned=_numbers,
    points_awaiting_fulfillment=_numbers,
)
_pages = st.builds(
    lambda purchases, total, pages, prev, nxt: PurchasePage.model_validate(
        {
            "purchases": purchases,
            "paging": {"total": total, "pages": pages, "prev_page": prev, "next_page": nxt},
        }
    ),
    st.lists(_purchases, max_size=12),
    st.integers(min_value=-5, max_value=10**15),
    st.integers(min_value=-5, max_value=10**15),
    _links,
    _links,
)
_members = st.text(
    st.characters(min_codepoint=32, codec="utf-8"),
    min_size=1,
    max_size=MAX_MEMBER_LENGTH,
).filter(str.strip)


@st.composite
def _queries(draw: st.DrawFn) -> PurchaseQuery:
    start, end = draw(st.none() | st.dates()), draw(st.none() | st.dates())
    if start and end and end < start:
        start, end = end, start
    return PurchaseQuery(
        member=draw(_members),
        id_type=draw(st.sampled_from(IdType)),
        id_type_inferred=draw(st.booleans()),
        start=start,
        end=end,
        page=draw(st.integers(min_value=-MAX_PAGE, max_value=MAX_PAGE)),
    )


@settings(max_examples=300, deadline=None)
@given(q=_queries(), page=_pages, allow_details=st.booleans(), allow_export=st.booleans())
def test_any_page_and_query_render_within_limits(
    q: PurchaseQuery, page: PurchasePage, allow_details: bool, allow_export: bool
) -> None:
    card = cards.purchase_card(q, page, allow_details=allow_details, allow_export=allow_export)
    assert_valid_message(card)
    assert_escaped(card)
    for action_id, button in buttons(card).items():
        if action_id.startswith(DETAILS_ACTION_PREFIX):
            continue
        decoded = decode_query(button["value"])
        assert decoded is not None
        assert decoded == q.with_page(decoded.page)
        assert 1 <= decoded.page <= MAX_PAGE


@settings(max_examples=100, deadline=None)
@given(q=_queries(), kind=st.sampled_from(ErrorKind), message=st.text(max_size=400))
def test_any_error_renders_within_limits(q: PurchaseQuery, kind: ErrorKind, message: str) -> None:
    failure = CrowdTwistError(kind, message)
    for rendered in (
        cards.crowdtwist_error_message(failure, q),
        cards.page_failed_message(failure, q),
        cards.export_failed_message(q, failure),
        cards.export_started_message(q),
    ):
        assert_valid_message(rendered)
        assert_escaped(rendered)


_details = st.builds(
    PurchaseDetail,
    third_party_receipt_id=st.none() | _ids,
    date_purchased=_times,
    channel=st.none() | st.text(max_size=100),
    purchase_total=_totals,
    currency=st.none() | st.text(max_size=20),
    base_points=_numbers,
    bonus_points=_numbers,
    points_awarded=_numbers,
    points_earned=_numbers,
    items=st.lists(
        st.builds(
            dict,
            sku=st.none() | st.text(max_size=60),
            name=st.none() | st.text(max_size=120),
            price=_totals,
            quantity=_totals,
            points_awarded=_numbers,
            is_excluded=st.none() | st.booleans(),
        ),
        max_size=220,
    ),
    coupons=st.lists(st.text(max_size=60), max_size=30),
    custom_data=st.dictionaries(st.text(max_size=60), st.text(max_size=300), max_size=40),
)


@settings(max_examples=60, deadline=None)
@given(purchase_id=_ids, purchase_id_type=st.text(max_size=40), data=_details)
def test_any_detail_renders_within_limits(
    purchase_id: str, purchase_id_type: str, data: PurchaseDetail
) -> None:
    view = cards.detail_modal(purchase_id, purchase_id_type, data)
    assert_valid_view(view)
    assert_escaped(view)


# -- one cap rule, Details buttons a click accepts, accessible names -------------------------


@pytest.mark.parametrize(
    ("earned", "awarded", "awaiting", "over"),
    [
        (298, 0, 298, 0),  # NW-400026: all still awaiting fulfilment
        (500, 400, 100, 0),
        (701, 400, 300, 1),
        (500, 400, None, 100),
        (None, 400, None, 0),
        (500, None, 0, 0),
        (400, 500, 0, 0),
    ],
)
def test_points_over_cap_is_earned_beyond_awarded_plus_awaiting(
    earned: int | None, awarded: int | None, awaiting: int | None, over: int
) -> None:
    assert cards.points_over_cap(earned, awarded, awaiting) == over


def test_the_detail_modal_does_not_call_awaiting_points_capped() -> None:
    awaiting = detail(points_earned=298, points_awarded=0)
    text = seen(cards.detail_modal("NW-400026", "order_id", awaiting, awaiting=298))
    assert "Capped" not in text
    assert "298 points awaiting fulfilment" in text
    capped = seen(
        cards.detail_modal(
            "R-1", "order_id", detail(points_earned=701, points_awarded=400), awaiting=300
        )
    )
    assert "Capped: 1 point earned over the cap" in capped


@given(
    earned=st.none() | st.integers(0, 10**6),
    awarded=st.none() | st.integers(0, 10**6),
    awaiting=st.none() | st.integers(0, 10**6),
)
def test_card_and_modal_flag_a_cap_on_the_same_purchases(
    earned: int | None, awarded: int | None, awaiting: int | None
) -> None:
    row = purchase(
        total_points_earned=earned,
        total_points_awarded=awarded,
        points_awaiting_fulfillment=awaiting,
    )
    card = cards.purchase_card(query(), page_of([row]))
    ref = cards.PurchaseRef.decode(buttons(card)[f"{DETAILS_ACTION_PREFIX}_0"]["value"])
    assert ref is not None and ref.awaiting == awaiting
    modal = cards.detail_modal(
        "order_100",
        "order_id",
        detail(points_earned=earned, points_awarded=awarded),
        awaiting=ref.awaiting,
    )
    assert ("Capped" in seen(card)) == ("Capped" in seen(modal))


@settings(max_examples=300)
@given(
    purchase_id=st.text(min_size=1, max_size=300)
    | st.integers(250, 2000).map(lambda n: "x" * n)
    | st.integers(100, 300).map(lambda n: "😀" * n),
    id_type=st.sampled_from(["order_id", "receipt_id", "weird", ""]),
)
def test_a_details_button_is_drawn_exactly_when_a_click_accepts_it(
    purchase_id: str, id_type: str
) -> None:
    row = purchase(purchase_id, purchase_id_type=id_type or None)
    card = cards.purchase_card(query(), page_of([row]))
    assert_valid_message(card)
    drawn = buttons(card).get(f"{DETAILS_ACTION_PREFIX}_0")
    accepts = cards.PurchaseRef.decode(
        cards.PurchaseRef(purchase_id, row.purchase_id_type).encode()
    )
    assert (drawn is not None) == (accepts is not None)
    if drawn is not None:
        assert cards.PurchaseRef.decode(drawn["value"]) == accepts


def test_ids_of_256_characters_and_more_get_no_details_button() -> None:
    for size, drawn in ((255, True), (256, False), (1976, False)):
        found = buttons(cards.purchase_card(query(), page_of([purchase("x" * size)])))
        assert (f"{DETAILS_ACTION_PREFIX}_0" in found) is drawn, size


def test_each_details_button_names_its_purchase_for_screen_readers() -> None:
    rows = [purchase(f"order_{i}") for i in range(9)] + [
        purchase("R-" + "9" * 200, purchase_id_type="receipt_id")
    ]
    found = buttons(cards.purchase_card(query(), page_of(rows)))
    labels = [found[f"{DETAILS_ACTION_PREFIX}_{i}"]["accessibility_label"] for i in range(10)]
    assert labels[0] == "Details of Order order_0"
    assert labels[9].startswith("Details of Receipt R-999")
    assert len(set(labels)) == 10
    assert all(len(label) <= 75 for label in labels)


_markup_soup = st.text(alphabet="&<>ab@U#|", max_size=6000)


@settings(max_examples=200)
@given(reason=st.none() | _markup_soup)
def test_denied_message_stays_within_a_section_after_escaping(reason: str | None) -> None:
    message = cards.denied_message(reason=reason)
    assert_valid_message(message)
    text = message["blocks"][0]["text"]["text"]
    assert len(text) <= 3000
    for piece in re.findall(r"&[^;]*?…|<[^>]*?…", text):
        raise AssertionError(f"half an entity or mention before a cut: {piece!r}")


def test_denied_message_of_ampersands_is_clipped_after_escaping() -> None:
    message = cards.denied_message(reason="&" * 1000)
    assert_valid_message(message)
    assert "&amp;…" in message["blocks"][0]["text"]["text"]


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        ("0001-01-01T00:00:00Z", "0001-01-01 00:00 UTC"),
        ("1969-12-31T23:59:00Z", "1969-12-31 23:59 UTC"),
    ],
)
def test_dates_before_1970_show_the_fallback_text_not_a_negative_date_token(
    moment: str, shown: str
) -> None:
    card = cards.purchase_card(query(), page_of([purchase(last_date_purchased=moment)]))
    assert_valid_message(card)
    text = json.dumps(card)
    assert "<!date^-" not in text
    assert shown in seen(card)
    modal = cards.detail_modal("o1", "order_id", detail(date_purchased=moment))
    assert "<!date^-" not in json.dumps(modal)


def test_dates_from_1970_on_keep_the_local_time_token() -> None:
    card = cards.purchase_card(
        query(), page_of([purchase(last_date_purchased="1970-01-01T00:00:00Z")])
    )
    assert "<!date^0^" in json.dumps(card)
