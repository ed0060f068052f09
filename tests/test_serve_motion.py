"""`rvae serve` with motion, capture and follow as a performer runs it: LFOs, swing and presets set over real OSC
survive a restart in the saved performance state; `rvae capture` writes the last bars played into
`--capture-dir`; the follow input port is open."""

from __future__ import annotations

import subprocess
import sys
import time

import mido

from tests.test_serve_surfaces import Served


def test_motion_survives_a_restart_and_capture_writes_the_last_bars(jack_server, models_dir, tmp_path):
    state = tmp_path / "state.json"
    takes = tmp_path / "takes"
    common = ["--models-dir", str(models_dir), "--model", "loop", "--midi-backend", "jack", "--state-file", str(state),
              "--capture-dir", str(takes), "--bpm", "240"]  # fmt: skip
    first = Served(jack_server.env, *common)
    try:
        assert f"capture: to {takes}" in first.out
        assert "follow in: 'R-VAE follow:follow in'" in first.out
        assert first.osc.ask("/rvae/lfo/x", "sine", "1/2", 0.2) == []
        assert first.osc.ask("/rvae/layer/2/swing", 62, 8) == []
        first.osc.ask("/rvae/preset/store", 3, until="/rvae/preset/stored")
        first.osc.ask("/rvae/threshold", 0.2)
        time.sleep(2.5)  # 2.5 bars at 240 BPM
        done = subprocess.run(
            [sys.executable, "-m", "rvae_server.cli", "capture", "2", "first-take", "--port", str(first.osc.server[1])],
            capture_output=True, text=True, env=jack_server.env, timeout=30,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        path = takes / "first-take.mid"
        assert done.stdout.startswith(str(path))
        midi = mido.MidiFile(path)
        assert len(midi.tracks) == 3 and sum(m.type == "note_on" for t in midi.tracks for m in t) > 0
        refused = subprocess.run(
            [sys.executable, "-m", "rvae_server.cli", "capture", "2", "../out", "--port", str(first.osc.server[1])],
            capture_output=True, text=True, env=jack_server.env, timeout=30,
        )  # fmt: skip
        assert refused.returncode == 1 and "capture name" in refused.stderr
    finally:
        first.stop()
    second = Served(jack_server.env, *common)
    try:
        layers = second.state()["layers"]
        assert layers[0]["lfo"]["x"] == {"shape": "sine", "rate": 0.5, "depth": 0.2, "phase": 0.0}
        assert layers[1]["swing"] == {"amount": 62.0, "unit": 8}
        assert layers[0]["presets"][2] and not layers[0]["presets"][0]
    finally:
        second.stop()
