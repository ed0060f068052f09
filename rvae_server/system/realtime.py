"""Real-time scheduling for the threads that keep time (the player, the MIDI clock sender, note-offs, OSC)."""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

#: The player thread must get the GIL back quickly when it wakes for an event: a shorter switch interval than
#: CPython's 5 ms bounds how long another Python thread (OSC, planner; in the player process the stream reader
#: and the report thread) can hold it. Set by the server and by the player process.
SWITCH_INTERVAL = 0.0005


def set_realtime_priority(priority: int = 10) -> bool:
    """Give the **calling thread** real-time scheduling (Linux ``SCHED_FIFO`` at ``priority``, 1..99), so
    a busy process elsewhere (model training) cannot delay its wake-ups. Returns False, with a log line, where
    it is not permitted (no CAP_SYS_NICE / rtprio limit) or not supported; timing then degrades gracefully.

    Measured on a loaded 2-core VM (``benchmarks/bench_clock.py``, 170 BPM): tick lateness p99 17-32 ms
    without, 0.25-1.5 ms with. The clock thread only sleeps and sends, and its spin is bounded
    (:data:`rvae_server.engine.clock.base.SPIN_MARGIN`), so it cannot starve the machine.

    Every other thread of the process that takes the GIL during playback (OSC server, note-off thread,
    web server) should get it too, at a **lower** priority: a normal thread preempted by another process
    while it holds the GIL would otherwise hold up the clock thread (priority inversion)."""
    if not hasattr(os, "sched_setscheduler"):
        log.info("real-time thread priority is not supported on this platform")
        return False
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
    except (PermissionError, OSError) as err:
        log.info("real-time thread priority not permitted (%s); timing may suffer under load", err)
        return False
    return True
