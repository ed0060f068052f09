"""Joining an Ableton Link session that is already playing (issue 12): the server starts playing in phase at the
session's next bar line, follows a peer's stop and start after that, and start/stop sync is on by default.

Runs in a private network namespace with only loopback up (``unshare -n``), with a LinkPython-extern peer that
plays before the server's clock exists, as Live would; the engine plays a synthetic model (a note on every tick,
microtiming off) into a recorder. The child prints its figures as JSON."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEMPO = 133.0


def _join_child(join: str) -> None:
    import link

    from rvae_server.engine.clock import LinkClock
    from rvae_server.engine.engine import Engine
    from rvae_server.testing import Recorder, SyntheticModel

    peer = link.Link(TEMPO)
    peer.startStopSyncEnabled = True
    peer.enabled = True
    state = peer.captureAppSessionState()
    state.setIsPlayingAndRequestBeatAtTime(True, peer.clock().micros(), 0.0, 4.0)
    peer.commitAppSessionState(state)
    time.sleep(2.2)  # the set plays for a while before the server starts (its join then falls mid-bar)

    def peer_phase(t: float) -> float:
        micros = clock._link_micros(t)  # the same host clock: our offset converts perf_counter to Link micros
        return float(peer.captureAppSessionState().phaseAtTime(micros, 4.0))

    created = time.perf_counter()
    clock = LinkClock(100.0, join=join)  # its own tempo until it joins: the session's wins
    recorder = Recorder()
    engine = Engine({"s": SyntheticModel("s")}, clock, [recorder], default_model="s", layers=1)
    engine.update(0, timing=0.0, x=0.9, y=-5.0)  # a closed hat on every tick, on the grid; no kick
    engine.start()
    bar_s = 4 * 60.0 / TEMPO
    result: dict[str, object] = {"join": join, "sync": bool(clock._link.startStopSyncEnabled)}
    deadline = time.monotonic() + 3 * bar_s + 2.0
    while time.monotonic() < deadline and not recorder.notes:
        time.sleep(0.01)
    result["peers"] = clock.peers
    result["tempo"] = clock.bpm
    if recorder.notes:
        time.sleep(bar_s)  # a bar of notes
        notes = list(recorder.notes)
        first_when = notes[0][1]
        joined = clock.joined_at if clock.joined_at is not None else created
        result["bars_to_first_note"] = (first_when - joined) / bar_s
        result["bars_since_created"] = (first_when - created) / bar_s
        phases = [peer_phase(when) for _, when, *_ in notes]
        # every note is on the grid (microtiming off): on a tick of the session's bar, phase × 24 a whole number
        errors = [(ph * 24.0 - round(ph * 24.0)) / 24.0 for ph in phases]
        result["ticks_covered"] = len({round(ph * 24.0) % 96 for ph in phases})
        result["first_phase"] = phases[0]
        result["max_phase_error_beats"] = max(abs(e) for e in errors)
        result["notes"] = len(notes)
    # a peer's stop stops the server; its start restarts it in phase
    state = peer.captureAppSessionState()
    state.setIsPlaying(False, peer.clock().micros())
    peer.commitAppSessionState(state)
    end = time.monotonic() + 2.0
    while time.monotonic() < end and clock.running:
        time.sleep(0.01)
    result["stops_with_peer"] = not clock.running
    state = peer.captureAppSessionState()
    state.setIsPlayingAndRequestBeatAtTime(True, peer.clock().micros(), 0.0, 4.0)
    peer.commitAppSessionState(state)
    end = time.monotonic() + 2.0
    while time.monotonic() < end and not clock.running:
        time.sleep(0.01)
    result["restarts_with_peer"] = clock.running
    if clock.running:
        time.sleep(0.2)
        pos = clock.position()
        result["restart_phase_error_beats"] = abs(((pos / 24.0) % 4.0 - peer_phase(time.perf_counter()) + 2) % 4 - 2)
    engine.close()
    clock.close()
    peer.enabled = False
    print(json.dumps(result))


def _start_child() -> None:
    """A peer starts a stopped session: the server's first bar from its start is whole — each closed hat's velocity
    names its tick (0.1 tick early, as the synthetic model plays it), the downbeat's at the start itself."""
    import link
    import numpy as np

    from rvae_server.engine.clock import LinkClock
    from rvae_server.engine.engine import Engine
    from rvae_server.model.planes import DecodedPlanes
    from rvae_server.testing import CH, Recorder, SyntheticModel

    class TickModel(SyntheticModel):
        def decode_latent(self, z: np.ndarray) -> DecodedPlanes:
            planes = super().decode_latent(z).planes.copy()
            planes[:, 1, :, CH] = (np.arange(96) + 1) / 127
            return DecodedPlanes(planes)

    peer = link.Link(TEMPO)
    peer.startStopSyncEnabled = True
    peer.enabled = True
    clock = LinkClock(TEMPO, join="wait")
    recorder = Recorder()
    engine = Engine({"s": TickModel("s", snare=False)}, clock, [recorder], default_model="s", layers=1)
    engine.update(0, x=0.9, y=-5.0)  # a closed hat on every tick, 0.1 tick early; no kick
    engine.start()
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and clock.peers < 1:
        time.sleep(0.01)
    time.sleep(0.3)
    state = peer.captureAppSessionState()
    state.setIsPlayingAndRequestBeatAtTime(True, peer.clock().micros(), 0.0, 4.0)
    peer.commitAppSessionState(state)
    time.sleep(2 * 4 * 60.0 / TEMPO + 0.5)
    hats = [velocity for _, _, _, instrument, _, velocity, _ in recorder.notes if instrument == CH]
    engine.close()
    clock.close()
    peer.enabled = False
    print(json.dumps({"peers": clock.peers, "hats": hats[:100]}))


def run_child(join: str, child: str = "_join_child") -> dict:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.fail("the Link test needs util-linux `unshare` and iproute2 `ip` (loopback-only namespace)")
    if os.geteuid() != 0:
        pytest.fail("the Link test needs root for `unshare -n` (a private network namespace)")
    code = (
        f"from tests.test_link_join import {child}; {child}({join!r})"
        if join
        else (f"from tests.test_link_join import {child}; {child}()")
    )
    proc = subprocess.run(
        ["unshare", "-n", "sh", "-c", f'ip link set lo up && exec "{sys.executable}" -c "{code}"'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_joining_a_playing_session_plays_in_phase_from_the_next_bar_line():
    result = run_child("play")
    assert result["sync"] is True, "start/stop sync is on by default"
    assert result["peers"] == 1 and abs(result["tempo"] - TEMPO) < 1e-3, result
    assert "bars_to_first_note" in result, f"nothing played after joining a playing session: {result}"
    # the first note is the session's next bar line after the join (at most one bar later), on its downbeat
    assert 0.0 <= result["bars_to_first_note"] <= 1.0 + 1e-6, result
    assert min(result["first_phase"], 4.0 - result["first_phase"]) < 0.01, result
    assert result["max_phase_error_beats"] < 0.01, result  # every note in phase (the ideal times)
    assert result["ticks_covered"] == 96, result  # a whole bar: a note on every tick
    assert result["stops_with_peer"] and result["restarts_with_peer"], result
    assert result["restart_phase_error_beats"] < 0.01, result


def test_join_wait_waits_for_a_start():
    result = run_child("wait")
    assert "bars_to_first_note" not in result, result
    assert result["stops_with_peer"] and result["restarts_with_peer"], result


def test_a_link_start_plays_a_whole_first_bar():
    result = run_child("", "_start_child")
    assert result["hats"][:96] == list(range(1, 97)), result
