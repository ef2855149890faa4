"""The sandbox as the program's main API host: User Points over real HTTP, as documented."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx
import pytest

from bot.crowdtwist.errors import ErrorKind, error_from_response
from bot.crowdtwist.models import MemberPoints
from bot.sandbox import DEMO_MEMBERS, DemoMember, SandboxServer
from bot.sandbox.points import points_answer

KEY = "main-host-key-77"


def member(key: str) -> DemoMember:
    return next(m for m in DEMO_MEMBERS if m.key == key)


ALICE, CARMEN, SIOBHAN = member("alice"), member("carmen"), member("siobhan")


def points_path(user_id: str) -> str:
    return f"/v2/users/{quote(user_id, safe='')}/points"


@pytest.fixture
async def main_host() -> AsyncIterator[tuple[SandboxServer, httpx.AsyncClient]]:
    async with (
        SandboxServer(api_key=KEY) as server,
        httpx.AsyncClient(base_url=server.base_url, timeout=10) as http,
    ):
        yield server, http


@pytest.mark.parametrize(
    ("demo", "id_type", "user_id"),
    [
        (ALICE, "email", ALICE.email),
        (ALICE, "id", ALICE.crowdtwist_id),
        (ALICE, None, ALICE.crowdtwist_id),  # id is the default
        (SIOBHAN, "third_party_id", SIOBHAN.third_party_id),
        (SIOBHAN, "email", SIOBHAN.email),
    ],
)
async def test_user_points_answers_with_the_documented_fields(
    main_host: tuple[SandboxServer, httpx.AsyncClient],
    demo: DemoMember,
    id_type: str | None,
    user_id: str,
) -> None:
    _, http = main_host
    params = {"api_key": KEY, **({"id_type": id_type} if id_type else {})}
    response = await http.get(points_path(user_id), params=params)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "id",
        "total_points",
        "redeemable_points",
        "num_points_purchased",
        "fan_level",
        "activities",
    }
    assert body == points_answer(demo)
    for activity in body["activities"]:
        assert set(activity) == {"name", "num_points", "notes", "date_created"}
        assert isinstance(activity["date_created"], int)
    MemberPoints.model_validate(body)


@pytest.mark.parametrize("params", [{}, {"api_key": "wrong"}, {"api_key": ""}])
async def test_the_key_is_the_api_key_parameter(
    main_host: tuple[SandboxServer, httpx.AsyncClient], params: dict[str, str]
) -> None:
    _, http = main_host
    headers = {"X-CT-Authorization": f"CTApiKey {KEY}"}  # the POS header is not enough here
    response = await http.get(points_path(ALICE.crowdtwist_id), params=params, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


@pytest.mark.parametrize(
    ("user_id", "id_type", "status", "kind"),
    [
        (SIOBHAN.phone, "mobile_phone_number", 400, ErrorKind.INVALID_INPUT),
        (ALICE.phone, "mobile_phone_number", 400, ErrorKind.INVALID_INPUT),
        (CARMEN.email, "email", 500, ErrorKind.UNAVAILABLE),
        (CARMEN.crowdtwist_id, "id", 500, ErrorKind.UNAVAILABLE),
        ("nobody@example.com", "email", 404, ErrorKind.NOT_FOUND),
        (ALICE.email, "username", 400, ErrorKind.INVALID_INPUT),
    ],
)
async def test_the_main_hosts_errors_use_the_flat_envelope(
    main_host: tuple[SandboxServer, httpx.AsyncClient],
    user_id: str,
    id_type: str,
    status: int,
    kind: ErrorKind,
) -> None:
    _, http = main_host
    response = await http.get(points_path(user_id), params={"api_key": KEY, "id_type": id_type})
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error", "message"}
    assert error_from_response(status, response.content).kind is kind


async def test_the_main_host_has_its_own_faults_and_request_log(
    main_host: tuple[SandboxServer, httpx.AsyncClient],
) -> None:
    server, http = main_host
    server.main_faults.inject(503, "{}")
    failed = await http.get(points_path(ALICE.crowdtwist_id), params={"api_key": KEY})
    assert failed.status_code == 503
    pos = await http.get(
        f"/users/{ALICE.crowdtwist_id}/purchases",
        headers={"X-CT-Authorization": f"CTApiKey {KEY}"},
    )
    assert pos.status_code == 200  # the POS host's queue was not touched
    assert len(server.main_requests) == 1 and len(server.requests) == 1
    assert server.main_requests[0].query["api_key"] == KEY
