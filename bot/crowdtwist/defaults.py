"""The CrowdTwist client's defaults: the one source for its constructor and the bot's settings.

A leaf module (no imports) so ``bot.config`` can take its field defaults from here without
loading the client; ``tests/unit/test_crowdtwist_defaults.py`` checks the two agree.
"""

DEFAULT_TIMEOUT_SECONDS = 8.0
"""Deadline of one attempt, reading the whole body included."""
DEFAULT_MAX_RETRIES = 2
"""Extra attempts after the first, for failures that may pass (network, 5xx, 429)."""
DEFAULT_BACKOFF_SECONDS = 0.3
"""Base of the full-jitter backoff between attempts."""
DEFAULT_RETRY_AFTER_MAX_SECONDS = 5.0
"""The longest a server's ``Retry-After`` is honoured before the next attempt."""
DEFAULT_CACHE_TTL_SECONDS = 120.0
"""How long a successful page is kept (0: no cache)."""
DEFAULT_CACHE_MAX_ENTRIES = 500
"""How many successful pages are kept (0: no cache)."""
DEFAULT_MAX_CONNECTIONS = 100
"""Size of the shared keep-alive pool."""
DEFAULT_MAX_PREFETCHES = 16
"""A prefetch starts only while fewer fetches than this are in flight."""
DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024
"""CrowdTwist bodies larger than this are refused: a page of 10 purchases is a few kB."""
DEFAULT_MAIN_CACHE_TTL_SECONDS = 60.0
"""How long a main-host answer (a points balance) is kept: balances move, pages hardly do."""
