"""The sandbox as the main host's User Receipt History, and its receipt images, over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx
import pytest

from bot.crowdtwist.receipts import ReceiptPage
from bot.sandbox import DEMO_MEMBERS, DemoMember, SandboxServer
from bot.sandbox.receipts import receipts_of

KEY = "main-host-key-23"


def member(key: str) -> DemoMember:
    return next(m for m in DEMO_MEMBERS if m.key == key)


def receipts_path(user_id: str) -> str:
    return f"/v2/users/{quote(user_id, safe='')}/receipts"


@pytest.fixture
async def main_host() -> AsyncIterator[tuple[SandboxServer, httpx.AsyncClient]]:
    async with (
        SandboxServer(api_key=KEY) as server,
        httpx.AsyncClient(base_url=server.base_url, timeout=10) as http,
    ):
        yield server, http


async def test_pages_hold_every_receipt_once_with_links_that_keep_the_page_size(
    main_host: tuple[SandboxServer, httpx.AsyncClient],
) -> None:
    _, http = main_host
    dev = member("dev")
    params = {"api_key": KEY, "id_type": "email", "page_size": "25"}
    first = await http.get(receipts_path(dev.email), params=params)
    assert first.status_code == 200
    page = ReceiptPage.model_validate(first.json())
    assert page.paging.total == len(receipts_of(dev)) == 32 and page.paging.pages == 2
    assert page.paging.prev_page is None and page.paging.next_page_number == 2
    assert "page_size=25" in (page.paging.next_page or "")
    assert KEY not in (page.paging.next_page or "")  # links never carry the key
    second = await http.get(httpx.URL(page.paging.next_page or "").copy_add_param("api_key", KEY))
    rest = ReceiptPage.model_validate(second.json())
    ids = [r.id for r in page.submitted_receipts + rest.submitted_receipts]
    assert len(ids) == len(set(ids)) == 32
    assert rest.paging.next_page is None and rest.paging.prev_page_number == 1
    default = (await http.get(receipts_path(dev.crowdtwist_id), params={"api_key": KEY})).json()
    assert len(default["submitted_receipts"]) == 10  # page_size defaults to 10


@pytest.mark.parametrize(
    ("params", "user", "status", "reason"),
    [
        ({}, "alice", 401, "unauthorized"),
        ({"api_key": "wrong"}, "alice", 401, "unauthorized"),
        ({"api_key": KEY, "page_size": "26"}, "alice", 400, "invalid_parameter"),
        ({"api_key": KEY, "page_size": "0"}, "alice", 400, "invalid_parameter"),
        ({"api_key": KEY, "id_type": "nope"}, "alice", 400, "invalid_parameter"),
        ({"api_key": KEY}, "carmen", 400, "receipt_scanning_inactive"),
        ({"api_key": KEY}, "nobody", 404, "user_not_found"),
    ],
)
async def test_errors_use_the_main_hosts_flat_envelope(
    main_host: tuple[SandboxServer, httpx.AsyncClient],
    params: dict[str, str],
    user: str,
    status: int,
    reason: str,
) -> None:
    _, http = main_host
    user_id = member(user).crowdtwist_id if user != "nobody" else "999"
    answer = await http.get(receipts_path(user_id), params=params)
    assert answer.status_code == status
    assert answer.json()["error"] == reason


async def test_images_are_served_without_a_key(
    main_host: tuple[SandboxServer, httpx.AsyncClient],
) -> None:
    server, http = main_host
    ben = member("ben")
    body = await http.get(receipts_path(ben.email), params={"api_key": KEY, "id_type": "email"})
    for row in body.json()["submitted_receipts"]:
        assert row["file_url"].startswith(server.base_url + "/receipt-images/")
        image = await http.get(row["file_url"])
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    missing = await http.get("/receipt-images/0000.png")
    assert missing.status_code == 404
