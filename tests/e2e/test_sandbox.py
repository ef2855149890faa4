"""The CrowdTwist sandbox, through real HTTP on 127.0.0.1, against docs/crowdtwist-api.md.

Every 2xx body must parse with the client's own models, and every error body must give the
intended reason through the client's own error parser: the sandbox is only useful if the real
client reads it exactly as it reads CrowdTwist.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from aiohttp import web

from bot.cards import points_over_cap
from bot.config import SANDBOX_API_KEY
from bot.crowdtwist.errors import CrowdTwistError, ErrorKind, error_from_response
from bot.crowdtwist.models import PurchaseDetail, PurchasePage
from bot.sandbox import (
    DEFAULT_API_KEY,
    DEMO_MEMBERS,
    FAILURE_DEMOS,
    DemoMember,
    SandboxServer,
    member_by_any_id,
)

REPO = Path(__file__).resolve().parents[2]
AUTH = {"X-CT-Authorization": f"CTApiKey {DEFAULT_API_KEY}"}
SAMPLE_ROW_KEYS = {
    "last_date_purchased",
    "purchase_id",
    "purchase_id_type",
    "purchase_total",
    "total_points_awarded",
    "total_points_earned",
    "points_awaiting_fulfillment",
}
CUTOFF = date(2026, 11, 26)


def demo(key: str) -> DemoMember:
    return next(member for member in DEMO_MEMBERS if member.key == key)


ALICE, BEN, CARMEN, DEV, SIOBHAN = (demo(k) for k in ("alice", "ben", "carmen", "dev", "siobhan"))
WITH_PURCHASES = [m for m in DEMO_MEMBERS if m.purchases]
ALICE_RECEIPT = next(p for p in ALICE.purchases if p.purchase_id_type == "receipt_id")
ALICE_ORDER = next(p for p in ALICE.purchases if p.purchase_id_type == "order_id")


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer() as server:
        yield server


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sandbox.base_url, headers=AUTH, timeout=10) as http:
        yield http


# --- helpers ---------------------------------------------------------------------------------


def history_path(user_id: str) -> str:
    return f"/users/{quote(user_id, safe='')}/purchases"


async def history(
    client: httpx.AsyncClient, user_id: str, **params: str
) -> tuple[dict[str, Any], PurchasePage]:
    """A 200 history answer: its raw JSON and the client's model of it."""
    response = await client.get(history_path(user_id), params=params)
    return parsed_page(response)


def parsed_page(response: httpx.Response) -> tuple[dict[str, Any], PurchasePage]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == {"purchases", "paging"}
    assert set(body["paging"]) == {"total", "pages", "next_page", "prev_page"}
    return body, PurchasePage.model_validate_json(response.content)


async def all_rows(client: httpx.AsyncClient, user_id: str, **params: str) -> list[dict[str, Any]]:
    """Every history row, following ``next_page`` links from page 1."""
    body, _ = await history(client, user_id, **params)
    rows = list(body["purchases"])
    while link := body["paging"]["next_page"]:
        body, _ = parsed_page(await client.get(link))
        rows += body["purchases"]
    return rows


def envelope_of(body: Any) -> int:
    """Which of docs/crowdtwist-api.md's three error envelopes a body uses."""
    if isinstance(body.get("error"), dict):
        assert set(body["error"]) == {"code", "message", "errors"}
        return 1
    if isinstance(body.get("error"), str):
        assert set(body) == {"error", "message"}
        return 2
    assert body.get("system") == "pos"
    assert set(body) == {"system", "reason", "description", "message"}
    return 3


def expect_error(
    response: httpx.Response, status: int, envelope: int, reason: str, kind: ErrorKind
) -> CrowdTwistError:
    """Assert the status, envelope and reason, as the bot's own error parser reads them."""
    assert response.status_code == status, response.text
    assert envelope_of(response.json()) == envelope
    error = error_from_response(response.status_code, response.content)
    assert (error.reason, error.kind) == (reason, kind)
    return error


def assert_link(link: str, sandbox: SandboxServer, user_id: str, page: int, **params: str) -> None:
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == sandbox.base_url
    assert parts.path == history_path(user_id)
    expected = {"page": [str(page)], **{name: [value] for name, value in params.items()}}
    assert parse_qs(parts.query, keep_blank_values=True) == expected


def utc_day(row: dict[str, Any]) -> date:
    return datetime.fromisoformat(row["last_date_purchased"].replace("Z", "+00:00")).date()


