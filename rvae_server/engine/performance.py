"""One layer's playing settings beyond :class:`~rvae_server.engine.api.LayerState` (LFOs, path, swing, densities,
follow mode, the default morph time), a morph in progress, and :func:`evaluate`: what plays at each tick.

:func:`evaluate` is the planner's view of a layer: for the positions of a bar's 96 ticks it gives the point
played (the base point — the performer's hand, a gesture loop or a drawn path — plus the path's and the LFOs'
offsets, clamped to the pad), the threshold per tick and instrument (densities included), the noise amount, the
instruments that play, and the swing. A morph (a preset recalled over time, or the follow mode's glide) blends
every value from where it was to where it goes, in sync, by the same amount at each tick. Pure; see
:mod:`rvae_server.engine.motion` for the shapes.

Which base point plays: the performer's own while touching (a hand on the pad, the Kaoss Pad's touch, or a
move within the last :data:`~rvae_server.engine.gestures.RELEASE` seconds); else a gesture loop if there is
one; else a drawn path; else the performer's. Circles and figure-eights move around the base point; LFOs add to
all of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import INSTRUMENT_NAMES, N_INSTRUMENTS, TICKS, TICKS_PER_BEAT, instrument_index
from rvae_server.engine.api import DENSITY_RANGE, MAX_SWING, MIN_SWING, SWING_UNITS, LayerState
from rvae_server.engine.motion import TARGETS, GestureLoop, Lfo, MotionError, Path, finite_number

MORPH_UNITS = ("beats", "bars")
#: Longest morph (bars).
MAX_MORPH_BARS = 64.0
#: Follow mode: least onsets a bar must hold to be followed.
MIN_ONSETS_RANGE = (1, 64)
#: The LFO's random shapes differ per target (x and y do not move together).
SEEDS = {target: k + 1 for k, target in enumerate(TARGETS)}


@dataclass(frozen=True)
class Performance:
    """A layer's motion and shaping settings (see the module docstring). Immutable."""

    lfos: tuple[tuple[str, Lfo], ...] = ()  # (target, LFO), in TARGETS order
    path: Path | None = None
    swing: float = MIN_SWING
    swing_unit: int = 16
    densities: tuple[float, ...] = (0.0,) * N_INSTRUMENTS
    follow: bool = False
    follow_min_onsets: int = 4
    follow_glide: float = 1.0  # beats
    morph_time: float = 1.0
    morph_unit: str = "bars"

    def lfo(self, target: str) -> Lfo | None:
        return dict(self.lfos).get(target)

    def with_lfo(self, target: str, lfo: Lfo | None) -> Performance:
        lfos = {t: v for t, v in self.lfos if t != target}
        if lfo is not None:
            lfos[target] = lfo
        return replace(self, lfos=tuple((t, lfos[t]) for t in TARGETS if t in lfos))

    @property
    def moving(self) -> bool:
        """True when something moves the point or the threshold over time (an LFO or a path)."""
        return bool(self.lfos) or self.path is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "lfo": {t: (lfo.to_dict() if (lfo := self.lfo(t)) else None) for t in TARGETS},
            "path": self.path.to_dict() if self.path else None,
            "swing": {"amount": round(self.swing, 6), "unit": self.swing_unit},
            "densities": {n: round(d, 6) for n, d in zip(INSTRUMENT_NAMES, self.densities, strict=True)},
            "follow": {
                "on": self.follow,
                "min_onsets": self.follow_min_onsets,
                "glide_beats": round(self.follow_glide, 6),
            },
            "morph": {"time": round(self.morph_time, 6), "unit": self.morph_unit},
        }

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> tuple[Performance, list[str]]:
        """Rebuild from :meth:`to_dict` output (a saved state or a preset): what does not fit is skipped, named in
        the returned notes. Never raises."""
        perf = Performance()
        notes: list[str] = []

        def part(name: str, make: Any) -> None:
            nonlocal perf
            value = data.get(name)
            if value is None:
                return
            try:
                perf = make(perf, value)
            except (MotionError, TypeError, ValueError, AttributeError, KeyError) as err:
                notes.append(f"{name}: {err}; skipped")

        def lfos(p: Performance, value: Mapping[str, Any]) -> Performance:
            for target in TARGETS:  # each on its own: one that does not fit drops only itself
                if isinstance(value.get(target), Mapping):
                    try:
                        p = p.with_lfo(target, Lfo.from_dict(value[target], SEEDS[target]))
                    except (MotionError, TypeError, ValueError) as err:
                        notes.append(f"lfo: {target}: {err}; skipped")
            return p

        part("lfo", lfos)
        part("path", lambda p, v: replace(p, path=Path.from_dict(v)))
        part("swing", lambda p, v: replace(p, swing=swing_value(v["amount"])[0], swing_unit=swing_unit(v["unit"])))
        part("densities", lambda p, v: replace(p, densities=tuple(
            density_value(v.get(n, 0.0))[0] for n in INSTRUMENT_NAMES)))  # fmt: skip
        part("follow", lambda p, v: replace(p, follow=bool(v["on"]), follow_min_onsets=min_onsets(v["min_onsets"])[0],
                                            follow_glide=glide_beats(v.get("glide_beats", 1.0))[0]))  # fmt: skip
        part("morph", lambda p, v: replace(p, morph_time=morph_ticks(v["time"], v["unit"])[1],
                                           morph_unit=morph_unit(v["unit"])))  # fmt: skip
        return perf, notes


