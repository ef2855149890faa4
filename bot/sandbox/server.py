"""An HTTP server that answers like a CrowdTwist POS host, for demos, the playground and tests.

It follows ``docs/crowdtwist-api.md``: ``GET /users/{user_id}/purchases`` (paging,
dates, the four id types), ``GET /purchase/{purchase_id}`` (Purchase Detail), the
``X-CT-Authorization: CTApiKey <key>`` header; plus ``GET /healthz`` (no key needed). It also
answers as the program's main API host: ``GET /v2/users/{user_id}/points`` (User Points) and
``GET /v2/users/{user_id}/receipts`` (User Receipt History), its key in the ``api_key`` query
parameter, with its own request log (:attr:`SandboxServer.main_requests`)
and fault queue (:attr:`SandboxServer.main_faults`), so a test can slow or fail one host alone;
the latency applies to both. Every request is recorded, then delayed by the latency and any
injected delay, then replaced by an injected fault if one is queued, and only then checked for
the key and answered. Receipt images (``/receipt-images/{file_id}.png``, a CDN's in the
real API) need no key.

Choices the API leaves open: page 1 always exists, so a member with no purchases answers
page 1 with no links and page 2 with ``prev_page`` to page 1; ``date_start`` alone has no
"until today" cut-off (every demo purchase is in the past); a date or id type that is present
but empty is invalid, while a junk ``page`` is page 1 as documented.

Error answers, and which of the API's three envelopes each uses (1 nested
``{"error": {"code", "message", "errors": [{"reason", "message"}]}}``, 2 flat
``{"error": reason, "message"}``, 3 POS ``{"system", "reason", "description", "message"}``):

=========================================================  =======  ========  ==================
answer                                                     status   envelope  reason
=========================================================  =======  ========  ==================
missing or wrong API key                                   401      2         unauthorized
``id_type`` not one of the four                            400      2         invalid_parameter
a date present but not ``YYYY-MM-DD`` (or impossible)      400      2         invalid_parameter
``date_end`` before ``date_start``                         400      3         invalid_date
no member with that email                                  404      1         user_not_found
no member with that third-party id                         404      2         user_not_found
no member with that CrowdTwist id or phone number          400      3         user_not_found
``not-configured@example.com`` (by email)                  500      1         not_configured
``outage@example.com`` (by email)                          503      2         internal_error
``purchase_id_type`` missing, or not order/receipt id      400      2         invalid_parameter
no purchase with that id and id type                       404      1         purchase_not_found
unknown path                                               404      1         not_found
a method other than GET                                    405      1         method_not_allowed
main host: missing or wrong ``api_key``                    401      2         unauthorized
main host: ``id_type`` not one of the four                 400      2         invalid_parameter
main host, points: any member by phone (id type refused)   400      2         invalid_parameter
main host: Carmen by any id (the points call fails)        500      2         internal_error
main host: no such member                                  404      2         user_not_found
main host, receipts: ``page_size`` not 1 to 25             400      2         invalid_parameter
main host, receipts: Carmen (no receipt scanning)          400      2         (*)
=========================================================  =======  ========  ==================

(*) ``receipt_scanning_inactive``, as documented for receipt submissions.
"""

from __future__ import annotations

import asyncio
import hmac
import math
import re
import time
from dataclasses import dataclass
from datetime import date
from http import HTTPStatus
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler
from multidict import CIMultiDict

from bot.sandbox.data import (
    ID_TYPES,
    PURCHASE_ID_TYPES,
    DemoPurchase,
    FailureDemo,
    failure_demo,
    in_date_range,
    member_by_any_id,
    purchase_by_id,
)
from bot.sandbox.faults import CannedAnswer, Disconnect, Faults, StreamedBody
from bot.sandbox.points import POINTS_FAILING, POINTS_REFUSED_ID_TYPE, points_answer
from bot.sandbox.receipts import (
    IMAGE_PATH,
    SCANNING_INACTIVE_MEMBERS,
    receipt_image,
    receipts_of,
)

DEFAULT_API_KEY = "sandbox-key"
PAGE_SIZE = 10
AUTH_HEADER = "X-CT-Authorization"

SCANNING_INACTIVE = "receipt_scanning_inactive"
_HEALTHZ = "healthz"
_MAIN_POINTS = "main_points"
_MAIN_RECEIPTS = "main_receipts"
_MAIN_ROUTES = frozenset({_MAIN_POINTS, _MAIN_RECEIPTS})
_IMAGE = "receipt_image"
_OPEN_ROUTES = frozenset({_HEALTHZ, _IMAGE})
"""Served without a key: the health check, and receipt images (a CDN's, in the real API)."""
RECEIPTS_MAX_PAGE_SIZE = 25
RECEIPTS_DEFAULT_PAGE_SIZE = 10

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_ID_TYPE_WORDS = {"id": "id", "mobile_phone_number": "mobile phone number"}


