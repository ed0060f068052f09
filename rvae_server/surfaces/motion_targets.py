"""The motion and shaping targets of MIDI learn and CC bindings (see :mod:`rvae_server.surfaces.controllers`):
swing in percent, an LFO's depth (``lfo-x-depth`` … ; a one-bar sine when the layer has no LFO there yet),
densities (``density:kick`` …), the default morph time in bars; ``follow`` (a switch); ``preset:1`` …
``preset:16`` (recall with the layer's morph time), ``gesture:record`` (4 bars), ``gesture:clear`` (triggers)."""

from __future__ import annotations

from rvae_server.core.bar import INSTRUMENT_NAMES
from rvae_server.engine.api import DENSITY_RANGE, LFO_TARGETS, MAX_SWING, MIN_SWING, PRESET_SLOTS, EngineControl

MOTION_CONTINUOUS: dict[str, tuple[float, float]] = {
    "swing": (MIN_SWING, MAX_SWING),
    **{f"lfo-{target}-depth": (0.0, 1.0) for target in LFO_TARGETS},
    **{f"density:{name}": DENSITY_RANGE for name in INSTRUMENT_NAMES},
    "morph": (0.0, 4.0),
}
MOTION_SWITCHES: tuple[str, ...] = ("follow",)
MOTION_TRIGGERS: tuple[str, ...] = (
    *(f"preset:{k}" for k in range(1, PRESET_SLOTS + 1)),
    "gesture:record",
    "gesture:clear",
)


def apply_continuous(engine: EngineControl, layer: int, target: str, number: float) -> list[str]:
    """A continuous motion or shaping target set to ``number`` (already scaled to its range)."""
    if target == "swing":
        return engine.set_swing(layer, number)
    if target == "morph":
        return engine.set_morph(layer, number, "bars")
    if target.startswith("density:"):
        return engine.set_density(layer, target.partition(":")[2], number)
    which = target.removeprefix("lfo-").removesuffix("-depth")
    current = engine.snapshot()["layers"][layer]["lfo"].get(which)
    return engine.set_lfo(layer, which, current["shape"] if current else "sine", depth=number)


def apply_switch(engine: EngineControl, layer: int, target: str, on: bool) -> list[str]:
    """A motion switch or trigger (a trigger fires when ``on``)."""
    if target == "follow":
        return engine.set_follow(layer, on)
    if not on:
        return []
    kind, _, what = target.partition(":")
    if kind == "preset":
        return engine.preset_recall(layer, int(what))
    return engine.gesture(layer, what, 4 if what == "record" else None)


__all__ = ["MOTION_CONTINUOUS", "MOTION_SWITCHES", "MOTION_TRIGGERS", "apply_continuous", "apply_switch"]
