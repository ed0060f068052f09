"""The melody layer in ``rvae serve``: load the melody model, open the layer's own MIDI port (a virtual output
``R-VAE melody`` unless ``melody-out`` names a port) and the built-in synth, tie the layer to the engine.

Settings (``rvae serve`` options and config keys): ``melody`` (on by default when the model loads),
``melody-model`` (name or path; the bundled ``default``), ``melody-out``, ``melody-channel`` (1), ``melody-layer``
(the drum layer it follows, 1), ``melody-key`` (``Am``) and ``melody-family`` (``bass``). Values the performer
gave win over the saved performance state; the others start from it. A melody model that cannot be loaded, or a
port that cannot be opened, is said plainly and the drums play on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from rvae_server.core.config import ServeConfig
from rvae_server.engine.api import ControlError, LineSink
from rvae_server.engine.melodylayer import MelodyLayer, MelodyState
from rvae_server.melody.families import FAMILIES, OCTAVES, parse_family
from rvae_server.melody.generate import MelodySettings
from rvae_server.melody.keys import parse_key
from rvae_server.melody.modelfile import load_melody
from rvae_server.model.modelfile import ModelFileError
from rvae_server.outputs.linesinks import AudioLineSink, MidiLineSink

if TYPE_CHECKING:
    from rvae_server.outputs.audio import AudioOutput
    from rvae_server.outputs.midiout import MidiOut

log = logging.getLogger(__name__)

PORT_NAME = "R-VAE melody"
#: Config keys of the melody layer's settings, and the engine's name for each.
SETTINGS = {"melody_key": "key", "melody_family": "family", "melody_channel": "channel", "melody_layer": "layer"}


class MelodyHost(Protocol):
    """What this module uses of the engine (:class:`~rvae_server.engine.engine.Engine` is one): the melody layer."""

    @property
    def melody(self) -> MelodyLayer | None: ...
    def attach_melody(self, melody: MelodyLayer) -> None: ...
    def update_melody(self, **changes: Any) -> list[str]: ...


class Daemon(Protocol):
    """What this module uses of :class:`rvae_server.session.daemon.Daemon` (which imports this module)."""

    @property
    def config(self) -> ServeConfig: ...
    @property
    def engine(self) -> MelodyHost | None: ...
    @property
    def audio_out(self) -> AudioOutput | None: ...
    @property
    def melody_parts(self) -> MelodyParts | None: ...

    def _problem(self, text: str) -> None: ...


@dataclass
class MelodyParts:
    """What :func:`open_melody` opened: the layer, its MIDI output (or None) and its sinks."""

    layer: MelodyLayer
    midi_out: MidiOut | None = None
    sinks: list[LineSink] = field(default_factory=list)

    def close(self) -> None:
        if self.midi_out is not None:
            self.midi_out.close()


def _settings(config: ServeConfig) -> MelodyState:
    """The layer's starting state from the config; raises ``ValueError`` naming a bad key."""
    try:
        key = parse_key(config.melody_key)
    except ValueError as err:
        raise ValueError(f"melody-key: {err}") from None
    try:
        family = parse_family(config.melody_family)
    except ValueError as err:
        raise ValueError(f"melody-family: {err}") from None
    if not 1 <= config.melody_layer <= config.layers:
        raise ValueError(f"melody-layer must be a drum layer 1..{config.layers}, not {config.melody_layer}")
    if not 1 <= config.melody_channel <= 16:
        raise ValueError(f"melody-channel must be a MIDI channel 1..16, not {config.melody_channel}")
    settings = MelodySettings(key=key, family=family, octave=OCTAVES[FAMILIES[family]])
    return MelodyState(layer=config.melody_layer - 1, channel=config.melody_channel, settings=settings)


def open_melody(daemon: Daemon, engine: MelodyHost) -> MelodyParts | None:
    """Open the melody layer for ``daemon`` and attach it to ``engine`` (before the engine starts)."""
    config = daemon.config
    if not config.melody:
        return None
    try:
        state = _settings(config)
    except ValueError as err:
        daemon._problem(f"melody: {err}; no melody layer")
        return None
    try:
        model = load_melody(config.melody_model)
    except ModelFileError as err:
        daemon._problem(f"melody: cannot load the melody model ({err}); no melody layer")
        return None
    parts = MelodyParts(MelodyLayer(model, state=state, seed=config.seed))
    _open_port(daemon, parts)
    if daemon.audio_out is not None:
        parts.sinks.append(AudioLineSink(daemon.audio_out))
    parts.layer.sinks = parts.sinks
    engine.attach_melody(parts.layer)
    log.info("melody: model %r following layer %d on channel %d", model.name, state.layer + 1, state.channel)
    return parts


def _open_port(daemon: Daemon, parts: MelodyParts) -> None:
    from rvae_server.outputs.midiout import open_output
    from rvae_server.system.midiports import MidiError

    config = daemon.config
    backend = getattr(daemon, "_midi_backend", config.midi_backend)
    try:
        out = open_output(config.melody_out, backend, client_name=PORT_NAME)
    except MidiError as err:
        daemon._problem(f"melody MIDI out: could not open ({err}); the melody plays without MIDI output")
        return
    except Exception as err:  # rtmidi's own errors for a missing backend
        daemon._problem(f"melody MIDI out: could not open ({type(err).__name__}: {err})")
        return
    parts.midi_out = out
    parts.sinks.append(MidiLineSink(out))


def apply_explicit(daemon: Daemon) -> None:
    """After the saved state was restored: the melody settings the performer gave explicitly win."""
    engine = daemon.engine
    if engine is None or engine.melody is None:
        return
    config = daemon.config
    changes: dict[str, Any] = {}
    for key, name in SETTINGS.items():
        if key in config.explicit:
            value = getattr(config, key)
            changes[name] = value - 1 if name == "layer" else value
    if changes:
        try:
            engine.update_melody(**changes)
        except ControlError as err:
            daemon._problem(f"melody: {err}")


def describe(daemon: Daemon) -> list[str]:
    """The melody layer's line of ``rvae serve``'s start-up report."""
    engine = daemon.engine
    parts = getattr(daemon, "melody_parts", None)
    if engine is None or engine.melody is None or parts is None:
        return []
    st = engine.melody.state
    port = f"MIDI out {parts.midi_out.name!r}" if parts.midi_out is not None else "no MIDI out"
    audio = ", built-in synth" if any(isinstance(s, AudioLineSink) for s in parts.sinks) else ""
    return [
        f"melody: {'playing' if st.enabled else 'silent'} {FAMILIES[st.settings.family]} in {st.settings.key.name}, "
        f"following layer {st.layer + 1}, channel {st.channel}, {port}{audio} (model {engine.melody.model.name!r})"
    ]


__all__ = ["PORT_NAME", "MelodyParts", "apply_explicit", "describe", "open_melody"]