@dataclass
class RecordedRequest:
    """One request as the sandbox received it (``path`` raw, still percent-encoded).

    ``headers`` are as sent, API key included: for tests, never for showing to people.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    at: float
    """``time.monotonic()`` when it arrived."""


class SandboxServer:
    """The sandbox: demo members behind the real API's paths, rules, errors and header."""

    def __init__(self, api_key: str = DEFAULT_API_KEY, *, latency_seconds: float = 0.0) -> None:
        self._api_key = api_key
        self.faults = Faults(latency_seconds)
        self.requests: list[RecordedRequest] = []
        self.main_faults = Faults()
        """Faults for the main host's requests only (its latency is :attr:`faults`')."""
        self.main_requests: list[RecordedRequest] = []
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT`` of the running server."""
        if self._base_url is None:
            raise RuntimeError("the sandbox is not started")
        return self._base_url

    def app(self) -> web.Application:
        """A new aiohttp application serving this sandbox (its faults, its request log).

        The playground may run it or mount it with ``add_subapp``; paging links follow the
        mount point.
        """

        @web.middleware
        async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
            return await self._intercept(request, handler)

        app = web.Application(middlewares=[middleware])
        app.router.add_get("/healthz", self._healthz, name=_HEALTHZ)
        app.router.add_get("/users/{user_id}/purchases", self._purchases)
        app.router.add_get("/purchase/{purchase_id}", self._purchase_detail)
        app.router.add_get("/v2/users/{user_id}/points", self._points, name=_MAIN_POINTS)
        app.router.add_get("/v2/users/{user_id}/receipts", self._receipts, name=_MAIN_RECEIPTS)
        app.router.add_get(IMAGE_PATH, self._image, name=_IMAGE)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (port 0: a free one) and return the base URL."""
        if self._runner is not None:
            raise RuntimeError("the sandbox is already started")
        runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        bound_port = runner.addresses[0][1]
        shown_host = f"[{host}]" if ":" in host else host
        self._runner = runner
        self._base_url = f"http://{shown_host}:{bound_port}"
        return self._base_url

    async def stop(self) -> None:
        """Stop serving; safe to call when not started."""
        runner, self._runner, self._base_url = self._runner, None, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # --- the pipeline every request goes through ---------------------------------------------

    async def _intercept(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Record, delay, apply a queued fault, check the key, then answer."""
        main = request.match_info.route.name in _MAIN_ROUTES
        (self.main_requests if main else self.requests).append(_record(request))
        extra_delay, fault = (self.main_faults if main else self.faults).take()
        delay = self.faults.latency_seconds + extra_delay
        if delay > 0:
            await asyncio.sleep(delay)
        if isinstance(fault, Disconnect):
            if request.transport is not None:
                request.transport.abort()
            return web.Response()  # never sent: the connection is gone
        if isinstance(fault, CannedAnswer):
            return _canned(fault)
        if isinstance(fault, StreamedBody):
            return await _streamed(request, fault)
        if main and not self._key_in_query(request):
            return _flat_error(401, "unauthorized", "The API key is missing or invalid.")
        open_route = request.match_info.route.name in _OPEN_ROUTES
        if not main and not open_route and not self._authorized(request):
            return _flat_error(401, "unauthorized", "The API key is missing or invalid.")
        try:
            return await handler(request)
        except web.HTTPMethodNotAllowed:
            return _nested_error(405, "method_not_allowed", "Only GET is supported.")
        except web.HTTPNotFound:
            return _nested_error(404, "not_found", "Not found")

    def _authorized(self, request: web.Request) -> bool:
        sent = request.headers.get(AUTH_HEADER, "")
        expected = f"CTApiKey {self._api_key}"
        return hmac.compare_digest(sent.encode(errors="surrogateescape"), expected.encode())

    def _key_in_query(self, request: web.Request) -> bool:
        sent = request.query.get("api_key", "")
        return hmac.compare_digest(sent.encode(errors="surrogateescape"), self._api_key.encode())

    # --- endpoints ---------------------------------------------------------------------------

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def _purchases(self, request: web.Request) -> web.Response:
        """User Purchase History."""
        user_id = request.match_info["user_id"]
        query = request.query
        id_type = query.get("id_type", "id")
        if id_type not in ID_TYPES:
            return _flat_error(400, "invalid_parameter", "ID type is invalid.")
        try:
            start = _date_param(query.get("date_start"))
            end = _date_param(query.get("date_end"))
        except ValueError:
            return _flat_error(400, "invalid_parameter", "Dates must be given as YYYY-MM-DD.")
        if start and end and end < start:
            return _pos_error(
                400, "invalid_date", "Invalid date range.", "date_end can not be before date_start."
            )
        if id_type == "email" and (failure := failure_demo(user_id)):
            return _failure(failure)
        member = member_by_any_id(user_id, id_type)
        if member is None:
            return _member_not_found(user_id, id_type)

        matching = [p for p in member.purchases if in_date_range(p, start, end)]
        total = len(matching)
        pages = math.ceil(total / PAGE_SIZE)
        last = max(pages, 1)
        page = _page_number(query.get("page"))
        params = [("id_type", id_type)]
        params += [(name, query[name]) for name in ("date_start", "date_end") if name in query]

        def link(number: int) -> str:
            return _page_link(request, user_id, params, number)

        shown: list[DemoPurchase] = []
        next_page = prev_page = ""
        if page <= 0:
            next_page = link(1)
        elif page > last:
            prev_page = link(last)
        else:
            shown = matching[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
            next_page = link(page + 1) if page < pages else ""
            prev_page = link(page - 1) if page > 1 else ""
        return web.json_response(
            {
                "purchases": [p.as_history_row() for p in shown],
                "paging": {
                    "total": total,
                    "pages": pages,
                    "next_page": next_page,
                    "prev_page": prev_page,
                },
            }
        )

    async def _points(self, request: web.Request) -> web.Response:
        """User Points (main host): balance, level and ledger, derived from the purchases."""
        id_type = request.query.get("id_type", "id")
        if id_type not in ID_TYPES:
            return _flat_error(400, "invalid_parameter", "ID type is invalid.")
        member = member_by_any_id(request.match_info["user_id"], id_type)
        if member is None:
            return _flat_error(404, "user_not_found", "User could not be found")
        if id_type == POINTS_REFUSED_ID_TYPE:
            return _flat_error(400, "invalid_parameter", "ID type is invalid.")
        if member.key == POINTS_FAILING:
            return _flat_error(500, "internal_error", "An internal error occurred.")
        return web.json_response(points_answer(member))

    async def _receipts(self, request: web.Request) -> web.Response:
        """User Receipt History (main host): the member's scans, oldest first, paged."""
        query = request.query
        id_type = query.get("id_type", "id")
        if id_type not in ID_TYPES:
            return _flat_error(400, "invalid_parameter", "ID type is invalid.")
        size_text = query.get("page_size", str(RECEIPTS_DEFAULT_PAGE_SIZE))
        size = int(size_text) if _INTEGER.fullmatch(size_text) else 0
        if not 1 <= size <= RECEIPTS_MAX_PAGE_SIZE:
            return _flat_error(
                400, "invalid_parameter", f"page_size must be 1 to {RECEIPTS_MAX_PAGE_SIZE}."
            )
        user_id = request.match_info["user_id"]
        member = member_by_any_id(user_id, id_type)
        if member is None:
            return _flat_error(404, "user_not_found", "User could not be found")
        if member.key in SCANNING_INACTIVE_MEMBERS:
            return _flat_error(
                400, SCANNING_INACTIVE, "Receipt scanning is not active for this program."
            )
        receipts = receipts_of(member)
        total = len(receipts)
        pages = math.ceil(total / size)
        page = _page_number(query.get("page"))
        mount = urlsplit(request.raw_path).path.rsplit("/", 4)[0]
        origin = f"{request.scheme}://{request.host}{mount}"

        def link(number: int) -> str:
            params = urlencode([("id_type", id_type), ("page", number), ("page_size", size)])
            return f"{origin}/v2/users/{quote(user_id, safe='')}/receipts?{params}"

        shown = receipts[(page - 1) * size : page * size] if page >= 1 else ()
        return web.json_response(
            {
                "paging": {
                    "total": total,
                    "pages": pages,
                    "next_page": link(page + 1) if 0 <= page < pages else "",
                    "prev_page": link(min(page - 1, max(pages, 1))) if page > 1 else "",
                },
                "submitted_receipts": [r.as_row(origin) for r in shown],
            }
        )

    async def _image(self, request: web.Request) -> web.Response:
        """A receipt's image, as the API's ``file_url`` points at it."""
        image = receipt_image(request.match_info["file_id"])
        if image is None:
            return _nested_error(404, "not_found", "Not found")
        headers = {"Cache-Control": "max-age=86400"}
        return web.Response(body=image, content_type="image/png", headers=headers)

    async def _purchase_detail(self, request: web.Request) -> web.Response:
        """Purchase Detail."""
        id_type = request.query.get("purchase_id_type")
        if id_type not in PURCHASE_ID_TYPES:
            return _flat_error(
                400, "invalid_parameter", "purchase_id_type must be order_id or receipt_id."
            )
        purchase = purchase_by_id(request.match_info["purchase_id"], id_type)
        if purchase is None:
            return _nested_error(404, "purchase_not_found", "Purchase does not exist")
        return web.json_response(purchase.as_detail())


# --- helpers ---------------------------------------------------------------------------------


def _record(request: web.Request) -> RecordedRequest:
    query: dict[str, str] = {}
    for name, value in request.query.items():
        query.setdefault(name, value)
    return RecordedRequest(
        method=request.method,
        path=urlsplit(request.raw_path).path,
        query=query,
        headers=dict(request.headers),
        at=time.monotonic(),
    )


def _canned(answer: CannedAnswer) -> web.Response:
    headers = CIMultiDict(answer.headers)
    headers.setdefault("Content-Type", answer.content_type)
    return web.Response(status=answer.status, body=answer.body, headers=headers)


_FILLER_HEAD = b'{"purchases": ['
_FILLER_ROW = b'{"purchase_id": "filler", "purchase_id_type": "order_id", "purchase_total": 1},'


async def _streamed(request: web.Request, fault: StreamedBody) -> web.StreamResponse:
    """Stream a JSON-looking body of ``fault.size`` bytes (or without end) until done or gone."""
    response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    if fault.declare_length and fault.size is not None:
        response.content_length = fault.size
    await response.prepare(request)
    rows = _FILLER_ROW * max(1, fault.chunk_size // len(_FILLER_ROW))
    sent = 0
    try:
        chunk = _FILLER_HEAD
        while fault.size is None or sent < fault.size:
            if fault.size is not None:
                chunk = chunk[: fault.size - sent]
            await response.write(chunk)
            sent += len(chunk)
            chunk = rows
            if fault.chunk_interval_seconds:
                await asyncio.sleep(fault.chunk_interval_seconds)
            else:
                await asyncio.sleep(0)  # let the client (and the loop) breathe
    except ConnectionError:
        return response  # the client stopped reading: what a size limit does
    await response.write_eof()
    return response


def _date_param(value: str | None) -> date | None:
    """A ``YYYY-MM-DD`` query value as a date; ValueError when present but not one."""
    if value is None:
        return None
    if not _DATE.fullmatch(value):
        raise ValueError(value)
    return date.fromisoformat(value)


def _page_number(value: str | None) -> int:
    """The ``page`` query value; 1 when absent or not a whole number, as the API does."""
    return int(value) if value is not None and _INTEGER.fullmatch(value) else 1


def _page_link(request: web.Request, user_id: str, params: list[tuple[str, str]], page: int) -> str:
    """The full URL of another page: same host, mount point, id type and dates."""
    raw_path = urlsplit(request.raw_path).path
    mount = raw_path.rsplit("/", 3)[0]  # drop "/users/{user_id}/purchases"
    query = urlencode([*params[:1], ("page", str(page)), *params[1:]])
    return (
        f"{request.scheme}://{request.host}{mount}/users/{quote(user_id, safe='')}/purchases"
        f"?{query}"
    )


def _nested_error(status: int, reason: str, message: str) -> web.Response:
    """Envelope 1, the purchase history page's own sample."""
    body = {
        "error": {
            "code": status,
            "message": HTTPStatus(status).phrase,
            "errors": [{"reason": reason, "message": message}],
        }
    }
    return web.json_response(body, status=status)


def _flat_error(status: int, error: str, message: str) -> web.Response:
    """Envelope 2, the loyalty API's flat form."""
    return web.json_response({"error": error, "message": message}, status=status)


def _pos_error(status: int, reason: str, description: str, message: str) -> web.Response:
    """Envelope 3, the POS API's form."""
    body: dict[str, Any] = {
        "system": "pos",
        "reason": reason,
        "description": description,
        "message": message,
    }
    return web.json_response(body, status=status)


def _member_not_found(user_id: str, id_type: str) -> web.Response:
    if id_type == "email":
        return _nested_error(404, "user_not_found", "User does not exist")
    if id_type == "third_party_id":
        return _flat_error(404, "user_not_found", "User could not be found")
    words = _ID_TYPE_WORDS[id_type]
    return _pos_error(
        400, "user_not_found", "User not found.", f"User with {words} [{user_id}] can not be found."
    )


def _failure(demo: FailureDemo) -> web.Response:
    if demo.reason == "not_configured":
        return _nested_error(
            demo.status, demo.reason, "Purchase history is not enabled for this program."
        )
    return _flat_error(demo.status, demo.reason, "An unexpected error occurred.")
