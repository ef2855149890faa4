"""Thin glue between Slack and the bot: each listener is ack → query → lookup → reply."""

from slack_bolt.async_app import AsyncApp

from bot.listeners import (
    actions,
    commands,
    home,
    receipts,
    share,
    shortcuts,
    views,
    workflow,
)
from bot.services import Services


def register(app: AsyncApp, services: Services) -> None:
    """Attach every listener to ``app``."""
    commands.register(app, services)
    shortcuts.register(app, services)
    actions.register(app, services)
    views.register(app, services)
    workflow.register(app, services)
    share.register(app, services)
    home.register(app, services)
    receipts.register(app, services)
    actions.register_unknown(app)  # last: only clicks no other listener took
