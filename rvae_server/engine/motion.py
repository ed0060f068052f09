"""Motion of the playing point, as pure functions of the clock's position: LFOs, paths and gesture loops.

Everything here maps **positions** (24-ppqn ticks since the clock's start, a bar = 96) to values, so what plays
is locked to the bar position: restarting the transport restarts every phase, and two layers with the same
settings move in phase. The planner evaluates these once per tick for each bar it plans ahead
(:mod:`rvae_server.engine.performance`); nothing here keeps time or touches a thread.

LFO
    ``shape`` one of :data:`SHAPES`; ``rate`` = bars per cycle (:data:`MIN_RATE` … :data:`MAX_RATE`; see
    :func:`parse_rate` for "1/8.", "1/4t", "3b"); ``depth`` = the peak offset (pad units for x and y,
    threshold and noise units for those); ``phase`` in cycles (0..1). The cycle at position ``p`` is
    ``p / (rate * 96) + phase``; the offset is ``depth * wave(cycle)`` with ``wave`` in [-1, 1]. The random
    shapes take a value per cycle from a hash of the cycle's index (the same position always gives the same
    value, so they too restart with the transport); random-smooth glides between them (cosine).
Paths
    ``circle`` and ``eight`` (a figure-eight lying down) of radius ``size`` around the performer's point,
    traversed once every ``bars`` bars; ``drawn``: the points as drawn on the pad (absolute), traversed at an even
    speed along the line and back to the first point, once every ``bars`` bars.
Gesture loops
    A recorded XY per tick over ``bars`` bars, indexed by the position modulo the loop's length (so a loop
    recorded from any bar line plays in sync with the bars it was recorded on).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import TICKS

SHAPES = ("sine", "triangle", "saw", "square", "random-smooth", "random-step")
#: What an LFO may move.
TARGETS = ("x", "y", "threshold", "noise")
PATH_SHAPES = ("circle", "eight", "drawn")
#: LFO rates (bars per cycle): a sixteenth-note triplet … 64 dotted bars.
MIN_RATE, MAX_RATE = 1.0 / 24.0, 96.0
#: Path and gesture-loop lengths in bars.
MIN_BARS, MAX_BARS = 1, 64
#: Points of a drawn path.
MAX_POINTS = 256

Positions = NDArray[np.float64]


class MotionError(ValueError):
    """A motion setting that cannot be used; the message names the value and what was expected."""


def parse_rate(value: object) -> float:
    """Bars per cycle from a number (bars) or a text: ``"2"``, ``"1/4"`` (a quarter of a bar), ``"3/2"``, a
    suffix ``d`` or ``.`` for dotted (× 1.5), ``t`` for triplet (× 2/3), ``b`` for beats (``"3b"`` = 3 beats =
    0.75 bar; ``"1/2b"`` = an eighth note). Raises :class:`MotionError`; the caller clamps the range."""
    if isinstance(value, bool):
        raise MotionError(f"rate must be a number of bars or a text like 1/4, 1/8d, 1/8t, 3b; not {value!r}")
    if isinstance(value, int | float | np.integer | np.floating):
        rate = float(value)
    elif isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        match = re.fullmatch(r"(\d+(?:\.\d+)?)(?:/(\d+(?:\.\d+)?))?(b|beats?)?(d|\.|t)?", text)
        if match is None:
            raise MotionError(f"rate {value!r}: use bars (2, 0.5), a fraction of a bar (1/4, 1/8d, 1/8t) or beats (3b)")
        divisor = float(match[2]) if match[2] else 1.0
        if divisor == 0:
            raise MotionError(f"rate {value!r}: a fraction of a bar cannot divide by 0")
        rate = float(match[1]) / divisor
        if match[3]:
            rate /= 4.0
        if match[4] in ("d", "."):
            rate *= 1.5
        elif match[4] == "t":
            rate *= 2.0 / 3.0
    else:
        raise MotionError(f"rate must be a number of bars or a text like 1/4, 1/8d, 1/8t, 3b; not {value!r}")
    if not math.isfinite(rate) or rate <= 0:
        raise MotionError(f"rate must be a positive number of bars, not {value!r}")
    return rate


def _hash_unit(index: NDArray[np.int64], seed: int) -> NDArray[np.float64]:
    """A value in [-1, 1) per integer (splitmix64 of ``index`` and ``seed``): deterministic noise."""
    with np.errstate(over="ignore"):
        z = index.astype(np.uint64) + np.uint64((seed * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53) * 2.0 - 1.0


def wave(shape: str, cycle: NDArray[np.float64], seed: int = 0) -> NDArray[np.float64]:
    """The LFO waveform in [-1, 1] at ``cycle`` (cycles since position 0, phase included)."""
    frac = cycle - np.floor(cycle)
    if shape == "sine":
        return np.sin(2.0 * np.pi * frac)
    if shape == "triangle":  # 0 at cycle 0, rising to 1 at 1/4, -1 at 3/4
        return 1.0 - np.abs(((frac + 0.25) % 1.0) * 4.0 - 2.0)
    if shape == "saw":  # rising from -1 to 1 each cycle
        return frac * 2.0 - 1.0
    if shape == "square":
        return np.where(frac < 0.5, 1.0, -1.0)
    index = np.floor(cycle).astype(np.int64)
    if shape == "random-step":
        return _hash_unit(index, seed)
    if shape == "random-smooth":
        a, b = _hash_unit(index, seed), _hash_unit(index + 1, seed)
        k = (1.0 - np.cos(np.pi * frac)) / 2.0
        return a + (b - a) * k
    raise MotionError(f"LFO shape must be one of {', '.join(SHAPES)}, not {shape!r}")


@dataclass(frozen=True)
class Lfo:
    """One LFO (see the module docstring). ``seed`` picks the random shapes' sequence."""

    shape: str
    rate: float  # bars per cycle
    depth: float
    phase: float = 0.0
    seed: int = 0

    def offsets(self, positions: Positions) -> NDArray[np.float64]:
        cycle = positions / (self.rate * TICKS) + self.phase
        return self.depth * wave(self.shape, cycle, self.seed)

    def to_dict(self) -> dict[str, Any]:
        return {"shape": self.shape, "rate": self.rate, "depth": round(self.depth, 6), "phase": round(self.phase, 6)}

    @staticmethod
    def make(shape: object, rate: object, depth: object, phase: object = 0.0, seed: int = 0) -> tuple[Lfo, list[str]]:
        """A validated LFO and notes about clamped values. Raises :class:`MotionError`."""
        if shape not in SHAPES:
            raise MotionError(f"LFO shape must be one of {', '.join(SHAPES)} (or off), not {shape!r}")
        notes: list[str] = []
        bars = _clamp("rate", parse_rate(rate), MIN_RATE, MAX_RATE, notes)
        amount = _clamp("depth", finite_number("depth", depth), 0.0, 1.0, notes)
        turn = finite_number("phase", phase) % 1.0
        return Lfo(str(shape), bars, amount, turn, seed), notes

    @staticmethod
    def from_dict(data: Mapping[str, Any], seed: int = 0) -> Lfo:
        return Lfo.make(data.get("shape"), data.get("rate"), data.get("depth"), data.get("phase", 0.0), seed)[0]


