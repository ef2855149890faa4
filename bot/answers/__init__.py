"""From a query to what the agent sees, whatever asked: the card (``lookup``), the range
gathered page by page (``history``), the CSV (``export``) and the receipts (``receipts``).

The listeners call these; these call the CrowdTwist client and :mod:`bot.cards`, and never
read a Slack payload themselves.
"""
