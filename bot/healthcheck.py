"""``python -m bot.healthcheck``: exit 0 when the bot on this machine answers ``GET /healthz``.

The container image's ``HEALTHCHECK`` runs it: slim images have no curl, and this needs only
the standard library (it imports nothing heavy, so a check every few seconds stays cheap).
It asks the address HTTP mode listens on, from the same ``HOST`` and ``PORT`` variables,
with a wildcard ``HOST`` (the default) asked on loopback.
"""

from __future__ import annotations

import http.client
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping

HEALTH_PATH = "/healthz"  # bot.server.HEALTH_PATH; importing that would load aiohttp and Bolt
DEFAULT_PORT = "3000"
TIMEOUT_SECONDS = 4.0
_WILDCARDS = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}  # noqa: S104 - mapped away


def health_url(environ: Mapping[str, str]) -> str:
    """The URL of ``/healthz`` for the ``HOST`` and ``PORT`` in ``environ``."""
    host = environ.get("HOST", "").strip()
    host = _WILDCARDS.get(host, host)
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal
    port = environ.get("PORT", "").strip() or DEFAULT_PORT
    return f"http://{host}:{port}{HEALTH_PATH}"


def main(environ: Mapping[str, str] = os.environ) -> int:
    """0 if ``/healthz`` answers 200 in time, else 1, with one line saying why."""
    url = health_url(environ)
    try:
        # Always an http:// URL of the bot's own listening address, built above.
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    # Refused or timed out (URLError is an OSError), a bad PORT, a garbled answer.
    except (OSError, ValueError, http.client.HTTPException) as exc:
        print(f"unhealthy: {url}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"unhealthy: {url} answered HTTP {status}", file=sys.stderr)
        return 1
    print(f"healthy: {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