def oracle(member: DemoMember, start: date | None, end: date | None) -> list[dict[str, Any]]:
    """The rows a date range must return, worked out independently of the sandbox's filter."""
    rows = [p.as_history_row() for p in member.purchases]
    return [
        r for r in rows if (not start or start <= utc_day(r)) and (not end or utc_day(r) <= end)
    ]


# --- the demo data ---------------------------------------------------------------------------


def test_default_key_is_the_configs_sandbox_key() -> None:
    assert DEFAULT_API_KEY == SANDBOX_API_KEY


def test_demo_data_is_the_same_in_every_process() -> None:
    script = (
        "import hashlib, bot.sandbox as s; "
        "print(hashlib.sha256(repr((s.DEMO_MEMBERS, s.FAILURE_DEMOS)).encode()).hexdigest())"
    )
    here = hashlib.sha256(repr((DEMO_MEMBERS, FAILURE_DEMOS)).encode()).hexdigest()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, check=True
        )
        assert out.stdout.decode().strip() == here


def test_alice_has_a_rich_year_of_history() -> None:
    assert (ALICE.email, ALICE.crowdtwist_id) == ("alice@example.com", "332170040")
    purchases = ALICE.purchases
    assert len(purchases) == 27
    newest, oldest = purchases[0].purchased_at, purchases[-1].purchased_at
    assert newest - oldest > timedelta(days=365)
    assert timedelta(weeks=2) < datetime(2026, 11, 26, tzinfo=UTC) - newest < timedelta(weeks=6)
    capped = [p for p in purchases if p.points_earned > p.points_awarded and not p.points_awaiting]
    awaiting = [p for p in purchases if p.points_awaiting]
    assert len(capped) >= 2
    assert len(awaiting) >= 2
    assert {p.purchase_id_type for p in purchases} == {"order_id", "receipt_id"}


def test_each_member_shows_its_trait() -> None:
    assert BEN.purchases == ()
    assert CARMEN.purchases
    assert all(p.points_awaiting is None for p in CARMEN.purchases)
    assert len(DEV.purchases) == 213
    assert "+" in SIOBHAN.email
    assert "'" in SIOBHAN.email
    assert all(char in SIOBHAN.third_party_id for char in "/# ")
    assert all(m.phone.startswith("+1") and m.phone[1:].isdigit() for m in DEMO_MEMBERS)
    assert all(m.crowdtwist_id.isdigit() for m in DEMO_MEMBERS)


def test_every_purchase_is_unique_dated_and_newest_first() -> None:
    purchases = [p for m in DEMO_MEMBERS for p in m.purchases]
    assert len({(p.purchase_id, p.purchase_id_type) for p in purchases}) == len(purchases)
    assert all(p.purchased_at.date() < CUTOFF for p in purchases)
    for member in DEMO_MEMBERS:
        moments = [p.purchased_at for p in member.purchases]
        assert moments == sorted(moments, reverse=True)
        assert len(set(moments)) == len(moments)


@pytest.mark.parametrize("member", DEMO_MEMBERS, ids=lambda m: m.key)
def test_member_by_any_id_finds_each_member_by_each_id_type(member: DemoMember) -> None:
    assert member_by_any_id(member.email.upper(), "email") is member
    assert member_by_any_id(member.crowdtwist_id, "id") is member
    assert member_by_any_id(member.third_party_id, "third_party_id") is member
    assert member_by_any_id(member.phone, "mobile_phone_number") is member
    assert member_by_any_id(member.email, "id") is None
    assert member_by_any_id(member.email, "nickname") is None


def test_failure_demos_are_not_members() -> None:
    assert {d.reason for d in FAILURE_DEMOS} == {"not_configured", "internal_error"}
    assert all(member_by_any_id(d.email, "email") is None for d in FAILURE_DEMOS)


# --- paging ----------------------------------------------------------------------------------


