"""Hardening, start-up and state (issue 11, items 11-13): a hostile state file, controller map or config never stops a
start (the state file is moved aside); a second `rvae serve` on the same ports or state file is refused with a clear
message and exit code 3 (a second instance with its own ports and state runs); temporary upload folders a killed
server left behind are removed at the next start. Real `rvae serve` processes, a real JACK server."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rvae_server.core.config import ConfigError, load_config
from rvae_server.engine.clock import InternalClock
from rvae_server.engine.engine import Engine
from rvae_server.session.state import StateKeeper
from rvae_server.surfaces.controllers import CCMapper, MapError, bindings_from_toml
from rvae_server.testing import SyntheticModel

DEEP_JSON = '{"format": "rvae-state", "version": 1, "layers": ' + "[" * 100_000 + "]" * 100_000 + "}"
HUGE_JSON = '{"format": "rvae-state", "version": 1, "bpm": ' + "9" * 5000 + "}"
BIG_JSON = json.dumps({"format": "rvae-state", "version": 1, "bpm": 10**400, "layers": [{"x": 10**400}]})
DEEP_TOML = "[[binding]]\nchannel = 1\ncc = 12\ntarget = 'x'\nextra = " + "[" * 100_000 + "]" * 100_000 + "\n"
HUGE_TOML = "[[binding]]\nchannel = 1\ncc = 12\ntarget = 'x'\nlo = " + "9" * 5000 + "\n"
BIG_TOML = "[[binding]]\nchannel = 1\ncc = 12\ntarget = 'x'\nlo = " + "9" * 400 + "\n"


@pytest.fixture
def engine():
    clock = InternalClock(bpm=120.0)
    eng = Engine({"a": SyntheticModel("a")}, clock, [], default_model="a", layers=2)
    yield eng
    eng.close()
    clock.close()


# ------------------------------------------------------------------------------------------ 11. hostile files


@pytest.mark.parametrize("text", [DEEP_JSON, HUGE_JSON, BIG_JSON], ids=["deep", "huge-int", "400-digit-int"])
def test_a_hostile_state_file_never_stops_a_start(engine, tmp_path, text):
    path = tmp_path / "state.json"
    path.write_text(text)
    keeper = StateKeeper(engine, path)
    restored = keeper.restore()  # never raises
    assert engine.clock.bpm == 120.0 and engine.state(0).x == 0.5
    if restored is False:
        assert (tmp_path / "state.json.bad").read_text() == text and not path.exists()


@pytest.mark.parametrize("text", [DEEP_TOML, HUGE_TOML, BIG_TOML], ids=["deep", "huge-int", "400-digit-int"])
def test_a_hostile_controller_map_is_a_clear_error(engine, tmp_path, text, caplog):
    path = tmp_path / "map.toml"
    path.write_text(text)
    with pytest.raises(MapError, match="map.toml"):
        bindings_from_toml(text, str(path))
    mapper = CCMapper(engine, path=path)
    before = mapper.bindings
    assert mapper.load() is False  # logged; the map in use stays
    assert mapper.bindings == before
    assert any(str(path) in r.getMessage() and "keeping the default map" in r.getMessage() for r in caplog.records)


def test_a_hostile_config_file_is_a_clear_error(tmp_path):
    path = tmp_path / "rvae.toml"
    for text in ("bpm = " + "[" * 100_000 + "]" * 100_000, "bpm = " + "9" * 5000):
        path.write_text(text)
        with pytest.raises(ConfigError, match=str(path)):
            load_config(path)


def test_a_fifo_state_file_or_map_never_hangs_a_start(engine, tmp_path):
    os.mkfifo(tmp_path / "state.json")
    os.mkfifo(tmp_path / "map.toml")
    done: list[object] = []

    def run() -> None:
        done.append(StateKeeper(engine, tmp_path / "state.json").restore())
        done.append(CCMapper(engine, path=tmp_path / "map.toml").load())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(30)
    assert done == [False, False]


def rvae_serve(env: dict[str, str], cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rvae_server.cli", "serve", "--controller-in", "none", "--render-dir", str(cwd), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd,
    )  # fmt: skip


class Started:
    """A `rvae serve` whose start-up report was read (or that exited)."""

    def __init__(self, env: dict[str, str], cwd: Path, *args: str) -> None:
        self.proc = rvae_serve(env, cwd, *args)
        self.err: list[str] = []
        self._reader = threading.Thread(target=lambda: self.err.extend(self.proc.stderr or []), daemon=True)
        self._reader.start()
        lines = []
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "running; Ctrl-C stops" in line:
                break
        self.out = "".join(lines)
        self.running = "running; Ctrl-C stops" in self.out

    def ports(self) -> tuple[int, int]:
        osc = re.search(r"OSC: listening on udp 127\.0\.0\.1:(\d+)", self.out)
        web = re.search(r"web page: http://127\.0\.0\.1:(\d+)/", self.out)
        assert osc and web, self.out + "".join(self.err)
        return int(osc[1]), int(web[1])

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout=30)
        self._reader.join(10)
        return code


def test_a_hostile_state_file_and_map_do_not_stop_rvae_serve(tmp_path):
    state = tmp_path / "state.json"
    state.write_text(DEEP_JSON)
    cmap = tmp_path / "map.toml"
    cmap.write_text(HUGE_TOML)
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    served = Started(env, tmp_path, "--midi-backend", "alsa", "--osc-port", "0", "--http-port", "0",
                     "--state-file", str(state), "--controller-map", str(cmap))  # fmt: skip
    try:
        assert served.running, served.out + "".join(served.err)
        assert (tmp_path / "state.json.bad").exists()
    finally:
        assert served.stop() == 0
    assert any(str(cmap) in line and "keeping the default map" in line for line in served.err), served.err
    assert "Traceback" not in "".join(served.err)


# ------------------------------------------------------------------------------------------ 12. a second server


def r_vae_ports(jack: object) -> list[str]:
    return [p for p in jack.ports() if p.startswith("R-VAE") and "controllers" not in p]  # type: ignore[attr-defined]


def test_a_second_server_on_the_same_ports_or_state_is_refused(jack_server, tmp_path):
    env = {**jack_server.env, "TMPDIR": str(tmp_path)}
    state = tmp_path / "state.json"
    first = Started(env, tmp_path, "--midi-backend", "jack", "--osc-port", "0", "--http-port", "0",
                    "--state-file", str(state))  # fmt: skip
    try:
        assert first.running, first.out + "".join(first.err)
        osc, web = first.ports()
        ours = r_vae_ports(jack_server)
        assert ours, jack_server.ports()
        everything = jack_server.ports()
        # the same ports (and state): refused before it opens anything
        second = Started(env, tmp_path, "--midi-backend", "jack", "--osc-port", str(osc), "--http-port", str(web),
                         "--state-file", str(state), "--duration", "20")  # fmt: skip
        code = second.stop()
        assert not second.running and code == 3, second.out + "".join(second.err)
        message = "".join(second.err)
        assert "already" in message and f"udp 127.0.0.1:{osc}" in message and "--osc-port" in message, message
        assert "Traceback" not in message
        assert r_vae_ports(jack_server) == ours  # no duplicate stream
        assert jack_server.ports() == everything  # no client or port left behind (controllers, melody, follow)
        # its own ports, the same state file: refused too (it would write over the first one's state)
        third = Started(env, tmp_path, "--midi-backend", "jack", "--osc-port", "0", "--http-port", "0",
                        "--state-file", str(state), "--duration", "20")  # fmt: skip
        assert third.stop() == 3 and str(state) in "".join(third.err)
        # a second instance with its own ports and state: the performer asked for it
        fourth = Started(env, tmp_path, "--midi-backend", "jack", "--osc-port", "0", "--http-port", "0",
                         "--state-file", str(tmp_path / "second.json"))  # fmt: skip
        try:
            assert fourth.running, fourth.out + "".join(fourth.err)
            theirs = sorted(set(r_vae_ports(jack_server)) - set(ours))
            drums = next(p for p in theirs if p.endswith(":R-VAE"))
            assert drums != "R-VAE:R-VAE", theirs  # JACK renamed its client: the report must say so
        finally:
            assert fourth.stop() == 0
        assert f"MIDI out: '{drums}'" in fourth.out, fourth.out  # the name other applications see
    finally:
        assert first.stop() == 0


# ------------------------------------------------------------------------------------------ 13. stale uploads


def upload_dirs(tmp: Path) -> set[str]:
    return {p.name for p in tmp.iterdir() if p.name.startswith("rvae-uploads-")}


def test_upload_folders_of_a_killed_server_are_removed_at_the_next_start(tmp_path):
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    args = ("--midi-backend", "alsa", "--osc-port", "0", "--http-port", "0", "--no-state")
    killed = Started(env, tmp_path, *args)
    assert killed.running, killed.out + "".join(killed.err)
    left = upload_dirs(tmp_path)
    assert len(left) == 1
    assert killed.stop(signal.SIGKILL) == -signal.SIGKILL
    assert upload_dirs(tmp_path) == left  # kill -9 leaves it behind
    (tmp_path / next(iter(left)) / "clip.mid").write_bytes(b"MThd")
    alive = Started(env, tmp_path, *args)
    try:
        assert alive.running, alive.out + "".join(alive.err)
        now = upload_dirs(tmp_path)
        assert len(now) == 1 and not now & left, (left, now)
        other = Started(env, tmp_path, *args)  # a second instance never removes a live one's folder
        try:
            assert other.running
            assert now < upload_dirs(tmp_path)
        finally:
            other.stop()
    finally:
        assert alive.stop() == 0
    assert upload_dirs(tmp_path) == set()
