"""Export time: every page of the 213-purchase demo member, bounded concurrency vs one at a time.

Runs the sandbox in-process with an injected latency (default 150 ms) and times
``bot.answers.history.gather`` (what the Export CSV button runs) with the configured
concurrency against the baseline of one page at a time, in the same run, cache off.

    python -m benchmarks.export [--latency-ms 150] [--concurrency 5] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from bot.answers.export import to_csv
from bot.answers.history import gather
from bot.crowdtwist.client import CrowdTwistClient
from bot.crowdtwist.models import IdType
from bot.query import PurchaseQuery
from bot.sandbox import DEFAULT_API_KEY, SandboxServer

MEMBER = "dev.patel@example.com"


async def time_export(base_url: str, concurrency: int) -> tuple[float, int, int]:
    """Seconds for one full export, the rows it gathered, and the CSV's size in bytes."""
    async with CrowdTwistClient(base_url, DEFAULT_API_KEY, cache_ttl_seconds=0) as client:
        query = PurchaseQuery(member=MEMBER, id_type=IdType.EMAIL)
        started = time.perf_counter()
        export = await gather(client, query, max_pages=1000, concurrency=concurrency)
        content = to_csv(export.purchases)
        return time.perf_counter() - started, len(export.purchases), len(content.encode())


async def main(latency_ms: float, concurrency: int, repeat: int) -> None:
    async with SandboxServer(latency_seconds=latency_ms / 1000) as sandbox:
        rows: list[tuple[str, list[float], int, int]] = []
        for label, level in (("one page at a time", 1), (f"{concurrency} at a time", concurrency)):
            runs = [await time_export(sandbox.base_url, level) for _ in range(repeat)]
            seconds = [r[0] for r in runs]
            rows.append((label, seconds, runs[0][1], runs[0][2]))
    pages = -(-rows[0][2] // 10)
    print(f"export of {MEMBER}: {rows[0][2]} purchases, {pages} pages, L = {latency_ms:.0f} ms")
    print(
        f"| {'fetching':<20} | {'median s':>9} | {'best s':>7} | {'rows':>5} | {'CSV bytes':>9} |"
    )
    print(f"|{'-' * 22}|{'-' * 11}|{'-' * 9}|{'-' * 7}|{'-' * 11}|")
    for label, seconds, count, size in rows:
        print(
            f"| {label:<20} | {statistics.median(seconds):>9.2f} | {min(seconds):>7.2f} "
            f"| {count:>5} | {size:>9} |"
        )
    speedup = statistics.median(rows[0][1]) / statistics.median(rows[1][1])
    print(f"speed-up: {speedup:.1f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=150.0)
    parser.add_argument("--concurrency", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.latency_ms, args.concurrency, args.repeat))
