"""CrowdTwistClient over real HTTP (the sandbox; no httpx mocks): the history (paging, dates,
identifiers, exactly what is sent) and a purchase's detail."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime
from urllib.parse import quote

import pytest
from aiohttp import web

from bot.crowdtwist.client import CrowdTwistClient
from bot.crowdtwist.errors import CrowdTwistError, ErrorKind
from bot.crowdtwist.models import IdType, PurchaseDetail, PurchaseIdType, PurchasePage
from bot.sandbox import SandboxServer
from tests.e2e.crowdtwist_client.helpers import (
    ALICE,
    DEV,
    KEY,
    SIOBHAN,
    expect_error,
    make_client,
    peer_server,
)

# --- history: paging, dates, identifiers, what is sent -------------------------------------------


async def test_alice_walk_every_page(ct: CrowdTwistClient, sb: SandboxServer) -> None:
    seen: list[str] = []
    pages: list[PurchasePage] = []
    page_number: int | None = 1
    while page_number is not None:
        page = await ct.purchase_history("alice@example.com", IdType.EMAIL, page=page_number)
        pages.append(page)
        seen += [row.purchase_id for row in page.purchases]
        page_number = page.paging.next_page_number
    assert [len(p.purchases) for p in pages] == [10, 10, 7]
    assert all((p.paging.total, p.paging.pages) == (27, 3) for p in pages)
    assert [p.paging.prev_page_number for p in pages] == [None, 1, 2]
    assert seen == [p.purchase_id for p in ALICE.purchases]
    first = pages[0].purchases[0]
    assert first.last_date_purchased == ALICE.purchases[0].purchased_at
    assert first.last_date_purchased is not None
    assert first.last_date_purchased.tzinfo is not None
    assert len(sb.requests) == 3


async def test_213_purchases_walk_forward_and_back(ct: CrowdTwistClient) -> None:
    forward: list[str] = []
    page_number: int | None = 1
    visited = 0
    last = 1
    while page_number is not None:
        page = await ct.purchase_history(DEV.crowdtwist_id, IdType.ID, page=page_number)
        forward += [row.purchase_id for row in page.purchases]
        visited += 1
        last, page_number = page_number, page.paging.next_page_number
    assert visited == last == 22
    assert forward == [p.purchase_id for p in DEV.purchases]
    assert len(set(forward)) == 213

    backward: list[str] = []
    back_number: int | None = 22
    while back_number is not None:
        page = await ct.purchase_history(DEV.crowdtwist_id, IdType.ID, page=back_number)
        backward = [row.purchase_id for row in page.purchases] + backward
        back_number = page.paging.prev_page_number
    assert backward == forward


@pytest.mark.parametrize("page_number", [0, -1, -50])
async def test_page_zero_or_less_is_empty_and_links_to_page_one(
    ct: CrowdTwistClient, sb: SandboxServer, page_number: int
) -> None:
    page = await ct.purchase_history("alice@example.com", IdType.EMAIL, page=page_number)
    assert page.purchases == []
    assert page.paging.next_page_number == 1
    assert page.paging.prev_page_number is None
    assert page.paging.total == 27
    assert sb.requests[-1].query["page"] == str(page_number)


@pytest.mark.parametrize("page_number", [4, 99, 10**9])
async def test_page_past_the_last_is_empty_and_links_to_the_last(
    ct: CrowdTwistClient, page_number: int
) -> None:
    page = await ct.purchase_history("alice@example.com", IdType.EMAIL, page=page_number)
    assert page.purchases == []
    assert page.paging.prev_page_number == 3
    assert page.paging.next_page_number is None


def dev_between(start: date | None, end: date | None) -> list[str]:
    return [
        p.purchase_id
        for p in DEV.purchases
        if (start is None or start <= p.purchased_at.date())
        and (end is None or p.purchased_at.date() <= end)
    ]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2025, 6, 1), date(2025, 8, 31)),
        (date(2026, 10, 1), None),
        (None, date(2025, 1, 15)),
        (date(2025, 3, 3), date(2025, 3, 3)),
    ],
)
async def test_date_ranges(
    ct: CrowdTwistClient, sb: SandboxServer, start: date | None, end: date | None
) -> None:
    expected = dev_between(start, end)
    got: list[str] = []
    page_number: int | None = 1
    while page_number is not None:
        page = await ct.purchase_history(
            DEV.email, IdType.EMAIL, page=page_number, start=start, end=end
        )
        assert page.paging.total == len(expected)
        got += [row.purchase_id for row in page.purchases]
        page_number = page.paging.next_page_number
    assert got == expected
    sent = sb.requests[0].query
    assert sent.get("date_start") == (start.isoformat() if start else None)
    assert sent.get("date_end") == (end.isoformat() if end else None)


async def test_a_datetime_is_sent_as_its_date(ct: CrowdTwistClient, sb: SandboxServer) -> None:
    moment = datetime(2025, 6, 1, 23, 59, tzinfo=UTC)
    await ct.purchase_history(DEV.email, IdType.EMAIL, start=moment)
    assert sb.requests[-1].query["date_start"] == "2025-06-01"


async def test_end_before_start_is_invalid_input(ct: CrowdTwistClient, sb: SandboxServer) -> None:
    error = await expect_error(
        ct.purchase_history(DEV.email, IdType.EMAIL, start=date(2025, 2, 1), end=date(2025, 1, 1)),
        ErrorKind.INVALID_INPUT,
    )
    assert (error.status, error.reason) == (400, "invalid_date")  # envelope 3
    assert len(sb.requests) == 1


@pytest.mark.parametrize(
    ("id_type", "value"),
    [
        (IdType.EMAIL, SIOBHAN.email),
        (IdType.EMAIL, SIOBHAN.email.upper()),
        (IdType.ID, SIOBHAN.crowdtwist_id),
        (IdType.THIRD_PARTY_ID, SIOBHAN.third_party_id),
        (IdType.MOBILE_PHONE_NUMBER, SIOBHAN.phone),
    ],
)
async def test_awkward_identifiers_reach_the_right_member_as_one_segment(
    ct: CrowdTwistClient, sb: SandboxServer, id_type: IdType, value: str
) -> None:
    page = await ct.purchase_history(value, id_type)
    assert page.paging.total == len(SIOBHAN.purchases)
    assert [r.purchase_id for r in page.purchases] == [
        p.purchase_id for p in SIOBHAN.purchases[:10]
    ]
    (request,) = sb.requests
    assert request.path == f"/users/{quote(value, safe='')}/purchases"
    segment = request.path.split("/")[2]
    assert not set(segment) & set("/#? +'@")
    assert request.query == {"id_type": id_type.value}


def test_the_awkward_third_party_id_is_really_awkward() -> None:
    assert {"/", "#", " "} <= set(SIOBHAN.third_party_id)
    assert {"+", "'", "@"} <= set(SIOBHAN.email)


@pytest.mark.parametrize(
    ("member", "segment"),
    [
        ("..", "%2E%2E"),
        (".", "%2E"),
        ("a%2Fb", "a%252Fb"),
        ("50%", "50%25"),
        ("x?page=2&id_type=id", "x%3Fpage%3D2%26id_type%3Did"),
        ("zoë 😀", "zo%C3%AB%20%F0%9F%98%80"),
    ],
)
async def test_segments_are_sent_exactly_as_encoded(
    ct: CrowdTwistClient, sb: SandboxServer, member: str, segment: str
) -> None:
    with contextlib.suppress(CrowdTwistError):
        await ct.purchase_history(member, IdType.THIRD_PARTY_ID)
    (request,) = sb.requests
    assert request.path == f"/users/{segment}/purchases"
    assert request.query == {"id_type": "third_party_id"}


@pytest.mark.parametrize("member", ["", "   "])
async def test_an_empty_member_is_refused_without_a_request(
    ct: CrowdTwistClient, sb: SandboxServer, member: str
) -> None:
    await expect_error(ct.purchase_history(member, IdType.EMAIL), ErrorKind.INVALID_INPUT)
    assert sb.requests == []
    assert ct.stats.upstream_requests == 0


async def test_only_the_parameters_that_are_set_are_sent(
    ct: CrowdTwistClient, sb: SandboxServer
) -> None:
    await ct.purchase_history("alice@example.com", IdType.EMAIL)
    await ct.purchase_history("alice@example.com", IdType.EMAIL, page=2)
    await ct.purchase_history("alice@example.com", IdType.EMAIL, page=3, end=date(2026, 1, 1))
    await ct.purchase_history(ALICE.crowdtwist_id, "id", start=date(2025, 9, 1))
    assert [r.query for r in sb.requests] == [
        {"id_type": "email"},
        {"id_type": "email", "page": "2"},
        {"id_type": "email", "page": "3", "date_end": "2026-01-01"},
        {"id_type": "id", "date_start": "2025-09-01"},
    ]
    assert all(r.method == "GET" for r in sb.requests)


async def test_the_auth_header_is_exact(ct: CrowdTwistClient, sb: SandboxServer) -> None:
    await ct.purchase_history("alice@example.com", IdType.EMAIL)
    headers = {name.lower(): value for name, value in sb.requests[0].headers.items()}
    assert headers["x-ct-authorization"] == f"CTApiKey {KEY}"
    assert headers["accept"] == "application/json"
    assert "authorization" not in headers


async def test_one_pool_keeps_connections_alive() -> None:
    async with peer_server() as (base_url, peers), make_client(base_url) as client:
        for page_number in range(1, 6):
            await client.purchase_history("alice@example.com", IdType.EMAIL, page=page_number)
        assert len(peers) == 5
        assert len(set(peers)) == 1  # one connection served all five


# --- purchase detail -----------------------------------------------------------------------------


async def test_detail_of_a_purchase(ct: CrowdTwistClient, sb: SandboxServer) -> None:
    purchase = ALICE.purchases[0]
    detail = await ct.purchase_detail(purchase.purchase_id, purchase.purchase_id_type)
    assert detail == PurchaseDetail.model_validate(purchase.as_detail())
    assert detail.currency == "USD"
    assert detail.items
    assert sb.requests[0].path == f"/purchase/{purchase.purchase_id}"
    assert sb.requests[0].query == {"purchase_id_type": purchase.purchase_id_type}


async def test_detail_with_an_awkward_receipt_id(ct: CrowdTwistClient, sb: SandboxServer) -> None:
    purchase = next(p for p in SIOBHAN.purchases if "/" in p.purchase_id)
    assert {"/", "#", " "} <= set(purchase.purchase_id)
    detail = await ct.purchase_detail(purchase.purchase_id, PurchaseIdType.RECEIPT_ID)
    assert detail.third_party_receipt_id == purchase.third_party_receipt_id
    assert sb.requests[0].path == f"/purchase/{quote(purchase.purchase_id, safe='')}"
    assert sb.requests[0].query == {"purchase_id_type": "receipt_id"}


async def test_detail_errors(ct: CrowdTwistClient, sb: SandboxServer) -> None:
    missing = await expect_error(
        ct.purchase_detail("NW-nope", PurchaseIdType.ORDER_ID), ErrorKind.NOT_FOUND
    )
    assert (missing.status, missing.reason) == (404, "purchase_not_found")
    assert str(missing) == "CrowdTwist found no such purchase."
    await expect_error(ct.purchase_detail("NW-1", "ticket_id"), ErrorKind.INVALID_INPUT)
    await expect_error(ct.purchase_detail("", "order_id"), ErrorKind.INVALID_INPUT)
    assert len(sb.requests) == 2


async def test_a_cookie_crowdtwist_sets_is_never_sent_back() -> None:
    cookies_seen: list[str | None] = []
    page = {"purchases": [], "paging": {"total": 0, "pages": 0}}

    async def handle(request: web.Request) -> web.Response:
        cookies_seen.append(request.headers.get("Cookie"))
        response = web.json_response(page)
        response.set_cookie("session", "abc123", path="/")
        return response

    app = web.Application()
    app.router.add_get("/users/{member}/purchases", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        async with make_client(f"http://127.0.0.1:{runner.addresses[0][1]}") as ct:
            for page_number in (1, 2):
                await ct.purchase_history("a@example.com", IdType.EMAIL, page=page_number)
            with pytest.raises(TypeError):
                ct._http.cookies.set("session", "abc123")
    finally:
        await runner.cleanup()
    assert cookies_seen == [None, None]
