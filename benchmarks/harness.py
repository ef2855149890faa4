"""What the benchmark scripts share: upstreams, the bot as a real process, a Slack-like driver.

* :class:`Upstreams` runs the CrowdTwist sandbox and the fake Slack (Web API + response_url) in
  the benchmark's own event loop, and a :class:`Recorder` that resolves one future per
  response_url token the moment its post is recorded (no polling, no rescans).
* :class:`BotProcess` starts ``python -m bot`` (or any other argv, e.g. the typical Bolt bot)
  as a separate process pointed at them, waits for ``/healthz``, reads its memory (VmHWM,
  VmRSS) and CPU time from ``/proc``, and stops it with SIGTERM.
* :class:`Driver` sends slash commands and button clicks exactly as Slack does (built by
  :mod:`bot.fake_slack.payloads`, signed by :mod:`bot.fake_slack.signing`), over one
  keep-alive aiohttp session, and times the acknowledgement.
* :class:`LoopLag` measures how late the benchmark's own event loop runs, i.e. how much the
  driver, sandbox and fake Slack themselves could distort the figures.

All traffic goes to 127.0.0.1. Every wait has a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import json
import math
import os
import platform
import re
import signal
import socket
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote, unquote

import aiohttp

from bot.fake_slack import RESPONSE_METHOD, FakeSlack, SlackCall, payloads
from bot.fake_slack.signing import signed_headers
from bot.sandbox import DEMO_MEMBERS, SandboxServer

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"

SIGNING_SECRET = "bench-signing-secret-5d1c"
BOT_TOKEN = "xoxb-bench-token-0000000000"
CT_KEY = "ct-bench-key-7a9e"

USER = "U0AGENT01"
CHANNEL = "C0SUPPORT"
TEAM = "T0BRAND01"
INSTALL = payloads.Installation(
    team_id=TEAM, team_domain="brand", app_id="A0PURCHASE", token="legacy"
)
AGENT = payloads.user_object(USER, "agent", INSTALL)
EPHEMERAL_CARD = payloads.MessageRef(channel=CHANNEL, ts="1700000000.000100", ephemeral=True)
"""The card every benchmark click is on: an ephemeral message, so no ``message`` is sent."""

TYPICAL_BOT = ROOT / "benchmarks" / "typical_bolt.py"

# -- the machine and small numeric helpers --------------------------------------------------


def machine_line() -> str:
    """``machine: <CPU model>, <n> cores, Python <version>``."""
    model = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"machine: {model}, {os.cpu_count()} cores, Python {platform.python_version()} "
        f"({platform.python_implementation()}), Linux {platform.release()}; {code_version()}"
    )


def code_version() -> str:
    """``bot at <commit>`` (read-only git), flagging uncommitted changes under bot/."""
    import subprocess

    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "bot"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "bot at an unknown commit"
    return f"bot at commit {head}" + (" + uncommitted changes in bot/" if dirty else "")


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile (0 < q ≤ 100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def ms(seconds: float) -> str:
    """Seconds as milliseconds for a table cell."""
    if math.isnan(seconds):
        return "—"
    return f"{seconds * 1000:.1f} ms"


def mb(kib: int | None) -> str:
    """KiB (as /proc reports them) as MB for a table cell."""
    return "—" if kib is None else f"{kib / 1024:.1f} MB"


def print_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """A Markdown table, columns padded to their widest cell."""
    body = [list(map(str, row)) for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    print(line(headers))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in body:
        print(line(row))
    sys.stdout.flush()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU seconds used so far by ``pid`` (this process when None)."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def proc_memory(pid: int) -> dict[str, int]:
    """``VmHWM`` (peak resident) and ``VmRSS`` of ``pid`` in KiB, from /proc/<pid>/status."""
    found: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                found[key] = int(value.split()[0])
    return found


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


# -- upstreams: sandbox and fake Slack in this process ----------------------------------------


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


class Upstreams:
    """The CrowdTwist sandbox and the fake Slack, served from this process on 127.0.0.1."""

    def __init__(self, latency_seconds: float) -> None:
        self.sandbox = SandboxServer(api_key=CT_KEY, latency_seconds=latency_seconds)
        self.slack = FakeSlack()
        self.recorder = Recorder(self.slack)

    async def __aenter__(self) -> Self:
        await self.sandbox.start(HOST, 0)
        await self.slack.start(HOST, 0)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.slack.stop()
        await self.sandbox.stop()

    @property
    def latency(self) -> float:
        """The sandbox's added latency in seconds."""
        return self.sandbox.faults.latency_seconds

    @latency.setter
    def latency(self, seconds: float) -> None:
        self.sandbox.faults.latency_seconds = seconds

    def upstream_count(self) -> int:
        """Requests the sandbox has received so far (its log is cleared by :meth:`trim`)."""
        return len(self.sandbox.requests)

    def requests_for(self, query: Query, *, since: int = 0, page: int = 1) -> int:
        """How many sandbox requests (after index ``since``) asked for ``query``'s ``page``."""
        want = {**query.params, **({"page": str(page)} if page != 1 else {})}
        return sum(
            1
            for r in self.sandbox.requests[since:]
            if unquote(r.path) == unquote(query.path) and r.query == want
        )

    def trim(self) -> None:
        """Drop the sandbox's request log (it grows by one record per request)."""
        self.sandbox.requests.clear()

    def bot_env(self, port: int, **overrides: str) -> dict[str, str]:
        """The environment that points a bot process at these upstreams."""
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": self.slack.api_url,
            "CROWDTWIST_BASE_URL": self.sandbox.base_url,
            "CROWDTWIST_API_KEY": CT_KEY,
            "HOST": HOST,
            "PORT": str(port),
            "LOG_LEVEL": "WARNING",
            # The sandbox has no contract cap: measure the bot, not its request budget.
            "CROWDTWIST_RATE_LIMIT_PER_MINUTE": "0",
        }
        env.update(overrides)
        return env


