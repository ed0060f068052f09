"""The player's cursor (engine/cursor.py): which planned events are due after a start, a jump or a re-plan."""

from __future__ import annotations

import numpy as np

from rvae_server.core.bar import Bar
from rvae_server.engine.cursor import CATCH_UP, Cursor
from rvae_server.engine.plans import Plan


def plan(bar: int, events: list[tuple[int, float]], layer: int = 0) -> Plan:
    """A plan whose notes are (tick, microtiming in ticks), the k-th on instrument k % 9."""
    ticks = np.array([t for t, _ in events], dtype=np.int64)
    positions = np.array([bar * 96 + t + m for t, m in events], dtype=np.float64)
    order = np.argsort(positions, kind="stable")
    n = len(events)
    instruments = np.arange(n, dtype=np.int64) % 9
    return Plan(
        layer, bar, Bar.empty(), positions[order], ticks[order], instruments[order], np.full(n, 36, np.int64),
        np.full(n, 100, np.int64), 10, "m",
    )  # fmt: skip


def sent(due: list) -> list[tuple[int, int, float]]:
    return [(d.plan.bar_number, int(d.plan.ticks[d.index]), d.position) for d in due]


def test_a_start_plays_the_early_downbeat_at_the_start_point() -> None:
    """A kick 0.95 tick early on the first downbeat lies before the start: it plays at the start, not never."""
    tables = [{(0, 0): plan(0, [(0, -0.95), (0, -0.08), (24, 0.0)])}, {}]
    cursor = Cursor()
    cursor.restart(0.0)
    assert cursor.next_position(tables) == 0.0
    due = cursor.take(tables, 0.0)
    assert sent(due) == [(0, 0, 0.0), (0, 0, 0.0)]  # both early hits of tick 0, at the start
    assert cursor.next_position(tables) == 24.0
    assert sent(cursor.take(tables, 24.0)) == [(0, 24, 24.0)]


def test_the_previous_bars_late_notes_do_not_play_after_a_jump() -> None:
    """A jump to bar 2: an event of bar 1 before the jump point is not the new bar's and stays silent."""
    tables = [{(0, 1): plan(1, [(95, 0.0)]), (0, 2): plan(2, [(0, -0.5), (12, 0.0)])}, {}]
    cursor = Cursor()
    cursor.restart(192.0)
    assert sent(cursor.take(tables, 192.0)) == [(2, 0, 192.0)]


def test_a_first_plan_arriving_late_is_played_at_once_not_skipped() -> None:
    """The first plan of the start bar arrives 2 ticks after the start: its notes since then play at once."""
    tables: list[dict] = [{}, {}]
    cursor = Cursor()
    cursor.restart(0.0)
    target = cursor.next_position(tables)  # nothing planned yet: the next bar line
    assert target == 96.0
    tables[0] = {(0, 0): plan(0, [(0, -0.95), (1, 0.0), (24, 0.0)])}
    due = cursor.replanned(tables, now=2.0, late=0.3, target=target)
    assert sent(due) == [(0, 0, 0.0), (0, 1, 1.0)]
    assert cursor.next_position(tables) == 24.0


def test_a_re_plan_skips_what_it_put_in_the_past() -> None:
    """An XY change re-plans the bar playing: its notes already behind the cursor are not played late."""
    tables = [{(0, 0): plan(0, [(0, 0.0), (48, 0.0)])}, {}]
    cursor = Cursor()
    cursor.restart(0.0)
    cursor.take(tables, cursor.next_position(tables))
    assert cursor.next_position(tables) == 48.0
    tables[0] = {(0, 0): plan(0, [(0, 0.0), (10, 0.0), (48, 0.0)])}  # a re-plan adds tick 10; now is 20
    assert cursor.replanned(tables, now=20.0, late=0.3, target=48.0) == []
    assert cursor.next_position(tables) == 48.0


def test_a_first_plan_too_late_is_not_played() -> None:
    tables: list[dict] = [{}, {}]
    cursor = Cursor()
    cursor.restart(0.0)
    cursor.next_position(tables)
    tables[0] = {(0, 0): plan(0, [(0, 0.0), (30, 0.0)])}
    assert sent(cursor.replanned(tables, now=CATCH_UP + 5.0, late=0.3, target=96.0)) == []


def test_each_event_plays_once_across_bars() -> None:
    tables = [{(0, b): plan(b, [(0, 0.0), (95, 0.6)]) for b in range(4)}, {}]
    cursor = Cursor()
    cursor.restart(0.0)
    played = []
    while cursor.position < 4 * 96 - 1:
        target = cursor.next_position(tables)
        played += sent(cursor.take(tables, target))
    assert played == [(b, t, b * 96 + t + m) for b in range(4) for t, m in ((0, 0.0), (95, 0.6))]
