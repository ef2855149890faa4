"""Load and latency benchmarks for the /purchases bot (run as scripts: see README.md)."""
