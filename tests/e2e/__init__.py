"""End-to-end tests: real HTTP servers on 127.0.0.1, real processes, a real redis-server."""
