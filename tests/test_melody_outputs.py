"""The melody layer's outputs: the built-in synth's tones (offline, and through PortAudio on JACK) and its MIDI port
(note lengths, program changes) through a real JACK connection."""

from __future__ import annotations

import time

import numpy as np
import pytest

from rvae_server.core.bar import N_INSTRUMENTS
from rvae_server.outputs.audio import AudioOutput
from rvae_server.outputs.drumkit import Mixer
from rvae_server.outputs.linesinks import AudioLineSink, MidiLineSink
from rvae_server.outputs.midiout import open_output
from rvae_server.outputs.synth import HIGH, LOW, ToneKit, tone_instrument
from rvae_server.testing import Recorder
from tests.fixtures_jack import JackServer
from tests.test_audio import _Recorder

SR = 48000


@pytest.fixture(scope="module")
def kit() -> ToneKit:
    return ToneKit(SR)


def _render(kit: ToneKit, events: list[tuple[str, int, int, float]], seconds: float) -> np.ndarray:
    mixer = Mixer(kit)
    for kind, frame, instrument, velocity in events:
        if kind == "on":
            mixer.trigger(frame, instrument, velocity)
        else:
            mixer.release(frame, instrument)
    out = np.zeros(int(seconds * SR), dtype=np.float32)
    mixer.mix(out, 0)
    return out


def test_a_tone_has_its_pitch_its_loudness_and_ends_when_released(kit: ToneKit):
    a4 = tone_instrument(69)
    assert a4 == N_INSTRUMENTS + 69 - LOW and tone_instrument(LOW - 12) == tone_instrument(LOW)
    assert tone_instrument(HIGH + 5) == tone_instrument(HIGH - 7)
    sound = _render(kit, [("on", 0, a4, 1.0)], 0.5)
    spectrum = np.abs(np.fft.rfft(sound[: SR // 4] * np.hanning(SR // 4)))
    assert abs(np.argmax(spectrum) * 4 - 440) <= 8  # bins of 4 Hz
    quiet = _render(kit, [("on", 0, a4, 0.5)], 0.5)
    assert 0.2 < np.abs(quiet).max() / np.abs(sound).max() < 0.5  # velocity 0.5: about -9 dB
    released = _render(kit, [("on", 0, a4, 1.0), ("off", SR // 5, a4, 0.0)], 0.5)
    assert np.abs(released[: SR // 5]).max() > 0.05
    assert np.abs(released[SR // 5 + kit.choke_frames :]).max() == 0.0
    # a release only ends the notes that started before it
    again = _render(kit, [("on", 0, a4, 1.0), ("off", 1000, a4, 0.0), ("on", 1000, a4, 1.0)], 0.1)
    assert np.abs(again[2000:]).max() > 0.05
    assert kit.layer(0, 1.0)[0] is ToneKit.layer(kit, 0, 1.0)[0]  # the drums are the kit's own
    with pytest.raises(ValueError, match="out of range"):
        kit.layer(N_INSTRUMENTS + HIGH - LOW + 1, 1.0)


def test_the_synth_plays_a_line_through_jack_and_lets_drums_ring(jack_server: JackServer, kit: ToneKit) -> None:
    import sounddevice as sd

    plain = AudioOutput("jack", SR, 256)
    with pytest.raises(ValueError, match="tones=True"):
        plain.tone(time.perf_counter(), 60, 1.0, 0.1)
    out = AudioOutput(None, None, 256, kit=kit, tones=True)
    assert out.kit is kit
    sink = AudioLineSink(out)
    rec = _Recorder(sd, out.device["index"], 3.0)
    rec.stream.start()
    with out:
        ports = jack_server.ports()
        jack_server.connect(sorted(p for p in ports if ":out_" in p)[0], sorted(p for p in ports if ":in_" in p)[0])
        time.sleep(0.2)
        start = rec.pos
        now = time.perf_counter()
        sink.line_note(now, 45, 100, 0.3, 1)  # A2 for 0.3 s
        time.sleep(0.8)
        end = rec.pos
        out.note(time.perf_counter(), 7, 1.0)  # a crash rings on through the synth's all-notes-off
        sink.line_note(time.perf_counter(), 57, 100, 5.0, 1)
        time.sleep(0.3)
        sink.all_notes_off([1])
        time.sleep(0.3)
        stats = out.stats()
    rec.stream.stop()
    rec.stream.close()
    heard = np.abs(rec.buf[start:end])
    loud = np.flatnonzero(heard > 0.01)
    assert loud.size and sink.notes == 2
    length = (loud[-1] - loud[0]) / SR
    assert 0.25 < length < 0.4, length  # the note's own length (plus the 10 ms release), not the tone's 1.2 s
    assert np.abs(rec.buf[end : rec.pos]).max() > 0.01 and stats["errors"] == 0


def test_the_melody_port_sends_lengths_and_programs(jack_server: JackServer) -> None:
    out = open_output(backend="jack", client_name="R-VAE melody")
    try:
        assert "R-VAE melody:R-VAE melody" in jack_server.ports()
        rec = Recorder.jack("R-VAE melody:R-VAE melody", name="rec-melody")
        try:
            sink = MidiLineSink(out)
            sink.program(1, 33)
            when = time.perf_counter()
            sink.line_note(when, 45, 100, 0.4, 1)
            sink.line_note(when, 48, 90, 0.05, 1)
            msgs = rec.wait_for(5)
            on_off = [bytes([0x90, 45, 100]), bytes([0x90, 48, 90]), bytes([0x80, 48, 0]), bytes([0x80, 45, 0])]
            assert msgs == [bytes([0xC0, 33]), *on_off]  # the short note ends first: each has its own length
            sink.line_note(time.perf_counter(), 50, 80, 10.0, 2)
            rec.wait_for(6)
            sink.all_notes_off([2])
            assert rec.wait_for(8)[6:] == [bytes([0x81, 50, 0]), bytes([0xB1, 123, 0])]
        finally:
            rec.close()
    finally:
        out.close()
