"""The shortcut's identifier scanner on hostile pasted text: growth with the text's length.

Times ``bot.query.find_member_identifiers`` (what the "Purchase history" shortcut runs on a
message) on texts that made the previous patterns retry from every position, at two
lengths, beside a baseline measured in the same run: the three patterns the scanner used
before (links, emails, phone numbers, run as it ran them). Linear work grows 4x for 4x the
text; quadratic work 16x. Best of ``--repeat`` runs each. The baseline is the old patterns'
work alone, the bot's figure the whole scan (markup, dates, phone segments, de-duplication).

    python -m benchmarks.scanner [--small 5000] [--large 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable

from bot.query import find_member_identifiers

# The patterns the scanner used before issue 13 (the baseline), exactly as they were.
_OLD_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]*://\S+|\bwww\.\S+")
_OLD_EMAIL = re.compile(
    r"(?<![\w.%+\-])[\w.%+\-]++@(?:[^\W_][\w\-]*+(?<!-)\.)+[^\W\d_]{2,}+(?![\w\-]|\.[^\W_])"
)
_OLD_PHONE = re.compile(
    r"(?<![\w+#/=:.,@$€£¥\-])"
    r"(?:\+[ \u00a0]?)?(?:\([0-9]++\)|[0-9]++)"
    r"(?:(?:[ \u00a0]?[.\-][ \u00a0]?|[ \u00a0])?(?:\([0-9]++\)|[0-9]++))*+"
    r"(?![\w@]|[.\-/][0-9])"
)


def old_scan(text: str) -> None:
    """The previous scanner's pattern work: blank links, find and blank emails, find phones."""
    masked = _OLD_URL.sub(lambda m: " " * len(m.group(0)), text)
    list(_OLD_EMAIL.finditer(masked))
    masked = _OLD_EMAIL.sub(lambda m: " " * len(m.group(0)), masked)
    list(_OLD_PHONE.finditer(masked))


CASES: dict[str, Callable[[int], str]] = {
    "dotted words (a.a.a.…)": lambda n: ("a." * n)[:n],
    "digit groups then a letter": lambda n: ("1 " * n)[: n - 1] + "x",
    "one long domain (x@a.a.…)": lambda n: "x@" + ("a." * n)[: n - 2],
    "many @": lambda n: ("a@" * n)[:n],
    "realistic prose": lambda n: ("Hi, o'b+v@ex.co or 555-010-0040, see http://x.y/1 " * n)[:n],
}


def best_of(repeat: int, scan: Callable[[str], object], text: str) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        scan(text)
        best = min(best, time.perf_counter() - started)
    return best


def main(small: int, large: int, repeat: int) -> None:
    print(f"best of {repeat}; {small:,} vs {large:,} characters ({large / small:.0f}x the text)")
    header = (
        f"| {'text':<28} | {'scanner':<23} | {'small ms':>9} | {'large ms':>9} | {'growth':>7} |"
    )
    print(header)
    print("|" + "|".join("-" * len(cell) for cell in header.split("|")[1:-1]) + "|")
    for name, make in CASES.items():
        for label, scan in (
            ("baseline (old patterns)", old_scan),
            ("bot", find_member_identifiers),
        ):
            a = best_of(repeat, scan, make(small))
            b = best_of(repeat, scan, make(large))
            print(
                f"| {name:<28} | {label:<23} | {a * 1000:>9.1f} | {b * 1000:>9.1f} "
                f"| {b / a:>6.1f}x |"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=5_000)
    parser.add_argument("--large", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    main(args.small, args.large, args.repeat)