# ----------------------------------------------------------------------------------------- validation helpers


def _clamped(name: str, value: object, lo: float, hi: float) -> tuple[float, list[str]]:
    number = finite_number(name, value)
    if lo <= number <= hi:
        return number, []
    clamped = min(hi, max(lo, number))
    return clamped, [f"{name} {number:g} is outside {lo:g}..{hi:g}; clamped to {clamped:g}"]


def swing_value(value: object) -> tuple[float, list[str]]:
    return _clamped("swing", value, MIN_SWING, MAX_SWING)


def swing_unit(value: object) -> int:
    number = finite_number("swing unit", value) if not isinstance(value, str) else None
    text = str(value).strip().lower().removeprefix("1/").removesuffix("th").removesuffix("s")
    for unit in SWING_UNITS:
        if number == unit or text == str(unit):
            return unit
    raise MotionError(f"swing unit must be 8 or 16 (eighths or sixteenths), not {value!r}")


def density_value(value: object) -> tuple[float, list[str]]:
    return _clamped("density", value, *DENSITY_RANGE)


def min_onsets(value: object) -> tuple[int, list[str]]:
    number, notes = _clamped("min onsets", value, *MIN_ONSETS_RANGE)
    return round(number), notes


def glide_beats(value: object) -> tuple[float, list[str]]:
    return _clamped("glide", value, 0.0, MAX_MORPH_BARS * 4)


def morph_unit(value: object) -> str:
    if value not in MORPH_UNITS:
        raise MotionError(f"morph unit must be beats or bars, not {value!r}")
    return str(value)


def morph_ticks(time: object, unit: object) -> tuple[float, float, list[str]]:
    """``(ticks, time, notes)`` of a morph ``time`` in ``unit`` (beats or bars), clamped to 0..64 bars."""
    per = TICKS_PER_BEAT if morph_unit(unit) == "beats" else TICKS
    number, notes = _clamped("morph time", time, 0.0, MAX_MORPH_BARS * TICKS / per)
    return number * per, number, notes


def instrument(value: object) -> int:
    try:
        return instrument_index(value)  # type: ignore[arg-type]
    except ValueError as err:
        raise MotionError(str(err)) from None


# ----------------------------------------------------------------------------------------- morphs and evaluation


#: The groups of values a morph glides; a control touching one ends its glide (the hand wins).
MORPH_FIELDS = frozenset({"xy", "threshold", "noise", "mutes", "shaping", "motion"})


@dataclass(frozen=True)
class Morph:
    """Values gliding from ``state``/``perf`` (where they were) to the layer's current ones, from position
    ``start`` over ``length`` ticks; ``fields`` are the groups still gliding (:data:`MORPH_FIELDS`)."""

    start: float
    length: float
    state: LayerState
    perf: Performance
    fields: frozenset[str] = field(default=MORPH_FIELDS)

    def amount(self, positions: NDArray[np.float64]) -> NDArray[np.float64]:
        if self.length <= 0:
            return np.ones_like(positions)
        return np.clip((positions - self.start) / self.length, 0.0, 1.0)

    def done(self, position: float) -> bool:
        return position >= self.start + self.length or not self.fields

    def without(self, *groups: str) -> Morph | None:
        left = self.fields - set(groups)
        return replace(self, fields=left) if left else None


