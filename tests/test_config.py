"""Serve settings: defaults < TOML file < command line, with errors that name the key and the file."""

import pytest

from rvae_server.config import ConfigError, ServeConfig, load_config


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
