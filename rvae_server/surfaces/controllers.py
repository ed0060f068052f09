"""MIDI controllers: Control Change messages mapped to any performance parameter, MIDI learn, maps kept as TOML.

The pure part (:class:`CCMapper`) takes raw MIDI bytes and calls the :class:`~rvae_server.engine.api.EngineControl`; it
owns no port and no thread, so tests feed it bytes. :class:`ControllerInput` opens a MIDI input port
(python-rtmidi, backends as in :mod:`rvae_server.system.midiports`) whose callback only queues the bytes; a worker
thread of its own applies them (never the JACK process thread, never the clock or planner threads).

Bindings
    A :class:`Binding` maps ``(channel, cc)`` to a **target** on a **layer** (0-based inside Python, 1-based in
    map files and on the wire). ``channel`` is 1..16, or 0 for any channel. Targets (the table is
    :mod:`rvae_server.surfaces.targets`):

    * continuous — ``x``, ``y``, ``threshold``, ``noise``, ``timing`` (0..1), ``fixed_velocity`` (1..127),
      ``bpm`` (the binding's ``lo``..``hi``, default 60..180): CC value 0..127 is scaled linearly to
      ``lo``..``hi`` (defaults: the parameter's full range);
    * switches — ``mute:<instrument>`` (value ≥ 64 mutes, < 64 unmutes), ``enabled``, ``follow``;
    * triggers — ``play``, ``stop``, ``preset:1`` … ``preset:16`` (recall with the layer's morph time),
      ``gesture:record`` (4 bars), ``gesture:clear`` (fire on a value ≥ 64);
    * motion and shaping — see :mod:`rvae_server.surfaces.motion_targets`;
    * ``touch`` — a gate: value ≥ 64 = touched. A binding with ``gated = true`` moves only while its layer's
      gate is touched (the Kaoss Pad sends its pad's last X/Y after release; the gate ignores those).

The Korg Kaoss Pad KP3 / KP3+ default (:func:`kaoss_pad_map`): pad X = CC 12 → ``x``, pad Y = CC 13 → ``y``
(both gated), touch = CC 92 → ``touch``; channel configurable (KP3 default channel 1).

MIDI learn
    :meth:`CCMapper.learn` arms a target; the next Control Change that is not a gate (``touch``) binding is bound
    to it (replacing whatever that ``(channel, cc)`` did), the map is saved, and listeners hear about it.

Map files (TOML, written atomically: temp file in the same folder, fsync, ``os.replace``)::

    [[binding]]
    channel = 1          # 1..16, 0 = any
    cc = 12
    target = "x"
    layer = 1            # 1-based
    lo = 0.0             # optional: the value at CC 0
    hi = 1.0             # optional: the value at CC 127
    gated = true         # optional: move only while touched
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from rvae_server.core.atomic import atomic_write_text
from rvae_server.core.untrusted import BoundsError, Limits, UnsafeFile, check_data, read_regular
from rvae_server.engine.api import ControlError, EngineControl
from rvae_server.surfaces.motion_targets import MOTION_SWITCHES, MOTION_TRIGGERS, apply_continuous, apply_switch
from rvae_server.surfaces.targets import CONTINUOUS, GATE, TARGETS

log = logging.getLogger(__name__)

#: Kaoss Pad KP3/KP3+ controller numbers.
KP3_PAD_X, KP3_PAD_Y, KP3_TOUCH = 12, 13, 92
MAX_BINDINGS = 512
MAX_MAP_BYTES = 1 << 20
MAP_LIMITS = Limits(depth=8, values=20_000, string=1024, int_digits=15)


class MapError(ValueError):
    """A controller map that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Binding:
    """One control: MIDI ``channel`` (1..16, 0 = any) and ``cc`` (0..127) → ``target`` on ``layer`` (0-based).
    ``lo``/``hi`` are the target values at CC 0 and CC 127 (continuous targets; ``None`` = full range)."""

    channel: int
    cc: int
    target: str
    layer: int = 0
    lo: float | None = None
    hi: float | None = None
    gated: bool = False

    def value_range(self) -> tuple[float, float]:
        full = CONTINUOUS.get(self.target, (0.0, 1.0))
        return (full[0] if self.lo is None else self.lo, full[1] if self.hi is None else self.hi)

    def matches(self, channel: int, cc: int) -> bool:
        return self.cc == cc and self.channel in (0, channel)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"channel": self.channel, "cc": self.cc, "target": self.target, "layer": self.layer + 1}
        if self.lo is not None:
            data["lo"] = self.lo
        if self.hi is not None:
            data["hi"] = self.hi
        if self.gated:
            data["gated"] = True
        return data

    @staticmethod
    def from_dict(data: Mapping[str, Any], where: str = "binding") -> Binding:
        """Validate one map entry (layer 1-based, as in files). Raises :class:`MapError`."""

        def whole(key: str, lo: int, hi: int, default: int | None = None) -> int:
            value = data.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise MapError(f"{where}: {key} must be a whole number {lo}..{hi}, not {value!r}")
            return value

        target = data.get("target")
        if target not in TARGETS:
            raise MapError(f"{where}: target must be one of {', '.join(TARGETS)}, not {target!r}")
        ends: list[float | None] = []
        for key in ("lo", "hi"):
            value = data.get(key)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
            ):
                raise MapError(f"{where}: {key} must be a finite number, not {value!r}")
            ends.append(None if value is None else float(value))
        gated = data.get("gated", False)
        if not isinstance(gated, bool):
            raise MapError(f"{where}: gated must be true or false, not {gated!r}")
        unknown = set(data) - {"channel", "cc", "target", "layer", "lo", "hi", "gated"}
        if unknown:
            raise MapError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        return Binding(
            channel=whole("channel", 0, 16),
            cc=whole("cc", 0, 127),
            target=str(target),
            layer=whole("layer", 1, 64, 1) - 1,
            lo=ends[0],
            hi=ends[1],
            gated=gated,
        )


