"""One aiohttp session per process for everything sent to Slack.

Web API calls (``auth.test``, the audit channel's posts) and ``response_url`` posts all go out
on the services' one session: the fake Slack sees them arrive over a handful of keep-alive
connections, not one new connection per request, and the client Bolt hands each listener
carries that same session.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from slack_bolt.async_app import AsyncBoltContext

from bot.fake_slack import RESPONSE_METHOD, FakeSlack
from bot.sandbox import SandboxServer
from bot.server import BOLT_APP
from bot.slack_ids import NEXT_PAGE_ACTION
from tests.conftest import start_bot
from tests.support.e2e_helpers import button, response_posts, text_of


class PeerRecordingSlack(FakeSlack):
    """The fake Slack, also noting the client address and port of every request."""

    def __init__(self) -> None:
        super().__init__()
        self.peers: list[tuple[str, int]] = []

    def app(self) -> web.Application:
        app = super().app()

        @web.middleware
        async def note_peer(
            request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
        ) -> web.StreamResponse:
            assert request.transport is not None
            self.peers.append(request.transport.get_extra_info("peername"))
            return await handler(request)

        app.middlewares.append(note_peer)
        return app


@pytest.fixture
async def slack() -> AsyncIterator[PeerRecordingSlack]:
    async with PeerRecordingSlack() as fake:
        yield fake


async def test_every_post_to_slack_shares_one_session_and_its_connections(
    sandbox: SandboxServer, slack: PeerRecordingSlack
) -> None:
    bot = await start_bot(sandbox, slack, audit_channel_id="C0AUDIT01")
    sessions: list[Any] = []
    bolt = bot.runner.app[BOLT_APP]

    @bolt.middleware
    async def note_session(context: AsyncBoltContext, next: Callable[[], Awaitable[None]]) -> None:
        sessions.append(context.client.session)
        await next()

    try:
        for _ in range(4):
            sent = await bot.driver.command("dev.patel@example.com")
            (card,) = await response_posts(slack, sent.token, count=1)
            assert "Purchases for" in text_of(card)
        value = button(card, NEXT_PAGE_ACTION)["value"]
        clicked = await bot.driver.click(NEXT_PAGE_ACTION, value)
        (page,) = await response_posts(slack, clicked.token, count=1)
        assert "Page 2" in text_of(page)
        await slack.wait_for(lambda call: call.method == "chat.postMessage", count=5)
    finally:
        await bot.driver.http.aclose()
        await bot.runner.cleanup()

    shared = bot.services.http
    assert shared is not None
    assert shared.closed  # closed with the services, once
    assert len(sessions) == 5
    assert all(session is shared for session in sessions)
    assert bot.services.slack is not None and bot.services.slack.session is shared

    methods = [call.method for call in slack.calls]
    assert methods.count(RESPONSE_METHOD) == 5
    assert "auth.test" in methods
    requests = len(slack.peers)
    assert requests >= 11  # auth.test + 5 audit posts + 5 response_url posts
    # Keep-alive on one pool: a few connections at most (an audit post and an answer can
    # overlap), never one per request as a session per call would need.
    assert len(set(slack.peers)) <= 3
