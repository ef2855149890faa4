"""The built-in CrowdTwist sandbox: the real API's behaviour, served over HTTP with demo members.

Run it alone with ``python -m bot.sandbox``; the playground and the tests start it in-process.
"""

from bot.sandbox.data import (
    DEMO_MEMBERS,
    FAILURE_DEMOS,
    DemoMember,
    DemoPurchase,
    FailureDemo,
    member_by_any_id,
)
from bot.sandbox.faults import Faults
from bot.sandbox.server import DEFAULT_API_KEY, RecordedRequest, SandboxServer

__all__ = [
    "DEFAULT_API_KEY",
    "DEMO_MEMBERS",
    "FAILURE_DEMOS",
    "DemoMember",
    "DemoPurchase",
    "FailureDemo",
    "Faults",
    "RecordedRequest",
    "SandboxServer",
    "member_by_any_id",
]