@dataclass(frozen=True)
class Path:
    """A path (see the module docstring): ``points`` only for ``drawn``."""

    shape: str
    bars: int
    size: float = 0.25
    points: tuple[tuple[float, float], ...] = ()

    @property
    def absolute(self) -> bool:
        """True when the path gives the point itself (drawn), not an offset from the performer's point."""
        return self.shape == "drawn"

    def values(self, positions: Positions) -> NDArray[np.float64]:
        """``(n, 2)``: offsets from the performer's point (circle, eight), or points on the pad (drawn)."""
        cycle = positions / (self.bars * TICKS)
        frac = cycle - np.floor(cycle)
        angle = 2.0 * np.pi * frac
        if self.shape == "circle":
            return np.stack((self.size * np.sin(angle), self.size * np.cos(angle)), axis=1)
        if self.shape == "eight":
            return np.stack((self.size * np.sin(angle), 0.5 * self.size * np.sin(2.0 * angle)), axis=1)
        pts = np.asarray(self.points, dtype=np.float64)
        if len(pts) == 1:
            return np.repeat(pts, len(positions), axis=0)
        closed = np.concatenate((pts, pts[:1]))
        seg = np.hypot(*np.diff(closed, axis=0).T)
        along = np.concatenate(([0.0], np.cumsum(seg)))
        if along[-1] <= 0:
            return np.repeat(pts[:1], len(positions), axis=0)
        at = frac * along[-1]
        return np.stack((np.interp(at, along, closed[:, 0]), np.interp(at, along, closed[:, 1])), axis=1)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"shape": self.shape, "bars": self.bars, "size": round(self.size, 6)}
        if self.points:
            data["points"] = [[round(x, 4), round(y, 4)] for x, y in self.points]
        return data

    @staticmethod
    def make(shape: object, bars: object = 4, size: object = 0.25, points: object = ()) -> tuple[Path, list[str]]:
        """A validated path and notes about clamped values. Raises :class:`MotionError`."""
        if shape not in PATH_SHAPES:
            raise MotionError(f"path shape must be one of {', '.join(PATH_SHAPES)} (or off), not {shape!r}")
        notes: list[str] = []
        length = round(_clamp("bars", finite_number("bars", bars), MIN_BARS, MAX_BARS, notes))
        radius = _clamp("size", finite_number("size", size), 0.0, 0.5, notes)
        pts = parse_points(points) if shape == "drawn" else ()
        if shape == "drawn" and not pts:
            raise MotionError("a drawn path needs at least one point (x,y pairs in 0..1)")
        return Path(str(shape), int(length), radius, pts), notes

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Path:
        return Path.make(data.get("shape"), data.get("bars", 4), data.get("size", 0.25), data.get("points", ()))[0]


