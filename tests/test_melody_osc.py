"""The melody layer's OSC addresses and feedback over real UDP, and its controls from the web page's message path,
on a real engine (synthetic drums, the bundled melody model) and the internal clock."""

from __future__ import annotations

import pytest

from rvae_server.engine.api import ControlError
from rvae_server.engine.clock import InternalClock
from rvae_server.engine.engine import Engine
from rvae_server.engine.melodylayer import MelodyLayer
from rvae_server.melody.modelfile import load_melody
from rvae_server.surfaces.osc.server import start_osc
from rvae_server.surfaces.osc.table import ADDRESSES, FEEDBACK
from rvae_server.testing import OscClient, SyntheticModel
from rvae_server.web.controls import WEB_VERBS, apply_control, table_json


@pytest.fixture
def served():
    clock = InternalClock(bpm=300.0)
    engine = Engine({"a": SyntheticModel("a")}, clock, [], default_model="a", layers=2, seed=1)
    engine.attach_melody(MelodyLayer(load_melody(), seed=2))
    engine.update(0, x=0.8, y=0.8)
    engine.start()
    server = start_osc(engine, port=0)
    client = OscClient(server.port)
    yield engine, client
    client.close()
    server.close()
    engine.close()
    clock.close()


def test_every_melody_setting_over_osc(served):
    engine, client = served
    for address, args in [
        ("/rvae/melody/key", ["Bbm"]), ("/rvae/melody/scale-lock", [0]), ("/rvae/melody/family", ["pad"]),
        ("/rvae/melody/octave", [3]), ("/rvae/melody/density", [0.25]), ("/rvae/melody/temperature", [0.5]),
        ("/rvae/melody/layer", [2]), ("/rvae/melody/channel", [5]), ("/rvae/melody/enable", [0]),
    ]:  # fmt: skip
        assert client.ask(address, *args) == [], address
    state = engine.melody_state()
    assert state == {"enabled": False, "layer": 1, "channel": 5, "key": "Bb minor", "family": "pad", "octave": 3,
                     "density": 0.25, "temperature": 0.5, "scale_lock": False}  # fmt: skip
    clamped = client.ask("/rvae/melody/temperature", 9.0)
    assert clamped[0][0] == "/rvae/warning" and "clamped" in clamped[0][1][1]


@pytest.mark.parametrize(
    ("address", "args", "message"),
    [("/rvae/melody/key", ["H"], "unknown key"), ("/rvae/melody/family", ["drums"], "must be one of"),
     ("/rvae/melody/layer", [3], "layer must be 1..2"), ("/rvae/melody/octave", [2.5], "whole number"),
     ("/rvae/layer/2/melody/key", ["Am"], None)],
)  # fmt: skip
def test_bad_melody_messages_are_refused_by_name(served, address, args, message):
    engine, client = served
    before = engine.melody_state()
    got = client.ask(address, *args, until="/rvae/error")
    errors = [a for a, _ in got if a == "/rvae/error"]
    if message is None:  # melody addresses are global: no per-layer form
        assert errors and "unknown address" in got[0][1][1], got
    else:
        assert errors and message in got[0][1][1], got
    assert engine.melody_state() == before


def test_feedback_sends_the_melody_bar_and_state_in_max_friendly_shapes(served):
    engine, client = served
    added = client.ask("/rvae/feedback")
    state = {args[0]: args[1] for a, args in added if a == "/rvae/state/melody"}
    assert state == {"enabled": 1, "layer": 1, "channel": 1, "octave": 2, "scale_lock": 1, "key": "Am",
                     "family": "bass", "density": 0.5, "temperature": 1.0}  # fmt: skip
    engine.play()
    got = client.receive(timeout=5.0, until="/rvae/melody/notes")
    bars = [args for a, args in got if a == "/rvae/melody"]
    notes = [args for a, args in got if a == "/rvae/melody/notes"]
    assert bars and bars[0][1:] == ["Am", "bass"]
    assert notes and len(notes[-1]) % 4 == 0 and len(notes[-1]) >= 12
    ticks, pitches = notes[-1][0::4], notes[-1][1::4]
    assert all(0 <= t < 96 for t in ticks) and all(33 - 12 <= p <= 33 + 24 for p in pitches)
    assert {a.address for a in FEEDBACK} >= {"/rvae/melody", "/rvae/melody/notes", "/rvae/state/melody"}


def test_the_page_sends_the_same_settings(served):
    engine, _ = served
    verbs = {e["address"].removeprefix("/rvae/") for e in table_json()}
    assert {"melody/key", "melody/family", "melody/scale-lock", "melody/density", "melody/layer"} <= verbs <= WEB_VERBS
    assert apply_control(engine, "/rvae/melody/key", ["F#m"])[2] == []
    assert apply_control(engine, "/rvae/melody/layer", [2])[2] == []
    assert apply_control(engine, "/rvae/melody/density", [1.7])[2] == ["density 1.7 is outside 0..1; clamped to 1"]
    state = engine.melody_state()
    assert state is not None and (state["key"], state["layer"], state["density"]) == ("F# minor", 1, 1.0)
    with pytest.raises(ControlError, match="must be one of"):
        apply_control(engine, "/rvae/melody/family", ["kazoo"])
    assert all(not e.per_layer for e in ADDRESSES if e.verb.startswith("melody/"))
