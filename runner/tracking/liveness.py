"""Is a `running` experiment still running? One rule for every reader.

A run killed without a chance to record it (kill -9, power loss) stays `running` in
metadata.json. It is shown as `running?` when the process that recorded it (on this
machine) is gone and it has logged nothing for STALE_AFTER_S: `neural track init` runs
outlive their creating process and are fed by later `neural track log` calls, hence the
quiet period as well.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from typing import Any

STALE_AFTER_S = 120.0
SUSPECT = "running?"  # what readers show for a run that seems dead
_HOSTNAME = socket.gethostname()


def recorded_process(meta: Mapping[str, Any]) -> int | None:
    """The pid that ran the experiment, if it ran on this machine."""
    env = meta.get("environment")
    if not isinstance(env, dict):
        return None
    command, platform = env.get("command"), env.get("platform")
    pid = command.get("pid") if isinstance(command, dict) else None
    host = platform.get("hostname") if isinstance(platform, dict) else None
    if type(pid) is not int or pid <= 0 or host != _HOSTNAME:
        return None
    return pid


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def seems_dead(meta: Mapping[str, Any], last_activity: float | None, now: float) -> bool:
    """True for a `running` experiment whose process is gone and which has been quiet for
    STALE_AFTER_S (last_activity: its last log, or its start)."""
    if meta.get("status") != "running" or last_activity is None:
        return False
    if now - last_activity < STALE_AFTER_S:
        return False
    pid = recorded_process(meta)
    return pid is not None and not process_alive(pid)


def shown_status(meta: Mapping[str, Any], last_activity: float | None, now: float) -> str:
    """The status a reader shows: the recorded one, or SUSPECT for a run that seems dead."""
    status = str(meta.get("status") or "running")
    return SUSPECT if seems_dead(meta, last_activity, now) else status
