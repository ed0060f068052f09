"""The daemon's settings: defaults, then a TOML file (``--config FILE``, else the default config file of this OS if it
exists: see :mod:`rvae_server.core.places`), then the command line.

Every ``rvae serve`` option is also a key of the TOML file, spelled like the option without the dashes
(``midi-out`` or ``midi_out``). Unknown keys and wrong types are errors that name the key and the file. The
seed rule (:data:`MAX_SEED`, :func:`seed_problem`) is shared with ``rvae jam``, ``render`` and ``train``.

Example::

    model = "groove-all"
    clock = "internal"     # internal | midi | link
    bpm = 96
    midi-out = "Live"      # a substring of an existing port; leave out for a virtual port "R-VAE"
    midi-backend = "jack"
    send-clock = true
    layer-channels = [10, 11]
    osc-port = 9000        # 0: any free port (printed at start)
    osc-host = "0.0.0.0"   # open OSC to a pad on the network …
    osc-allow = ["192.168.1.0/24"]   # … but only from these clients (loopback always)
    osc-feedback = ["127.0.0.1:9001"]  # always send bars/state/training feedback here
    http-port = 8080
    http-allow-hosts = ["studio.local"]  # names the page may be opened by, besides addresses and localhost
    http-token = "…"       # off loopback the page needs a token (random unless given), printed in its URL
    clip-dirs = ["~/clips"]  # where /rvae/train and the web page's retraining may read clips
    controller-in = "KP3"  # a MIDI input port (substring); leave out for a virtual input to connect to
    state-file = "~/.local/state/rvae/state.json"   # "" keeps no state
    melody-key = "Em"      # the melody layer: key, family (bass, keys, guitar, pad, lead), channel, port
    melody-family = "bass"
    link-join = "play"     # Link: joining a session plays from its next bar line ("wait": wait for a start)
    link-start-stop = true # Link: share start and stop with the session (on by default)
    midi-out-latency = -12.5   # ms; notes and clock to the MIDI output earlier (negative) or later (positive)
    capture-dir = "~/takes"  # where /rvae/capture/last BARS NAME writes NAME.mid
    follow-in = "e-kit"    # drums to follow (a MIDI input port); leave out for a virtual input
    note-map = ["digitakt", "ride=60/12"]  # your drum machine's notes: a preset, then INSTRUMENT=NOTE[/CHANNEL]
    # (or a table: note-map = { preset = "tr8s", crash = "49/11" }); presets: gm, drumrack, tr8s, digitakt, syntakt

Values given on the command line or in the file win over the saved performance state (``state-file``).
"""

from __future__ import annotations

import ipaddress
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from rvae_server.core import places
from rvae_server.core.notemaps import parse_note_map
from rvae_server.core.tempo import MAX_BPM, MIN_BPM
from rvae_server.core.untrusted import BoundsError, Limits, check_data

