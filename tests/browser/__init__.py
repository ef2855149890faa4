"""Browser tests: the playground driven in headless Chromium."""
