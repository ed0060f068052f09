"""What a MIDI controller binding (or MIDI learn) may name: the targets of :mod:`rvae_server.surfaces.controllers`,
in one table the OSC address table (``/rvae/learn``) reads too, without the controller machinery.

* :data:`CONTINUOUS` — a CC value 0..127 is scaled to a range: the layer settings at the engine's full ranges
  (:data:`rvae_server.engine.api.RANGES`), the tempo at 60..180 BPM by default, and the motion and shaping
  targets of :mod:`rvae_server.surfaces.motion_targets`;
* :data:`SWITCHES` (value ≥ 64 is on), :data:`TRIGGERS` (fire on a value ≥ 64) and :data:`GATE` (the touch gate);
* :data:`TARGETS` — all of them, in that order.
"""

from __future__ import annotations

from rvae_server.core.bar import INSTRUMENT_NAMES
from rvae_server.engine.api import RANGES
from rvae_server.surfaces.motion_targets import MOTION_CONTINUOUS, MOTION_SWITCHES, MOTION_TRIGGERS

#: The layer settings a CC may move, at their full ranges (CC 0 ↦ lo, CC 127 ↦ hi unless a binding says otherwise).
LAYER_CONTINUOUS = ("x", "y", "threshold", "noise", "timing", "fixed_velocity")
#: A tempo binding's default range (a binding's ``lo``/``hi`` may choose any; the engine clamps to its limits).
BPM_CC_RANGE = (60.0, 180.0)

#: Continuous targets and their full ranges: the layer settings, the tempo, then motion and shaping (swing in
#: percent, LFO depths, densities, the default morph time in bars).
CONTINUOUS: dict[str, tuple[float, float]] = {
    **{name: (float(RANGES[name][0]), float(RANGES[name][1])) for name in LAYER_CONTINUOUS},
    "bpm": BPM_CC_RANGE,
    **MOTION_CONTINUOUS,
}
SWITCHES: tuple[str, ...] = ("enabled", *(f"mute:{name}" for name in INSTRUMENT_NAMES), *MOTION_SWITCHES)
TRIGGERS: tuple[str, ...] = ("play", "stop", *MOTION_TRIGGERS)
GATE = "touch"
#: Every target a binding (or MIDI learn) may name.
TARGETS: tuple[str, ...] = (*CONTINUOUS, *SWITCHES, *TRIGGERS, GATE)

__all__ = ["BPM_CC_RANGE", "CONTINUOUS", "GATE", "LAYER_CONTINUOUS", "SWITCHES", "TARGETS", "TRIGGERS"]