def parse_points(points: object) -> tuple[tuple[float, float], ...]:
    """Points from ``[[x, y], ...]``, a flat ``[x, y, x, y, ...]`` or a text ``"x,y x,y ..."``; each coordinate is
    clamped to 0..1. Raises :class:`MotionError`."""
    if isinstance(points, str):
        flat: list[Any] = [p for p in re.split(r"[\s,;]+", points.strip()) if p]
    elif isinstance(points, Sequence):
        flat = []
        for p in points:
            if isinstance(p, Sequence) and not isinstance(p, str):
                flat.extend(p)
            else:
                flat.append(p)
    else:
        raise MotionError(f"points must be x,y pairs, not {type(points).__name__}")
    if len(flat) % 2:
        raise MotionError(f"points must be x,y pairs; got {len(flat)} numbers")
    if len(flat) > 2 * MAX_POINTS:
        raise MotionError(f"a path has at most {MAX_POINTS} points, not {len(flat) // 2}")
    values = []
    for v in flat:
        try:
            number = float(v)
        except (TypeError, ValueError):
            raise MotionError(f"point coordinate {v!r} is not a number") from None
        if not math.isfinite(number):
            raise MotionError(f"point coordinate {v!r} is not finite")
        values.append(min(1.0, max(0.0, number)))
    return tuple((values[k], values[k + 1]) for k in range(0, len(values), 2))


