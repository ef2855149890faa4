"""One loopback fake Slack for the playground, the tests and the benchmarks.

``server`` is the Web API, ``response_url`` and uploads; ``socket_mode`` the Socket Mode
WebSocket; ``payloads`` builds what Slack sends an app; ``signing`` signs it as Slack does.
"""

from bot.fake_slack.server import (
    BOT_ID,
    BOT_USER_ID,
    RESPONSE_METHOD,
    TEAM_ID,
    UPLOAD_METHOD,
    FakeSlack,
    SlackCall,
)

__all__ = [
    "BOT_ID",
    "BOT_USER_ID",
    "RESPONSE_METHOD",
    "TEAM_ID",
    "UPLOAD_METHOD",
    "FakeSlack",
    "SlackCall",
]