# -- the process under test -------------------------------------------------------------------


def parse_env_overrides(pairs: Sequence[str]) -> dict[str, str]:
    """``KEY=VALUE`` strings (from ``--bot-env``) as a dict."""
    found: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--bot-env expects KEY=VALUE, got {pair!r}")
        found[key] = value
    return found


class BotProcess:
    """A bot (``python -m bot`` or another argv) as a real separate process on ``port``."""

    def __init__(self, label: str, argv: Sequence[str], env: dict[str, str], port: int) -> None:
        self.label = label
        self.argv = list(argv)
        self.port = port
        self.base_url = f"http://{HOST}:{port}"
        self.events_url = f"{self.base_url}/slack/events"
        inherited = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "CROWDTWIST_", "ALLOWED_SLACK_", "AUDIT_"))
        }
        self.env = {**inherited, "PYTHONPATH": str(ROOT), **env}
        self._dir = tempfile.TemporaryDirectory(prefix="purchases-bench-")
        self.log_path = Path(self._dir.name) / "bot.log"
        self.process: asyncio.subprocess.Process | None = None
        self.exit_code: int | None = None

    @property
    def pid(self) -> int:
        """The process id (the process must be started)."""
        assert self.process is not None
        return self.process.pid

    async def start(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109 - one deadline
        """Start the process (cwd: an empty temp dir, so no stray .env) and wait for /healthz."""
        with self.log_path.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                *self.argv,
                env=self.env,
                cwd=self._dir.name,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    break
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    async with http.get(f"{self.base_url}/healthz") as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.05)
        await self.stop()
        raise RuntimeError(f"{self.label} did not start:\n{self.log_tail()}")

    def memory(self) -> dict[str, int]:
        """VmHWM and VmRSS in KiB."""
        return proc_memory(self.pid)

    def cpu(self) -> float:
        """CPU seconds used so far."""
        return cpu_seconds(self.pid)

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int | None:  # noqa: ASYNC109
        """Signal the process and wait (at most ``timeout``) for it to exit; kill it after that."""
        process = self.process
        if process is None:
            return None
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(sig)
            try:
                await asyncio.wait_for(process.wait(), timeout=timeout)
            except TimeoutError:
                process.kill()
                await process.wait()
        self.exit_code = process.returncode
        return self.exit_code

    def log_lines(self) -> list[str]:
        """What the process wrote to stdout and stderr."""
        try:
            return self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []

    def log_levels(self) -> Counter[str]:
        """Log lines by level (JSON lines with ``level``; anything else counts as ``other``)."""
        levels: Counter[str] = Counter()
        for line in self.log_lines():
            try:
                record = json.loads(line)
            except ValueError:
                levels["other"] += 1
                continue
            levels[str(record.get("level", "other")) if isinstance(record, dict) else "other"] += 1
        return levels

    def log_messages(self, top: int = 5) -> list[tuple[str, int]]:
        """The most frequent log messages (digits as ``#``, first 100 characters)."""
        counts: Counter[str] = Counter()
        for line in self.log_lines():
            try:
                record = json.loads(line)
                text = str(record.get("message", line)) if isinstance(record, dict) else line
            except ValueError:
                text = line
            counts[re.sub(r"\d+", "#", text)[:100]] += 1
        return counts.most_common(top)

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the process's output."""
        return "\n".join(self.log_lines()[-lines:])

    def cleanup(self) -> None:
        """Remove the temp dir (with the log)."""
        self._dir.cleanup()