def kaoss_pad_map(channel: int = 1, layer: int = 0) -> list[Binding]:
    """The Korg Kaoss Pad KP3/KP3+ default: pad X = CC 12, pad Y = CC 13 (moving only while touched),
    touch = CC 92, on ``channel`` (1..16, 0 = any) and ``layer`` (0-based)."""
    return [
        Binding(channel, KP3_PAD_X, "x", layer, gated=True),
        Binding(channel, KP3_PAD_Y, "y", layer, gated=True),
        Binding(channel, KP3_TOUCH, GATE, layer),
    ]


def bindings_to_toml(bindings: Sequence[Binding]) -> str:
    return tomli_w.dumps({"binding": [b.to_dict() for b in bindings]})


def bindings_from_toml(text: str, where: str = "controller map") -> list[Binding]:
    """Parse a map file's text. Raises :class:`MapError` naming ``where`` and the entry."""
    try:
        data = tomllib.loads(text)
        check_data(data, MAP_LIMITS)
    except tomllib.TOMLDecodeError as err:
        raise MapError(f"{where}: not valid TOML: {err}") from None
    except RecursionError:
        raise MapError(f"{where}: nested too deep") from None
    except BoundsError as err:
        raise MapError(f"{where}: {err}") from None
    except ValueError:  # an integer too long to convert
        raise MapError(f"{where}: not a usable controller map (a number too long to read)") from None
    entries = data.get("binding", [])
    if not isinstance(entries, list):
        raise MapError(f"{where}: 'binding' must be an array of tables ([[binding]])")
    if len(entries) > MAX_BINDINGS:
        raise MapError(f"{where}: {len(entries)} bindings; at most {MAX_BINDINGS}")
    out = []
    for k, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise MapError(f"{where}: binding {k} is not a table")
        out.append(Binding.from_dict(entry, f"{where}: binding {k}"))
    return out


LearnListener = Callable[[Binding], None]


