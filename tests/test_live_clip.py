"""Bars into Live: ``/rvae/capture/clip BARS`` answers the last bars a layer played (the capture's ring buffer) as
``/rvae/clip`` datagrams, and the device's clip writer (maxpatch/rvae_clip.js) turns them into a new clip on its
track through the Live API. The JS runs under node the way Max's [js] runs it (tests/clip_harness.js), against a
mocked LiveAPI that records every call: the notes (pitch, start, length, velocity; microtiming kept as offsets),
the clip's length and loop length exact. The end-to-end test takes the notes from a real server over UDP."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from rvae_server.engine.clock import InternalClock
from rvae_server.engine.engine import Engine
from rvae_server.outputs.capture import Capture, CaptureSink
from rvae_server.surfaces.osc.clipsend import CLIP_NOTES_PER_DATAGRAM, clip_messages
from rvae_server.surfaces.osc.server import start_osc
from rvae_server.testing import OscClient, SyntheticModel
from tests.test_sequencer import node

ROOT = Path(__file__).resolve().parents[1]
WRITER = ROOT / "maxpatch" / "rvae_clip.js"
HARNESS = Path(__file__).with_name("clip_harness.js")
TRACK = "live_set tracks 2"


def run_js(steps: list[list[Any]], layer: int = 1, slots: list[int] | None = None, live: bool = True) -> dict:
    proc = subprocess.run(
        [node(), str(HARNESS), str(WRITER)],
        input=json.dumps({"layer": layer, "steps": steps, "slots": slots or [1, 0, 0], "live": live}),
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def live_notes(bars: int, notes: list[tuple[float, int, int]]) -> list[dict[str, Any]]:
    """What the writer must hand add_new_notes: start in beats (ticks / 24, an early downbeat wrapped to the end)."""
    length = bars * 96
    return [
        {"pitch": n, "start_time": (p + length if p < 0 else p) / 24, "duration": 3 / 24, "velocity": v, "mute": 0}
        for p, n, v in notes
    ]


def made(result: dict, kind: str, name: str) -> list[list[Any]]:
    return [c for c in result["calls"] if c[0] == kind and c[2] == name]


def test_the_clip_writer_makes_a_clip_of_exactly_the_bars_and_notes():
    notes = [(-0.45, 36, 100), (0.0, 42, 64), (5.8, 42, 70), (24.25, 38, 110), (95.5, 46, 30), (190.0, 36, 127)]
    notes += [(96.0 + k, 42, 1 + k) for k in range(CLIP_NOTES_PER_DATAGRAM)]  # more than a datagram: in parts
    steps = [["clip", *args] for _, args in clip_messages(0, 2, notes)]
    assert len(steps) == 2
    result = run_js(steps[::-1])  # parts in any order
    assert result["inlets"] == 1 and result["outlets"] == 1
    (create,) = [c for c in result["calls"] if c[0] == "call" and c[2] == "create_clip"]
    assert create == ["call", f"{TRACK} clip_slots 1", "create_clip", 8]  # the first empty slot; 2 bars = 8 beats
    (add,) = [c for c in result["calls"] if c[0] == "call" and c[2] == "add_new_notes"]
    assert add[1] == f"{TRACK} clip_slots 1 clip"
    assert add[3]["notes"] == live_notes(2, notes)  # every note, microtiming kept as offsets
    sets = {c[2]: c[3] for c in result["calls"] if c[0] == "set"}
    assert sets["loop_start"] == 0 and sets["loop_end"] == 8  # the loop length exact
    assert result["out"] == [{"outlet": 0, "value": f"clip: 2 bars, {len(notes)} notes in slot 2"}]


def test_other_layers_missing_parts_no_slot_and_no_live_api():
    args = clip_messages(1, 1, [(0.0, 36, 90)])[0][1]  # layer 2's
    assert run_js([["clip", *args]])["calls"] == []  # not this device's layer
    first = clip_messages(0, 1, [(k * 1.0, 36, 90) for k in range(CLIP_NOTES_PER_DATAGRAM + 1)])[0][1]
    assert run_js([["clip", *first]])["out"] == []  # waits for its second part
    one = clip_messages(0, 4, [(0.0, 36, 90)])[0][1]
    full = run_js([["clip", *one]], slots=[1, 1])
    assert full["out"][0]["value"].startswith("clip: no empty clip slot")
    assert not [c for c in full["calls"] if c[0] == "call"]
    empty = run_js([["clip", *clip_messages(0, 1, [])[0][1]]])
    assert made(empty, "call", "create_clip") and not made(empty, "call", "add_new_notes")
    plain = run_js([["clip", *one]], live=False)
    assert plain["out"][0]["value"].startswith("clip: no Live API here")


def test_the_last_bars_a_running_server_played_become_the_clip(tmp_path):
    clock = InternalClock(bpm=400.0)  # a bar in 0.6 s
    engine = Engine({"a": SyntheticModel("a")}, clock, [], default_model="a", layers=2, seed=1)
    sink = CaptureSink(clock, layers=2)
    engine.sinks.append(sink)
    engine.update(0, notes=[60 + k for k in range(9)])  # a note map: the clip has the notes as played
    engine.update(1, enabled=True)
    engine.start()
    server = start_osc(engine, port=0)
    server.attach_capture(Capture(sink, tmp_path / "takes"))
    client = OscClient(server.port)
    try:
        engine.play()
        deadline = time.monotonic() + 10
        while clock.position() < 4 * 96 and time.monotonic() < deadline:
            time.sleep(0.05)
        engine.stop()
        time.sleep(0.1)
        replies = client.ask("/rvae/capture/clip", 2)
        clip = [args for address, args in replies if address == "/rvae/clip"]
        assert clip and all(a[0] == 1 and a[1] == 2 for a in clip)
        bars, want = Capture(sink, tmp_path).last_notes(2, 0)
        assert bars == 2 and want and {n for _, n, _ in want} <= set(range(60, 69))
        result = run_js([["clip", *args] for args in clip])
        (add,) = [c for c in result["calls"] if c[0] == "call" and c[2] == "add_new_notes"]
        got = add[3]["notes"]
        assert [(g["pitch"], g["velocity"]) for g in got] == [(n, v) for _, n, v in want]
        assert [g["start_time"] for g in got] == pytest.approx([x["start_time"] for x in live_notes(2, want)], abs=1e-4)
        assert made(result, "call", "create_clip")[0][3] == 8
        other = [args for address, args in client.ask("/rvae/layer/2/capture/clip", 1) if address == "/rvae/clip"]
        assert other and other[0][:2] == [2, 1]
    finally:
        client.close()
        server.close()
        engine.close()
        clock.close()
