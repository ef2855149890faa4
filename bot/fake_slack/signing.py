"""The one signer: Slack's request headers, made with slack_sdk's ``SignatureVerifier``.

The playground, the tests and the benchmarks all sign with it, so their requests pass the bot's
real signature check; a test compares it with a hand-computed HMAC to not only trust itself.
"""

from __future__ import annotations

import hashlib
import hmac
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
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        # slack_sdk signs text only; Slack's scheme is over the raw bytes, so a body that is
        # not UTF-8 (only hostile-input tests send one) gets the same HMAC over its bytes.
        digest = hmac.new(secret.encode(), b"v0:%s:%s" % (ts.encode(), body), hashlib.sha256)
        return {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: f"v0={digest.hexdigest()}"}
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=text)
    if signature is None:  # slack_sdk gives None only without a timestamp
        raise ValueError("a timestamp is required")
    return {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: signature}
