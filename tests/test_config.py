"""Serve settings: defaults < TOML file < command line, with errors that name the key and the file."""

from pathlib import Path

import pytest

from rvae_server.core.config import ConfigError, ServeConfig, default_state_file, load_config


def test_defaults_file_then_command_line(tmp_path):
    path = tmp_path / "rvae.toml"
    path.write_text('bpm = 96\nmidi-backend = "jack"\nsend_clock = true\nlayer-channels = [10, 11]\nmodel = "rock"\n')
    config = load_config(path, {"bpm": 170.0, "model": None, "midi_out": "Live"})
    assert config.bpm == 170.0  # the command line wins
    assert config.model == "rock"  # None on the command line means "not given"
    assert config.midi_backend == "jack" and config.send_clock is True and config.midi_out == "Live"
    assert config.layer_channels == (10, 11) and config.channel_of(1) == 11 and config.channel_of(5) == 11
    assert load_config(None) == ServeConfig()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bpm = 'fast'", "bpm must be a number"),
        ("bpm = 1000", "bpm must be between 20 and 400"),
        ("clock = 'sun'", "clock must be one of internal, midi, link"),
        ("clock = 'midi'", "clock 'midi' needs clock-in"),
        ("tempo = 100", "unknown setting 'tempo'"),
        ("layer-channels = [10, 17]", "MIDI channels 1..16"),
        ("send-clock = 1", "send-clock must be true or false"),
        ("bpm = ", "not valid TOML"),
        ("osc-port = 70000", "osc-port must be 0..65535"),
        ("osc-host = 'my-laptop'", "osc-host must be an IP address"),
        ("osc-allow = ['10.0.0.0/33']", "osc-allow entry '10.0.0.0/33' is not an IP address or network"),
        ("osc-feedback = ['127.0.0.1']", "osc-feedback entry '127.0.0.1' is not ip:port"),
        ("controller-channel = 0", "controller-channel must be 1..16"),
        ("train-epochs = 0", "train-epochs must be 1..10000"),
        ("explicit = ['bpm']", "unknown setting 'explicit'"),
    ],
)
def test_bad_settings_name_the_key_and_the_file(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert message in str(info.value) and str(path) in str(info.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.toml")


def test_surfaces_state_file_and_what_the_performer_gave(tmp_path, monkeypatch):
    path = tmp_path / "live.toml"
    path.write_text(
        "osc-port = 0\nosc-host = '0.0.0.0'\nosc-allow = ['192.168.1.0/24']\nosc-feedback = ['127.0.0.1:9001']\n"
        "clip-dirs = ['~/clips']\nstate-file = ''\n"
    )
    config = load_config(path, {"bpm": 96.0, "http_port": None})
    assert config.osc_port == 0 and config.osc_allow == ("192.168.1.0/24",) and config.clip_dirs == ("~/clips",)
    assert config.feedback_clients() == [("127.0.0.1", 9001)]
    assert config.state_path() is None  # "" keeps no state
    assert config.explicit == {"osc_port", "osc_host", "osc_allow", "osc_feedback", "clip_dirs", "state_file", "bpm"}
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert ServeConfig().state_path() == default_state_file() == tmp_path / "xdg" / "rvae" / "state.json"
    assert ServeConfig(state_file="~/s.json").state_path() == Path.home() / "s.json"
