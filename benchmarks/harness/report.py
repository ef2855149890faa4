"""What the scripts print: tables, figures as cells, and the machine-and-commit line."""

from __future__ import annotations

import contextlib
import math
import os
import platform
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from benchmarks.harness.constants import ROOT

# -- the machine, tables and figures as cells -----------------------------------------------------


def machine_line() -> str:
    """``machine: <CPU model>, <n> cores, Python <version>``."""
    model = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"machine: {model}, {os.cpu_count()} cores, Python {platform.python_version()} "
        f"({platform.python_implementation()}), Linux {platform.release()}; {code_version()}"
    )


def code_version() -> str:
    """``bot at <commit>`` (read-only git), flagging uncommitted changes under bot/."""
    import subprocess

    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "bot"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "bot at an unknown commit"
    return f"bot at commit {head}" + (" + uncommitted changes in bot/" if dirty else "")


def ms(seconds: float) -> str:
    """Seconds as milliseconds for a table cell."""
    if math.isnan(seconds):
        return "—"
    return f"{seconds * 1000:.1f} ms"


def mb(kib: int | None) -> str:
    """KiB (as /proc reports them) as MB for a table cell."""
    return "—" if kib is None else f"{kib / 1024:.1f} MB"


def print_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """A Markdown table, columns padded to their widest cell."""
    body = [list(map(str, row)) for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    print(line(headers))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in body:
        print(line(row))
    sys.stdout.flush()
