"""``python -m bot``: Socket Mode, HTTP mode, or the local playground, as the settings say."""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

from bot.config import ConfigError, Mode, load_settings
from bot.eventloop import loop_factory
from bot.logs import configure_logging


def main() -> int:
    """Read the settings, set up logging, and run the mode they select."""
    try:
        settings = load_settings()
        loop_factory(settings.event_loop)  # EVENT_LOOP=uvloop without uvloop stops here
    except ConfigError as exc:
        print(f"purchases: configuration error: {exc}", file=sys.stderr)
        return 2
    secrets = [
        secret.get_secret_value()
        for secret in (
            settings.slack_bot_token,
            settings.slack_signing_secret,
            settings.slack_app_token,
            settings.crowdtwist_api_key,
            settings.audit_hash_key,
            settings.metrics_token,
        )
        if secret is not None
    ]
    if settings.redis_url is not None:
        # Never logged by the bot (only host and port are); masked should a library echo it.
        url = settings.redis_url.get_secret_value()
        secrets += [url, urlsplit(url).password or ""]
    log_format = settings.log_format
    if settings.mode is Mode.PLAYGROUND and "log_format" not in settings.model_fields_set:
        log_format = "text"  # a person reads the playground's console, not a log pipeline
    configure_logging(settings.log_level, log_format, secrets)
    if settings.mode is Mode.SOCKET:
        from bot.runtime import run_socket

        run_socket(settings)
    elif settings.mode is Mode.HTTP:
        from bot.runtime import run_http

        run_http(settings)
    else:
        from bot.playground.server import run_playground

        run_playground(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
