"""The loopback tests' judge (tests/timing_match.py): exact notes, tolerance from the run's own jitter."""

from __future__ import annotations

import numpy as np

from tests.timing_match import BASE_TOLERANCE, MAX_TOLERANCE, bar_problems, clock_fit

WANT = [(0.0, 36, 100), (-0.4, 42, 60), (24.2, 38, 90), (95.3, 42, 61)]


def test_exact_notes_pass_and_anything_else_is_named():
    assert bar_problems([*WANT, (95.7, 36, 100), (-0.7, 42, 61)], WANT, 0.3) == []  # neighbours at the edges
    late = [(p + 0.25, n, v) for p, n, v in WANT]
    assert bar_problems(late, WANT, 0.3) == []
    assert bar_problems(late, WANT, 0.2)  # beyond the tolerance
    assert bar_problems(WANT[:-1], WANT, 0.3)  # a note missing
    assert bar_problems([*WANT, (50.0, 36, 100)], WANT, 0.3)  # a note the bar does not have
    assert bar_problems([(0.0, 36, 99), *WANT[1:]], WANT, 0.3)  # a wrong velocity


def test_tolerance_grows_with_the_measured_jitter_and_is_capped():
    rng = np.random.default_rng(1)
    k = np.arange(500)
    steady = 0.025 * k + 1.0
    assert abs(clock_fit(steady)[2] - BASE_TOLERANCE) < 1e-6
    slope, origin, tolerance = clock_fit(steady + rng.normal(0, 0.002, k.size))  # 2 ms jitter, 25 ms ticks
    assert abs(slope - 0.025) < 1e-4 and abs(origin - 1.0) < 0.01
    assert BASE_TOLERANCE < tolerance < 1.0
    assert clock_fit(steady + rng.normal(0, 0.05, k.size))[2] == MAX_TOLERANCE
