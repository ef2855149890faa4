"""The upstreams served from the benchmark's own event loop: the CrowdTwist sandbox and the
fake Slack (Web API + response_url), and the environment that points a bot at them.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self
from urllib.parse import unquote

from benchmarks.harness.constants import BOT_TOKEN, CT_KEY, HOST, SIGNING_SECRET
from benchmarks.harness.traffic import Query, Recorder
from bot.fake_slack import FakeSlack
from bot.sandbox import SandboxServer


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
