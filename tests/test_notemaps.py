"""Your drum machine's notes (core/notemaps.py): each instrument's output note and channel — a table in the config,
OSC (real UDP), the page, the device's menu (tests/test_maxpatch.py sends it) — with presets for General MIDI,
Elektron Digitakt and Syntakt (a channel a voice), Roland TR-8S and an Ableton Drum Rack; saved with the state,
applied to MIDI out (each note on its instrument's channel), the capture, the plan stream the device plays (one
part per channel) and a Live clip (tests/test_live_clip.py); the follow input reads them back."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from rvae_server.core.bar import INSTRUMENT_NAMES, OUTPUT_NOTES, PITCH_TO_INSTRUMENT
from rvae_server.core.config import ConfigError, load_config
from rvae_server.core.notemaps import PRESETS, NoteMap, parse_note_map, preset, reader
from rvae_server.engine.api import LayerState
from rvae_server.engine.plans import make_plan, plan_event_data
from rvae_server.outputs.capture import Capture, CaptureSink
from rvae_server.session.state import apply_state
from rvae_server.surfaces.follow import Follower
from rvae_server.surfaces.osc.planstream import plan_messages
from tests.test_sequencer import a_bar, run_js

DIGITAKT = preset("digitakt")


def test_presets_and_entries():
    assert PRESETS["gm"].notes == OUTPUT_NOTES and set(PRESETS["gm"].channels) == {0}
    assert preset("TR-8S").notes == (36, 38, 42, 46, 43, 47, 50, 49, 51)
    assert preset("drum-rack").notes == tuple(range(36, 45))
    assert DIGITAKT.notes == (60,) * 9 and sorted(set(DIGITAKT.channels)) == list(range(1, 9))
    assert len(set(preset("syntakt").channels)) == 9  # one channel a voice
    changed = parse_note_map(["digitakt", "ride=59/8", "kick=35"])
    assert changed.notes[8] == 59 and changed.channels[8] == 8 and changed.notes[0] == 35 and changed.channels[0] == 1
    assert parse_note_map(["tr8s,crash=57"]).notes[7] == 57
    for bad in (["nope"], ["kick=200"], ["kick=36/17"], ["gm", "tr8s"], ["kick:36"], ["cowbell=56"]):
        with pytest.raises(ValueError):
            parse_note_map(bad)
    # the instrument table reads the General MIDI and TR-8S notes back as themselves
    for name in ("gm", "tr8s"):
        assert [int(PITCH_TO_INSTRUMENT[n]) for n in PRESETS[name].notes] == list(range(9))


def test_the_note_map_in_the_config_file_and_on_the_command_line(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('note-map = ["digitakt", "ride=60/12"]\n')
    assert parse_note_map(load_config(config).note_map).channels[8] == 12
    config.write_text('[note-map]\npreset = "tr8s"\ncrash = "57/11"\n')
    chosen = parse_note_map(load_config(config).note_map)
    assert chosen.notes[:7] == preset("tr8s").notes[:7] and (chosen.notes[7], chosen.channels[7]) == (57, 11)
    assert load_config(None, {"note_map": ["syntakt"]}).note_map == ("syntakt",)
    config.write_text('note-map = "tr909"\n')
    with pytest.raises(ConfigError, match="note-map: unknown note map 'tr909'"):
        load_config(config)


def test_each_note_plays_on_its_instruments_channel_and_is_captured_so(stepped_engine, tmp_path):
    engine, stepper, rec = stepped_engine()
    sink = CaptureSink(stepper.clock, layers=2)
    engine.sinks.append(sink)
    engine.update(0, x=0.9, y=0.9, notes=DIGITAKT.notes, channels=DIGITAKT.channels)
    stepper.play()
    stepper.bar(2)
    played = rec.played(stepper.clock, layer=0)
    assert played
    for _, _, instrument, note, _, channel in played:
        assert note == 60 and channel == DIGITAKT.channels[instrument]
    assert len({ch for *_, ch in played}) > 1
    # the capture keeps each note's channel
    stepper.stop()
    take = sink.last_bars(1)
    assert {n.channel for n in take.notes if n.part == 0} <= set(DIGITAKT.channels)
    path, count = Capture(sink, tmp_path).write(take, "digi")
    assert count == len(take.notes) and Path(path).is_file()
    # stopping silences every channel used
    assert set(DIGITAKT.channels) <= set(rec.offs[-1])


def test_the_plan_stream_sends_a_part_per_channel_and_the_device_plays_each_on_its_channel():
    bar = a_bar(3, onsets=30)
    state = LayerState(model="m", channel=10, notes=DIGITAKT.notes, channels=DIGITAKT.channels)
    data = plan_event_data(make_plan(0, 0, state, bar))
    assert len(data["channels"]) == len(data["notes"])
    messages = plan_messages(0, 0, 10, data["notes"], data["channels"])
    assert len(messages) == len(set(data["channels"]))  # one part per channel (each under 64 notes)
    assert all(args[4] == len(messages) for _, args in messages)
    steps = [["plan", *args] for _, args in messages] + [["T", True, -0.5 + 4 * k] for k in range(25)]
    played = [e["bytes"] for e in run_js(steps)["events"] if e["bytes"][0] & 0xF0 == 0x90 and e["position"] < 95.5]
    want = sorted((0x90 | (ch - 1), n, v) for (_, n, v), ch in zip(data["notes"], data["channels"], strict=True))
    assert sorted(tuple(b) for b in played) == want
    # a layer on one channel streams as before: one datagram, the layer's channel
    plain = plan_event_data(make_plan(0, 0, LayerState(model="m", channel=11), bar))
    assert "channels" not in plain and [a[2] for _, a in plan_messages(0, 0, 11, plain["notes"])] == [11]


def test_saved_with_the_state(stepped_engine):
    engine, _, _ = stepped_engine()
    engine.update(1, notes=preset("syntakt").notes, channels=preset("syntakt").channels)
    saved = json.loads(
        json.dumps({"format": "rvae-state", "layers": [s.to_dict() for s in (engine.state(0), engine.state(1))]})
    )
    assert saved["layers"][1]["channels"]["ride"] == 12
    other, _, _ = stepped_engine()
    assert apply_state(other, saved) == []
    assert other.state(1).notes == preset("syntakt").notes and other.state(1).channels == preset("syntakt").channels
    assert other.state(0).channels == (0,) * 9


def test_the_follow_input_reads_a_drum_machines_notes_back(stepped_engine):
    engine, _, _ = stepped_engine()
    engine.update(0, notes=DIGITAKT.notes, channels=DIGITAKT.channels)
    follower = Follower(engine)
    table = follower._note_reader()
    for k, (note, channel) in enumerate(zip(DIGITAKT.notes, DIGITAKT.channels, strict=True)):
        if k != 8:  # the ride shares the crash's track: read as the crash
            assert table[(channel, note)] == k
    follower._note(1.0, bytes([0x90 | 2, 60, 100]))  # channel 3, note 60: the Digitakt's low tom
    follower._note(2.0, bytes([0x99, 38, 100]))  # channel 10, note 38: the table's snare, as before
    heard = {inst for notes in follower._bars.values() for _, inst, _, _ in notes}
    assert heard == {INSTRUMENT_NAMES.index("low-tom"), INSTRUMENT_NAMES.index("snare")}
    assert reader([(NoteMap(), 10)])[(10, 36)] == 0


def test_note_and_notes_over_osc(osc_rig):
    engine, _, client, _ = osc_rig
    client.send("/rvae/notes", "digitakt")
    client.send("/rvae/layer/2/note", "snare", 40, 3)
    client.send("/rvae/note", "kick", 35)  # channel left as it is
    errors = [m for m in client.ask("/rvae/models") if m[0] == "/rvae/error"]
    assert errors == []
    assert engine.state(0).notes == (35, *DIGITAKT.notes[1:]) and engine.state(0).channels == DIGITAKT.channels
    assert engine.state(1).notes[1] == 40 and engine.state(1).channels[1] == 3
    bad = client.ask("/rvae/notes", "tr909")
    assert bad and bad[0][0] == "/rvae/error"
    deadline = time.monotonic() + 1
    while time.monotonic() < deadline and engine.state(0).notes[0] != 35:
        time.sleep(0.01)
