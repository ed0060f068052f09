"""Judging notes that arrived through JACK against the bar they should be, without timing assertions that a busy
machine breaks: exact notes and velocities, each at its position within a tolerance scaled to the jitter measured
on the same run (the MIDI clock that travelled the same path), and each in the right bar.

Exact timing is the benchmarks' business (benchmarks/bench_engine.py, bench_clock.py)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rvae_server.core.bar import TICKS

#: Tolerance on an idle machine (ticks): JACK's period is a fifth of a tick at 100 BPM.
BASE_TOLERANCE = 0.3
#: Largest tolerance the jitter may ask for (ticks): beyond it notes could pair with their neighbours.
MAX_TOLERANCE = 2.0

Note = tuple[float, int, int]  # (position in ticks, MIDI note, velocity)


def clock_fit(pulses: Sequence[float]) -> tuple[float, float, float]:
    """``(slope, origin, tolerance)``: the line through the MIDI clock arrivals (s per tick, arrival of tick 0) and
    the position tolerance (ticks) for this run: the base one plus three times the clock's own p99 jitter around
    the line (the notes share the clock's path: the same threads, JACK cycles and load), capped."""
    times = np.asarray(pulses, dtype=np.float64)
    k = np.arange(times.size)
    slope, origin = np.polyfit(k, times, 1)
    jitter = float(np.percentile(np.abs(times - (origin + slope * k)), 99)) / slope
    return float(slope), float(origin), min(MAX_TOLERANCE, BASE_TOLERANCE + 3.0 * jitter)


def bar_problems(arrivals: Sequence[Note], want: Sequence[Note], tolerance: float) -> list[str]:
    """What is wrong with one bar. ``arrivals``: every note that arrived near the bar, positions relative to its bar
    line; ``want``: the bar's notes. Each wanted note must have an arrival of the same note and velocity within
    ``tolerance`` (nearest first), none twice; an arrival left over must lie where a neighbouring bar's early or
    late note may land (within ``tolerance`` of the bar's edges), never inside the bar."""
    problems = []
    lo, hi = -0.5, TICKS - 0.5
    pool = [a for a in arrivals if lo - tolerance <= a[0] < hi + tolerance]
    for position, note, velocity in sorted(want):
        match = [a for a in pool if a[1] == note and a[2] == velocity and abs(a[0] - position) <= tolerance]
        if not match:
            near = sorted(pool, key=lambda a: abs(a[0] - position))[:3]
            problems.append(f"no note {note} velocity {velocity} within {tolerance:.2f} of tick {position:.2f} "
                            f"(nearest: {near})")  # fmt: skip
            continue
        pool.remove(min(match, key=lambda a: abs(a[0] - position)))
    inside = [a for a in pool if lo + tolerance <= a[0] < hi - tolerance]
    if inside:
        problems.append(f"notes that the bar does not have: {inside}")
    return problems
