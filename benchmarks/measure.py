"""How the benchmarks measure a whole process: CPU seconds as well as wall seconds, since CPU
time is the figure other load on this shared 2-core machine moves least."""

from __future__ import annotations

import resource


def children_cpu() -> float:
    """User + system seconds of every child process waited for so far (and their waited-for
    descendants): take it before and after a subprocess.run, the difference is that process."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