async def test_walking_every_page_forward_by_next_links(
    client: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    body, _ = await history(client, DEV.email, id_type="email")
    ids: list[str] = []
    stamps: list[str] = []
    for number in range(1, 23):
        paging = body["paging"]
        assert (paging["total"], paging["pages"]) == (213, 22)
        assert len(body["purchases"]) == (10 if number < 22 else 3)
        ids += [row["purchase_id"] for row in body["purchases"]]
        stamps += [row["last_date_purchased"] for row in body["purchases"]]
        if number > 1:
            assert_link(paging["prev_page"], sandbox, DEV.email, number - 1, id_type="email")
        else:
            assert paging["prev_page"] == ""
        if number == 22:
            assert paging["next_page"] == ""
            break
        assert_link(paging["next_page"], sandbox, DEV.email, number + 1, id_type="email")
        body, _ = parsed_page(await client.get(paging["next_page"]))
    assert ids == [p.purchase_id for p in DEV.purchases]
    assert len(set(ids)) == 213
    assert stamps == sorted(stamps, reverse=True)


async def test_walking_every_page_backward_by_prev_links(
    client: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    body, _ = await history(client, DEV.crowdtwist_id, page="23")
    assert body["purchases"] == []
    link = body["paging"]["prev_page"]
    pages: list[list[dict[str, Any]]] = []
    for number in range(22, 0, -1):
        assert_link(link, sandbox, DEV.crowdtwist_id, number, id_type="id")
        body, model = parsed_page(await client.get(link))
        assert (model.paging.total, model.paging.pages) == (213, 22)
        pages.append(body["purchases"])
        link = body["paging"]["prev_page"]
    assert link == ""
    rows = [row for page in reversed(pages) for row in page]
    assert [r["purchase_id"] for r in rows] == [p.purchase_id for p in DEV.purchases]
    stamps = [r["last_date_purchased"] for r in rows]
    assert stamps == sorted(stamps, reverse=True)


@pytest.mark.parametrize("page", [None, "1", "abc", "1.5", "", "2x", "٢"])
async def test_absent_or_junk_page_is_page_one(
    client: httpx.AsyncClient, sandbox: SandboxServer, page: str | None
) -> None:
    params = {"id_type": "email"} if page is None else {"id_type": "email", "page": page}
    body, model = await history(client, ALICE.email, **params)
    assert body["purchases"] == [p.as_history_row() for p in ALICE.purchases[:10]]
    assert (model.paging.total, model.paging.pages) == (27, 3)
    assert body["paging"]["prev_page"] == ""
    assert_link(body["paging"]["next_page"], sandbox, ALICE.email, 2, id_type="email")


@pytest.mark.parametrize("page", ["0", "-1", "-99"])
async def test_page_zero_or_less_is_empty_and_links_to_page_one(
    client: httpx.AsyncClient, sandbox: SandboxServer, page: str
) -> None:
    body, model = await history(client, ALICE.crowdtwist_id, page=page)
    assert body["purchases"] == []
    assert (model.paging.total, model.paging.pages) == (27, 3)
    assert body["paging"]["prev_page"] == ""
    assert_link(body["paging"]["next_page"], sandbox, ALICE.crowdtwist_id, 1, id_type="id")


@pytest.mark.parametrize("page", ["4", "1000", "99999999999999999999"])
async def test_page_past_the_last_is_empty_and_links_to_the_last(
    client: httpx.AsyncClient, sandbox: SandboxServer, page: str
) -> None:
    body, model = await history(client, ALICE.crowdtwist_id, page=page)
    assert body["purchases"] == []
    assert (model.paging.total, model.paging.pages) == (27, 3)
    assert body["paging"]["next_page"] == ""
    assert_link(body["paging"]["prev_page"], sandbox, ALICE.crowdtwist_id, 3, id_type="id")
    assert model.paging.prev_page_number == 3


async def test_last_page_holds_the_rest(client: httpx.AsyncClient, sandbox: SandboxServer) -> None:
    body, _ = await history(client, ALICE.crowdtwist_id, page="3", id_type="id")
    assert body["purchases"] == [p.as_history_row() for p in ALICE.purchases[20:]]
    assert body["paging"]["next_page"] == ""
    assert_link(body["paging"]["prev_page"], sandbox, ALICE.crowdtwist_id, 2, id_type="id")


async def test_member_without_purchases(client: httpx.AsyncClient, sandbox: SandboxServer) -> None:
    body, _ = await history(client, BEN.email, id_type="email")
    assert body == {
        "purchases": [],
        "paging": {"total": 0, "pages": 0, "next_page": "", "prev_page": ""},
    }
    past, _ = await history(client, BEN.email, id_type="email", page="2")
    assert_link(past["paging"]["prev_page"], sandbox, BEN.email, 1, id_type="email")
    before, _ = await history(client, BEN.email, id_type="email", page="0")
    assert_link(before["paging"]["next_page"], sandbox, BEN.email, 1, id_type="email")


async def test_rows_have_exactly_the_documented_keys(client: httpx.AsyncClient) -> None:
    body, model = await history(client, ALICE.crowdtwist_id)
    assert all(set(row) == SAMPLE_ROW_KEYS for row in body["purchases"])
    assert all(row["last_date_purchased"].endswith("Z") for row in body["purchases"])
    assert all(isinstance(row["purchase_total"], int) for row in body["purchases"])
    assert any(p.awaiting for p in model.purchases)
    legacy, legacy_model = await history(client, CARMEN.crowdtwist_id)
    assert all(
        set(row) == SAMPLE_ROW_KEYS - {"points_awaiting_fulfillment"} for row in legacy["purchases"]
    )
    assert all(p.points_awaiting_fulfillment is None for p in legacy_model.purchases)


# --- dates -----------------------------------------------------------------------------------


async def test_a_purchase_on_the_start_and_end_date_is_included(client: httpx.AsyncClient) -> None:
    target = ALICE.purchases[5]
    day = target.purchased_at.date().isoformat()
    rows = await all_rows(client, ALICE.crowdtwist_id, date_start=day, date_end=day)
    assert target.purchase_id in [r["purchase_id"] for r in rows]
    assert all(utc_day(r).isoformat() == day for r in rows)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (DEV.purchases[120].purchased_at.date(), DEV.purchases[40].purchased_at.date()),
        (DEV.purchases[77].purchased_at.date(), None),
        (None, DEV.purchases[150].purchased_at.date()),
        (date(2025, 3, 1), date(2025, 3, 31)),
        (date(2026, 11, 15), None),
        (None, date(2020, 1, 1)),
    ],
    ids=["both", "start-alone", "end-alone", "a-month", "after-the-newest", "before-the-oldest"],
)
async def test_date_ranges_are_inclusive_by_utc_date(
    client: httpx.AsyncClient, sandbox: SandboxServer, start: date | None, end: date | None
) -> None:
    params = {"id_type": "third_party_id"}
    if start:
        params["date_start"] = start.isoformat()
    if end:
        params["date_end"] = end.isoformat()
    expected = oracle(DEV, start, end)
    body, model = await history(client, DEV.third_party_id, **params)
    assert model.paging.total == len(expected)
    assert model.paging.pages == -(-len(expected) // 10)
    if model.paging.pages > 1:
        assert_link(body["paging"]["next_page"], sandbox, DEV.third_party_id, 2, **params)
    assert await all_rows(client, DEV.third_party_id, **params) == expected


async def test_dates_on_the_boundaries_are_both_in(client: httpx.AsyncClient) -> None:
    newest, oldest = DEV.purchases[30], DEV.purchases[60]
    rows = await all_rows(
        client,
        DEV.crowdtwist_id,
        date_start=oldest.purchased_at.date().isoformat(),
        date_end=newest.purchased_at.date().isoformat(),
    )
    ids = [r["purchase_id"] for r in rows]
    assert newest.purchase_id in ids
    assert oldest.purchase_id in ids


async def test_end_before_start_is_invalid_date(client: httpx.AsyncClient) -> None:
    response = await client.get(
        history_path(ALICE.crowdtwist_id),
        params={"date_start": "2026-05-02", "date_end": "2026-05-01"},
    )
    expect_error(response, 400, 3, "invalid_date", ErrorKind.INVALID_INPUT)


@pytest.mark.parametrize("name", ["date_start", "date_end"])
@pytest.mark.parametrize(
    "value", ["2026-13-01", "2026-02-30", "2026/01/01", "01-02-2026", "2026-1-1", "", "today"]
)
async def test_malformed_date_is_invalid_parameter(
    client: httpx.AsyncClient, name: str, value: str
) -> None:
    response = await client.get(history_path(ALICE.crowdtwist_id), params={name: value})
    expect_error(response, 400, 2, "invalid_parameter", ErrorKind.INVALID_INPUT)


# --- members, id types and identifiers -------------------------------------------------------


@pytest.mark.parametrize(
    ("id_type", "value", "status", "envelope"),
    [
        ("email", "nobody@example.com", 404, 1),
        ("id", "999999999", 400, 3),
        (None, "999999999", 400, 3),
        ("third_party_id", "NOPE-0001", 404, 2),
        ("mobile_phone_number", "+15550199999", 400, 3),
        ("id", ALICE.email, 400, 3),
    ],
)
async def test_unknown_member_per_id_type(
    client: httpx.AsyncClient, id_type: str | None, value: str, status: int, envelope: int
) -> None:
    params = {} if id_type is None else {"id_type": id_type}
    response = await client.get(history_path(value), params=params)
    expect_error(response, status, envelope, "user_not_found", ErrorKind.NOT_FOUND)


@pytest.mark.parametrize("id_type", ["phone", "EMAIL", "", "crowdtwist_id"])
async def test_unknown_id_type(client: httpx.AsyncClient, id_type: str) -> None:
    response = await client.get(history_path(ALICE.email), params={"id_type": id_type})
    error = expect_error(response, 400, 2, "invalid_parameter", ErrorKind.INVALID_INPUT)
    assert response.json()["message"] == "ID type is invalid."
    assert "ID type is invalid." in str(error)


@pytest.mark.parametrize("member", [*WITH_PURCHASES, BEN], ids=lambda m: m.key)
@pytest.mark.parametrize("id_type", ["email", "id", "third_party_id", "mobile_phone_number"])
async def test_every_member_is_found_by_every_id_type(
    client: httpx.AsyncClient, sandbox: SandboxServer, member: DemoMember, id_type: str
) -> None:
    value = {
        "email": member.email,
        "id": member.crowdtwist_id,
        "third_party_id": member.third_party_id,
        "mobile_phone_number": member.phone,
    }[id_type]
    body, model = await history(client, value, id_type=id_type)
    assert model.paging.total == len(member.purchases)
    assert body["purchases"] == [p.as_history_row() for p in member.purchases[:10]]
    if model.paging.pages > 1:
        assert_link(body["paging"]["next_page"], sandbox, value, 2, id_type=id_type)
        assert await all_rows(client, value, id_type=id_type) == oracle(member, None, None)


async def test_awkward_ids_travel_as_one_encoded_segment(
    client: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    _, model = await history(client, SIOBHAN.third_party_id, id_type="third_party_id")
    assert model.paging.total == 14
    assert sandbox.requests[-1].path == "/users/EU%2FIE%200044%23B/purchases"
    raw_plus = "/users/o%27neil+vip%40example.com/purchases"
    _, by_raw_plus = parsed_page(await client.get(raw_plus, params={"id_type": "email"}))
    assert by_raw_plus.paging.total == 14
    _, shouted = await history(client, SIOBHAN.email.upper(), id_type="email")
    assert shouted.paging.total == 14


async def test_a_slash_in_a_third_party_id_is_not_a_path_separator(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/users/EU/IE%200044%23B/purchases", params={"id_type": "third_party_id"}
    )
    expect_error(response, 404, 1, "not_found", ErrorKind.NOT_FOUND)


@pytest.mark.parametrize(
    "phone",
    [
        "+15550100040",
        "15550100040",
        "5550100040",
        "+1 (555) 010-0040",
        "555.010.0040",
        "+1-555-010-0040",
    ],
)
async def test_phone_numbers_match_by_their_digits(client: httpx.AsyncClient, phone: str) -> None:
    _, model = await history(client, phone, id_type="mobile_phone_number")
    assert model.paging.total == len(ALICE.purchases)


@pytest.mark.parametrize("phone", ["+25550100040", "+15550100049", "010-0040", "not a phone"])
async def test_other_phone_numbers_are_not_found(client: httpx.AsyncClient, phone: str) -> None:
    response = await client.get(history_path(phone), params={"id_type": "mobile_phone_number"})
    expect_error(response, 400, 3, "user_not_found", ErrorKind.NOT_FOUND)


async def test_failure_demos(client: httpx.AsyncClient) -> None:
    not_configured = await client.get(
        history_path("Not-Configured@Example.com"), params={"id_type": "email"}
    )
    expect_error(not_configured, 500, 1, "not_configured", ErrorKind.NOT_CONFIGURED)
    outage = await client.get(history_path("outage@example.com"), params={"id_type": "email"})
    expect_error(outage, 503, 2, "internal_error", ErrorKind.UNAVAILABLE)


# --- purchase detail -------------------------------------------------------------------------


def detail_path(purchase_id: str) -> str:
    return f"/purchase/{quote(purchase_id, safe='')}"


@pytest.mark.parametrize("member", WITH_PURCHASES, ids=lambda m: m.key)
async def test_detail_of_every_purchase_agrees_with_its_history_row(
    client: httpx.AsyncClient, member: DemoMember
) -> None:
    for row in await all_rows(client, member.crowdtwist_id):
        response = await client.get(
            detail_path(row["purchase_id"]), params={"purchase_id_type": row["purchase_id_type"]}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        detail = PurchaseDetail.model_validate_json(response.content)
        assert body["date_purchased"] == row["last_date_purchased"]
        assert body["purchase_total"] == row["purchase_total"]
        assert body["points_awarded"] == row["total_points_awarded"]
        assert body["points_earned"] == row["total_points_earned"]
        assert body["points_earned"] == body["base_points"] + body["bonus_points"]
        assert body["currency"] == "USD"
        assert isinstance(body["custom_data"], dict)
        assert body["custom_data"]
        items = body["items"]
        assert items
        assert all(
            set(item)
            == {"sku", "name", "price", "quantity", "points_awarded", "is_excluded", "campaigns"}
            for item in items
        )
        subtotal = sum(item["price"] * item["quantity"] for item in items)
        assert subtotal - sum(c["discount"] for c in body["coupons"]) == body["purchase_total"]
        assert sum(item["points_awarded"] for item in items) == body["points_earned"]
        assert all(set(c) == {"code", "name", "discount"} for c in body["coupons"])
        awaiting = row.get("points_awaiting_fulfillment")
        over = row["total_points_earned"] - row["total_points_awarded"] - (awaiting or 0)
        assert points_over_cap(detail.points_earned, detail.points_awarded, awaiting) == max(
            over, 0
        )


async def test_detail_of_an_awkward_receipt_id(
    client: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    receipt = next(p for p in SIOBHAN.purchases if p.purchase_id_type == "receipt_id")
    assert "/" in receipt.purchase_id
    assert "#" in receipt.purchase_id
    response = await client.get(
        detail_path(receipt.purchase_id), params={"purchase_id_type": "receipt_id"}
    )
    assert response.status_code == 200
    assert (
        PurchaseDetail.model_validate_json(response.content).purchase_total
        == receipt.purchase_total
    )
    assert "%2F" in sandbox.requests[-1].path


@pytest.mark.parametrize(
    ("purchase_id", "params", "status", "envelope", "reason", "kind"),
    [
        (
            "NW-999999",
            {"purchase_id_type": "order_id"},
            404,
            1,
            "purchase_not_found",
            ErrorKind.NOT_FOUND,
        ),
        (
            ALICE_RECEIPT.purchase_id,
            {"purchase_id_type": "order_id"},
            404,
            1,
            "purchase_not_found",
            ErrorKind.NOT_FOUND,
        ),
        (ALICE_RECEIPT.purchase_id, {}, 400, 2, "invalid_parameter", ErrorKind.INVALID_INPUT),
        (
            ALICE_RECEIPT.purchase_id,
            {"purchase_id_type": "sku"},
            400,
            2,
            "invalid_parameter",
            ErrorKind.INVALID_INPUT,
        ),
    ],
    ids=["unknown", "wrong-id-type", "missing-id-type", "invalid-id-type"],
)
async def test_detail_errors(
    client: httpx.AsyncClient,
    purchase_id: str,
    params: dict[str, str],
    status: int,
    envelope: int,
    reason: str,
    kind: ErrorKind,
) -> None:
    response = await client.get(detail_path(purchase_id), params=params)
    expect_error(response, status, envelope, reason, kind)


# --- auth, routes, health --------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        None,
        "CTApiKey wrong-key",
        "CTApiKey  sandbox-key",
        "ctapikey sandbox-key",
        "Bearer sandbox-key",
        "sandbox-key",
    ],
)
async def test_missing_or_wrong_key_is_401(sandbox: SandboxServer, header: str | None) -> None:
    headers = {} if header is None else {"X-CT-Authorization": header}
    async with httpx.AsyncClient(base_url=sandbox.base_url, headers=headers) as anonymous:
        for path in (history_path(ALICE.crowdtwist_id), detail_path(ALICE_ORDER.purchase_id)):
            response = await anonymous.get(path, params={"purchase_id_type": "order_id"})
            expect_error(response, 401, 2, "unauthorized", ErrorKind.UNAUTHORIZED)
            assert DEFAULT_API_KEY not in response.text
            assert "wrong-key" not in response.text


async def test_the_header_name_is_case_insensitive_and_the_key_configurable() -> None:
    async with (
        SandboxServer("another-key") as server,
        httpx.AsyncClient(base_url=server.base_url) as http,
    ):
        path = history_path(ALICE.crowdtwist_id)
        ok = await http.get(path, headers={"x-ct-authorization": "CTApiKey another-key"})
        assert ok.status_code == 200
        refused = await http.get(path, headers=AUTH)
        expect_error(refused, 401, 2, "unauthorized", ErrorKind.UNAUTHORIZED)


async def test_healthz_needs_no_key(sandbox: SandboxServer) -> None:
    async with httpx.AsyncClient(base_url=sandbox.base_url) as anonymous:
        response = await anonymous.get("/healthz")
    assert (response.status_code, response.text) == (200, "ok")


async def test_unknown_path_and_method(client: httpx.AsyncClient) -> None:
    expect_error(await client.get("/users/1/orders"), 404, 1, "not_found", ErrorKind.NOT_FOUND)
    response = await client.post(history_path(ALICE.crowdtwist_id))
    expect_error(response, 405, 1, "method_not_allowed", ErrorKind.INVALID_INPUT)


# --- faults, latency, recording --------------------------------------------------------------


async def test_injected_answer_replaces_the_next_requests(
    client: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    body = '{"error": "internal_error", "message": "Try later"}'
    sandbox.faults.inject(503, body, headers={"Retry-After": "7"}, times=2)
    for path in (history_path(ALICE.crowdtwist_id), "/healthz"):
        response = await client.get(path)
        error = expect_error(response, 503, 2, "internal_error", ErrorKind.UNAVAILABLE)
        assert response.headers["retry-after"] == "7"
        assert response.headers["content-type"] == "application/json"
        assert response.text == body
        assert error.kind.retryable
    _, model = await history(client, ALICE.crowdtwist_id)
    assert model.paging.total == 27


async def test_injected_answer_comes_before_auth_and_may_be_html(sandbox: SandboxServer) -> None:
    html = "<html><body>502 Bad Gateway</body></html>"
    sandbox.faults.inject(502, html, content_type="text/html")
    async with httpx.AsyncClient(base_url=sandbox.base_url) as anonymous:
        response = await anonymous.get(history_path(ALICE.crowdtwist_id))
        assert (response.status_code, response.text) == (502, html)
        assert response.headers["content-type"].startswith("text/html")
        error = error_from_response(response.status_code, response.content)
        assert (error.kind, error.reason) == (ErrorKind.UNAVAILABLE, None)
        after = await anonymous.get(history_path(ALICE.crowdtwist_id))
    assert after.status_code == 401


async def test_injected_success_body_is_served_as_is(
    client: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    sandbox.faults.inject(200, b'{"purchases": null, "paging": {"total": null}}')
    response = await client.get(history_path("anyone"))
    model = PurchasePage.model_validate_json(response.content)
    assert (model.purchases, model.paging.total) == ([], 0)


async def test_injected_disconnect_drops_the_connection(
    client: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    sandbox.faults.inject_disconnect(times=2)
    for _ in range(2):
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(history_path(ALICE.crowdtwist_id))
    _, model = await history(client, ALICE.crowdtwist_id)
    assert model.paging.total == 27
    assert len(sandbox.requests) == 3


async def test_injected_delay_slows_only_the_next_requests(
    client: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    sandbox.faults.inject_delay(0.3)
    started = time.monotonic()
    await history(client, ALICE.crowdtwist_id)
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    await history(client, ALICE.crowdtwist_id)
    assert time.monotonic() - started < 0.3


async def test_delay_and_answer_combine_on_one_request(
    client: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    sandbox.faults.inject_delay(0.2)
    sandbox.faults.inject(500, "{}")
    started = time.monotonic()
    response = await client.get("/healthz")
    assert response.status_code == 500
    assert time.monotonic() - started >= 0.2


async def test_a_client_timeout_sees_a_slow_sandbox(
    client: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    sandbox.faults.inject_delay(0.4)
    with pytest.raises(httpx.ReadTimeout):
        await client.get(history_path(ALICE.crowdtwist_id), timeout=0.1)


async def test_clear_forgets_queued_faults(
    client: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    sandbox.faults.inject(500, times=3)
    sandbox.faults.inject_disconnect()
    sandbox.faults.inject_delay(5)
    sandbox.faults.clear()
    started = time.monotonic()
    await history(client, ALICE.crowdtwist_id)
    assert time.monotonic() - started < 1


def test_times_must_be_positive() -> None:
    faults = SandboxServer().faults
    with pytest.raises(ValueError, match="times"):
        faults.inject(500, times=0)
    with pytest.raises(ValueError, match="times"):
        faults.inject_delay(1, times=-1)
    with pytest.raises(ValueError, match="times"):
        faults.inject_disconnect(times=0)


async def test_latency_delays_every_answer_without_blocking() -> None:
    async with (
        SandboxServer(latency_seconds=0.3) as server,
        httpx.AsyncClient(base_url=server.base_url, headers=AUTH) as http,
    ):
        started = time.monotonic()
        responses = await asyncio.gather(
            *(http.get(history_path(m.crowdtwist_id)) for m in DEMO_MEMBERS),
            http.get(history_path("999")),
        )
        elapsed = time.monotonic() - started
        assert [r.status_code for r in responses] == [200] * len(DEMO_MEMBERS) + [400]
        assert 0.3 <= elapsed < 1.2
        server.faults.latency_seconds = 0
        started = time.monotonic()
        await http.get("/healthz")
        assert time.monotonic() - started < 0.3


async def test_requests_are_recorded_in_order(
    client: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    before = time.monotonic()
    await client.get(history_path(SIOBHAN.email), params={"id_type": "email", "page": "2"})
    await client.get(detail_path(ALICE_ORDER.purchase_id), params={"purchase_id_type": "order_id"})
    after = time.monotonic()
    first, second = sandbox.requests
    assert first.method == "GET"
    assert first.path == "/users/o%27neil%2Bvip%40example.com/purchases"
    assert first.query == {"id_type": "email", "page": "2"}
    assert first.headers["X-CT-Authorization"] == AUTH["X-CT-Authorization"]
    assert second.path == detail_path(ALICE_ORDER.purchase_id)
    assert second.query == {"purchase_id_type": "order_id"}
    assert before <= first.at <= second.at <= after


# --- lifecycle, mounting, CLI ----------------------------------------------------------------


async def test_lifecycle() -> None:
    server = SandboxServer()
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.base_url
    url = await server.start()
    assert url == server.base_url
    assert url.startswith("http://127.0.0.1:")
    with pytest.raises(RuntimeError, match="already started"):
        await server.start()
    await server.stop()
    await server.stop()
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.base_url


async def test_mounted_app_links_keep_the_mount_point() -> None:
    server = SandboxServer()
    parent = web.Application()
    parent.add_subapp("/crowdtwist", server.app())
    runner = web.AppRunner(parent)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        origin = f"http://127.0.0.1:{runner.addresses[0][1]}"
        async with httpx.AsyncClient(base_url=origin, headers=AUTH) as http:
            first = await http.get(
                "/crowdtwist" + history_path(SIOBHAN.third_party_id),
                params={"id_type": "third_party_id"},
            )
            body, _ = parsed_page(first)
            link = body["paging"]["next_page"]
            assert link.startswith(origin + "/crowdtwist/users/EU%2FIE%200044%23B/purchases?")
            second, model = parsed_page(await http.get(link))
            assert len(second["purchases"]) == 4
            assert model.paging.prev_page_number == 1
        assert len(server.requests) == 2
    finally:
        await runner.cleanup()


async def _line(stream: asyncio.StreamReader) -> str:
    return (await asyncio.wait_for(stream.readline(), timeout=10)).decode()


async def test_cli_serves_prints_the_members_and_stops_on_sigterm() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.sandbox",
        "--port",
        "0",
        "--api-key",
        "cli-key",
        "--latency-ms",
        "5",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        first = await _line(process.stdout)
        url = first.split()[-1]
        assert url.startswith("http://127.0.0.1:")
        banner = first
        while "Ctrl-C" not in banner:
            banner += await _line(process.stdout)
        assert "cli-key" in banner
        for member in DEMO_MEMBERS:
            for shown in (member.email, member.crowdtwist_id, member.third_party_id, member.phone):
                assert shown in banner
        assert all(demo.email in banner for demo in FAILURE_DEMOS)
        async with httpx.AsyncClient(base_url=url) as http:
            response = await http.get(
                history_path(ALICE.phone),
                params={"id_type": "mobile_phone_number"},
                headers={"X-CT-Authorization": "CTApiKey cli-key"},
            )
        assert response.status_code == 200
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), timeout=10)
        assert process.returncode == 0, err.decode()
        assert "Sandbox stopped." in out.decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def test_cli_rejects_a_bad_port() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.sandbox", "--port", "70000"], cwd=REPO, capture_output=True
    )
    assert result.returncode == 2
    assert b"--port" in result.stderr
