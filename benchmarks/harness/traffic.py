"""Slack's side of the traffic: distinct queries, the signed driver, the recorder of answers and
closed-loop runs (each agent sends, waits for its answer, sends the next).

Requests are built by :mod:`bot.fake_slack.payloads` and signed by :mod:`bot.fake_slack.signing`;
the driver only adds one keep-alive aiohttp session and the timing of each acknowledgement.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from types import TracebackType
from typing import Self
from urllib.parse import quote

import aiohttp

from benchmarks.harness.constants import AGENT, CHANNEL, EPHEMERAL_CARD, INSTALL, SIGNING_SECRET
from bot.fake_slack import RESPONSE_METHOD, FakeSlack, SlackCall, payloads
from bot.fake_slack.signing import signed_headers
from bot.sandbox import DEMO_MEMBERS

# -- distinct queries -------------------------------------------------------------------------

QUERY_BASE_DAY = date(2023, 1, 1)
"""Every generated ``since`` date is before the demo members' first purchase (2024-12-30), so
each query is a distinct cache key yet returns the member's whole history (full cards)."""


@dataclass(frozen=True)
class Identity:
    """One way to name a demo member in ``/purchases`` text."""

    text: str
    member: str
    id_type: str
    purchases: int


def identities() -> list[Identity]:
    """The 5 demo members × 4 id types (email, CrowdTwist id, third-party id, phone)."""
    found: list[Identity] = []
    for m in DEMO_MEMBERS:
        third_party = f'"{m.third_party_id}"' if " " in m.third_party_id else m.third_party_id
        count = len(m.purchases)
        found += [
            Identity(m.email, m.email, "email", count),
            Identity(m.crowdtwist_id, m.crowdtwist_id, "id", count),
            Identity(f"{third_party} type:3p", m.third_party_id, "third_party_id", count),
            Identity(m.phone, m.phone, "mobile_phone_number", count),
        ]
    return found


@dataclass(frozen=True)
class Query:
    """A command text and the exact upstream request the bot makes for its first page."""

    text: str
    path: str
    params: dict[str, str]
    has_next_page: bool