CLOCKS = ("internal", "midi", "link")
#: Where the notes go out from: a player process of their own (the default), or a thread of the server.
PLAYERS = ("process", "thread")


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
    player: str = "process"  # process: MIDI goes out from a player process of its own; thread: from the server's
    layers: int = 2
    layer_channels: tuple[int, ...] = (10, 10)  # MIDI channel per layer; equal channels merge
    audio: bool = False  # play through the built-in drum kit (sounddevice)
    audio_device: str | None = None  # substring of an output device's name
    autoplay: bool = True  # start playing at once
    seed: int | None = None  # noise seed (None: a fresh one each run)
    render_dir: str = "."  # where the demo WAV/MIDI go when no output can be opened
    osc_host: str = "127.0.0.1"
    osc_port: int = 9000  # 0: any free port
    osc_allow: tuple[str, ...] = ()  # client IPs/networks accepted besides loopback
    osc_feedback: tuple[str, ...] = ()  # "ip:port" clients that always get feedback
    http_host: str = "127.0.0.1"
    http_port: int = 8080  # 0: any free port
    http_allow_hosts: tuple[str, ...] = ()  # Host names the page answers to besides addresses and localhost
    http_token: str | None = None  # the page's token (default: a random one when http-host is not loopback)
    clip_dirs: tuple[str, ...] = ()  # folders /rvae/train and the web page may read clips from
    upload_dir: str | None = None  # where the web page's uploads go (None: a temporary folder)
    controller_in: str | None = None  # MIDI input port (substring) of a controller; None: a virtual input
    controller_map: str | None = None  # TOML file of CC bindings (None: kept in the state file)
    controller_channel: int = 1  # MIDI channel of the default Kaoss Pad map
    state_file: str | None = None  # None: the default place (see default_state_file); "": keep no state
    train_epochs: int | None = None  # epochs of live retraining (None: training's default)
    melody: bool = True  # a melody layer (when the melody model loads)
    melody_model: str = "default"  # name (in models/melody) or path of the melody model
    melody_out: str | None = None  # None: a virtual output port named "R-VAE melody"
    melody_channel: int = 1  # MIDI channel of the melody layer
    melody_layer: int = 1  # the drum layer (1-based) the melody follows
    melody_key: str = "Am"  # key of the melody: Am, Eb, F#m, "G major" …
    melody_family: str = "bass"  # bass | keys | guitar | pad | lead
    link_start_stop: bool = True  # Link: share start/stop with the session
    link_join: str = "play"  # Link: on joining a session, play from its next bar line ("play") or wait for a start
    midi_out_latency: float = 0.0  # ms: notes (and clock) to the MIDI output this much later (negative: earlier)
    capture_dir: str | None = None  # where /rvae/capture/... writes (None: the default place, see default_capture_dir)
    follow_in: str | None = None  # MIDI input port (substring) of drums to follow; None: a virtual input
    note_map: tuple[str, ...] = ()  # each instrument's output note and channel: a preset, then changes (notemaps.py)
    explicit: frozenset[str] = frozenset()  # the keys the performer set (file or command line), not a setting

    def validate(self, where: str = "settings") -> ServeConfig:
        if self.player not in PLAYERS:
            raise ConfigError(f"{where}: player must be one of {', '.join(PLAYERS)}, not {self.player!r}")
        if (seed := seed_problem(self.seed)) is not None:
            raise ConfigError(f"{where}: {seed}")
        if self.clock not in CLOCKS:
            raise ConfigError(f"{where}: clock must be one of {', '.join(CLOCKS)}, not {self.clock!r}")
        if not (math.isfinite(self.bpm) and MIN_BPM <= self.bpm <= MAX_BPM):
            raise ConfigError(f"{where}: bpm must be between {MIN_BPM:g} and {MAX_BPM:g}, not {self.bpm}")
        if not 1 <= self.layers <= 8:
            raise ConfigError(f"{where}: layers must be 1..8, not {self.layers}")
        if not (0.005 <= self.note_length <= 5):
            raise ConfigError(f"{where}: note-length must be 0.005..5 seconds, not {self.note_length}")
        for channel in self.layer_channels:
            if not 1 <= channel <= 16:
                raise ConfigError(f"{where}: layer-channels must be MIDI channels 1..16, not {channel}")
        for key in ("osc_port", "http_port"):
            if not 0 <= getattr(self, key) <= 65535:
                raise ConfigError(f"{where}: {key.replace('_', '-')} must be 0..65535, not {getattr(self, key)}")
        for key in ("osc_host", "http_host"):
            try:
                ipaddress.ip_address(getattr(self, key))
            except ValueError:
                raise ConfigError(
                    f"{where}: {key.replace('_', '-')} must be an IP address (127.0.0.1, 0.0.0.0 …), "
                    f"not {getattr(self, key)!r}"
                ) from None
        for entry in self.osc_allow:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                raise ConfigError(f"{where}: osc-allow entry {entry!r} is not an IP address or network") from None
        self.feedback_clients(where)
        for name in self.http_allow_hosts:
            if not name or len(name) > 253 or any(not (c.isalnum() or c in ".-") for c in name):
                raise ConfigError(f"{where}: http-allow-hosts entry {name!r} is not a host name")
        if self.http_token is not None and (len(self.http_token) < 16 or len(self.http_token) > 256 or any(
            not (c.isalnum() or c in "-_.~") for c in self.http_token
        )):  # fmt: skip
            raise ConfigError(f"{where}: http-token must be 16-256 letters, digits, '-', '_', '.' or '~'")
        if not 1 <= self.melody_channel <= 16:
            raise ConfigError(f"{where}: melody-channel must be 1..16, not {self.melody_channel}")
        if not 1 <= self.melody_layer <= self.layers:
            raise ConfigError(f"{where}: melody-layer must be a drum layer 1..{self.layers}, not {self.melody_layer}")
        if not 1 <= self.controller_channel <= 16:
            raise ConfigError(f"{where}: controller-channel must be 1..16, not {self.controller_channel}")
        if self.train_epochs is not None and not 1 <= self.train_epochs <= 10000:
            raise ConfigError(f"{where}: train-epochs must be 1..10000, not {self.train_epochs}")
        if self.link_join not in ("play", "wait"):
            raise ConfigError(f"{where}: link-join must be play or wait, not {self.link_join!r}")
        if not (math.isfinite(self.midi_out_latency) and -500.0 <= self.midi_out_latency <= 500.0):
            raise ConfigError(f"{where}: midi-out-latency must be -500..500 ms, not {self.midi_out_latency}")
        try:
            parse_note_map(self.note_map)
        except ValueError as err:
            raise ConfigError(f"{where}: note-map: {err}") from None
        if self.clock == "midi" and not self.clock_in:
            raise ConfigError(f"{where}: clock 'midi' needs clock-in (the MIDI input port that sends the clock)")
        return self

    def feedback_clients(self, where: str = "settings") -> list[tuple[str, int]]:
        """``osc-feedback`` as ``(ip, port)`` pairs."""
        out = []
        for entry in self.osc_feedback:
            host, _, port = entry.rpartition(":")
            try:
                ipaddress.ip_address(host)
                number = int(port)
                if not 1 <= number <= 65535:
                    raise ValueError
            except ValueError:
                raise ConfigError(
                    f"{where}: osc-feedback entry {entry!r} is not ip:port (e.g. 127.0.0.1:9001)"
                ) from None
            out.append((host, number))
        return out

    def state_path(self) -> Path | None:
        """Where the performance state is kept (None: nowhere)."""
        if self.state_file == "":
            return None
        if self.state_file is None:
            return default_state_file()
        return Path(self.state_file).expanduser()

    def channel_of(self, layer: int) -> int:
        if layer < len(self.layer_channels):
            return self.layer_channels[layer]
        return self.layer_channels[-1] if self.layer_channels else 10

    def merged(self, changes: Mapping[str, Any], where: str) -> ServeConfig:
        """This config with ``changes`` applied (keys as in the TOML file), type-checked."""
        known = {f.name: f for f in fields(self) if f.name != "explicit"}
        clean: dict[str, Any] = {}
        for raw_key, value in changes.items():
            key = raw_key.replace("-", "_")
            if key not in known:
                raise ConfigError(f"{where}: unknown setting {raw_key!r} (known: {', '.join(sorted(known))})")
            clean[key] = _coerce(key, value, getattr(ServeConfig(), key), where)
        return replace(self, **clean, explicit=self.explicit | frozenset(clean)).validate(where)


