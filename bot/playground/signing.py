"""Signing requests to the bot exactly as Slack signs them.

The playground's requests go through the bot's real signature check, so a playground that
works is also evidence that the bot verifies (and accepts) Slack's scheme.
"""

from __future__ import annotations

import secrets
import time

from slack_sdk.signature import SignatureVerifier

TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"


def new_signing_secret() -> str:
    """A fresh random signing secret for one playground run (never reused, never shown)."""
    return secrets.token_hex(16)


def signed_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Slack's two headers for ``body``: ``v0=`` HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    if signature is None:  # only when the secret is empty
        raise ValueError("a signing secret is required")
    return {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: signature}
