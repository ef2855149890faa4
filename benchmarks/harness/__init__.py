"""What the benchmark scripts share, one module per concern; import it all from here.

* ``constants``: paths, the loopback host, the throwaway secrets, the agent's workspace.
* ``upstreams``: the CrowdTwist sandbox and the fake Slack served in the benchmark's own loop.
* ``processes``: the bot (or the typical-Bolt baseline) as a real process; /proc readings.
* ``traffic``: distinct queries, the signed driver, the recorder of answers, closed loops.
* ``measure``: percentiles, CPU accounting, loop lag, how busy the rest of the machine is.
* ``profiling``: pyinstrument or py-spy on the process under test, and their reports.
* ``report``: tables, figures as cells, the machine-and-commit line.

All traffic goes to 127.0.0.1. Every wait has a deadline.
"""

from benchmarks.harness.constants import (
    BOT_TOKEN,
    CHANNEL,
    CT_KEY,
    FLOOR_BOT,
    HOST,
    PYTHON,
    ROOT,
    SIGNING_SECRET,
    TEAM,
    TYPICAL_BOT,
    USER,
)
from benchmarks.harness.measure import (
    LoopLag,
    busiest_others,
    cpu_seconds,
    machine_busy_seconds,
    measured_loop,
    percentile,
    process_ticks,
    wait_for_quiet,
)
from benchmarks.harness.processes import (
    BotProcess,
    bot_argv,
    bot_setup,
    floor_argv,
    free_port,
    parse_env_overrides,
    proc_memory,
    typical_argv,
)
from benchmarks.harness.profiling import PROFILERS, FrameStat, Profiler, ProfileReport
from benchmarks.harness.report import code_version, machine_line, mb, ms, print_table
from benchmarks.harness.traffic import (
    Answer,
    Driver,
    Identity,
    Outcome,
    Query,
    QueryGen,
    Recorder,
    Sent,
    click_and_answer,
    closed_loop,
    headline,
    identities,
    is_card,
    request_and_answer,
)
from benchmarks.harness.upstreams import Upstreams

__all__ = [
    "BOT_TOKEN",
    "CHANNEL",
    "CT_KEY",
    "FLOOR_BOT",
    "HOST",
    "PROFILERS",
    "PYTHON",
    "ROOT",
    "SIGNING_SECRET",
    "TEAM",
    "TYPICAL_BOT",
    "USER",
    "Answer",
    "BotProcess",
    "Driver",
    "FrameStat",
    "Identity",
    "LoopLag",
    "Outcome",
    "ProfileReport",
    "Profiler",
    "Query",
    "QueryGen",
    "Recorder",
    "Sent",
    "Upstreams",
    "bot_argv",
    "bot_setup",
    "busiest_others",
    "click_and_answer",
    "closed_loop",
    "code_version",
    "cpu_seconds",
    "floor_argv",
    "free_port",
    "headline",
    "identities",
    "is_card",
    "machine_busy_seconds",
    "machine_line",
    "mb",
    "measured_loop",
    "ms",
    "parse_env_overrides",
    "percentile",
    "print_table",
    "proc_memory",
    "process_ticks",
    "request_and_answer",
    "typical_argv",
    "wait_for_quiet",
]
