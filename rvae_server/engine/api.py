"""The engine's public control API: what the control surfaces (OSC, MIDI controllers, the web page) and the saved
state may use of the engine, and the types they exchange with it. Nothing here plans or plays.

* :class:`EngineControl`: the control methods (thread-safe) and read-only views of the engine's state; the
  engine (:class:`rvae_server.engine.engine.Engine`) implements it.
* :class:`LayerState` (one layer's performance state, immutable), :class:`ControlError` (an unusable control
  value), :class:`EngineEvent` (what listeners hear: a bar started, the state changed, the transport moved).
* :class:`PatternModel`, :class:`Clock` and :class:`NoteSink`: what the engine needs of a model, a clock source
  and an output; :class:`ClockView`: what the surfaces, the capture and the melody layer read of the clock.
* The rules the surfaces share with the engine: :data:`RANGES` (each layer setting's range) and :func:`clamp`,
  :data:`LFO_SHAPES`, :data:`LFO_TARGETS`, :data:`PATH_SHAPES`, :data:`MELODY_FAMILIES`, :data:`MIN_SWING`,
  :data:`MAX_SWING`, :data:`SWING_UNITS`, :data:`DENSITY_RANGE`, :data:`PRESET_SLOTS`; :func:`model_pad_to_latent`.

Imports neither torch nor the model's network: :mod:`rvae_server.model.planes` gives the decoded planes and the
fixed pad mapping.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import INSTRUMENT_NAMES, N_INSTRUMENTS, OUTPUT_NOTES, Bar
from rvae_server.engine import motion as _motion
from rvae_server.melody.families import FAMILIES
from rvae_server.model.planes import DecodedPlanes, pad_to_latent

#: The LFO shapes, what LFOs may move, the path shapes (what the surfaces may offer; see engine/motion.py).
LFO_SHAPES, LFO_TARGETS, PATH_SHAPES = _motion.SHAPES, _motion.TARGETS, _motion.PATH_SHAPES
#: The melody layer's instrument families (see melody/families.py), as the surfaces offer them.
MELODY_FAMILIES: tuple[str, ...] = FAMILIES
#: Swing in percent (50 straight … 75) and the notes it swings (8ths, 16ths); see engine/shaping.py.
MIN_SWING, MAX_SWING = 50.0, 75.0
SWING_UNITS = (8, 16)
#: A density: the threshold offset of one instrument (+ denser); see engine/shaping.py.
DENSITY_RANGE = (-0.5, 0.5)
#: Preset slots per layer (1-based on every surface); see engine/presets.py.
PRESET_SLOTS = 16

# ------------------------------------------------------------------------------------------ collaborators


class PatternModel(Protocol):
    """What the engine needs of a loaded model (see :class:`rvae_server.model.inference.LoadedModel`)."""

    name: str

    def decode_latent(self, z: NDArray[np.floating]) -> DecodedPlanes:
        """Latent points ``(N, 2)`` → planes ``(N, 3, 96, 9)``: onset probability, velocity, microtiming."""
        ...


def model_pad_to_latent(model: PatternModel, xy: NDArray[np.floating] | tuple[float, float]) -> NDArray[np.float32]:
    """Pad → latent with the model's own mapping (:meth:`rvae_server.model.inference.LoadedModel.pad_to_latent`),
    or the fixed :func:`rvae_server.model.planes.pad_to_latent` for a model that has none."""
    own = getattr(model, "pad_to_latent", None)
    return own(xy) if callable(own) else pad_to_latent(xy)


class Clock(Protocol):
    """What the engine needs of a clock source (see :mod:`rvae_server.engine.clock`)."""

    @property
    def running(self) -> bool: ...
    @property
    def bpm(self) -> float: ...
    @property
    def generation(self) -> int: ...
    def position(self) -> float: ...
    def start_point(self) -> float: ...
    def time_at(self, position: float) -> float: ...
    @property
    def interrupts(self) -> int: ...
    def wait_for_change(self, generation: int, timeout: float | None = None) -> bool: ...
    def wait_until(
        self, position: float, timeout: float | None = None, since: int | None = None, spin: bool = True
    ) -> bool: ...
    def interrupt(self) -> None: ...
    def set_bpm(self, bpm: float) -> None: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...


class NoteSink(Protocol):
    """An output the player sends to (MIDI port, built-in audio, a test recorder)."""

    def note(self, when: float, layer: int, instrument: int, note: int, velocity: int, channel: int) -> None:
        """Play a note now; ``when`` is its ideal ``time.perf_counter()`` time (at most a little in the past)."""

    def transport(self, playing: bool) -> None:
        """The transport started or stopped."""

    def all_notes_off(self, channels: Sequence[int]) -> None: ...


class LineSink(Protocol):
    """An output the melody layer plays to (its MIDI port, the built-in synth, a test recorder)."""

    def line_note(self, when: float, note: int, velocity: int, seconds: float, channel: int) -> None:
        """Play ``note`` now for ``seconds``; ``when`` is its ideal ``time.perf_counter()`` time."""

    def program(self, channel: int, program: int) -> None:
        """Select a General MIDI program (the layer's family) on ``channel``."""

    def transport(self, playing: bool) -> None: ...

    def all_notes_off(self, channels: Sequence[int]) -> None: ...


# ------------------------------------------------------------------------------------------ state


class ControlError(ValueError):
    """A control value that cannot be used at all (wrong type, NaN, unknown name). Out-of-range numbers are not
    errors: they are clamped, and the setter returns a note saying so."""


@dataclass(frozen=True)
class LayerState:
    """One layer's performance state. Immutable: every change makes a new one."""

    model: str
    x: float = 0.5
    y: float = 0.5
    threshold: float = 0.5
    noise: float = 0.0
    mutes: tuple[bool, ...] = (False,) * N_INSTRUMENTS
    velocity_mode: str = "model"  # "model": as decoded; "fixed": every note at fixed_velocity
    fixed_velocity: int = 100
    timing: float = 1.0  # microtiming amount: 0 = on the grid, 1 = as decoded
    channel: int = 10  # 1..16
    notes: tuple[int, ...] = OUTPUT_NOTES
    enabled: bool = True
    channels: tuple[int, ...] = (0,) * N_INSTRUMENTS  # each instrument's channel: 0 = the layer's, else 1..16

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["mutes"] = {name: m for name, m in zip(INSTRUMENT_NAMES, self.mutes, strict=True)}
        data["notes"] = {name: n for name, n in zip(INSTRUMENT_NAMES, self.notes, strict=True)}
        data["channels"] = {name: c for name, c in zip(INSTRUMENT_NAMES, self.channels, strict=True)}
        return data

    @staticmethod
    def from_dict(data: Mapping[str, Any], default_model: str) -> LayerState:
        """Rebuild from :meth:`to_dict` output (a saved state), validating every field."""
        state = LayerState(model=str(data.get("model", default_model)))
        changes: dict[str, Any] = {}
        for key, (lo, hi) in RANGES.items():
            if key in data:
                changes[key] = clamp(key, data[key], lo, hi)[0]
        if "velocity_mode" in data and data["velocity_mode"] in ("model", "fixed"):
            changes["velocity_mode"] = data["velocity_mode"]
        if isinstance(data.get("mutes"), Mapping):
            changes["mutes"] = tuple(bool(data["mutes"].get(n, False)) for n in INSTRUMENT_NAMES)
        if isinstance(data.get("notes"), Mapping):
            notes = [
                int(clamp("note", data["notes"].get(n, d), 0, 127)[0])
                for n, d in zip(INSTRUMENT_NAMES, OUTPUT_NOTES, strict=True)
            ]
            changes["notes"] = tuple(notes)
        if isinstance(data.get("channels"), Mapping):
            channels = [round(clamp("channel", data["channels"].get(n, 0), 0, 16)[0]) for n in INSTRUMENT_NAMES]
            changes["channels"] = tuple(channels)
        if "enabled" in data:
            changes["enabled"] = bool(data["enabled"])
        for key in ("fixed_velocity", "channel"):
            if key in changes:
                changes[key] = round(changes[key])
        return replace(state, **changes)


RANGES: dict[str, tuple[float, float]] = {
    "x": (0.0, 1.0),
    "y": (0.0, 1.0),
    "threshold": (0.0, 1.0),
    "noise": (0.0, 1.0),
    "fixed_velocity": (1, 127),
    "timing": (0.0, 1.0),
    "channel": (1, 16),
}


def clamp(name: str, value: object, lo: float, hi: float) -> tuple[float, str | None]:
    """A finite number within [lo, hi], and a note when it had to be clamped. Raises ControlError."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ControlError(f"{name} must be a number, not {type(value).__name__} {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ControlError(f"{name} must be a finite number, not {number}")
    if number < lo or number > hi:
        clamped = min(hi, max(lo, number))
        return clamped, f"{name} {number:g} is outside {lo:g}..{hi:g}; clamped to {clamped:g}"
    return number, None


@dataclass
class EngineEvent:
    """What the engine tells its listeners (OSC feedback, the web page): kind is ``"bar"`` (a bar started;
    ``data`` has ``layer``, ``bar_number``, ``bar``, ``model``), ``"state"`` (a snapshot changed),
    ``"transport"``, ``"melody"`` (the melody layer's bar started: ``bar_number``, ``notes`` as ``(tick, pitch,
    length, velocity)``, and its settings) or ``"plan"`` (the notes planned for a bar changed, or the next bar was
    planned; ``data`` has ``layer``, ``bar_number``, ``channel`` and ``plan``: the immutable plan, whose arrays
    ``positions`` (absolute ticks, in playing order), ``notes`` and ``velocities`` give the notes;
    :meth:`EngineControl.planned` gives the plans held as ``notes``: ``(position in the bar in ticks, note,
    velocity)`` tuples)."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)


