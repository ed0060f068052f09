"""The Max for Live device's own sequencer (maxpatch/rvae_sequencer.js), run outside Max: node runs the file the way
Max's [js] does (tests/sequencer_harness.js fakes Max's globals) and is fed the planned bars the server streams
over OSC and a run of Live transport positions. It must emit exactly the bar's notes (note, velocity, channel) at
their positions (microtiming included), once each, through start, song position, loop and stop.

The end-to-end test takes the plans from a real server (engine on an internal clock, OSC over UDP, /rvae/plans),
including the new plan a pad move sends, and checks the notes played against the server's own plans."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rvae_server.core.bar import TICKS, Bar
from rvae_server.engine.api import LayerState
from rvae_server.engine.clock import InternalClock
from rvae_server.engine.engine import Engine
from rvae_server.engine.plans import make_plan, plan_event_data
from rvae_server.surfaces.osc.planstream import NOTES_PER_DATAGRAM, plan_messages
from rvae_server.surfaces.osc.server import start_osc
from rvae_server.testing import OscClient, SyntheticModel

ROOT = Path(__file__).resolve().parents[1]
SEQUENCER = ROOT / "maxpatch" / "rvae_sequencer.js"
HARNESS = Path(__file__).with_name("sequencer_harness.js")


def node() -> str:
    exe = shutil.which("node") or shutil.which("nodejs")
    if exe is None:
        pytest.fail("the device sequencer tests need node (Debian: apt-get install nodejs; scripts/setup.sh does)")
    return exe


def run_js(steps: list[list[Any]], layer: int = 1) -> dict[str, Any]:
    proc = subprocess.run(
        [node(), str(HARNESS), str(SEQUENCER)],
        input=json.dumps({"layer": layer, "steps": steps}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def a_bar(seed: int = 0, onsets: int = 24) -> Bar:
    """A bar with ``onsets`` random hits, microtiming everywhere (early downbeats too)."""
    rng = np.random.default_rng(seed)
    planes = np.zeros((3, TICKS, 9), dtype=np.float32)
    cells = rng.choice(TICKS * 9, size=onsets, replace=False)
    for cell in cells:
        tick, inst = divmod(int(cell), 9)
        planes[:, tick, inst] = 1.0, rng.uniform(0.1, 1.0), rng.uniform(-1.0, 0.99)
    planes[:, 0, 0] = 1.0, 0.8, -0.9  # an early downbeat
    return Bar.from_planes(planes)


def plan_args(layer: int, bar_number: int, bar: Bar, channel: int = 10) -> list[list[Any]]:
    """The /rvae/plan datagrams' arguments for ``bar`` (what Max's [route /rvae/plan] hands the js)."""
    state = LayerState(model="m", channel=channel)
    data = plan_event_data(make_plan(layer - 1, bar_number, state, bar))
    return [args for _, args in plan_messages(layer - 1, bar_number, channel, data["notes"])]


def expected(bar: Bar, bars: range, channel: int = 10) -> list[tuple[float, int, int, int]]:
    """(absolute position, status, note, velocity) of every note-on of ``bar`` played in device bars ``bars``."""
    data = plan_event_data(make_plan(0, 0, LayerState(model="m", channel=channel), bar))
    return sorted(
        (round(k * TICKS + round(pos, 4), 4), 0x90 | (channel - 1), note, vel)
        for k in bars
        for pos, note, vel in data["notes"]
    )


def note_ons(events: list[dict[str, Any]]) -> list[tuple[float, int, int, int]]:
    return sorted(
        (round(e["position"], 4), *e["bytes"]) for e in events if e["bytes"][0] & 0xF0 == 0x90 and e["bytes"][2] > 0
    )


def transport_run(start: float, end: float, seed: int = 1, step: tuple[float, float] = (0.05, 0.9)) -> list[float]:
    """Positions a polling [metro] would read from Live's transport: irregular steps from ``start`` to ``end``."""
    rng = np.random.default_rng(seed)
    out, position = [], start
    while position < end:
        out.append(round(position, 6))
        position += float(rng.uniform(*step))
    out.append(end)
    return out


# ------------------------------------------------------------------------------------------ the logic, exactly


def test_plays_every_note_of_the_bar_at_its_position_bar_after_bar():
    bar = a_bar(1)
    steps: list[list[Any]] = [["plan", *args] for args in plan_args(1, 7, bar)]
    steps += [["T", 1, p] for p in transport_run(0.0, 4 * TICKS - 0.6)]
    got = run_js(steps)["events"]
    assert note_ons(got) == expected(bar, range(4))  # exact: every note once, at its position
    # each note-on comes out of the call whose window holds it: never early
    positions = {i: s[2] for i, s in enumerate(steps) if s[0] == "T"}
    previous = {i: max((p for j, p in positions.items() if j < i), default=-0.5) for i in positions}
    for e in got:
        if e["bytes"][0] & 0xF0 == 0x90:
            assert previous[e["step"]] - 0.5 <= e["position"] <= positions[e["step"]] + 1e-9, e


def test_start_mid_bar_song_position_loop_and_stop():
    bar = a_bar(2)
    steps: list[list[Any]] = [["plan", *args] for args in plan_args(1, 0, bar)]
    steps += [["T", 1, p] for p in transport_run(130.0, 250.0, seed=3)]  # start from a song position mid-bar
    steps += [["T", 1, p] for p in transport_run(96.0, 150.0, seed=4)]  # a loop back to bar 2
    stop_at = len(steps)
    steps += [["T", 0, 150.2], ["T", 0, 151.0]]
    result = run_js(steps)["events"]
    want = [n for n in expected(bar, range(4)) if 129.5 < n[0] <= 250.0]  # from half a tick before the start
    want += [n for n in expected(bar, range(4)) if 95.5 < n[0] <= 150.0]
    assert note_ons(result) == sorted(want)
    after_stop = [e["bytes"] for e in result if e["step"] >= stop_at]
    assert [0xB9, 123, 0] in after_stop  # all notes off on the channel used
    assert not any(b[0] & 0xF0 == 0x90 for b in after_stop)
    # every note-on is ended: note-offs balance note-ons (the stop ends those still sounding)
    ons = sum(1 for e in result if e["bytes"][0] & 0xF0 == 0x90)
    offs = sum(1 for e in result if e["bytes"][0] & 0xF0 == 0x80)
    assert ons == offs


