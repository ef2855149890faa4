"""What the page says about its data: the sandbox's demo members, or the real CrowdTwist."""

from __future__ import annotations

from typing import Any

from bot.config import Settings
from bot.sandbox import DEMO_MEMBERS, FAILURE_DEMOS
from bot.sandbox.points import POINTS_REFUSED_NOTE, points_note

COMMAND = "/purchases"


def _member(member: Any) -> dict[str, Any]:
    """One demo member with ready-made commands for each way to find them."""
    return {
        "name": member.name,
        "description": " ".join(filter(None, (member.description, points_note(member)))),
        "tries": [
            {"label": member.email, "command": f"{COMMAND} {member.email}"},
            {"label": "phone", "command": f"{COMMAND} {member.phone}"},
            {"label": "id", "command": f"{COMMAND} {member.crowdtwist_id}"},
            {"label": "3p id", "command": f"{COMMAND} {_quoted(member.third_party_id)}"},
        ],
        "email": member.email,
    }


def _quoted(value: str) -> str:
    """A third-party id as the command reads it: quoted if it has a space, typed if ambiguous."""
    shown = f'"{value}"' if " " in value else value
    return f"{shown} type:3p"


def page_info(settings: Settings) -> dict[str, Any]:
    """The banner and sidebar: sandbox data with demo members, or which CrowdTwist is live."""
    if not settings.uses_sandbox:
        return {
            "sandbox": False,
            "crowdtwist": settings.crowdtwist_origin or "CrowdTwist",
            "members": [],
            "failures": [],
            "examples": [f"{COMMAND} help", COMMAND],
        }
    return {
        "sandbox": True,
        "crowdtwist": "built-in sandbox",
        "members": [_member(m) for m in DEMO_MEMBERS],
        "failures": [
            {
                "email": demo.email,
                "description": demo.description,
                "command": f"{COMMAND} {demo.email}",
            }
            for demo in FAILURE_DEMOS
        ]
        + [
            {
                "email": DEMO_MEMBERS[0].phone,
                "description": POINTS_REFUSED_NOTE,
                "command": f"{COMMAND} {DEMO_MEMBERS[0].phone}",
            }
        ],
        "examples": [
            f"{COMMAND} help",
            COMMAND,
            f"{COMMAND} {DEMO_MEMBERS[0].email} 2026-01 2026-06",
            f"{COMMAND} {DEMO_MEMBERS[0].email} receipts",
            f"{COMMAND} nobody@example.com",
            f"{COMMAND} {DEMO_MEMBERS[0].email} 2024-02-30",
        ],
    }