class CCMapper:
    """Bytes in, engine calls out. Thread-safe (one lock around the map and the gates).

    ``path``: the TOML map file; loaded by :meth:`load` (a missing file keeps ``bindings``), saved after every
    learn or :meth:`set_bindings`. ``bindings`` default to :func:`kaoss_pad_map` on channel 1."""

    def __init__(
        self, engine: EngineControl, bindings: Iterable[Binding] | None = None, path: str | Path | None = None
    ):
        self.engine = engine
        self.path = Path(path) if path is not None else None
        self._lock = threading.Lock()
        self._bindings: list[Binding] = list(kaoss_pad_map() if bindings is None else bindings)
        self._touched: set[int] = set()  # layers whose gate is held
        self._learning: tuple[str, int] | None = None
        self._listeners: list[LearnListener] = []
        self._change_listeners: list[Callable[[], None]] = []
        self.applied = 0  #: messages that changed something
        self.errors = 0

    # -- the map ---------------------------------------------------------------------------------------
    @property
    def bindings(self) -> list[Binding]:
        with self._lock:
            return list(self._bindings)

    def set_bindings(self, bindings: Iterable[Binding], save: bool = True) -> None:
        with self._lock:
            self._bindings = list(bindings)[:MAX_BINDINGS]
        if save:
            self.save()
        self._changed()

    def load(self) -> bool:
        """Load the map file if it exists (True). A broken file is logged and the current map kept (False)."""
        if self.path is None or not self.path.exists():
            return False
        try:
            text = read_regular(self.path, MAX_MAP_BYTES, follow_symlinks=True).decode("utf-8")
            bindings = bindings_from_toml(text, str(self.path))
        except UnsafeFile as err:
            log.error("controller map %s: %s; keeping the default map", self.path, err.reason)
            return False
        except (OSError, UnicodeDecodeError) as err:
            log.error("controller map %s: cannot read (%s); keeping the default map", self.path, err)
            return False
        except MapError as err:
            log.error("%s; keeping the default map", err)
            return False
        self.set_bindings(bindings, save=False)
        log.info("controller map: %d bindings from %s", len(bindings), self.path)
        return True

    def save(self) -> None:
        if self.path is None:
            return
        try:
            atomic_write_text(self.path, bindings_to_toml(self.bindings))
        except OSError as err:
            log.error("controller map %s: cannot save (%s)", self.path, err)

    def to_list(self) -> list[dict[str, Any]]:
        """The map as plain data (1-based layers), e.g. for a state file or the web page."""
        return [b.to_dict() for b in self.bindings]

    def add_listener(self, listener: LearnListener) -> None:
        """``listener(binding)`` is called (on the feeding thread) when MIDI learn binds a control."""
        self._listeners.append(listener)

    def on_change(self, callback: Callable[[], None]) -> None:
        """``callback()`` after any change of the map (learn, :meth:`set_bindings`)."""
        self._change_listeners.append(callback)

    def _changed(self) -> None:
        for cb in list(self._change_listeners):
            try:
                cb()
            except Exception:
                log.exception("controller map change callback failed")

    # -- MIDI learn ------------------------------------------------------------------------------------
    def learn(self, target: str, layer: int = 0) -> None:
        """Arm MIDI learn: the next Control Change binds to ``target`` on ``layer`` (0-based). Raises
        :class:`ValueError` for an unknown target or layer."""
        if target not in TARGETS:
            raise ValueError(f"cannot learn {target!r}: choose one of {', '.join(TARGETS)}")
        if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < self.engine.layer_count:
            raise ValueError(f"layer must be 1..{self.engine.layer_count}, not {layer + 1}")
        with self._lock:
            self._learning = (target, layer)
        log.info("MIDI learn: move a control to map it to %s (layer %d)", target, layer + 1)

    def cancel_learn(self) -> bool:
        with self._lock:
            was, self._learning = self._learning, None
        return was is not None

    @property
    def learning(self) -> tuple[str, int] | None:
        return self._learning

    # -- input -----------------------------------------------------------------------------------------
    def feed(self, message: Sequence[int] | bytes) -> list[str]:
        """Apply one MIDI message (status byte first). Returns the engine's clamping notes. Anything that is not
        a Control Change, or a CC nothing is bound to, is ignored. Never raises on bad input."""
        if len(message) != 3:
            return []
        status, cc, value = int(message[0]), int(message[1]), int(message[2])
        if status & 0xF0 != 0xB0 or not (0 <= cc <= 127 and 0 <= value <= 127):
            return []
        channel = (status & 0x0F) + 1
        with self._lock:
            learning = self._learning
            if learning is not None and not any(b.target == GATE and b.matches(channel, cc) for b in self._bindings):
                target, layer = learning
                binding = Binding(channel, cc, target, layer, gated=False)
                self._bindings = [b for b in self._bindings if not b.matches(channel, cc)] + [binding]
                self._learning = None
                learned: Binding | None = binding
            else:
                learned = None
            matched = [b for b in self._bindings if b.matches(channel, cc)]
        if learned is not None:
            log.info("MIDI learn: channel %d CC %d → %s (layer %d)", channel, cc, learned.target, learned.layer + 1)
            self.save()
            for listener in list(self._listeners):
                try:
                    listener(learned)
                except Exception:
                    log.exception("MIDI learn listener failed")
            self._changed()
        notes: list[str] = []
        for binding in matched:
            try:
                notes += self._apply(binding, value)
            except ControlError as err:
                self.errors += 1
                if self.errors <= 10 or self.errors % 1000 == 0:
                    log.warning("controller CC %d → %s: %s", cc, binding.target, err)
        return notes

    def _apply(self, b: Binding, value: int) -> list[str]:
        engine = self.engine
        if b.layer >= engine.layer_count:
            raise ControlError(f"layer {b.layer + 1} does not exist (this server has {engine.layer_count})")
        on = value >= 64
        if b.target == GATE:
            with self._lock:
                (self._touched.add if on else self._touched.discard)(b.layer)
            touch = getattr(engine, "touch", None)
            if touch is not None:
                touch(b.layer, on)  # the hand on the pad plays over a gesture loop
            return []
        if b.gated and b.layer not in self._touched:
            return []
        self.applied += 1
        if b.target in CONTINUOUS:
            lo, hi = b.value_range()
            number = lo + (hi - lo) * value / 127.0
            if b.target == "bpm":
                return engine.set_bpm(number)
            if b.target == "fixed_velocity":
                return engine.update(b.layer, fixed_velocity=round(number))
            if b.target not in ("x", "y", "threshold", "noise", "timing"):
                return apply_continuous(engine, b.layer, b.target, number)
            return engine.update(b.layer, **{b.target: number})
        if b.target.startswith("mute:"):
            return engine.set_mute(b.layer, b.target.partition(":")[2], on)
        if b.target == "enabled":
            return engine.update(b.layer, enabled=on)
        if b.target in MOTION_SWITCHES or b.target in MOTION_TRIGGERS:
            return apply_switch(engine, b.layer, b.target, on)
        if b.target == "play" and on:
            if not engine.clock.running:
                engine.play()
        elif b.target == "stop" and on:
            engine.stop()
        return []


