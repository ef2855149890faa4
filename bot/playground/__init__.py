"""The local playground: a Slack-like page in the browser driving the real Bolt app.

``python -m bot`` with nothing configured runs :func:`bot.playground.server.run_playground`;
tests use :class:`bot.playground.server.Playground` in-process.
"""
