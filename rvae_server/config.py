"""The daemon's settings: defaults, then a TOML file (``--config FILE``), then the command line.

Every ``rvae serve`` option is also a key of the TOML file, spelled like the option without the dashes
(``midi-out`` or ``midi_out``). Unknown keys and wrong types are errors that name the key and the file.

Example::

    model = "groove-all"
    clock = "internal"     # internal | midi | link
    bpm = 96
    midi-out = "Live"      # a substring of an existing port; leave out for a virtual port "R-VAE"
    midi-backend = "jack"
    send-clock = true
    layer-channels = [10, 11]
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

CLOCKS = ("internal", "midi", "link")


class ConfigError(ValueError):
    """A setting that cannot be used; the message names the key and where it came from."""


@dataclass(frozen=True)
class ServeConfig:
    models_dir: tuple[str, ...] = ()  # extra model folders, searched before the bundled models/
    model: str | None = None  # the default model (else the bundled default)
    clock: str = "internal"
    bpm: float = 120.0
    midi_out: str | None = None  # None: a virtual output port named "R-VAE"
    midi_backend: str | None = None  # jack | alsa | coremidi | windows (or mido's names)
    clock_in: str | None = None  # MIDI input port (substring) for --clock midi
    send_clock: bool = False  # be the MIDI clock master (internal clock only)
    note_length: float = 0.1  # seconds from note-on to note-off
    layers: int = 2
    layer_channels: tuple[int, ...] = (10, 10)  # MIDI channel per layer; equal channels merge
    audio: bool = False  # play through the built-in drum kit (sounddevice)
    audio_device: str | None = None  # substring of an output device's name
    autoplay: bool = True  # start playing at once
    seed: int | None = None  # noise seed (None: a fresh one each run)
    render_dir: str = "."  # where the demo WAV/MIDI go when no output can be opened

    def validate(self, where: str = "settings") -> ServeConfig:
        if self.clock not in CLOCKS:
            raise ConfigError(f"{where}: clock must be one of {', '.join(CLOCKS)}, not {self.clock!r}")
        if not (math.isfinite(self.bpm) and 20 <= self.bpm <= 400):
            raise ConfigError(f"{where}: bpm must be between 20 and 400, not {self.bpm}")
        if not 1 <= self.layers <= 8:
            raise ConfigError(f"{where}: layers must be 1..8, not {self.layers}")
        if not (0.005 <= self.note_length <= 5):
            raise ConfigError(f"{where}: note-length must be 0.005..5 seconds, not {self.note_length}")
        for channel in self.layer_channels:
            if not 1 <= channel <= 16:
                raise ConfigError(f"{where}: layer-channels must be MIDI channels 1..16, not {channel}")
        if self.clock == "midi" and not self.clock_in:
            raise ConfigError(f"{where}: clock 'midi' needs clock-in (the MIDI input port that sends the clock)")
        return self

    def channel_of(self, layer: int) -> int:
        if layer < len(self.layer_channels):
            return self.layer_channels[layer]
        return self.layer_channels[-1] if self.layer_channels else 10

    def merged(self, changes: Mapping[str, Any], where: str) -> ServeConfig:
        """This config with ``changes`` applied (keys as in the TOML file), type-checked."""
        known = {f.name: f for f in fields(self)}
        clean: dict[str, Any] = {}
        for raw_key, value in changes.items():
            key = raw_key.replace("-", "_")
            if key not in known:
                raise ConfigError(f"{where}: unknown setting {raw_key!r} (known: {', '.join(sorted(known))})")
            clean[key] = _coerce(key, value, getattr(ServeConfig(), key), where)
        return replace(self, **clean).validate(where)


def _coerce(key: str, value: Any, default: Any, where: str) -> Any:
    def fail(kind: str) -> ConfigError:
        return ConfigError(f"{where}: {key.replace('_', '-')} must be {kind}, not {value!r}")

    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise fail("true or false")
        return value
    if isinstance(default, tuple):
        items = value if isinstance(value, list | tuple) else [value]
        if key == "layer_channels":
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in items):
                raise fail("a list of channel numbers")
            return tuple(items)
        return tuple(str(v) for v in items)
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail("a number")
        return float(value)
    if isinstance(default, int) and not isinstance(default, bool):
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail("a whole number")
        return value
    if key == "seed":
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise fail("a whole number")
        return value
    if value is not None and not isinstance(value, str):
        raise fail("text")
    return value


def load_config(path: str | Path | None, overrides: Mapping[str, Any] | None = None) -> ServeConfig:
    """Defaults, then the TOML file at ``path`` (if any), then ``overrides`` (the command line; ``None``
    values mean "not given")."""
    config = ServeConfig()
    if path is not None:
        file = Path(path)
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{file}: no such config file") from None
        except (OSError, UnicodeDecodeError) as err:
            raise ConfigError(f"{file}: cannot read: {err}") from None
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"{file}: not valid TOML: {err}") from None
        config = config.merged(data, str(file))
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    return config.merged(given, "command line")


__all__ = ["CLOCKS", "ConfigError", "ServeConfig", "load_config"]
