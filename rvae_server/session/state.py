"""The performance state on disk: saved atomically while playing, restored at the next start.

What is kept
    Each layer's :meth:`~rvae_server.engine.engine.LayerState.to_dict` (model, XY, threshold, noise, mutes, velocity
    mode, timing, channel, notes, enabled), the tempo, each layer's motion and shaping (LFOs, path, swing,
    densities, follow mode, morph time, gesture loop, presets: ``Engine.performance_state``), and — when a
    controller mapper is given that has no map file of its own — its bindings. The file is JSON::

        {"format": "rvae-state", "version": 1, "saved": <unix time>, "bpm": 120.0,
         "layers": [{...}, ...], "performance": [{...}, ...], "controllers": [{...}, ...]}

When
    :class:`StateKeeper` listens to the engine (``state`` and ``transport`` events, any thread: it only sets a
    flag) and its own ``rvae-state`` thread writes at most every :data:`SAVE_INTERVAL` seconds, so an XY drag
    costs one write per half second and never touches the clock or planner threads. :meth:`StateKeeper.close`
    writes a pending change at once.

How
    A temp file in the same folder, ``fsync``, ``os.replace`` (then an fsync of the folder): a crash mid-write
    leaves the previous file whole, and the temporaries a kill left are removed at the next start. A state the
    reader would refuse (over :data:`MAX_STATE_BYTES` or :data:`STATE_LIMITS`) is never written: the last file
    saved stays. Whether the folder can be written is found out at start (:attr:`StateKeeper.problem`, said in
    the start-up report). A damaged file (not JSON, wrong format, unreadable, not a regular file,
    nested too deep, numbers too large: parsed with :func:`rvae_server.core.untrusted.loads_json`) is logged,
    renamed to ``<name>.bad`` (kept for inspection; an older ``.bad`` is replaced) and the engine starts from its
    defaults. Fields that do not fit (a model no longer loaded, a number out of range, more layers than are
    running) are logged and skipped or clamped; restoring never raises.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rvae_server.core.atomic import atomic_write_bytes, remove_temporaries, unwritable
from rvae_server.core.untrusted import BoundsError, Limits, UnsafeFile, loads_json, read_regular
from rvae_server.engine.api import ControlError, EngineControl, EngineEvent, LayerState
from rvae_server.surfaces.controllers import Binding, CCMapper, MapError

log = logging.getLogger(__name__)

FORMAT = "rvae-state"
VERSION = 1
#: Least time between two writes (s).
SAVE_INTERVAL = 0.5
#: The reader's limits, which the writer keeps too (:meth:`StateKeeper.save` never writes a file they refuse). The
#: largest state the controls allow — 8 layers, every preset slot holding a drawn path of 256 points, 64-bar gesture
#: loops that move on every tick, 512 controller bindings — is 4.7 MB and 320,000 values
#: (tests/test_hardening_state.py); the limits leave room for three times that.
MAX_STATE_BYTES = 16 << 20
STATE_LIMITS = Limits(depth=8, values=1_000_000, string=4096, int_digits=15)
#: Numeric layer fields: a value that is not a finite number is skipped (the rest of the layer still applies).
NUMBERS = ("x", "y", "threshold", "noise", "fixed_velocity", "timing", "channel")


class StateError(ValueError):
    """A state file that cannot be used; the message names the file and the problem."""


def state_to_dict(engine: EngineControl, mapper: CCMapper | None = None) -> dict[str, Any]:
    """The engine's performance state (and the mapper's bindings) as plain JSON-able data."""
    snapshot = engine.snapshot()
    data: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "saved": round(time.time(), 3),
        "bpm": snapshot["bpm"],
        "layers": snapshot["layers"],
    }
    if snapshot.get("melody") is not None:
        data["melody"] = snapshot["melody"]
    if mapper is not None:
        data["controllers"] = mapper.to_list()
    data["performance"] = engine.performance_state()  # motion, shaping, follow, presets, gesture loops per layer
    return data


def read_state(path: str | Path) -> dict[str, Any] | None:
    """The saved state at ``path``; None if there is none. Raises :class:`StateError` if it is damaged."""
    file = Path(path)
    try:
        raw = read_regular(file, MAX_STATE_BYTES, follow_symlinks=True)
    except FileNotFoundError:
        return None
    except UnsafeFile as err:
        raise StateError(f"{file}: {err.reason}") from None
    except OSError as err:
        raise StateError(f"{file}: cannot read ({err})") from None
    try:
        data = loads_json(raw, STATE_LIMITS)
    except BoundsError as err:
        raise StateError(f"{file}: not a usable state file ({err})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise StateError(f'{file}: not an rvae state file (no "format": "{FORMAT}")')
    if data.get("version") != VERSION:
        raise StateError(f"{file}: state version {data.get('version')!r}; this server reads version {VERSION}")
    if not isinstance(data.get("layers", []), list):
        raise StateError(f"{file}: 'layers' must be a list")
    return data


def apply_state(engine: EngineControl, data: Mapping[str, Any], mapper: CCMapper | None = None) -> list[str]:
    """Apply saved state to the engine (and the mapper). Returns notes about what was skipped or clamped;
    never raises for bad content."""
    notes: list[str] = []
    bpm = data.get("bpm")
    if bpm is not None:
        try:
            notes += engine.set_bpm(bpm)
        except (ControlError, ValueError, TypeError) as err:
            notes.append(f"bpm: {err}")
    layers = data.get("layers", [])
    if len(layers) > engine.layer_count:
        notes.append(f"{len(layers)} layers saved, {engine.layer_count} running: the extra ones are ignored")
    for k, saved in enumerate(layers[: engine.layer_count]):
        if not isinstance(saved, Mapping):
            notes.append(f"layer {k + 1}: not a table; skipped")
            continue
        current = engine.state(k)
        clean = dict(saved)
        for key in NUMBERS:
            value = clean.get(key)
            if key in clean and (
                isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
            ):
                notes.append(f"layer {k + 1}: {key} {value!r} is not a finite number; keeping {getattr(current, key)}")
                del clean[key]
        try:
            restored = LayerState.from_dict(clean, current.model)
        except (ControlError, ValueError, TypeError) as err:
            notes.append(f"layer {k + 1}: {err}; skipped")
            continue
        changes = asdict(restored)
        if restored.model not in engine.models:
            notes.append(f"layer {k + 1}: model {restored.model!r} is not loaded; keeping {current.model!r}")
            changes["model"] = current.model
        try:
            notes += [f"layer {k + 1}: {n}" for n in engine.update(k, **changes)]
        except ControlError as err:
            notes.append(f"layer {k + 1}: {err}; skipped")
    performance = data.get("performance", [])
    for k, saved in enumerate(performance[: engine.layer_count] if isinstance(performance, list) else []):
        if isinstance(saved, Mapping):
            notes += [f"layer {k + 1}: {n}" for n in engine.restore_performance(k, saved)]
    notes += _apply_melody(engine, data.get("melody"))
    if mapper is not None and isinstance(data.get("controllers"), list):
        try:
            bindings = [Binding.from_dict(b, f"controllers[{i}]") for i, b in enumerate(data["controllers"])]
        except (MapError, AttributeError, TypeError) as err:
            notes.append(f"controller map: {err}; keeping the current map")
        else:
            mapper.set_bindings(bindings, save=False)
    return notes


MELODY_KEYS = ("enabled", "layer", "channel", "key", "family", "octave", "density", "temperature", "scale_lock")


def _apply_melody(engine: EngineControl, saved: object) -> list[str]:
    """Restore the melody layer's settings, each on its own (a bad one is skipped with a note)."""
    if not isinstance(saved, Mapping) or engine.melody_state() is None:
        return []
    notes: list[str] = []
    for key in MELODY_KEYS:
        if key in saved:
            try:
                notes += [f"melody: {n}" for n in engine.update_melody(**{key: saved[key]})]
            except (ControlError, ValueError, TypeError) as err:
                notes.append(f"melody: {key}: {err}; skipped")
    return notes


