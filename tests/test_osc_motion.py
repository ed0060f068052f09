"""The motion, preset, follow, encode and capture addresses over real UDP to a real OSC server, with the real
bundled model (its encoder places clips on the pad), and the follow mode fed drums through a real JACK MIDI
port: at each bar line the bar just played is encoded and the pad glides there."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from rvae_server.core.bar import OUTPUT_NOTES, Bar, stack
from rvae_server.core.midifile import read_clip
from rvae_server.engine.clock import InternalClock
from rvae_server.engine.engine import Engine
from rvae_server.model.inference import LoadedModel
from rvae_server.model.modeldirs import bundled_models_dir, default_model
from rvae_server.outputs.capture import Capture, CaptureSink
from rvae_server.surfaces.follow import Follower, FollowInput
from rvae_server.surfaces.osc.server import start_osc
from rvae_server.testing import OscClient
from tests.fixtures_midi import ClockSource

DATA = Path(__file__).parent / "data" / "groove"


@pytest.fixture(scope="module")
def model() -> LoadedModel:
    found = default_model([bundled_models_dir()])
    assert found is not None
    return LoadedModel.load(found.path)


@pytest.fixture
def served(model, tmp_path):
    clips = tmp_path / "clips"
    shutil.copytree(DATA, clips)
    clock = InternalClock(bpm=240.0)
    sink = CaptureSink(clock, layers=2)
    engine = Engine({"groove": model}, clock, [sink], default_model="groove", layers=2, seed=1)
    engine.start()
    server = start_osc(engine, port=0, clip_dirs=[clips])
    server.attach_capture(Capture(sink, tmp_path / "takes"))
    client = OscClient(server.port)
    yield engine, clock, client, clips, tmp_path
    client.close()
    server.close()
    engine.close()
    clock.close()


def state(client: OscClient) -> dict:
    replies = client.ask("/rvae/state", until="/rvae/state/json")
    return json.loads(next(args[0] for address, args in replies if address == "/rvae/state/json"))


def errors(replies):
    return [args[1] for address, args in replies if address == "/rvae/error"]


def test_lfo_path_swing_density_and_presets_over_osc(served):
    engine, _clock, client, _, _ = served
    assert client.ask("/rvae/layer/2/lfo/x", "triangle", "1/8d", 0.3, 0.25) == []
    assert client.ask("/rvae/lfo/threshold", "random-smooth", 2.0, 0.1) == []
    warned = client.ask("/rvae/swing", 80.0, 8)
    assert warned and warned[0][0] == "/rvae/warning" and "clamped to 75" in warned[0][1][1]
    client.ask("/rvae/density", "ride", -0.3)
    client.ask("/rvae/path", "circle", 2, 0.1)
    layers = state(client)["layers"]
    assert layers[1]["lfo"]["x"] == {"shape": "triangle", "rate": 0.1875, "depth": 0.3, "phase": 0.25}
    assert layers[0]["lfo"]["threshold"]["shape"] == "random-smooth"
    assert layers[0]["swing"] == {"amount": 75.0, "unit": 8} and layers[0]["densities"]["ride"] == -0.3
    assert layers[0]["path"] == {"shape": "circle", "bars": 2, "size": 0.1}
    engine.play()
    time.sleep(0.3)
    now = state(client)["layers"][0]
    assert now["xy_now"] != [now["x"], now["y"]]  # the point as played moves around the performer's
    stored = client.ask("/rvae/preset/store", 5, until="/rvae/preset/stored")
    assert ("/rvae/preset/stored", [1, 5]) in stored
    client.ask("/rvae/lfo/x", "off")
    client.ask("/rvae/path", "off")
    client.ask("/rvae/xy", 0.1, 0.9)
    assert client.ask("/rvae/preset/recall", 5, 2, "beats") == []
    layer = state(client)["layers"][0]
    assert layer["morphing"] and layer["path"]["shape"] == "circle" and layer["x"] != 0.1
    assert errors(client.ask("/rvae/preset/recall", 6)) == ["preset 6 is empty (store one first)"]
    assert errors(client.ask("/rvae/lfo/y", "sine", "fast", 0.1))[0].startswith("rate 'fast'")
    assert "number or a string" in errors(client.ask("/rvae/lfo/y", "sine", float("nan")))[0]
    client.ask("/rvae/gesture/record", 2)
    assert state(client)["layers"][0]["gesture"]["state"] in ("armed", "recording")
    client.ask("/rvae/touch", 1)
    assert state(client)["layers"][0]["touching"]
    client.ask("/rvae/follow", 1, 5, 2)
    assert state(client)["layers"][0]["follow"] == {"on": True, "min_onsets": 5, "glide_beats": 2.0}


def test_encode_a_clip_confined_to_the_clip_folders(served, model):
    _engine, _, client, clips, tmp_path = served
    clip = next(p for p in sorted(clips.rglob("*.mid")) if "4-4" in p.name)
    relative = str(clip.relative_to(clips))
    replies = client.ask("/rvae/layer/2/encode", relative, until="/rvae/encoded")
    encoded = [args for address, args in replies if address == "/rvae/encoded"]
    assert encoded, replies
    bars = [b.bar for b in read_clip(clip).bars if b.used][:64]
    want = model.encode(stack(bars))
    layer, x, y, count = encoded[0]
    assert layer == 2 and count == len(bars) and (x, y) == pytest.approx(tuple(want[0]), abs=1e-4)
    now = state(client)["layers"][1]
    assert (now["x"], now["y"]) == pytest.approx(tuple(want[0]), abs=1e-4)
    assert np.allclose(now["trail"], want, atol=1e-4)
    outside = tmp_path / "outside.mid"
    shutil.copy(clip, outside)
    for bad, why in (("../outside.mid", "'..'"), (str(outside), "outside the clip folders"), ("nope.mid", "no ")):
        assert why in errors(client.ask("/rvae/encode", bad))[0], bad
    assert "not a MIDI file" in errors(client.ask("/rvae/encode", str(clip.parent.relative_to(clips))))[0]


def test_capture_last_bars_over_osc(served):
    engine, clock, client, _, tmp_path = served
    assert "nothing has been played" in errors(client.ask("/rvae/capture/last", 2, "early"))[0]
    engine.update(0, threshold=0.2)
    engine.play()
    while clock.position() < 3 * 96:
        time.sleep(0.01)
    replies = client.ask("/rvae/capture/last", 2, "take1", until="/rvae/captured")
    captured = [args for address, args in replies if address == "/rvae/captured"]
    assert captured and captured[0][0] == str((tmp_path / "takes" / "take1.mid").resolve()) and captured[0][1] > 0
    assert "capture name" in errors(client.ask("/rvae/capture/last", 2, "../up"))[0]
    assert errors(client.ask("/rvae/layer/2/capture/last", 2, "x")) == ["unknown address"]


def test_follow_mode_glides_to_the_bar_played_in(jack_server, model):
    clock = InternalClock(bpm=60.0)  # a tick is 42 ms: JACK's 5 ms period stays well inside one
    engine = Engine({"groove": model}, clock, [], default_model="groove", layers=2, seed=1)
    engine.start()
    follower = Follower(engine)
    port = FollowInput(follower, None, "jack", client_name="follow-test")
    drums = ClockSource(name="drummer")
    try:
        jack_server.connect("drummer:out", "follow-test follow:follow in")
        engine.update(0, x=0.5, y=0.5)
        engine.set_follow(0, True, 4, 0)  # layer 1 follows, at once
        engine.set_follow(1, True, 40, 0)  # layer 2 wants 40 onsets: it stays
        clip = read_clip(next(p for p in sorted(DATA.rglob("*.mid")) if "4-4" in p.name))
        bar = next(b.bar for b in clip.bars if b.used and b.bar.onset_count() >= 8)
        played = Bar.from_notes((round(n.tick / 6) * 6 % 96, n.instrument, n.velocity, 0.0) for n in bar.notes())
        engine.play()
        sent = []  # (clock position just after sending, instrument)
        for note in played.notes():  # bar 0, each stroke on its tick (or as soon after as the machine allows)
            while clock.position() < note.tick:
                time.sleep(0.001)
            drums.send([0x99, OUTPUT_NOTES[note.instrument], round(note.velocity * 127)])
            sent.append((clock.position(), note.instrument))
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and not follower.followed:
            time.sleep(0.05)
        assert follower.followed, f"nothing was followed: {follower.skipped}"
        bar_number, layer, point = follower.followed[0]
        assert (bar_number, layer) == (0, 0)
        heard = follower.heard[0]  # the strokes where they were sent (arrival jitter is kept as microtiming)
        for inst in range(9):  # each where it left, give or take JACK's period
            got = np.flatnonzero(heard.onsets[:, inst])
            want_ticks = sorted({round(p) for p, i in sent if i == inst and round(p) < 96})
            assert len(got) == len(want_ticks) and np.all(np.abs(got - want_ticks) <= 1), (inst, got, want_ticks)
        velocities = {round(v * 127) for v in played.velocities[played.onsets > 0]}
        assert {round(v * 127) for v in heard.velocities[heard.onsets > 0]} <= velocities
        assert point == pytest.approx(tuple(model.encode(stack([heard]))[0]), abs=1e-4)
        assert (engine.state(0).x, engine.state(0).y) == pytest.approx(point)
        assert engine.state(1).x == 0.5 and any(b == 0 and k == 1 for b, k, _ in follower.skipped)
    finally:
        drums.close()
        port.close()
        engine.close()
        clock.close()