class QueryGen:
    """Distinct ``/purchases`` texts: identity × ``since <day>``, never repeating in a run."""

    def __init__(self) -> None:
        self._all = identities()
        self._paged = [i for i in self._all if i.purchases > 10]
        self._n = itertools.count()

    def _make(self, pool: Sequence[Identity]) -> Query:
        n = next(self._n)
        who = pool[n % len(pool)]
        day = QUERY_BASE_DAY + timedelta(days=n // len(pool))
        path = f"/users/{quote(who.member, safe='')}/purchases"
        params = {"id_type": who.id_type, "date_start": day.isoformat()}
        return Query(f"{who.text} since {day.isoformat()}", path, params, who.purchases > 10)

    def next(self, *, paged: bool = False) -> Query:
        """A new query; ``paged`` picks only members with a second page (a Next button)."""
        return self._make(self._paged if paged else self._all)

    def take(self, count: int, *, paged: bool = False) -> list[Query]:
        """``count`` new queries."""
        return [self.next(paged=paged) for _ in range(count)]


# -- answers recorded by the fake Slack, one future per response_url token ---------------------


@dataclass(slots=True)
class Answer:
    """One response_url post, reduced to what the figures need (the card itself is dropped,
    so the benchmark process does not accumulate thousands of parsed cards for its GC)."""

    at: float
    """``time.monotonic()`` when the fake Slack recorded it (same clock as the driver)."""
    text: str
    replace_original: bool
    buttons: dict[str, str]
    """``action_id`` → ``value`` of the buttons in the message's actions blocks."""


def _slim(call: SlackCall) -> Answer:
    buttons: dict[str, str] = {}
    for block in call.args.get("blocks") or []:
        if isinstance(block, dict) and block.get("type") == "actions":
            for element in block.get("elements") or []:
                if isinstance(element, dict) and isinstance(element.get("value"), str):
                    buttons[str(element.get("action_id"))] = element["value"]
    return Answer(
        call.at, str(call.args.get("text", "")), bool(call.args.get("replace_original")), buttons
    )


class Recorder:
    """Every response_url post by token, with a future per awaited token."""

    def __init__(self, slack: FakeSlack) -> None:
        self.answers: dict[str, list[Answer]] = defaultdict(list)
        self.api_calls: Counter[str] = Counter()
        self._waiters: dict[str, asyncio.Future[Answer]] = {}
        self._slack = slack
        slack.subscribe(self._on_call)

    async def _on_call(self, call: SlackCall) -> None:
        # The fake keeps its own list of every call; we index ours, so drop its copy.
        self._slack.calls.clear()
        if call.method != RESPONSE_METHOD:
            self.api_calls[call.method] += 1
            return
        token = str(call.args.get("_token"))
        answer = _slim(call)
        self.answers[token].append(answer)
        waiter = self._waiters.pop(token, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(answer)

    def expect(self, token: str) -> asyncio.Future[Answer]:
        """A future for the first post to ``token`` (create it before sending the request)."""
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        if self.answers.get(token):
            future.set_result(self.answers[token][0])
        else:
            self._waiters[token] = future
        return future

    def forget(self, token: str) -> None:
        """Stop waiting for ``token``."""
        waiter = self._waiters.pop(token, None)
        if waiter is not None and not waiter.done():
            waiter.cancel()


# -- the driver: Slack's side of the HTTP conversation -----------------------------------------


@dataclass
class Sent:
    """One request to the bot: when it left, how long the ack took, what came back."""

    token: str
    sent_at: float
    ack_seconds: float
    status: int
    body: bytes = b""
    error: str = ""


class Driver:
    """Sends signed slash commands and button clicks to a bot, as Slack's servers do."""

    def __init__(self, events_url: str, response_base: str, *, connections: int = 100) -> None:
        self.events_url = events_url
        self.response_base = response_base
        self._connections = connections
        self._tokens = itertools.count(1)
        self._prefix = f"t{os.getpid()}x{next(_DRIVERS)}n"
        self._http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        self._http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self._connections),
            timeout=aiohttp.ClientTimeout(total=30),
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._http is not None:
            await self._http.close()

    def new_token(self) -> str:
        """A response_url token no other request in this run uses."""
        return f"{self._prefix}{next(self._tokens)}"

    def response_url(self, token: str) -> str:
        """The response_url (on the fake Slack) tagged ``token``."""
        return f"{self.response_base}/response/{token}"

    async def post(self, token: str, body: bytes) -> Sent:
        """POST a signed form body; time the acknowledgement."""
        assert self._http is not None, "use the driver as an async context manager"
        headers = {
            "Content-Type": payloads.FORM_CONTENT_TYPE,
            **signed_headers(SIGNING_SECRET, body),
        }
        sent_at = time.monotonic()
        try:
            async with self._http.post(self.events_url, data=body, headers=headers) as response:
                content = await response.read()
                return Sent(token, sent_at, time.monotonic() - sent_at, response.status, content)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return Sent(token, sent_at, time.monotonic() - sent_at, 0, error=type(exc).__name__)

    def command_body(self, text: str, token: str) -> bytes:
        """The form body Slack sends for ``/purchases <text>``."""
        form = payloads.slash_command(
            command="/purchases",
            text=text,
            user=AGENT,
            channel_id=CHANNEL,
            channel_name="support",
            response_url=self.response_url(token),
            trigger_id=f"trig-{token}",
            install=INSTALL,
        )
        return payloads.form_body(form)

    async def command(self, text: str, token: str | None = None) -> Sent:
        """Send ``/purchases <text>``."""
        token = token or self.new_token()
        return await self.post(token, self.command_body(text, token))

    async def click(self, action_id: str, value: str, token: str | None = None) -> Sent:
        """Click a button on an ephemeral card (a block_actions payload)."""
        token = token or self.new_token()
        button = {"type": "button", "action_id": action_id, "value": value}
        payload = payloads.block_actions(
            user=AGENT,
            message=EPHEMERAL_CARD,
            channel_name="support",
            action=payloads.action_of(button, "nav"),
            response_url=self.response_url(token),
            trigger_id=f"trig-{token}",
            values={},
            install=INSTALL,
        )
        return await self.post(token, payloads.payload_body(payload))


_DRIVERS = itertools.count(1)


# -- reading answers --------------------------------------------------------------------------

CARD_PREFIXES = ("Purchases for", "No purchases for")


def is_card(answer: Answer) -> bool:
    """A purchase card (or the "no purchases" card), as opposed to an error or a notice."""
    return answer.text.startswith(CARD_PREFIXES)


def headline(answer: Answer) -> str:
    """The first line of an answer, shortened, to group error answers by kind."""
    return answer.text.splitlines()[0][:80] if answer.text else "(empty)"


# -- closed-loop runs -------------------------------------------------------------------------


@dataclass
class Outcome:
    """One command (or click) from send to first answer."""

    sent: Sent
    answer: Answer | None

    @property
    def answer_seconds(self) -> float | None:
        """From the request leaving the driver to the answer being recorded by the fake Slack."""
        return None if self.answer is None else self.answer.at - self.sent.sent_at


async def request_and_answer(
    driver: Driver,
    recorder: Recorder,
    text: str,
    *,
    timeout: float,  # noqa: ASYNC109 - bounded wait for the answer
) -> Outcome:
    """Send ``/purchases text`` and wait (bounded) for its first response_url post."""
    return await _send_and_answer(
        recorder, lambda token: driver.command(text, token), driver.new_token(), timeout
    )


async def click_and_answer(
    driver: Driver,
    recorder: Recorder,
    action_id: str,
    value: str,
    *,
    timeout: float,  # noqa: ASYNC109 - bounded wait for the answer
) -> Outcome:
    """Click a button and wait (bounded) for the page posted to its response_url."""
    return await _send_and_answer(
        recorder, lambda token: driver.click(action_id, value, token), driver.new_token(), timeout
    )


async def _send_and_answer(
    recorder: Recorder,
    send: Callable[[str], Awaitable[Sent]],
    token: str,
    seconds: float,
) -> Outcome:
    """Send one request tagged ``token``; wait up to ``seconds`` for its response_url post."""
    future = recorder.expect(token)
    sent = await send(token)
    if sent.status != 200:
        recorder.forget(token)
        return Outcome(sent, None)
    try:
        answer = await asyncio.wait_for(future, timeout=seconds)
    except TimeoutError:
        recorder.forget(token)
        return Outcome(sent, None)
    return Outcome(sent, answer)


async def closed_loop(
    driver: Driver,
    recorder: Recorder,
    texts: Sequence[str],
    *,
    in_flight: int,
    answer_timeout: float = 30.0,
    deadline_seconds: float = 600.0,
    outcomes: list[Outcome] | None = None,
    stagger: float = 0.0,
) -> tuple[list[Outcome], float]:
    """``in_flight`` agents each send a command and wait for its card, until ``texts`` run out.

    With ``stagger`` > 0 the agents start spread evenly over that many seconds (steady
    arrivals); with 0 they all start at once (a burst, and they stay in step while every
    request takes the same time). Returns every outcome (also appended to ``outcomes`` as they
    come, when given) and the wall time from the first send to the last answer.
    """
    pending: Iterator[str] = iter(texts)
    outcomes = [] if outcomes is None else outcomes
    started = time.monotonic()
    stop_at = started + deadline_seconds

    async def agent(delay: float) -> None:
        await asyncio.sleep(delay)
        for text in pending:
            if time.monotonic() > stop_at:
                return
            outcomes.append(
                await request_and_answer(driver, recorder, text, timeout=answer_timeout)
            )

    await asyncio.gather(*(agent(stagger * i / in_flight) for i in range(in_flight)))
    ends = [o.answer.at for o in outcomes if o.answer is not None]
    return outcomes, (max(ends) if ends else time.monotonic()) - started