Listener = Callable[[EngineEvent], None]


# ------------------------------------------------------------------------------------------ the control API


class ClockView(Protocol):
    """What a control surface, an output (the capture) or the melody layer may read of the clock: the transport,
    the tempo, the position in ticks and the ``time.perf_counter()`` time of a position."""

    @property
    def running(self) -> bool: ...
    @property
    def bpm(self) -> float: ...
    def position(self) -> float: ...
    def time_at(self, position: float) -> float: ...


class EngineControl(Protocol):
    """The engine as the control surfaces see it. Control methods are thread-safe; numbers out of range are
    clamped (the returned notes say so); anything unusable raises :class:`ControlError` and changes nothing."""

    @property
    def layer_count(self) -> int: ...
    @property
    def models(self) -> dict[str, PatternModel]: ...
    @property
    def clock(self) -> ClockView: ...
    def state(self, layer: int = 0) -> LayerState: ...
    def snapshot(self) -> dict[str, Any]: ...
    def update(self, layer: int, **changes: Any) -> list[str]: ...
    def set_mute(self, layer: int, instrument: str | int, muted: bool) -> list[str]: ...
    def set_bpm(self, bpm: float) -> list[str]: ...
    def play(self) -> None: ...
    def stop(self) -> None: ...
    def current_bar(self, layer: int = 0) -> Bar: ...
    def planned(self, layer: int = 0) -> list[dict[str, Any]]: ...
    def render(self, layer: int = 0, rng_unit: NDArray[np.float32] | None = None) -> Bar: ...
    def add_listener(self, listener: Listener) -> None: ...
    # the melody layer (rvae_server.engine.melodylayer); ControlError when there is none
    def melody_state(self) -> dict[str, Any] | None: ...
    def update_melody(self, **changes: Any) -> list[str]: ...
    def current_melody(self) -> list[tuple[int, int, int, int]]: ...

    # motion, shaping, presets, follow (see rvae_server.engine.performing; numbers clamped, notes returned)
    def set_lfo(
        self, layer: int, target: str, shape: str, rate: object = None, depth: object = None, phase: object = None
    ) -> list[str]: ...
    def set_path(
        self, layer: int, shape: str, bars: object = None, size: object = None, points: object = None
    ) -> list[str]: ...
    def gesture(self, layer: int, action: str, value: object = None) -> list[str]: ...
    def touch(self, layer: int, on: bool) -> None: ...
    def set_swing(self, layer: int, amount: object, unit: object = None) -> list[str]: ...
    def set_density(self, layer: int, which: str | int, value: object) -> list[str]: ...
    def preset_store(self, layer: int, slot: object) -> None: ...
    def preset_recall(self, layer: int, slot: object, time: object = None, unit: object = None) -> list[str]: ...
    def set_morph(self, layer: int, time: object, unit: object = "bars") -> list[str]: ...
    def set_follow(self, layer: int, on: bool, min_count: object = None, glide: object = None) -> list[str]: ...
    def glide(self, layer: int, x: object, y: object, beats: object = 1.0) -> list[str]: ...
    def set_trail(self, layer: int, points: Sequence[Sequence[float]]) -> None: ...
    def xy_now(self, layer: int = 0) -> tuple[float, float]: ...
    def performance_state(self) -> list[dict[str, Any]]: ...
    def restore_performance(self, layer: int, data: Mapping[str, Any]) -> list[str]: ...