@dataclass(frozen=True, eq=False)
class GestureLoop:
    """A recorded XY per tick, ``xy`` of shape ``(bars * 96, 2)`` (read-only), indexed by position modulo its
    length."""

    bars: int
    xy: NDArray[np.float64]

    def values(self, positions: Positions) -> NDArray[np.float64]:
        index = np.floor(positions).astype(np.int64) % len(self.xy)
        return self.xy[index]

    def written(self, start: float, stop: float, x: float, y: float) -> GestureLoop:
        """A copy with ticks ``[start, stop)`` (positions; at most one loop length) set to ``(x, y)`` (overdub)."""
        if stop <= start:
            return self
        first, last = math.floor(start), math.floor(stop)
        count = min(max(last - first, 1), len(self.xy))
        xy = self.xy.copy()
        xy[(first + np.arange(count)) % len(xy)] = (x, y)
        xy.flags.writeable = False
        return GestureLoop(self.bars, xy)

    def to_dict(self) -> dict[str, Any]:
        """Run-length coded: ``{"bars", "runs": [[tick, x, y], ...]}`` (each run until the next one)."""
        runs: list[list[float]] = []
        last: tuple[float, float] | None = None
        for k, (x, y) in enumerate(self.xy.tolist()):
            point = (round(x, 4), round(y, 4))
            if point != last:
                runs.append([k, point[0], point[1]])
                last = point
        return {"bars": self.bars, "runs": runs}

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> GestureLoop:
        bars = data.get("bars")
        if isinstance(bars, bool) or not isinstance(bars, int) or not MIN_BARS <= bars <= MAX_BARS:
            raise MotionError(f"gesture loop bars must be {MIN_BARS}..{MAX_BARS}, not {bars!r}")
        runs = data.get("runs")
        if not isinstance(runs, list) or not runs:
            raise MotionError("gesture loop runs must be a non-empty list of [tick, x, y]")
        length = bars * TICKS
        xy = np.zeros((length, 2))
        starts = []
        for run in runs:
            if not (isinstance(run, list) and len(run) == 3):
                raise MotionError(f"gesture loop run {run!r} is not [tick, x, y]")
            tick, x, y = (finite_number("gesture loop value", v) for v in run)
            starts.append((int(tick), min(1.0, max(0.0, x)), min(1.0, max(0.0, y))))
        starts.sort()
        for k, (tick, x, y) in enumerate(starts):
            end = starts[k + 1][0] if k + 1 < len(starts) else length
            xy[max(0, tick) : max(0, min(end, length))] = (x, y)
        xy[: max(0, starts[0][0])] = starts[0][1:]
        xy.flags.writeable = False
        return GestureLoop(bars, xy)


def record_loop(
    bars: int, start: float, events: Sequence[tuple[float, float, float]], initial: tuple[float, float]
) -> GestureLoop:
    """The loop of ``bars`` bars recorded from position ``start`` (a bar line): each tick holds the last move at
    or before it (``events``: ``(position, x, y)`` in time order), ``initial`` before the first."""
    length = bars * TICKS
    ticks = start + np.arange(length, dtype=np.float64)
    xy = np.empty((length, 2))
    xy[:] = initial
    if events:
        at = np.asarray([e[0] for e in events])
        values = np.asarray([e[1:] for e in events])
        which = np.searchsorted(at, ticks, side="right") - 1  # as heard live: from the tick after a move
        have = which >= 0
        xy[have] = values[which[have]]
    index = np.floor(ticks).astype(np.int64) % length
    out = np.empty_like(xy)
    out[index] = xy
    out.flags.writeable = False
    return GestureLoop(bars, out)


def finite_number(name: str, value: object) -> float:
    """``value`` as a float, or :class:`MotionError` naming ``name`` if it is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise MotionError(f"{name} must be a number, not {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise MotionError(f"{name} must be a finite number, not {number}")
    return number


def _clamp(name: str, value: float, lo: float, hi: float, notes: list[str]) -> float:
    if value < lo or value > hi:
        clamped = min(hi, max(lo, value))
        notes.append(f"{name} {value:g} is outside {lo:g}..{hi:g}; clamped to {clamped:g}")
        return clamped
    return value


__all__ = [
    "MAX_BARS",
    "MAX_RATE",
    "MIN_BARS",
    "MIN_RATE",
    "PATH_SHAPES",
    "SHAPES",
    "TARGETS",
    "GestureLoop",
    "Lfo",
    "MotionError",
    "Path",
    "finite_number",
    "parse_points",
    "parse_rate",
    "record_loop",
    "wave",
]
