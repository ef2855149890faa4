"""The floor for command → card: the same first pages fetched straight from the CrowdTwist
sandbox with one ``httpx.AsyncClient``, from a process of its own (as the bot is one).

``benchmarks/latency.py`` starts it and feeds it a JSON document on stdin::

    {"base_url": "...", "api_key": "...", "in_flight": 30, "stagger": 0.15,
     "requests": [["/users/…/purchases", {"id_type": "email", ...}], ...]}

It runs the requests closed loop (``in_flight`` agents, started ``stagger`` seconds apart in
all) and prints a JSON list: seconds per successful request, from send to body read.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import httpx


async def run(spec: dict[str, Any]) -> list[float]:
    """Fetch every request in ``spec`` and time each one."""
    latencies: list[float] = []
    pending = iter(spec["requests"])
    in_flight = int(spec["in_flight"])
    stagger = float(spec.get("stagger", 0.0))
    async with httpx.AsyncClient(
        base_url=str(spec["base_url"]),
        headers={"X-CT-Authorization": f"CTApiKey {spec['api_key']}", "Accept": "application/json"},
        timeout=httpx.Timeout(8.0),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=100),
    ) as http:

        async def agent(delay: float) -> None:
            await asyncio.sleep(delay)
            for path, params in pending:
                started = time.monotonic()
                response = await http.get(path, params=params)
                await response.aread()
                if response.status_code == 200:
                    latencies.append(time.monotonic() - started)

        await asyncio.gather(*(agent(stagger * i / in_flight) for i in range(in_flight)))
    return latencies


def main() -> None:
    """Read the spec from stdin, print the latencies as JSON."""
    spec = json.loads(sys.stdin.read())
    print(json.dumps(asyncio.run(run(spec))))


if __name__ == "__main__":
    main()