class ControllerInput:
    """A MIDI input port feeding a :class:`CCMapper`. Create with :func:`start_controllers`.

    The rtmidi callback (on JACK's or ALSA's thread) only queues the bytes; the ``rvae-controllers`` thread
    applies them. ``name`` is the port's name."""

    def __init__(self, mapper: CCMapper, port: str | None, backend: str | None, client_name: str = "R-VAE") -> None:
        from rvae_server.system.midiports import open_input, release_client

        self.mapper = mapper
        self._queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._release = release_client
        self._rt, self.name = open_input(backend, f"{client_name} controllers", port, "controller in", self._on_message)
        self._thread = threading.Thread(target=self._run, name="rvae-controllers", daemon=True)
        self._thread.start()
        log.info("controllers: listening on %r (%d bindings)", self.name, len(mapper.bindings))

    def _on_message(self, event: tuple[list[int], float], data: object = None) -> None:
        self._queue.put(bytes(event[0]))

    def _run(self) -> None:
        while True:
            message = self._queue.get()
            if message is None:
                return
            try:
                self.mapper.feed(message)
            except Exception:  # a mapping bug must not stop the controller thread
                log.exception("controller message %s failed", message.hex())

    def close(self) -> None:
        """Close the port and stop the worker thread. Idempotent."""
        rt, self._rt = self._rt, None
        if rt is None:
            return
        self._release(rt)
        self._queue.put(None)
        self._thread.join(timeout=2.0)


def start_controllers(
    engine: EngineControl,
    port: str | None,
    backend: str | None = None,
    map_path: str | Path | None = None,
    *,
    channel: int = 1,
    mapper: CCMapper | None = None,
) -> ControllerInput:
    """Open the controller input: the MIDI input port whose name contains ``port`` (``None``: a virtual input
    ``R-VAE controllers:controller in`` to connect a controller to), bindings from ``map_path`` if it exists,
    else the Kaoss Pad map on ``channel``. Raises :class:`rvae_server.system.midiports.MidiError` if the port cannot be
    opened."""
    if mapper is None:
        mapper = CCMapper(engine, kaoss_pad_map(channel), map_path)
        mapper.load()
    return ControllerInput(mapper, port, backend)


__all__ = [
    "KP3_PAD_X",
    "KP3_PAD_Y",
    "KP3_TOUCH",
    "Binding",
    "CCMapper",
    "ControllerInput",
    "MapError",
    "bindings_from_toml",
    "bindings_to_toml",
    "kaoss_pad_map",
    "start_controllers",
]