def test_the_next_bar_takes_over_at_the_bar_line_and_a_change_is_heard_from_the_next_tick():
    first, second, changed = a_bar(5), a_bar(6), a_bar(7)
    steps: list[list[Any]] = [["plan", *args] for args in plan_args(1, 10, first)]
    steps += [["plan", *args] for args in plan_args(1, 11, second)]  # the server's next bar, sent ahead
    steps += [["T", 1, p] for p in transport_run(0.0, 40.0)]
    steps += [["plan", *args] for args in plan_args(1, 11, changed)]  # a pad move: bar 11's plan changes
    steps += [["T", 1, p] for p in transport_run(40.2, 2 * TICKS - 0.6)]
    got = note_ons(run_js(steps)["events"])
    # the device starts in the server's bar playing (10); bar 11's plan waits for the device's next bar line, and
    # its change (sent while bar 0 plays) is what bar 1 plays
    want = [n for n in expected(first, range(1))]
    want += [n for n in expected(changed, range(1, 2))]
    assert got == sorted(want)


def test_a_bar_in_parts_plays_once_all_parts_arrived_and_other_layers_are_ignored():
    bar = a_bar(8, onsets=150)  # more than one datagram
    parts = plan_args(1, 3, bar)
    assert len(parts) == math.ceil(len(expected(bar, range(1))) / NOTES_PER_DATAGRAM) > 1
    other = plan_args(2, 3, a_bar(9))  # layer 2's plan: not this device's
    steps: list[list[Any]] = [["plan", *args] for args in reversed(parts)] + [["plan", *a] for a in other]
    steps += [["T", 1, p] for p in transport_run(0.0, TICKS - 0.6)]
    assert note_ons(run_js(steps)["events"]) == expected(bar, range(1))


def test_the_max_glue_turns_transport_ticks_into_midi_bytes_and_can_be_disabled():
    bar = a_bar(10, onsets=6)
    steps: list[list[Any]] = [["plan", *args] for args in plan_args(1, 0, bar)]
    ticks = [round(p * 20) for p in transport_run(0.0, TICKS - 0.6)]  # [transport] counts 480 ticks a beat
    steps += [["transport", 1, t] for t in ticks]
    steps += [["enable", 0], ["transport", 1, 2000], ["transport", 1, 2100]]
    result = run_js(steps)
    assert (result["inlets"], result["outlets"]) == (1, 1)
    ons = [o["bytes"] for o in result["out"] if o["bytes"][0] & 0xF0 == 0x90]
    assert sorted(ons) == sorted([s, n, v] for _, s, n, v in expected(bar, range(1)))
    disabled = [o for o in result["out"] if o["step"] >= len(steps) - 2]
    assert disabled == []  # "server plays the port": the device is silent


# ------------------------------------------------------------------------------------------ from a real server


def test_plans_streamed_by_a_running_server_play_exactly_on_the_device():
    clock = InternalClock(bpm=300.0)
    engine = Engine({"a": SyntheticModel("a")}, clock, [], default_model="a", layers=2)
    engine.update(0, x=0.8, y=0.3, threshold=0.3)
    engine.start()
    osc = start_osc(engine, port=0)
    client = OscClient(osc.port)
    try:
        client.send("/rvae/plans", 1, client.port)
        first = client.receive(0.5, quiet=None)
        assert ("/rvae/plans/subscribed", [1, client.port, 1]) in first
        plans = [args for address, args in first if address == "/rvae/plan"]
        assert plans and all(args[0] == 1 for args in plans)  # layer 1's plans only, at once
        engine.update(0, x=0.1, y=0.9)  # a pad move: a new plan for the bar playing (and the next)
        moved = [args for address, args in client.receive(0.5, quiet=None) if address == "/rvae/plan"]
        assert moved, "no plan after a pad move"
        client.send("/rvae/plans", 0, client.port)
        client.receive(0.2, quiet=None)
        engine.update(0, x=0.5, y=0.5)
        assert not [a for a, _ in client.receive(0.3, quiet=None) if a == "/rvae/plan"], "plans after unsubscribing"
    finally:
        client.sock.close()
        osc.close()
        engine.close()
        clock.close()
    # the device starts in the server's bar playing and plays its newest plan: the moved one, exactly
    playing_bar = min(args[1] for args in plans)
    of_bar = [m for m in moved if m[1] == playing_bar]
    parts = of_bar[-1][4]
    latest = [value for m in of_bar[-parts:] for value in m[5:]]  # the newest version, all its parts
    assert [m[3] for m in of_bar[-parts:]] == list(range(parts))
    steps: list[list[Any]] = [["plan", *args] for args in plans + moved]
    steps += [["T", 1, p] for p in transport_run(0.0, TICKS - 0.6)]
    got = note_ons(run_js(steps)["events"])
    notes = [(latest[3 * i], latest[3 * i + 1], latest[3 * i + 2]) for i in range(len(latest) // 3)]
    assert got == sorted((round(p, 4), 0x99, n, v) for p, n, v in notes)
    assert got, "the moved plan is empty: pick a busier point"
