"""Presets: :data:`SLOTS` slots per layer, each holding XY, threshold, noise, mutes, densities, swing and motion
(LFOs and path). Recalled at once or with a morph over beats or bars (every value glides in sync, see
:class:`rvae_server.engine.performance.Morph`). Pure: the engine keeps the slots and applies them.

A preset is plain JSON-able data (saved with the performance state)::

    {"x": 0.3, "y": 0.7, "threshold": 0.4, "noise": 0.0, "mutes": {"kick": false, ...},
     "swing": {...}, "densities": {...}, "lfo": {...}, "path": {...} | null}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from rvae_server.core.bar import INSTRUMENT_NAMES
from rvae_server.engine.api import PRESET_SLOTS as SLOTS
from rvae_server.engine.api import RANGES, LayerState, clamp
from rvae_server.engine.motion import MotionError
from rvae_server.engine.performance import Performance

#: What a preset holds of a layer's state and of its performance settings.
STATE_KEYS = ("x", "y", "threshold", "noise")
PERFORMANCE_KEYS = ("lfo", "path", "swing", "densities")


def slot_index(slot: object) -> int:
    """A 1-based slot number (1..SLOTS) as a 0-based index. Raises :class:`MotionError`."""
    if isinstance(slot, bool) or not isinstance(slot, int | float) or slot != int(slot) or not 1 <= slot <= SLOTS:
        raise MotionError(f"preset slot must be 1..{SLOTS}, not {slot!r}")
    return int(slot) - 1


def capture(state: LayerState, perf: Performance) -> dict[str, Any]:
    """A preset of the layer's current settings."""
    data: dict[str, Any] = {key: getattr(state, key) for key in STATE_KEYS}
    data["mutes"] = dict(zip(INSTRUMENT_NAMES, state.mutes, strict=True))
    saved = perf.to_dict()
    data.update({key: saved[key] for key in PERFORMANCE_KEYS})
    return data


def apply(data: Mapping[str, Any], state: LayerState, perf: Performance) -> tuple[LayerState, Performance, list[str]]:
    """The layer's settings with a preset applied (what the preset does not hold stays as it is), and notes on
    what did not fit. Never raises for bad content."""
    notes: list[str] = []
    changes: dict[str, Any] = {}
    for key in STATE_KEYS:
        if key in data:
            try:
                changes[key] = clamp(key, data[key], *RANGES[key])[0]
            except ValueError as err:
                notes.append(str(err))
    if isinstance(data.get("mutes"), Mapping):
        changes["mutes"] = tuple(bool(data["mutes"].get(n, False)) for n in INSTRUMENT_NAMES)
    loaded, more = Performance.from_dict({key: data.get(key) for key in PERFORMANCE_KEYS})
    notes += more
    new_perf = replace(
        perf,
        lfos=loaded.lfos,
        path=loaded.path,
        swing=loaded.swing if data.get("swing") is not None else perf.swing,
        swing_unit=loaded.swing_unit if data.get("swing") is not None else perf.swing_unit,
        densities=loaded.densities if data.get("densities") is not None else perf.densities,
    )
    return replace(state, **changes), new_perf, notes


def clean_slots(saved: object) -> tuple[list[dict[str, Any] | None], list[str]]:
    """Slots from a saved state (a list of presets or nulls), padded to :data:`SLOTS`; what does not fit is
    dropped with a note."""
    slots: list[dict[str, Any] | None] = [None] * SLOTS
    notes: list[str] = []
    if not isinstance(saved, list):
        return slots, (["presets: not a list; skipped"] if saved is not None else [])
    for k, entry in enumerate(saved[:SLOTS]):
        if entry is None:
            continue
        if not isinstance(entry, Mapping):
            notes.append(f"preset {k + 1}: not a table; skipped")
            continue
        slots[k] = dict(entry)
    return slots, notes


__all__ = ["SLOTS", "apply", "capture", "clean_slots", "slot_index"]
