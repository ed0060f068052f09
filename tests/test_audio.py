"""Real-time audio through PortAudio on a JACK dummy server: no underflows, hits land where scheduled.

sounddevice is imported inside the tests, after the ``jack_server`` fixture has started JACK.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import numpy as np
import pytest

from rvae_server.core.bar import TICKS
from rvae_server.outputs.audio import AudioOutput, AudioUnavailable, find_output_device, list_audio_devices
from rvae_server.outputs.drumkit import DrumKit
from tests.fixtures_jack import JackServer
from tests.test_drumkit import detect_onsets

SR = 48000
BPM = 170.0
SPT = 60.0 / (BPM * 24)


@pytest.fixture(scope="module")
def kit() -> DrumKit:
    return DrumKit(SR)


def _pattern(bars: int) -> list[tuple[float, int, float]]:
    """(ticks from start, instrument, velocity): kick, hat, snare, hat on the eighths, with microtiming;
    hats loud enough not to be masked by the snare's tail for the onset detector."""
    out = []
    for b in range(bars):
        for step, tick in enumerate(range(0, TICKS, 12)):
            inst = (0, 2, 1, 2)[step % 4]
            mt = ((step * 7 + b * 3) % 9 - 4) / 5.0  # -0.8 .. 0.8 half-ticks
            vel = (1.0 if step % 4 == 1 else 0.85) if inst == 2 else 0.6 + 0.1 * ((step + b) % 3)
            out.append((b * TICKS + tick + mt / 2, inst, vel))
    return out


def _play(out: AudioOutput, notes: list[tuple[float, int, float]], start: float, early: float = 0.02) -> None:
    """Send notes like the engine's clock thread: each about ``early`` s before its time, in order."""
    for ticks, inst, vel in notes:
        when = start + ticks * SPT
        delay = when - early - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        out.note(when, inst, vel)


def _play_in_clock_thread(out: AudioOutput, notes: list[tuple[float, int, float]], start: float) -> bool:
    """:func:`_play` on a separate thread that is made SCHED_FIFO (priority 5) when the system allows it,
    as a realtime engine's clock thread would be. Otherwise a thread holding the GIL can be descheduled by
    other processes, and the audio callback (a realtime JACK thread) then waits for the GIL and misses its
    cycle (measured: benchmarks/bench_audio.py). Returns whether the thread ran SCHED_FIFO."""
    realtime = [False]

    def run() -> None:
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(5))  # this thread only (Linux)
            realtime[0] = True
        except (AttributeError, OSError):
            pass
        _play(out, notes, start)

    thread = threading.Thread(target=run, name="clock")
    thread.start()
    thread.join()
    return realtime[0]


class _Recorder:
    """An InputStream on the JACK device writing into a preallocated buffer."""

    def __init__(self, sd: Any, device: int, seconds: float) -> None:
        self.buf = np.zeros(int(seconds * SR), dtype=np.float32)
        self.pos = 0
        self.stream = sd.InputStream(
            device=device, samplerate=SR, blocksize=256, channels=1, dtype="float32", callback=self._callback
        )

    def _callback(self, indata: Any, frames: int, time_info: Any, status: Any) -> None:
        n = min(frames, len(self.buf) - self.pos)
        self.buf[self.pos : self.pos + n] = indata[:n, 0]
        self.pos += n


def test_stream_plays_bars_without_underflow(jack_server: JackServer, kit: DrumKit) -> None:
    """4 bars at 170 BPM, eighth notes sent like the engine's clock thread: no callback error, no event late,
    and underflows on fewer than 1 in 20 cycles. A callback too slow for its period would underflow on most
    of the ~1,100 cycles; a few are the OS not waking a thread in time on a busy machine (1–2 with two CPU
    burners beside the suite, jackd logging its own driver or the client late). The zero-underflow target of issue 7 is
    measured where targets belong: ``benchmarks/bench_audio.py`` (idle and while training)."""
    out = AudioOutput("system", SR, 256, kit=kit)
    assert out.device["hostapi"].startswith("JACK")
    with out:
        time.sleep(0.2)
        realtime_clock = _play_in_clock_thread(out, _pattern(4), time.perf_counter() + 0.1)
        time.sleep(0.5)
        stats = out.stats()
    assert stats["callbacks"] > 4 * TICKS * SPT * SR / 256
    assert stats["errors"] == 0, stats
    assert stats["late_events"] == 0, stats
    # An underflow means a JACK cycle was missed; the message says whether jackd's own driver or a client was late.
    assert stats["underflows"] < stats["callbacks"] / 20, (
        f"{stats}; jackd xruns so far: driver late {jack_server.driver_xruns()}, clients late "
        f"{jack_server.client_xruns()}; realtime server {jack_server.realtime}, clock thread {realtime_clock}; "
        f"load average {os.getloadavg()}"
    )


def _loopback_run(jack_server: JackServer, kit: DrumKit, notes: list[tuple[float, int, float]]) -> tuple[Any, ...]:
    import sounddevice as sd

    out = AudioOutput("system", SR, 256, kit=kit)
    rec = _Recorder(sd, out.device["index"], 8.0)
    rec.stream.start()
    out.start()
    try:
        ports = jack_server.ports()
        outs = sorted(p for p in ports if ":out_" in p)
        ins = sorted(p for p in ports if ":in_" in p)
        assert outs and ins, ports
        jack_server.connect(outs[0], ins[0])  # loop our output back into the recorder
        time.sleep(0.3)
        _play_in_clock_thread(out, notes, time.perf_counter() + 0.1)
        time.sleep(0.5)
        stats = out.stats()
    finally:
        out.close()
        rec.stream.stop()
        rec.stream.close()
    return stats, rec.buf[: rec.pos].copy()


