"""Test-only helpers: Block Kit's limits as checks, and a plain-text picture of a message."""
