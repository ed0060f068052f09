"""Capture: the timed-note MIDI writer, and the always-on capture of what the player sent — through a real JACK MIDI
port beside it — written as a standard MIDI file that holds exactly the notes sent (all layers, one track
each, tempo and meter), the last N bars retroactively and from a start to a stop; names confined to the
capture folder."""

from __future__ import annotations

import math
import time
from collections import Counter
from pathlib import Path

import mido
import pytest

from rvae_server.core.notewrite import TimedNote, notes_to_midi
from rvae_server.engine.clock import InternalClock
from rvae_server.engine.engine import Engine
from rvae_server.outputs.capture import Capture, CaptureError, CaptureSink
from rvae_server.outputs.midiout import open_output
from rvae_server.outputs.sinks import MidiSink
from rvae_server.testing import Recorder, SyntheticModel


def position_of(clock: InternalClock, when: float, anchor: tuple[float, float, float]) -> float:
    t0, pos0, bpm = anchor
    return pos0 + (when - t0) * bpm * 24 / 60


BPM = 300.0
BAR = 4 * 60 / BPM


def file_notes(path: Path) -> tuple[list[tuple[float, int, int, int, int]], mido.MidiFile]:
    """(position in 24-ppqn ticks, track (0-based layer), note, velocity, channel 1..16) of every note-on."""
    midi = mido.MidiFile(path)
    out = []
    for k, track in enumerate(midi.tracks[1:]):
        now = 0
        for msg in track:
            now += msg.time
            if msg.type == "note_on" and msg.velocity > 0:
                out.append((now * 24 / midi.ticks_per_beat, k, msg.note, msg.velocity, msg.channel + 1))
    return sorted(out), midi


def test_timed_notes_to_a_type_1_file_with_tempo_meter_and_one_track_per_part():
    notes = [TimedNote(0.0, 0, 36, 100, 10), TimedNote(-0.2, 1, 42, 80, 11), TimedNote(50.5, 1, 42, 81, 11),
             TimedNote(51.0, 1, 42, 82, 11)]  # fmt: skip
    midi = notes_to_midi(notes, ["layer 1", "layer 2"], [(0.0, 120.0), (96.0, 90.0)], length=192)
    assert midi.type == 1 and len(midi.tracks) == 3 and midi.length == pytest.approx(2.0 + 4 * 60 / 90, abs=1e-3)
    meta = [m for m in midi.tracks[0] if m.is_meta]
    assert [(m.numerator, m.denominator) for m in meta if m.type == "time_signature"] == [(4, 4)]
    assert [round(mido.tempo2bpm(m.tempo), 3) for m in meta if m.type == "set_tempo"] == [120.0, 90.0]
    assert [m.name for t in midi.tracks[1:] for m in t if m.type == "track_name"] == ["layer 1", "layer 2"]
    second = [(m.type, m.note, m.velocity) for m in midi.tracks[2] if not m.is_meta]
    assert second[0] == ("note_on", 42, 80)  # an early first downbeat is written at 0
    assert ("note_off", 42, 0) in second[1:3]  # the note at 50.5 is cut short by the stroke at 51
    with pytest.raises(ValueError, match="parts 0..1"):
        notes_to_midi([TimedNote(0, 2, 36, 100, 10)], ["a", "b"])


@pytest.fixture
def playing(jack_server, tmp_path):
    clock = InternalClock(bpm=BPM)
    out = open_output(None, "jack", client_name="capture-test")
    port = Recorder.jack(connect_to="capture-test:capture-test", name="capturerec")
    sent = Recorder()
    sink = CaptureSink(clock, layers=2)
    engine = Engine({"a": SyntheticModel("a")}, clock, [MidiSink(out), sent, sink], default_model="a", layers=2)
    engine.update(0, x=0.9, y=0.9, mutes=[i not in (0, 1) for i in range(9)])  # kick and snare
    engine.update(1, enabled=True, x=0.1, y=0.5, channel=11, mutes=[i not in (0, 1) for i in range(9)],
                  fixed_velocity=99, velocity_mode="fixed", threshold=0.45)  # fmt: skip
    engine.set_lfo(1, "y", "sine", 1, 0.4)  # layer 2 moves: its kicks come and go within the bar
    engine.set_density(1, "kick", 0.1)
    engine.set_swing(0, 60, 16)
    engine.start()
    yield engine, clock, sent, port, Capture(sink, tmp_path / "takes")
    engine.close()
    clock.close()
    port.close()
    out.close()


def test_the_last_bars_as_sent_exactly(playing):
    engine, clock, sent, port, capture = playing
    engine.play()
    while clock.position() < 4 * 96 + 30:
        time.sleep(0.01)
    anchor = clock.anchor  # (the stop holds the timeline's anchor: positions of the notes sent stay readable)
    engine.stop()
    time.sleep(0.2)
    last_bar = max(math.floor((position_of(clock, when, anchor) + 0.5) / 96) for _, when, *_ in sent.notes)
    path, count = capture.last(3, "take")  # stopped: the 3 bars up to the last note played
    assert Path(path) == capture.folder.resolve() / "take.mid"
    got, midi = file_notes(Path(path))
    # the notes sent in those bars, by the ideal time each was sent for
    start = (last_bar - 2) * 96
    want = sorted(
        (round(position_of(clock, when, anchor) - start, 6), layer, note, velocity, channel)
        for _, when, layer, _, note, velocity, channel in sent.notes
        if start - 0.5 <= position_of(clock, when, anchor) < start + 3 * 96 - 0.5
    )
    assert count == len(got) == len(want) > 20
    assert [g[1:] for g in got] == [w[1:] for w in want]  # layer (track), note, velocity, channel: exact
    assert max(abs(g[0] - max(0.0, w[0])) for g, w in zip(got, want, strict=True)) <= 24 / 960 / 2 + 1e-9
    assert {g[1] for g in got} == {0, 1}
    assert 3 * BAR - 1e-3 <= midi.length <= 3 * BAR + 3 * BAR / 96  # three bars at the tempo (+ a last note-off)
    # and they are the notes that reached a MIDI port: every note-on the port recorded is in the ring buffer
    arrived = [m for m in port.messages() if m[0] & 0xF0 == 0x90 and m[2] > 0]
    sent_bytes = Counter(bytes([0x90 | (c - 1), n, v]) for *_, n, v, c in sent.notes)
    assert arrived and not Counter(arrived) - sent_bytes  # (JACK may drop an event on a loaded machine)
    again, _ = capture.last(3, "take")
    assert Path(again).name == "take-2.mid"  # never replaces a file


def test_capture_from_start_to_stop_spans_a_restart_and_names_are_confined(playing):
    engine, clock, _, _, capture = playing
    engine.play()
    time.sleep(0.1)
    capture.start()  # from the next bar line
    while clock.position() < 2 * 96 + 10:
        time.sleep(0.01)
    engine.stop()
    engine.play()  # a restart: the capture goes on at the next bar line of its own timeline
    while clock.position() < 96 + 10:
        time.sleep(0.01)
    path, count = capture.stop("two-parts")
    got, _midi = file_notes(Path(path))
    assert count == len(got) > 20
    assert max(p for p, *_ in got) > 2 * 96  # after the restart
    for bad in ("../escape", "a/b", "", ".hidden", "x" * 80):
        with pytest.raises(CaptureError, match="capture name"):
            capture.last(1, bad)
    with pytest.raises(CaptureError, match="no capture is running"):
        capture.stop("again")
    with pytest.raises(CaptureError, match="bars must be"):
        capture.last(0, "zero")
    assert sorted(p.name for p in capture.folder.iterdir()) == ["two-parts.mid"]
