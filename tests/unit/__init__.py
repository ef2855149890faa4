"""Unit tests: the pure parts, no server or process started."""