def bot_argv(prefix: Sequence[str] = ()) -> list[str]:
    """``python -m bot``, optionally under a wrapper (a profiler)."""
    return [*prefix, PYTHON, "-m", "bot"] if prefix else [PYTHON, "-m", "bot"]


def bot_setup(overrides: Sequence[str]) -> tuple[str, list[str], dict[str, str]]:
    """Label, argv and extra environment for the bot under test (``--bot-env``)."""
    env = parse_env_overrides(overrides)
    label = "bot"
    if env:
        label += " (" + ", ".join(f"{k}={v}" for k, v in env.items()) + ")"
    return label, bot_argv(), env


def typical_argv() -> list[str]:
    """The typical Bolt bot baseline (benchmarks/typical_bolt.py)."""
    return [PYTHON, str(TYPICAL_BOT)]


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


# -- the benchmark's own event loop and the rest of the machine --------------------------------


def machine_busy_seconds() -> float:
    """CPU-seconds all cores have spent busy since boot (from the ``cpu`` line of /proc/stat)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        user, nice, system, _idle, _iowait, irq, softirq, steal = fields
        return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    return 0.0


def process_ticks() -> dict[int, tuple[str, int]]:
    """Every process's (and kernel thread's) name and CPU ticks so far."""
    found: dict[int, tuple[str, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            fields = stat.rsplit(")", 1)[1].split()
            found[int(entry.name)] = (name, int(fields[11]) + int(fields[12]))
    return found


def busiest_others(
    before: dict[int, tuple[str, int]], exclude: set[int], wall: float, top: int = 3
) -> str:
    """The processes (other than ``exclude``) that used the most CPU since ``before``."""
    now = process_ticks()
    tick = os.sysconf("SC_CLK_TCK")
    used = []
    for pid, (name, ticks) in now.items():
        if pid in exclude:
            continue
        delta = ticks - before.get(pid, (name, 0))[1] if pid in before else ticks
        if delta > 0:
            used.append((delta / tick / wall, f"{name}[{pid}]"))
    used.sort(reverse=True)
    return ", ".join(f"{label} {share * 100:.0f}%" for share, label in used[:top]) or "none"


@dataclass
class LoopLag:
    """How late this process's event loop wakes up (driver + sandbox + fake Slack load), how
    much CPU this process used, and how much every other process on the machine used (the
    process under test, ``pid``, excluded)."""

    pid: int | None = None
    interval: float = 0.005
    samples: list[float] = field(default_factory=list)
    cpu_share: float = 0.0
    others_share: float = 0.0
    others_top: str = ""
    _task: asyncio.Task[None] | None = None
    _ticks: dict[int, tuple[str, int]] = field(default_factory=dict)
    _start: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)

    async def _run(self) -> None:
        while len(self.samples) < 1_000_000:
            before = time.perf_counter()
            await asyncio.sleep(self.interval)
            self.samples.append(max(0.0, time.perf_counter() - before - self.interval))

    def _pid_cpu(self) -> float:
        if self.pid is None:
            return 0.0
        with contextlib.suppress(OSError):
            return cpu_seconds(self.pid)
        return 0.0

    def start(self) -> None:
        """Begin sampling; move what survived so far out of the GC's way first."""
        gc.collect()
        gc.freeze()  # earlier phases' objects are never scanned again: shorter GC pauses
        self.samples.clear()
        self._ticks = process_ticks()
        self._start = (time.monotonic(), cpu_seconds(), self._pid_cpu(), machine_busy_seconds())
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop sampling; work out the CPU shares over the window."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        wall0, own0, pid0, busy0 = self._start
        wall = max(time.monotonic() - wall0, 1e-9)
        own, pid = cpu_seconds() - own0, self._pid_cpu() - pid0
        self.cpu_share = own / wall
        self.others_share = max(0.0, machine_busy_seconds() - busy0 - own - pid) / wall
        if self.others_share >= 0.2:
            exclude = {os.getpid(), *([self.pid] if self.pid is not None else [])}
            self.others_top = busiest_others(self._ticks, exclude, wall)

    def summary(self) -> str:
        """Loop lag percentiles, this process's CPU, everyone else's CPU."""
        return (
            f"loop lag p50 {ms(percentile(self.samples, 50))}, "
            f"p99 {ms(percentile(self.samples, 99))}, "
            f"max {ms(max(self.samples, default=math.nan))}; driver CPU "
            f"{self.cpu_share * 100:.0f}%; other processes {self.others_share * 100:.0f}% of a core"
            + (f" (busiest: {self.others_top})" if self.others_top else "")
        )


