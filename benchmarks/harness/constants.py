"""The benchmarks' fixed names: paths, the loopback host, secrets and the agent's workspace.

The secrets are throwaway values shared by the driver, the upstreams and the bot's environment.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot.fake_slack import payloads

ROOT = Path(__file__).resolve().parents[2]
"""The repository (``benchmarks/harness/`` is two levels below it)."""
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
FLOOR_BOT = ROOT / "benchmarks" / "bolt_floor.py"
