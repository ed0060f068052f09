"""Hardening, round 2 (issue 24, item 5): the device never goes silent. The Max for Live device's sequencer
(maxpatch/rvae_sequencer.js, run under node as Max's [js] runs it: tests/sequencer_harness.js) refuses plan
datagrams that would make holes or wrong MIDI bytes — fractional or out-of-range part numbers, channels outside
1..16, notes outside 0..127, velocities outside 1..127, positions outside the bar — and keeps playing the valid
ones; bars whose parts never all arrive are bounded (the oldest go). The server side that builds the datagrams
(surfaces/osc/planstream.py) never sends such values."""

from __future__ import annotations

from typing import Any

import pytest

from rvae_server.core.bar import TICKS
from rvae_server.surfaces.osc.planstream import NOTES_PER_DATAGRAM, plan_datagrams, plan_messages
from tests.test_sequencer import a_bar, expected, note_ons, plan_args, run_js, transport_run


def valid_bytes(events: list[dict[str, Any]]) -> bool:
    """Every message is a channel message (note on/off, CC) with data bytes 0..127."""
    status_ok = all(len(e["bytes"]) == 3 and e["bytes"][0] & 0xF0 in (0x80, 0x90, 0xB0) for e in events)
    return status_ok and all(0 <= b <= 127 for e in events for b in e["bytes"][1:])


def test_fractional_part_numbers_never_complete_a_bar_nor_break_the_transport():
    bar = a_bar(3)
    steps: list[list[Any]] = [["plan", 1, 5, 10, 0.5, 2, 0.0, 36, 100], ["plan", 1, 5, 10, 1.5, 2, 6.0, 38, 90]]
    steps += [["T", 1, p] for p in transport_run(0.0, 30.0)]
    steps += [["plan", *args] for args in plan_args(1, 6, bar)]  # then a valid plan
    steps += [["T", 1, p] for p in transport_run(30.2, 2 * TICKS - 0.6)]
    result = run_js(steps)  # (node exits non-zero on an exception)
    got = note_ons(result["events"])
    assert got == [n for n in expected(bar, range(2)) if n[0] > 30.0]


@pytest.mark.parametrize(
    "bad",
    [
        [1, 4, 0, 0, 1, 0.0, 36, 100],  # channel 0
        [1, 4, 17, 0, 1, 0.0, 36, 100],
        [1, 4, 100, 0, 1, 0.0, 36, 100],
        [1, 4, 112, 0, 1, 0.0, 36, 100],
        [1, 4, 10.5, 0, 1, 0.0, 36, 100],
        [1, 4, 10, 0, 1, 0.0, 200, 100],  # note 200
        [1, 4, 10, 0, 1, 0.0, -1, 100],
        [1, 4, 10, 0, 1, 0.0, 36.5, 100],
        [1, 4, 10, 0, 1, 0.0, 36, 300],  # velocity 300
        [1, 4, 10, 0, 1, 0.0, 36, 0],
        [1, 4, 10, 0, 1, 0.0, 36, -5],
        [1, 4, 10, 0, 1, 1e9, 36, 100],  # a position far outside the bar
        [1, 4, 10, 0, 1, -50.0, 36, 100],
        [1, 4.5, 10, 0, 1, 0.0, 36, 100],  # a fractional bar
        [1, -3, 10, 0, 1, 0.0, 36, 100],
        [1, 4, 10, 0, 0, 0.0, 36, 100],  # no parts
        [1, 4, 10, 2, 2, 0.0, 36, 100],  # a part beyond the parts
        [1, 4, 10, -1, 2, 0.0, 36, 100],
        [1, 4, 10, 0, 1e9, 0.0, 36, 100],  # more parts than a bar can have
        [1, 4, 10, 0, 1, "x", 36, 100],
    ],
)
def test_out_of_range_values_never_become_midi_bytes(bad):
    steps: list[list[Any]] = [["plan", *bad]]
    steps += [["T", 1, p] for p in transport_run(0.0, 2 * TICKS)]
    steps += [["plan", 1, 9, 10, 0, 1, 0.0, 36, 100, 48.0, 38, 90]]  # a valid plan afterwards plays
    steps += [["T", 1, p] for p in transport_run(2 * TICKS + 0.2, 3 * TICKS - 0.6)]
    result = run_js(steps)
    assert valid_bytes(result["events"]), result["events"]
    assert note_ons(result["events"]) == [(2 * TICKS + 48.0, 0x99, 38, 90)]


def test_bars_whose_parts_never_all_arrive_are_bounded():
    steps: list[list[Any]] = [["plan", 1, bar, 10, 0, 3, 1.0, 36, 100] for bar in range(20_000)]
    steps += [["plan", 1, 20_000, 10, 0, 1, 0.0, 42, 80]]
    steps += [["T", 1, p] for p in transport_run(0.0, TICKS - 0.6)]
    result = run_js(steps)
    assert result["kept"]["partial"] <= 16 and result["kept"]["plans"] <= 16
    assert note_ons(result["events"]) == [(0.0, 0x99, 42, 80)]


def test_the_server_never_streams_values_the_device_refuses():
    bar = a_bar(11, onsets=400)  # several parts
    notes = [(-0.5, 36, 127), (95.5, 38, 1), (-3.0, 36, 0), (120.0, 42, 300), (10.0, 200, 64), (12.0, -4, 64)]
    messages = plan_messages(0, 7, 10, notes)
    args = messages[0][1]
    assert args[:5] == [1, 7, 10, 0, 1]
    kept = [tuple(args[5 + 3 * i : 8 + 3 * i]) for i in range((len(args) - 5) // 3)]
    assert kept == [(-0.5, 36, 127), (95.5, 38, 1)]  # what the device would refuse is not sent
    for channel in (0, 17, 100):
        with pytest.raises(ValueError, match="channel"):
            plan_messages(0, 7, channel, notes)
    parts = plan_args(1, 3, bar)
    assert [p[3] for p in parts] == list(range(len(parts))) and all(p[4] == len(parts) for p in parts)
    assert all(len(p) <= 5 + 3 * NOTES_PER_DATAGRAM for p in parts)
    assert len(plan_datagrams(0, 7, 10, notes)) == 1