class StateKeeper:
    """Saves the engine's performance state to ``path`` (debounced) and restores it.

    ``mapper``: a controller mapper whose bindings are kept in the state file too — only when it has no map
    file of its own (``mapper.path is None``); otherwise its TOML file is the one source."""

    def __init__(self, engine: EngineControl, path: str | Path, mapper: CCMapper | None = None) -> None:
        self.engine = engine
        self.path = Path(path)
        self.mapper = mapper if mapper is not None and mapper.path is None else None
        self._dirty = threading.Event()
        self._quit = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.saves = 0  #: files written
        self.failures = 0
        self.problem: str | None = None  #: why the state cannot be saved (found at :meth:`restore`), or None

    def restore(self) -> bool:
        """Apply the saved state if there is one (True). A damaged file is logged and moved to ``.bad``;
        the engine keeps its defaults (False). Never raises. At start, so also: temporaries of saves a kill
        interrupted are removed, and whether the state can be saved there is found out (:attr:`problem`)."""
        for left in remove_temporaries(self.path):
            log.info("state: removed %s (a save interrupted by a kill)", left)
        self.problem = unwritable(self.path)
        if self.problem is not None:
            log.warning("state: not saved: %s", self.problem)
        try:
            data = read_state(self.path)
            notes = apply_state(self.engine, data, self.mapper) if data is not None else []
        except Exception as err:  # StateError, or anything the file's content provokes: the start goes on
            bad = self.path.with_name(self.path.name + ".bad")
            try:
                os.replace(self.path, bad)
                kept = f"kept as {bad}"
            except OSError as move_err:
                kept = f"could not move it aside: {move_err}"
            reason = str(err) if isinstance(err, StateError) else f"{self.path}: {type(err).__name__}: {err}"
            log.error("state: %s; starting from defaults (the damaged file is %s)", reason, kept)
            return False
        if data is None:
            log.info("state: no saved state at %s; starting from defaults", self.path)
            return False
        for note in notes:
            log.warning("state %s: %s", self.path, note)
        log.info("state: restored from %s (saved %s)", self.path, _when(data.get("saved")))
        return True

    def start(self) -> StateKeeper:
        """Listen for changes and save them from the ``rvae-state`` thread."""
        self.engine.add_listener(self._on_event)
        if self.mapper is not None:
            self.mapper.on_change(self._dirty.set)
        self._thread = threading.Thread(target=self._run, name="rvae-state", daemon=True)
        self._thread.start()
        return self

    def _on_event(self, event: EngineEvent) -> None:
        if event.kind in ("state", "transport"):
            self._dirty.set()

    def mark(self) -> None:
        """Note a change made behind the engine's back (saved within :data:`SAVE_INTERVAL`)."""
        self._dirty.set()

    def _run(self) -> None:
        while not self._quit.is_set():
            self._dirty.wait()
            if self._quit.is_set():
                break
            self._dirty.clear()
            self.save()
            self._quit.wait(SAVE_INTERVAL)  # debounce: changes meanwhile are saved in the next round

    def save(self) -> bool:
        """Write the state now (atomically). Returns False (logged) if it could not be written — also when the
        reader would refuse it (:func:`beyond_limits`): the last file saved is kept rather than one never read."""
        with self._lock:
            try:
                text = json.dumps(state_to_dict(self.engine, self.mapper), indent=1, allow_nan=False) + "\n"
                data = text.encode("utf-8")
                beyond = beyond_limits(text, len(data))
                if beyond is not None:
                    raise ValueError(f"not saved: {beyond}; the last state saved is kept")
                atomic_write_bytes(self.path, data)
            except (OSError, ValueError) as err:
                self.failures += 1
                if self.failures <= 3 or self.failures % 100 == 0:
                    log.error("state: cannot save %s (%s)", self.path, err)
                return False
            self.saves += 1
            return True

    def close(self) -> None:
        """Stop the thread, writing a pending change first. Idempotent."""
        if self._quit.is_set():
            return
        self._quit.set()
        pending = self._dirty.is_set()
        self._dirty.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        if pending:
            self.save()


def beyond_limits(text: str, size: int) -> str | None:
    """Why :func:`read_state` would refuse a state file of ``text`` (``size`` bytes), or None. Cheap enough for
    every save: the size, and an upper bound on the values (one value per comma, plus one per container and the
    root; brackets inside strings only raise the bound). Depth, strings and integers are bounded by what the
    engine's state holds (a restored file's own values were within the reader's limits)."""
    if size > MAX_STATE_BYTES:
        return f"{size} bytes, over the {MAX_STATE_BYTES} a state file may hold"
    values = 1 + text.count(",") + text.count("[") + text.count("{")
    if values > STATE_LIMITS.values:
        return f"up to {values} values, over the {STATE_LIMITS.values} a state file may hold"
    return None


def _when(saved: object) -> str:
    if isinstance(saved, int | float) and math.isfinite(saved):
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(saved))
    return "at an unknown time"


__all__ = [
    "SAVE_INTERVAL",
    "StateError",
    "StateKeeper",
    "apply_state",
    "beyond_limits",
    "read_state",
    "state_to_dict",
]
