"""``python -m bot.sandbox``: serve the sandbox alone until Ctrl-C or SIGTERM.

Point the bot at it with ``CROWDTWIST_BASE_URL``, ``CROWDTWIST_MAIN_URL`` and
``CROWDTWIST_API_KEY`` (all printed).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from bot.sandbox.data import DEMO_MEMBERS, FAILURE_DEMOS
from bot.sandbox.server import DEFAULT_API_KEY, SandboxServer


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot.sandbox", description="Serve the built-in CrowdTwist sandbox."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8765, help="port (0: any free port)")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="the key clients must send")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay added to every answer")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error("--port must be between 0 and 65535")
    if args.latency_ms < 0:
        parser.error("--latency-ms must not be negative")
    return args


def _banner(url: str, api_key: str) -> str:
    """What a person needs to use the sandbox: where, which key, whom to look up."""
    lines = [
        f"CrowdTwist sandbox: {url}",
        f"API key:           {api_key}",
        f"Bot settings:      CROWDTWIST_BASE_URL={url} CROWDTWIST_MAIN_URL={url} "
        f"CROWDTWIST_API_KEY={api_key}",
        "",
        "Demo members (look up by any of email / id / third-party id / phone):",
    ]
    for member in DEMO_MEMBERS:
        lines += [
            f"  {member.key:<8} {member.name} ({len(member.purchases)} purchases)",
            f"           {member.email} / {member.crowdtwist_id} / {member.third_party_id} / "
            f"{member.phone}",
            f"           {member.description}",
        ]
    lines += [
        "",
        "Points (the main host, same address): Carmen's points call fails; "
        "Siobhán's by email is refused as an id type.",
        "Receipts (the main host): every scan result code across the members; Carmen's "
        "program has no receipt scanning; images at /receipt-images/.",
        "",
        "Failure demos (look up by email):",
    ]
    lines += [f"  {demo.email:<28} {demo.description}" for demo in FAILURE_DEMOS]
    lines += ["", "Ctrl-C to stop."]
    return "\n".join(lines)


async def _serve(args: argparse.Namespace) -> None:
    server = SandboxServer(args.api_key, latency_seconds=args.latency_ms / 1000)
    url = await server.start(args.host, args.port)
    print(_banner(url, args.api_key), flush=True)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Windows has no loop signal handlers; Ctrl-C then arrives as KeyboardInterrupt.
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stopping.set)
    try:
        await stopping.wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and serve until stopped; the exit status."""
    args = _arguments(argv)
    try:
        asyncio.run(_serve(args))
    except OSError as exc:
        print(f"Cannot serve on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    print("Sandbox stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
