"""Ending a command quickly: the work is done and recorded, so skip the interpreter's
teardown.

After the last epoch of `neural run` the record is complete (the tracker's log fsync'ed,
summary and metadata written atomically, the plot helper's requests sent), yet a normal exit
then tears down every module of torch, scikit-learn, scipy and pandas one by one: about as
long as a few epochs (strace shows seconds of user time after the last atexit handler on a
loaded machine, for a hand-written script too). `exit_process` does what that teardown does
that can matter (joins non-daemon threads and runs their exit hooks, runs the atexit
handlers, e.g. trackers still open and temporary folders, flushes the standard streams) and
then ends the process at once. Only the console entry points call it: `main()` stays a
function that returns, for tests and embedding. Under a profiler or tracer (cProfile, a
debugger, coverage) the exit is the ordinary one: they write their results after main returns.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn

# Commands whose work is complete when they return: those that load a framework, and those
# that build an analysis of the whole program (freeing 100,000 layers' objects one by one
# takes about half a second).
FAST_EXIT_COMMANDS = frozenset({"run", "compile", "shapes", "check"})


def exit_process(status: int) -> NoReturn:
    """Exit now, with what the teardown does that matters (see above)."""
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(status)  # they write their results during the ordinary exit
    shutdown = getattr(threading, "_shutdown", None)  # what Py_Finalize runs first
    if shutdown is not None:
        shutdown()
    else:
        for thread in threading.enumerate():
            if thread is not threading.main_thread() and not thread.daemon:
                thread.join()
    run_exitfuncs = getattr(atexit, "_run_exitfuncs", None)
    if run_exitfuncs is None:  # not CPython: the ordinary exit
        sys.exit(status)
    run_exitfuncs()
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(status)


def finish(command: str | None, status: int) -> NoReturn:
    """End the process after `command` returned `status`."""
    if command in FAST_EXIT_COMMANDS:
        exit_process(status)
    sys.exit(status)
