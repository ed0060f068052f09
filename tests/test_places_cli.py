"""Every desktop OS (issue 12): rvae's places (config, state, trained models) follow platformdirs, trained models go
there (not into the folder the command ran from) and `rvae models` lists them; `rvae train` refuses to replace a
model without --force and names an unsupported meter; `rvae osc` says when nothing answers; `rvae ports` falls back
to JACK as `serve` does, without libasound's own error line; `/rvae/play` under a MIDI clock answers a warning;
`rvae serve` reads the default config file and says where things are."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import platformdirs
import platformdirs.macos
import pytest

from rvae_server.core import places
from rvae_server.core.config import default_config_file, default_state_file
from rvae_server.engine.clock import MidiClockFollower
from rvae_server.engine.engine import Engine
from rvae_server.model.modeldirs import bundled_models_dir, default_model, default_model_dirs
from rvae_server.surfaces.osc.server import start_osc
from rvae_server.testing import SyntheticModel

DATA = Path(__file__).parent / "data" / "groove"
CLIPS = sorted(DATA.rglob("*4-4.mid"))[:6]
THREE_FOUR = DATA / "drummer1" / "session2" / "4_jazz_120_beat_3-4.mid"


def rvae(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rvae_server.cli", *args],
        capture_output=True, text=True, timeout=240, cwd=cwd,
        env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})},
    )  # fmt: skip


def test_places_follow_platformdirs_and_rvae_home(monkeypatch, tmp_path):
    monkeypatch.delenv("RVAE_HOME", raising=False)
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    dirs = platformdirs.PlatformDirs("rvae", appauthor=False, roaming=False)
    assert places.config_dir() == Path(dirs.user_config_dir)
    assert places.state_dir() == Path(dirs.user_state_dir)
    assert places.models_dir() == Path(dirs.user_data_dir) / "models"
    assert default_state_file() == Path(dirs.user_state_dir) / "state.json"
    # the conventions the README promises, per OS (platformdirs' own classes, whatever OS runs the test)
    mac = platformdirs.macos.MacOS("rvae", appauthor=False)
    assert mac.user_data_dir == str(Path.home() / "Library" / "Application Support" / "rvae")
    if sys.platform.startswith("linux"):
        assert (
            places.models_dir() == Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local/share")) / "rvae/models"
        )
    monkeypatch.setenv("RVAE_HOME", str(tmp_path / "home"))
    assert places.config_file() == tmp_path / "home" / "config" / "config.toml"
    assert places.state_file() == tmp_path / "home" / "state" / "state.json"
    assert default_model_dirs()[0] == tmp_path / "home" / "models"  # new models go there
    assert default_model_dirs()[-1] == bundled_models_dir()
    assert default_config_file() is None  # only a file that exists is read
    places.config_file().parent.mkdir(parents=True)
    places.config_file().write_text("bpm = 99\n")
    assert default_config_file() == places.config_file()


def test_trained_models_go_to_the_user_folder_and_are_listed(tmp_path):
    home = tmp_path / "home"
    elsewhere = tmp_path / "somewhere"
    elsewhere.mkdir()
    env = {"RVAE_HOME": str(home)}
    args = ("train", *map(str, CLIPS), "--name", "mine", "--epochs", "2", "--json")
    first = rvae(*args, cwd=elsewhere, env=env)
    assert first.returncode == 0, first.stderr
    saved = Path(json.loads(first.stdout.strip().splitlines()[-1])["model"])
    assert saved == home / "models" / "mine" and (saved / "meta.json").is_file()
    assert not (elsewhere / "models").exists()  # not in whatever folder the command ran from
    listed = rvae("models", "--json", cwd=elsewhere, env=env)
    assert listed.returncode == 0, listed.stderr
    names = [json.loads(line)["name"] for line in listed.stdout.splitlines()]
    assert "mine" in names and "groove-all" in names  # the user's models, then the bundled ones
    # the same name again: refused, the model untouched; --force replaces it
    before = (saved / "meta.json").read_bytes()
    again = rvae(*args, cwd=elsewhere, env=env)
    assert again.returncode == 1 and "already exists" in again.stderr and "--force" in again.stderr
    assert (saved / "meta.json").read_bytes() == before
    forced = rvae(*args, "--force", cwd=elsewhere, env=env)
    assert forced.returncode == 0, forced.stderr
    assert json.loads((saved / "meta.json").read_text())["created"]


def test_train_names_the_unsupported_meter(tmp_path):
    proc = rvae("train", str(THREE_FOUR), "--name", "waltz", "--epochs", "1", "--models-dir", str(tmp_path))
    assert proc.returncode == 1
    assert "meter 3/4" in proc.stderr and "is not supported" in proc.stderr, proc.stderr


def test_rvae_osc_says_when_nothing_answers():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    silent = sock.getsockname()[1]  # bound, never answers
    try:
        quiet = rvae("osc", "/rvae/state", "--port", str(silent), "--wait-reply", "0.3")
        assert quiet.returncode == 1 and "no reply from 127.0.0.1" in quiet.stderr, quiet.stderr
    finally:
        sock.close()
    # the same port, now closed: nothing listens there at all
    refused = rvae("osc", "/rvae/xy", "0.5", "0.5", "--port", str(silent))
    assert refused.returncode == 1 and "nothing listens on" in refused.stderr, refused.stderr
    refused = rvae("osc", "/rvae/xy", "0.5", "0.5", "--port", str(silent), "--no-wait")  # fire and forget
    assert refused.returncode == 1 and "nothing listens on" in refused.stderr, refused.stderr


def test_rvae_ports_falls_back_to_jack_without_the_alsa_lib_line(jack_server):
    if Path("/dev/snd/seq").exists():
        pytest.fail("this test needs a machine without an ALSA sequencer (the fallback's reason)")
    proc = rvae("ports", env=jack_server.env)
    assert proc.returncode == 0, proc.stderr
    assert "MIDI (jack backend)" in proc.stdout and "a JACK server is running" in proc.stdout, proc.stdout
    assert "ALSA lib" not in proc.stderr + proc.stdout


def test_play_under_a_midi_clock_answers_a_warning():
    clock = MidiClockFollower(None)
    engine = Engine({"a": SyntheticModel("a")}, clock, [], default_model="a", layers=1)
    osc = start_osc(engine, port=0)
    try:
        for verb in ("play", "stop"):
            replies = osc.call(f"/rvae/{verb}", [], ("127.0.0.1", 1))
            assert replies and replies[0][0] == "/rvae/warning", replies
            assert "MIDI clock master" in replies[0][1][1]
        assert not clock.running
    finally:
        osc.close()
        engine.close()
        clock.close()


def test_serve_reads_the_default_config_file_and_says_where_things_are(tmp_path):
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text("bpm = 97\n")
    bundled = default_model([bundled_models_dir()])
    assert bundled is not None
    proc = rvae(
        "serve", "--models-dir", str(bundled.path.parent), "--model", bundled.name, "--midi-backend", "jack",
        "--osc-port", "0", "--http-port", "0", "--no-state", "--duration", "0.5", "--render-dir", str(tmp_path),
        env={"RVAE_HOME": str(home), "JACK_NO_START_SERVER": "1"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert f"config: read {home / 'config' / 'config.toml'}" in proc.stdout, proc.stdout
    assert "clock: internal at 97.0 BPM" in proc.stdout
    assert "models: trained models are saved to" in proc.stdout
