"""`rvae serve` end to end through a real JACK MIDI loopback: the server plays into a JACK port, a recorder
client records what arrives, and the notes, velocities and tick positions equal the bar `rvae render` gives for
the same state. Also: clean shutdown on SIGTERM, and plain reports of what could not be opened."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest

from rvae_server.core.bar import OUTPUT_NOTES, TICKS
from rvae_server.core.midifile import read_clip
from rvae_server.model.modeldirs import bundled_models_dir, default_model
from rvae_server.testing import Recorder
from tests.timing_match import bar_problems, clock_fit

DATA = Path(__file__).parent / "data" / "groove"
BPM = 100.0  # a tick is 25 ms: JACK's 5.3 ms period is a fifth of a tick


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled default model (trained on the Groove MIDI Dataset), copied under the name "loop"."""
    bundled = default_model([bundled_models_dir()])
    assert bundled is not None, f"no bundled model in {bundled_models_dir()}"
    folder = tmp_path_factory.mktemp("models")
    shutil.copytree(bundled.path, folder / "loop")
    return folder


def rvae(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rvae_server.cli", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


#: Every served test binds any free ports and keeps no state between runs.
FREE = ("--osc-port", "0", "--http-port", "0", "--no-state")


def serve(models_dir: Path, env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    args = ["serve", "--models-dir", str(models_dir), "--model", "loop", "--midi-backend", "jack", "--seed", "3", *FREE]
    return subprocess.Popen(
        [sys.executable, "-m", "rvae_server.cli", *args, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def note_ons(events: list[tuple[float, bytes]]) -> list[tuple[float, int, int]]:
    return [(t, m[1], m[2]) for t, m in events if len(m) == 3 and m[0] == 0x99 and m[2] > 0]


def test_loopback_notes_equal_rvae_render(jack_server, models_dir, tmp_path):
    recorder = Recorder.jack(name="rvaerec")  # its input port exists before the server connects to it
    try:  # 3.5 bars at 100 BPM
        proc = serve(
            models_dir, jack_server.env, "--midi-out", "rvaerec", "--send-clock", "--bpm", str(BPM), "--duration", "8.6"
        )
        out, err = proc.communicate(timeout=60)
    finally:
        events = recorder.timed()
        recorder.close()
    assert proc.returncode == 0, err
    assert "MIDI out: 'rvaerec" in out
    xy = re.search(r"layer 1: playing model 'loop' at XY \(([\d.]+), ([\d.]+)\)", out)
    assert xy, out

    # position of every arrival from the MIDI clock that travelled the same path (0xFA, then 0xF8 = tick 0, 1, …)
    start = next(i for i, (_, m) in enumerate(events) if m == b"\xfa")
    pulses = [t for t, m in events[start:] if m == b"\xf8"]
    assert len(pulses) > 2 * TICKS
    slope, origin, tolerance = clock_fit(pulses)  # tolerance: this run's measured jitter (see tests/timing_match)
    # The server's tempo, seen through JACK. A non-realtime dummy JACK server on a loaded machine stretches its
    # cycles a little; notes and clock share that path, so positions from this fit stay right.
    assert 60 / (slope * 24) == pytest.approx(BPM, rel=0.01)

    rendered = tmp_path / "render.mid"
    result = rvae(
        "render", "--model", str(models_dir / "loop"), "--xy", xy[1], xy[2], "-o", str(rendered), env=jack_server.env
    )
    assert result.returncode == 0, result.stderr
    expected = read_clip(rendered).bars[0].bar.notes()
    assert len(expected) >= 8

    for bar_number in (1, 2):  # whole bars well inside the run
        got = [((t - origin) / slope - bar_number * TICKS, note, vel) for t, note, vel in note_ons(events)]
        want = [(n.tick + n.microtiming / 2, OUTPUT_NOTES[n.instrument], round(n.velocity * 127)) for n in expected]
        problems = bar_problems(got, want, tolerance)
        assert not problems, (f"bar {bar_number}, tolerance {tolerance:.2f} ticks", problems)


def test_sigterm_stops_cleanly_with_all_notes_off(jack_server, models_dir):
    recorder = Recorder.jack(name="rvaerec2")
    try:
        proc = serve(models_dir, jack_server.env, "--midi-out", "rvaerec2", "--bpm", "170")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not note_ons(recorder.timed()):
            time.sleep(0.05)
        assert note_ons(recorder.timed()), "no notes arrived"
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=10)
        time.sleep(0.2)
        events = recorder.timed()
    finally:
        recorder.close()
    assert proc.returncode == 0, err
    assert "SIGTERM: stopping" in err and "all notes off" in err
    messages = [m for _, m in events]
    assert bytes([0xB9, 123, 0]) in messages  # All Notes Off on channel 10
    sounding: dict[int, int] = {}
    for m in messages:
        if len(m) == 3 and m[0] & 0xF0 in (0x80, 0x90):
            on = m[0] & 0xF0 == 0x90 and m[2] > 0
            sounding[m[1]] = sounding.get(m[1], 0) + (1 if on else -1)
    assert all(v <= 0 for v in sounding.values()), sounding  # every note-on got its note-off


def test_reports_what_it_cannot_open_renders_a_demo_and_skips_a_damaged_model(models_dir, tmp_path):
    models = tmp_path / "models"
    shutil.copytree(models_dir / "loop", models / "loop")
    shutil.copytree(models_dir / "loop", models / "broken")
    weights = models / "broken" / "weights.safetensors"
    damaged = weights.read_bytes()[:100]
    weights.write_bytes(damaged)
    env = {k: v for k, v in os.environ.items() if k != "JACK_DEFAULT_SERVER"}
    demo = tmp_path / "demo"
    result = rvae(
        "serve", "--models-dir", str(models), "--model", "loop", "--midi-backend", "alsa", "--duration", "1",
        "--render-dir", str(demo), *FREE, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "not available: MIDI out: could not open (no ALSA sequencer here" in result.stdout
    assert "model 'broken'" in result.stderr and "skipped" in result.stderr
    models_line = next(line for line in result.stdout.splitlines() if "models:" in line)
    assert "loop" in models_line and "(default 'loop')" in models_line and "broken" not in models_line
    assert weights.read_bytes() == damaged  # reported, never "repaired" or removed
    # nothing to play to: the playing state is rendered to listen to
    assert "no MIDI or audio output: rendered" in result.stdout
    bars = read_clip(demo / "rvae-demo.mid").bars
    assert len(bars) == 8 and all(b.bar.onset_count() >= 8 for b in bars)
    with wave.open(str(demo / "rvae-demo.wav")) as wav:
        assert wav.getnframes() > 8 * 2.0 * wav.getframerate()  # 8 bars at 120 BPM, plus a tail


def test_unknown_model_and_bad_config_stop_the_start(models_dir, tmp_path):
    env = dict(os.environ)
    result = rvae("serve", "--models-dir", str(models_dir), "--model", "nope", "--duration", "1", env=env)
    assert result.returncode == 2 and "model 'nope' is not among the loaded models:" in result.stderr
    assert "loop" in result.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("bpm = 'fast'\n")
    result = rvae("serve", "--config", str(bad), "--duration", "1", env=env)
    assert result.returncode == 2 and "bpm must be a number" in result.stderr