def test_loopback_hits_land_where_scheduled(jack_server: JackServer, kit: DrumKit) -> None:
    """Record our output through a JACK connection: 3 bars of hits sit where their perf_counter times say,
    relative to the first, within 1 ms. A cycle lost to an xrun shifts the recording's own timeline, so a run
    with an underflow cannot measure timing: it is repeated, up to 3 runs (underflows themselves are the
    previous test's business)."""
    notes = _pattern(3)
    wanted = [t * SPT for t, _, _ in notes]
    for _attempt in range(3):
        stats, audio = _loopback_run(jack_server, kit, notes)
        if stats["underflows"] == 0:
            break
    else:
        pytest.fail(f"every loopback run had underflows (last: {stats}); load average {os.getloadavg()}")
    found = detect_onsets(audio, SR)
    assert len(found) == len(wanted), (found, wanted)
    offset = found[0] - wanted[0]
    errors_ms = [1000 * abs(f - w - offset) for f, w in zip(found, wanted, strict=True)]
    assert max(errors_ms) < 1.0, errors_ms


def test_all_notes_off_silences(jack_server: JackServer, kit: DrumKit) -> None:
    import sounddevice as sd

    out = AudioOutput(None, None, 256, kit=kit)  # the default device and its rate
    assert out.sample_rate == SR
    rec = _Recorder(sd, out.device["index"], 3.0)
    rec.stream.start()
    with out:
        ports = jack_server.ports()
        jack_server.connect(sorted(p for p in ports if ":out_" in p)[0], sorted(p for p in ports if ":in_" in p)[0])
        time.sleep(0.2)
        now = time.perf_counter()
        out.note(now, 7, 1.0)  # crash: rings for 2.5 s
        out.note(now + 1.0, 0, 1.0)  # queued, must be dropped
        time.sleep(0.4)
        cut = rec.pos
        out.all_notes_off()
        time.sleep(1.5)
        stats = out.stats()
    rec.stream.stop()
    rec.stream.close()
    before = np.abs(rec.buf[cut - 4800 : cut])
    after = np.abs(rec.buf[cut + 4800 : rec.pos])
    assert before.max() > 0.01
    assert after.max() == 0.0
    assert stats["errors"] == 0


def test_clock_thread_notes_from_another_thread(jack_server: JackServer, kit: DrumKit) -> None:
    """Notes sent from a separate thread, some of them late: late ones are counted, nothing breaks."""
    with AudioOutput("jack", SR, 256, kit=kit) as out:
        start = time.perf_counter()
        sender = threading.Thread(target=_play, args=(out, _pattern(1), start + 0.1))
        sender.start()
        sender.join()
        out.note(time.perf_counter() - 0.5, 1, 1.0)  # half a second late: played at once, counted
        time.sleep(0.2)
        stats = out.stats()
        assert out.active
    assert not out.active
    assert stats["late_events"] >= 1  # the late note (a loaded machine can delay the sender's notes too)
    assert stats["max_late_ms"] > 400
    assert stats["errors"] == 0
    assert 0 < stats["callback_median"] < 1


def test_device_listing_and_choice(jack_server: JackServer) -> None:
    devices = list_audio_devices()
    assert any(d["name"] == "system" and d["hostapi"].startswith("JACK") for d in devices), devices
    assert find_output_device("SYST", devices)["name"] == "system"
    with pytest.raises(AudioUnavailable, match="no audio output device matches 'nope'; available: .*system"):
        AudioOutput("nope")
    fake = [
        {"index": 0, "name": "USB Audio", "hostapi": "ALSA", "outputs": 2, "default_output": False},
        {"index": 1, "name": "USB Audio #2", "hostapi": "ALSA", "outputs": 2, "default_output": False},
        {"index": 2, "name": "Mic", "hostapi": "ALSA", "outputs": 0, "default_output": False},
    ]
    with pytest.raises(AudioUnavailable, match=r"ambiguous; candidates: 0: USB Audio .*; 1: USB Audio #2"):
        find_output_device("usb", fake)
    assert find_output_device("usb audio", fake)["index"] == 0  # an exact name wins
    assert find_output_device("#2", fake)["index"] == 1
    assert find_output_device(1, fake)["index"] == 1
    with pytest.raises(AudioUnavailable, match="index 2"):
        find_output_device(2, fake)  # an input-only device
    with pytest.raises(AudioUnavailable, match="no default audio output; choose one of"):
        find_output_device(None, fake)
    with pytest.raises(AudioUnavailable, match="start a JACK server"):
        find_output_device(None, fake[2:])


def test_wrong_sample_rate_is_a_clear_error(jack_server: JackServer, kit: DrumKit) -> None:
    out = AudioOutput("system", 44100, 256)
    with pytest.raises(AudioUnavailable, match=r"cannot open audio output .* at 44100 Hz.*48000 Hz"):
        out.start()
    out.close()
