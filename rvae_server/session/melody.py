"""The melody layer in ``rvae serve``: load the melody model, give it its own MIDI port (a virtual output
``R-VAE melody`` unless ``melody-out`` names a port; opened with the drums' by :mod:`rvae_server.session.midi`)
and the built-in synth, tie the layer to the engine.

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
from rvae_server.outputs.linesinks import AudioLineSink
from rvae_server.session.midi import MELODY_PORT as PORT_NAME
from rvae_server.session.midi import MidiOutputs

if TYPE_CHECKING:
    from rvae_server.outputs.audio import AudioOutput

log = logging.getLogger(__name__)

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
    def midi(self) -> MidiOutputs: ...
    @property
    def melody_parts(self) -> MelodyParts | None: ...

    def _problem(self, text: str) -> None: ...


@dataclass
class MelodyParts:
    """What :func:`open_melody` made: the layer, the name of its MIDI port (or None) and its sinks."""

    layer: MelodyLayer
    port: str | None = None
    sinks: list[LineSink] = field(default_factory=list)

    def close(self) -> None:
        """The melody's MIDI port belongs to the daemon's MIDI outputs, which close it."""


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
    port = daemon.midi.line_sink()
    if port is not None:
        parts.port = daemon.midi.names["melody"]
        parts.sinks.append(port)
    if daemon.audio_out is not None:
        parts.sinks.append(AudioLineSink(daemon.audio_out))
    parts.layer.sinks = parts.sinks
    engine.attach_melody(parts.layer)
    log.info("melody: model %r following layer %d on channel %d", model.name, state.layer + 1, state.channel)
    return parts


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
    port = f"MIDI out {parts.port!r}" if parts.port is not None else "no MIDI out"
    audio = ", built-in synth" if any(isinstance(s, AudioLineSink) for s in parts.sinks) else ""
    return [
        f"melody: {'playing' if st.enabled else 'silent'} {FAMILIES[st.settings.family]} in {st.settings.key.name}, "
        f"following layer {st.layer + 1}, channel {st.channel}, {port}{audio} (model {engine.melody.model.name!r})"
    ]


__all__ = ["PORT_NAME", "MelodyParts", "apply_explicit", "describe", "open_melody"]