@contextlib.asynccontextmanager
async def measured_loop(pid: int | None = None) -> AsyncIterator[LoopLag]:
    """``async with measured_loop(pid) as lag:`` samples the loop lag and CPU for the block."""
    lag = LoopLag(pid)
    lag.start()
    try:
        yield lag
    finally:
        await lag.stop()


async def wait_for_quiet(max_seconds: float, threshold: float = 0.25) -> str:
    """Wait (at most ``max_seconds``) until other processes use < ``threshold`` of a core.

    Returns a line saying how busy the machine was when the run began.
    """
    deadline = time.monotonic() + max_seconds
    while True:
        busy0, own0, wall0 = machine_busy_seconds(), cpu_seconds(), time.monotonic()
        await asyncio.sleep(1.0)
        wall = time.monotonic() - wall0
        others = max(0.0, machine_busy_seconds() - busy0 - (cpu_seconds() - own0)) / wall
        if others < threshold or time.monotonic() >= deadline:
            state = "quiet" if others < threshold else "BUSY (figures may be distorted)"
            return f"machine {state}: other processes used {others * 100:.0f}% of a core at start"


# -- profiling the process under test -----------------------------------------------------------

PROFILERS = ("pyinstrument", "py-spy")


@dataclass
class FrameStat:
    """One function in a profile: samples (or seconds) spent in it alone and under it."""

    name: str
    package: str
    own: float
    cumulative: float


@dataclass
class ProfileReport:
    """Where the time went, over ``total`` samples (py-spy) or seconds (pyinstrument)."""

    unit: str
    total: float
    frames: list[FrameStat]
    files: list[Path]
    note: str = ""

    def _cells(self, f: FrameStat) -> list[str]:
        fmt = "{:.0f}" if self.unit == "samples" else "{:.3f}"
        return [
            f.name[:110],
            fmt.format(f.own),
            f"{100 * f.own / self.total:.1f}",
            fmt.format(f.cumulative),
            f"{100 * f.cumulative / self.total:.1f}",
        ]

    def print(self, top: int = 15) -> None:
        """Own time by package; top frames by own time; by cumulative time; the bot's own."""
        if self.note:
            print(self.note)
        packages: dict[str, float] = {}
        for f in self.frames:
            packages[f.package] = packages.get(f.package, 0.0) + f.own
        print(f"\nown time by package (of {self.total:.0f} {self.unit}):")
        print_table(
            ["package", "own", "own %"],
            [
                [
                    name,
                    f"{own:.0f}" if self.unit == "samples" else f"{own:.3f}",
                    f"{100 * own / self.total:.1f}",
                ]
                for name, own in sorted(packages.items(), key=lambda kv: -kv[1])[:12]
            ],
        )
        headers = ["function (file)", "own", "own %", "cumulative", "cum %"]
        by_own = sorted(self.frames, key=lambda f: f.own, reverse=True)[:top]
        print(f"\ntop {top} frames by own time:")
        print_table(headers, [self._cells(f) for f in by_own])
        # Leave out the scaffolding every sample passes through (run_app, the loop, runpy).
        inner = [f for f in self.frames if f.cumulative < 0.85 * self.total]
        by_cumulative = sorted(inner, key=lambda f: f.cumulative, reverse=True)[:top]
        print(f"\ntop {top} frames by cumulative time (frames under 85% of the total):")
        print_table(headers, [self._cells(f) for f in by_cumulative])
        own_code = [f for f in inner if f.package == "bot"]
        by_bot = sorted(own_code, key=lambda f: f.cumulative, reverse=True)[:top]
        print(f"\nthe bot's own functions by cumulative time (top {top}):")
        print_table(headers, [self._cells(f) for f in by_bot])
        print("\nraw profile files: " + ", ".join(str(p) for p in self.files))


