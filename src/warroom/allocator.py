"""Long-running processes (`serve`, `worker`) allocate Python's objects with the C
allocator, so that memory an alert storm used goes back to the system once it is over.

CPython's own small-object allocator (pymalloc) takes memory in 1 MiB arenas and gives
an arena back only when every object in it is gone. A storm allocates and frees millions
of small objects, and the few that outlive it (cache entries, pooled statements) end up
scattered over many arenas: holding 100,000 alerts after the load, 67 arenas were held
for 43 MiB of live objects, 23 MiB of them in pools with nothing left in them. With
`PYTHONMALLOC=malloc` those objects come from glibc's heap instead, whose free pages the
alert writer's idle `malloc_trim` hands back. `bench/ingest.py`, the same run order:
a server holding 100,000 alerts 124 -> 115 MiB resident (empty 104 -> 107 MiB);
alerts/s within run-to-run noise (one alert a request, new 1,868 -> 2,548 and repeated
3,166 -> 3,362; 1,000 a request, new 14,771 -> 13,456 and repeated 23,239 -> 21,588).

The allocator is chosen when the interpreter starts, so the command runs itself again
(`exec`: same process id) with the variable set. An operator who sets `PYTHONMALLOC`
(for instance `pymalloc`) keeps that choice.
"""

from __future__ import annotations

import os
import sys

VARIABLE = "PYTHONMALLOC"
CHOICE = "malloc"
LONG_RUNNING = frozenset({"serve", "worker"})


def wanted(argv: list[str], environ: dict[str, str] | os._Environ[str]) -> bool:
    """True when `argv` (the command's arguments) starts a long-running process and
    nobody chose the allocator yet."""
    command = next((a for a in argv if not a.startswith("-")), None)
    return command in LONG_RUNNING and not environ.get(VARIABLE)


def use_c_allocator() -> None:
    """Run this command again under the C allocator if it is a long-running one; a no-op
    otherwise (and where the interpreter's original command line is unknown)."""
    if not wanted(sys.argv[1:], os.environ) or not getattr(sys, "orig_argv", None):
        return
    os.environ[VARIABLE] = CHOICE
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])