#: Seeds of the noise draws and of training: whole numbers 0 .. MAX_SEED (numpy's generators take no negative one).
MAX_SEED = 2**63 - 1


def seed_problem(seed: int | None) -> str | None:
    """Why ``seed`` cannot seed the draws (``seed must be …``), or None (None given: fresh randomness)."""
    if seed is None or 0 <= seed <= MAX_SEED:
        return None
    return f"seed must be a whole number 0..{MAX_SEED}, not {seed}"


def _coerce(key: str, value: Any, default: Any, where: str) -> Any:
    def fail(kind: str) -> ConfigError:
        return ConfigError(f"{where}: {key.replace('_', '-')} must be {kind}, not {value!r}")

    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise fail("true or false")
        return value
    if isinstance(default, tuple):
        if key == "note_map" and isinstance(value, Mapping):  # a table: { preset = "tr8s", crash = "49/11" }
            value = [
                str(v) if k == "preset" else f"{k}={v}"
                for k, v in sorted(value.items(), key=lambda kv: kv[0] != "preset")
            ]
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
    if key in ("seed", "train_epochs"):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise fail("a whole number")
        return value
    if value is not None and not isinstance(value, str):
        raise fail("text")
    return value


def default_state_file() -> Path:
    """The performance state file's place on this OS (see :mod:`rvae_server.core.places`): on Linux
    ``$XDG_STATE_HOME/rvae/state.json`` (``~/.local/state/rvae/state.json``)."""
    return places.state_file()


def default_config_file() -> Path | None:
    """The config file read when none is given: :func:`rvae_server.core.places.config_file` if it exists."""
    path = places.config_file()
    return path if path.is_file() else None


def default_capture_dir() -> Path:
    """``captures`` in this user's data folder (:func:`rvae_server.core.places.data_dir`: on Linux
    ``~/.local/share/rvae/captures``)."""
    return places.data_dir() / "captures"


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
        except (RecursionError, ValueError) as err:  # nested too deep, an integer too long to convert
            raise ConfigError(f"{file}: not a usable config file ({type(err).__name__})") from None
        try:
            check_data(data, Limits(depth=8, values=10_000, string=4096, int_digits=15))
        except BoundsError as err:
            raise ConfigError(f"{file}: {err}") from None
        config = config.merged(data, str(file))
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    return config.merged(given, "command line")


__all__ = [
    "CLOCKS",
    "MAX_SEED",
    "ConfigError",
    "ServeConfig",
    "default_capture_dir",
    "default_config_file",
    "default_state_file",
    "load_config",
    "seed_problem",
]