def _short(path: str) -> str:
    for marker in ("site-packages/", "/lib/python3", f"{ROOT}/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def _package(path: str) -> str:
    """Which package a source path belongs to (``stdlib asyncio``, ``httpcore``, ``bot``…)."""
    if path.startswith("<frozen importlib"):
        return "import machinery (failed imports)"
    if path.startswith("<"):
        return "built-in / C"
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if "/lib/python3" in path:
        rest = path.split("/lib/python3", 1)[1].split("/", 1)[-1]
        return "stdlib " + rest.split("/", 1)[0].removesuffix(".py")
    if "/bot/" in path or path.startswith("bot/"):
        return "bot"
    return path


class Profiler:
    """Profiles the bot process: pyinstrument wraps it; py-spy attaches to its pid.

    pyinstrument (``python -m pyinstrument -r pyisession -o F -m bot``) writes its session when
    the bot exits on SIGTERM, so it covers the process's whole life (start-up included);
    py-spy records only between :meth:`attach` and :meth:`detach` and only on-CPU samples.
    """

    def __init__(self, kind: str, out_dir: Path) -> None:
        if kind not in PROFILERS:
            raise ValueError(f"profiler must be one of {PROFILERS}")
        self.kind = kind
        self.out_dir = out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        self.session = out_dir / "bot.pyisession"
        self.raw = out_dir / "bot.py-spy.txt"
        self._spy: asyncio.subprocess.Process | None = None

    def argv(self) -> list[str]:
        """The bot's command line (under pyinstrument when that is the profiler)."""
        if self.kind == "pyinstrument":
            return [
                PYTHON,
                "-m",
                "pyinstrument",
                "-r",
                "pyisession",
                "-o",
                str(self.session),
                "-m",
                "bot",
            ]
        return bot_argv()

    async def attach(self, pid: int) -> None:
        """Start py-spy on ``pid`` (no-op for pyinstrument)."""
        if self.kind != "py-spy":
            return
        spy = Path(PYTHON).with_name("py-spy")
        self._spy = await asyncio.create_subprocess_exec(
            str(spy) if spy.exists() else "py-spy",
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--function",
            "--full-filenames",
            "--rate",
            "200",
            "--output",
            str(self.raw),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await asyncio.sleep(1.0)  # let it attach before the measured run

    async def detach(self) -> None:
        """Stop py-spy (SIGINT makes it write its file)."""
        if self._spy is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self._spy.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(self._spy.wait(), timeout=30)
        except TimeoutError:
            self._spy.kill()
            await self._spy.wait()
        self._spy = None

    async def report(self) -> ProfileReport:
        """Read what the profiler wrote (call after the bot has exited for pyinstrument)."""
        if self.kind == "py-spy":
            return self._py_spy_report()
        return await self._pyinstrument_report()

    def _py_spy_report(self) -> ProfileReport:
        own: Counter[tuple[str, str]] = Counter()
        cumulative: Counter[tuple[str, str]] = Counter()
        total = 0
        for line in self.raw.read_text(errors="replace").splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            count = int(count_text)
            frames = [_frame(f) for f in stack.split(";")]
            total += count
            own[frames[-1]] += count
            for frame in set(frames):
                cumulative[frame] += count
        stats = [
            FrameStat(name, package, own[(name, package)], cumulative[(name, package)])
            for name, package in cumulative
        ]
        note = f"py-spy: {total} on-CPU samples at 200 Hz ({total / 200:.1f} CPU-seconds)"
        return ProfileReport("samples", max(total, 1), stats, [self.raw], note)

    async def _pyinstrument_report(self) -> ProfileReport:
        text = self.out_dir / "bot.pyinstrument.txt"
        pstats_file = self.out_dir / "bot.pstats"
        for renderer, target in (("text", text), ("pstats", pstats_file)):
            process = await asyncio.create_subprocess_exec(
                PYTHON,
                "-m",
                "pyinstrument",
                "--load",
                str(self.session),
                "-r",
                renderer,
                "-o",
                str(target),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            await asyncio.wait_for(process.wait(), timeout=120)
        import pstats

        raw: Any = pstats.Stats(str(pstats_file)).stats  # type: ignore[attr-defined]
        frames: list[FrameStat] = []
        total = 0.0
        for (filename, line, function), entry in raw.items():
            own_seconds, cumulative_seconds = float(entry[2]), float(entry[3])
            total += own_seconds
            name = f"{function} ({_short(filename)}:{line})"
            frames.append(FrameStat(name, _package(filename), own_seconds, cumulative_seconds))
        note = (
            f"pyinstrument: {total:.2f} s of wall-clock samples over the bot's whole life "
            "(idle waiting shows up as the event loop's select/epoll frames)"
        )
        return ProfileReport(
            "seconds", max(total, 1e-9), frames, [self.session, text, pstats_file], note
        )


def _frame(frame: str) -> tuple[str, str]:
    """``(function (short path:line), package)`` from a py-spy frame."""
    name, sep, rest = frame.partition(" (")
    if not sep:
        return frame, "?"
    path = rest.rstrip(")").rsplit(":", 1)[0]
    return f"{name} ({_short(rest.rstrip(')'))})", _package(path)
