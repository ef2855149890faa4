"""/purchases: a CrowdTwist loyalty member's purchase history, inside Slack."""

__version__ = "0.1.0"
