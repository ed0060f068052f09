"""The melody layer in `rvae serve`, as a performer runs it: its own JACK MIDI port and channel, on the drums' grid,
in the key asked and in a new key after an OSC message; OSC feedback; the web page's second piano roll and its
controls in headless Chromium; settings that survive a restart; ``--no-melody``."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from rvae_server.core.bar import TICKS
from rvae_server.melody.keys import parse_key
from rvae_server.testing import Recorder
from tests.browser import Browser
from tests.test_serve_surfaces import Served, busy_point

BPM = 100.0


def melody_notes(events: list[tuple[float, bytes]]) -> list[tuple[float, int, int]]:
    return [(t, m[1], m[2]) for t, m in events if len(m) == 3 and m[0] == 0x90 and m[2] > 0]


def test_the_melody_plays_on_its_own_port_on_the_drums_grid_in_the_key_asked(jack_server, models_dir):
    # one recorder port that both the drum port (with the MIDI clock) and the melody port connect to: arrival
    # times then come from one client, so the melody's positions can be read off the clock
    recorder = Recorder.jack(name="rvaeboth")
    x, y = busy_point(models_dir / "loop")
    served = Served(
        jack_server.env,
        "--models-dir", str(models_dir), "--model", "loop", "--midi-backend", "jack", "--no-state",
        "--midi-out", "rvaeboth", "--melody-out", "rvaeboth", "--send-clock", "--bpm", str(BPM),
        "--melody-key", "Eb", "--melody-family", "lead",
    )  # fmt: skip
    try:
        assert "MIDI out: 'rvaeboth:in'" in served.out
        assert "melody: playing lead in Eb major, following layer 1, channel 1, MIDI out 'rvaeboth" in served.out
        served.osc.ask("/rvae/xy", x, y)
        added = served.osc.ask("/rvae/feedback")  # this socket gets broadcasts; the whole state comes back
        assert any(a == "/rvae/state/melody" and args == ["key", "Eb"] for a, args in added), added
        time.sleep(3 * 4 * 60 / BPM)
        before = [(t, m) for t, m in recorder.timed() if m[0] & 0x0F == 0]
        changed = time.perf_counter()
        answer = served.osc.ask("/rvae/melody/key", "C#m")
        assert not [a for a, _ in answer if a in ("/rvae/error", "/rvae/warning")], answer
        assert ("/rvae/state/melody", ["key", "C#m"]) in answer  # the new state, broadcast
        feedback = served.osc.receive(timeout=4 * 4 * 60 / BPM + 2, until="/rvae/melody/notes")
        time.sleep(2 * 4 * 60 / BPM)
        assert served.state()["melody"]["key"] == "C# minor"
        refused = served.osc.ask("/rvae/melody/family", "drums", until="/rvae/error")
        assert any(a == "/rvae/error" and "family" in args[1] for a, args in refused), refused
    finally:
        served.stop()
        events = recorder.timed()
        recorder.close()
    melody_events = [(t, m) for t, m in events if m[0] < 0xF0 and m[0] & 0x0F == 0]  # channel 1
    drum_events = [(t, m) for t, m in events if m[0] >= 0xF0 or m[0] & 0x0F != 0]

    messages = [m for _, m in melody_events]
    assert messages[0] == bytes([0xC0, 81])  # lead: the family's program on channel 1, before any note
    notes = melody_notes(before)
    assert len(notes) >= 8
    assert {m[0] for m in messages if len(m) == 3 and m[0] & 0xF0 in (0x80, 0x90)} <= {0x80, 0x90}  # channel 1
    odd = [m for _, m in drum_events if m[0] < 0xF0 and m[0] & 0x0F != 9]
    assert not odd, odd[:5]  # drums on 10, nothing else
    assert {n % 12 for _, n, _ in notes} <= set(parse_key("Eb").scale)  # scale lock is on by default
    assert all(abs(n - 75) <= 12 for _, n, _ in notes)  # around Eb5, the lead's octave
    # every note-on gets its note-off (the line's own lengths)
    sounding = 0
    for m in messages:
        if len(m) == 3 and m[0] == 0x90 and m[2] > 0:
            sounding += 1
        elif len(m) == 3 and (m[0] == 0x80 or (m[0] == 0x90 and m[2] == 0)):
            sounding -= 1
    assert sounding <= 0
    # on the drums' 24-ppqn grid: positions from the MIDI clock that reached the same recorder port, fitted over
    # bars 2-3 (a dummy JACK server on a loaded machine stretches its cycles: a fit over the whole run drifts)
    start = next(i for i, (_, m) in enumerate(drum_events) if m == b"\xfa")
    pulses = np.array([t for t, m in drum_events[start:] if m == b"\xf8"])
    k = np.arange(TICKS - 24, 3 * TICKS + 24)
    slope, origin = np.polyfit(k, pulses[k], 1)
    positions = np.array([(t - origin) / slope for t, _, _ in melody_notes(melody_events)])
    positions = positions[(positions > TICKS - 0.5) & (positions < 3 * TICKS - 0.5)]
    assert len(positions) >= 4 and np.abs(positions - np.round(positions)).max() < 0.3, positions
    slope, origin = np.polyfit(np.arange(len(pulses)), pulses, 1)
    # the new key from the second bar line after the message on
    first = int(np.ceil((changed - origin) / slope / TICKS)) + 1
    later = [n for t, n, _ in melody_notes(melody_events) if (t - origin) / slope >= first * TICKS - 0.5]
    assert later and {n % 12 for n in later} <= set(parse_key("C#m").scale), later
    assert ("/rvae/melody/notes" in [a for a, _ in feedback]) and any(
        a == "/rvae/melody" and args[1] == "C#m" for a, args in feedback
    ), feedback


@pytest.mark.browser  # (its own Chromium)
def test_the_page_shows_the_melody_and_sets_its_key(jack_server, models_dir):
    served = Served(
        jack_server.env, "--models-dir", str(models_dir), "--model", "loop", "--midi-backend", "jack", "--no-state",
        "--bpm", "160",
    )  # fmt: skip
    try:
        x, y = busy_point(models_dir / "loop")
        served.osc.ask("/rvae/xy", x, y)
        with Browser() as browser:
            browser.navigate(served.url)
            browser.wait_for("window.rvae && rvae.connected() && rvae.melody() && rvae.melody().notes.length > 0", 15)
            assert browser.js("document.getElementById('melody-body').hidden") is False
            assert browser.js("document.getElementById('melody-key').value") == "A minor"
            browser.js("rvae.tab('melody')")
            browser.frames(3)
            # count the note colour in the canvas's own pixels
            orange = browser.js(
                "(() => { const c = document.getElementById('melody-roll');"
                " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;"
                " for (let i = 0; i < d.length; i += 4) if (d[i] > 150 && d[i + 1] > 70 && d[i + 1] < 190"
                " && d[i + 2] < 90) n++; return n; })()"
            )
            assert orange > 50, "no melody notes drawn on the second piano roll"
            browser.js("(() => { const s = document.getElementById('melody-key'); s.value = 'G minor';"
                       " s.dispatchEvent(new Event('change')); })()")  # fmt: skip
            deadline = time.monotonic() + 5
            while served.state()["melody"]["key"] != "G minor" and time.monotonic() < deadline:
                time.sleep(0.1)
            assert served.state()["melody"]["key"] == "G minor"
            browser.wait_for("rvae.melody().key === 'G minor'", 10)
            assert browser.console_errors == []
    finally:
        served.stop()


def test_melody_settings_survive_a_restart_and_given_ones_win(models_dir, tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if k != "JACK_DEFAULT_SERVER"}
    state = tmp_path / "state.json"
    common = ["--models-dir", str(models_dir), "--model", "loop", "--midi-backend", "alsa", "--state-file", str(state)]
    first = Served(env, *common, "--render-dir", str(tmp_path))
    try:
        assert "melody MIDI out: could not open" in first.out  # no MIDI here: it says so, and the layer still runs
        first.osc.ask("/rvae/melody/key", "F#m")
        first.osc.ask("/rvae/melody/density", 0.8)
        first.osc.ask("/rvae/melody/scale-lock", 0)
    finally:
        first.stop()
    saved = json.loads(state.read_text())["melody"]
    assert (saved["key"], saved["scale_lock"]) == ("F# minor", False) and saved["density"] == pytest.approx(0.8)
    second = Served(env, *common, "--render-dir", str(tmp_path), "--melody-family", "keys")
    try:
        melody = second.state()["melody"]
        assert (melody["key"], melody["scale_lock"]) == ("F# minor", False) and melody["density"] == pytest.approx(0.8)
        assert melody["family"] == "keys"  # given on the command line: wins over the saved bass
    finally:
        second.stop()


def test_no_melody_means_none_and_the_surfaces_say_so(models_dir, tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if k != "JACK_DEFAULT_SERVER"}
    served = Served(env, "--models-dir", str(models_dir), "--model", "loop", "--midi-backend", "alsa", "--no-state",
                    "--no-melody", "--render-dir", str(tmp_path))  # fmt: skip
    try:
        assert "melody:" not in served.out
        assert served.state()["melody"] is None
        refused = served.osc.ask("/rvae/melody/key", "Am", until="/rvae/error")
        assert any(a == "/rvae/error" and "no melody layer" in args[1] for a, args in refused), refused
    finally:
        served.stop()


def test_a_missing_melody_model_is_reported_and_the_drums_play_on(models_dir, tmp_path: Path):
    import os

    env = {k: v for k, v in os.environ.items() if k != "JACK_DEFAULT_SERVER"}
    served = Served(env, "--models-dir", str(models_dir), "--model", "loop", "--midi-backend", "alsa", "--no-state",
                    "--melody-model", str(tmp_path / "nowhere"), "--render-dir", str(tmp_path))  # fmt: skip
    try:
        assert "not available: melody: cannot load the melody model" in served.out
        assert served.state()["melody"] is None and served.state()["layers"][0]["enabled"]
    finally:
        served.stop()


@pytest.mark.parametrize(
    ("option", "message"), [("--melody-key=H", "melody-key"), ("--melody-layer=3", "melody-layer")]
)
def test_bad_melody_options_are_named(models_dir, tmp_path, option, message):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "JACK_DEFAULT_SERVER"}
    result = subprocess.run(
        [sys.executable, "-m", "rvae_server.cli", "serve", "--models-dir", str(models_dir), "--model", "loop",
         "--midi-backend", "alsa", "--no-state", "--osc-port", "0", "--http-port", "0", "--duration", "0.5",
         "--render-dir", str(tmp_path), option],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert message in result.stdout + result.stderr