@dataclass(frozen=True, eq=False)
class Controls:
    """What plays at each of ``n`` positions (see :func:`evaluate`)."""

    xy: NDArray[np.float64]  # (n, 2) pad point
    thresholds: NDArray[np.float64]  # (n, 9)
    noise: NDArray[np.float64]  # (n,)
    keep: NDArray[np.bool_]  # (n, 9): the instrument plays
    swing: NDArray[np.float64]  # (n,) percent
    unit: NDArray[np.int64]  # (n,) 8 or 16

    @property
    def still(self) -> bool:
        """True when the point and the noise do not move: one decode serves every tick."""
        return bool(np.ptp(self.xy[:, 0]) == 0 and np.ptp(self.xy[:, 1]) == 0 and np.ptp(self.noise) == 0)


def _offsets(perf: Performance, positions: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
    out = {t: np.zeros(len(positions)) for t in TARGETS}
    if perf.path is not None and not perf.path.absolute:
        path = perf.path.values(positions)
        out["x"] = out["x"] + path[:, 0]
        out["y"] = out["y"] + path[:, 1]
    for target, lfo in perf.lfos:
        out[target] = out[target] + lfo.offsets(positions)
    return out


def evaluate(
    positions: NDArray[np.float64],
    state: LayerState,
    perf: Performance,
    *,
    loop: GestureLoop | None = None,
    touching: bool = False,
    morph: Morph | None = None,
) -> Controls:
    """What the layer plays at ``positions`` (see the module docstring)."""
    n = len(positions)
    a = morph.amount(positions) if morph is not None else None

    def glide(group: str, new: object, old: object) -> NDArray[np.float64]:
        new_arr = np.asarray(new, dtype=np.float64)
        if a is None or morph is None or group not in morph.fields:
            return np.broadcast_to(new_arr, (n, *new_arr.shape)).astype(np.float64)
        old_arr = np.asarray(old, dtype=np.float64)
        k = a.reshape(n, *([1] * new_arr.ndim))
        return old_arr + (new_arr - old_arr) * k

    old = morph.state if morph is not None else state
    hand = glide("xy", (state.x, state.y), (old.x, old.y))
    if touching or (loop is None and (perf.path is None or not perf.path.absolute)):
        base = hand
    elif loop is not None:
        base = loop.values(positions)
    else:
        assert perf.path is not None
        base = perf.path.values(positions)
    offsets = _offsets(perf, positions)
    if morph is not None and a is not None and "motion" in morph.fields:
        before = _offsets(morph.perf, positions)
        offsets = {t: before[t] + (offsets[t] - before[t]) * a for t in TARGETS}
    xy = np.clip(base + np.stack((offsets["x"], offsets["y"]), axis=1), 0.0, 1.0)
    threshold = np.clip(glide("threshold", state.threshold, old.threshold) + offsets["threshold"], 0.0, 1.0)
    noise = np.clip(glide("noise", state.noise, old.noise) + offsets["noise"], 0.0, 1.0)
    old_perf = morph.perf if morph is not None else perf
    densities = glide("shaping", np.asarray(perf.densities), np.asarray(old_perf.densities))
    thresholds = np.clip(threshold[:, None] - densities, 0.0, 1.0)
    swing = glide("shaping", perf.swing, old_perf.swing)
    keep = np.broadcast_to(~np.asarray(state.mutes, dtype=bool), (n, N_INSTRUMENTS))
    unit = np.full(n, perf.swing_unit, dtype=np.int64)
    if a is not None and morph is not None:
        early = a < 0.5  # switches (mutes, the swing's unit) change halfway through the glide
        if "mutes" in morph.fields:
            keep = np.where(early[:, None], ~np.asarray(old.mutes, dtype=bool)[None, :], keep)
        if "shaping" in morph.fields:
            unit = np.where(early, old_perf.swing_unit, unit)
    return Controls(xy, thresholds, noise, np.asarray(keep), swing, unit)


def bar_positions(bar_number: int) -> NDArray[np.float64]:
    """The positions of a bar's 96 ticks."""
    return bar_number * TICKS + np.arange(TICKS, dtype=np.float64)


__all__ = [
    "MORPH_FIELDS",
    "MORPH_UNITS",
    "Controls",
    "Morph",
    "Performance",
    "bar_positions",
    "evaluate",
]
