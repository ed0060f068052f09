"""Does the pad feel like drumming? The figures of issue 21, measured on played bars (decoded, thresholded and
peak-picked as the performer hears them) against the model's own training bars. Pure numpy (no torch).

:func:`reference` — the training bars' own figures, stored in ``meta.json`` (``evaluation.feel.reference``) so
``rvae eval`` can compare a model without its clips: mean onsets a bar, per instrument, doubled hits, the
machine-gun limits, the share playing a groove, the pattern filter's pass rate, and the median number of onset
cells that change between a clip's consecutive bars (``clip_step``: the "no cliff" bound of the grid).

:func:`feel_figures` — for played pad points ``(N, 3, 96, 9)`` at pad coordinates ``(N, 2)``:

``doubles``
    doubled hits: one instrument struck on two consecutive ticks (a 10–20 ms flam), per 100 onsets, and the
    share of bars with any (``bars``).
``density``, ``instruments``
    mean onsets a bar ÷ the training bars'; per instrument (those the training bars play at least once a bar on
    average) the same ratio.
``machine_guns``
    share of points above :data:`MACHINE_GUN` × the training bars' :data:`MACHINE_GUN_PERCENTILE` th-percentile
    onset count, overall or on any instrument, and the worst point. Each limit is at least
    :data:`MACHINE_GUN` × :data:`MACHINE_GUN_FLOOR` (10 hits of one drum, a sixteenth-note run over more than half
    the bar): on a beat set whose 99.5th percentile of toms is 2, 3 tom hits are a fill, not a machine gun;
    ``strict`` is the share with no such floor (issue 21's literal limit).
``groove``
    share of points playing a kick, a snare and a timekeeper (closed hat, open hat or ride); ``missing``: the
    share without each of the three.
``overlap``
    Yang & Lerch (2018, "On the evaluation of generative models in music") overlapping area of two normalised
    histograms (Σ min), generated vs training: onsets per bar (bins of 1), inter-onset intervals of each
    instrument within a bar (ticks, bins of 1), velocity (16 bins over (0, 1]), microtiming (16 bins over
    [-1, 1]); 1 is the same distribution, 0 disjoint.

:func:`feel_warnings` — plain words when a target of issue 21 is missed: "doubled hits", "too busy" / "too
sparse", "machine gun at (x, y)", "no kick on 30 % of the pad".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import INSTRUMENT_NAMES, TICKS, instrument_index
from rvae_server.core.patterns import passes

MACHINE_GUN = 1.2
MACHINE_GUN_PERCENTILE = 99.5
MACHINE_GUN_FLOOR = 8  # a limit is never below 1.2 × 8 onsets: 6 tom hits in a bar is a fill, not a machine gun
DOUBLES_LIMIT = 1.5  # × the training bars' rate
DENSITY_TOLERANCE = 0.15
INSTRUMENT_TOLERANCE = 0.30
GROOVE_MARGIN = 0.05
MIN_OVERLAP = 0.7
#: Beyond these a missed target is serious (the space is called poor; see feel_problems).
SERIOUS_DENSITY = 0.4  # × away from the training bars' density (0.6x-1.4x)
SERIOUS_MACHINE_GUNS = 0.01  # share of the pad
SERIOUS_GROOVE = 0.15  # points below the training bars' share
SERIOUS_SILENT = 0.05  # share of the pad
SERIOUS_PASS = 0.15  # points below the training bars' pass rate
_KICK, _SNARE = instrument_index("kick"), instrument_index("snare")
TIMEKEEPERS = tuple(instrument_index(n) for n in ("closed-hat", "open-hat", "ride"))


def doubles(onsets: NDArray[np.bool_]) -> dict[str, float]:
    """Doubled hits of onsets ``(N, 96, 9)``: per 100 onsets, and the share of bars with any."""
    pairs = onsets[:, 1:] & onsets[:, :-1]
    total = int(onsets.sum())
    return {
        "per_100": 100.0 * float(pairs.sum()) / total if total else 0.0,
        "bars": float(pairs.any(axis=(1, 2)).mean()) if len(onsets) else 0.0,
    }


def _grooves(onsets: NDArray[np.bool_]) -> dict[str, NDArray[np.bool_]]:
    struck: NDArray[np.bool_] = np.asarray(onsets.any(axis=1))  # (N, 9)
    time: NDArray[np.bool_] = np.asarray(struck[:, list(TIMEKEEPERS)].any(axis=1))
    return {"kick": struck[:, _KICK], "snare": struck[:, _SNARE], "hat or ride": time}


def groove(onsets: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """``(N,)``: each bar plays a kick, a snare and a timekeeper."""
    parts = _grooves(onsets)
    return parts["kick"] & parts["snare"] & parts["hat or ride"]


def step_between(a: NDArray[np.bool_], b: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Onset cells that differ between bars ``a[i]`` and ``b[i]`` ``(N, 96, 9)``."""
    return (a != b).reshape(len(a), -1).sum(axis=1)


def machine_gun_limits(bars: NDArray[np.float32]) -> tuple[NDArray[np.float64], float]:
    """The machine-gun limits of training bars ``(N, 3, 96, 9)``: per instrument and overall, :data:`MACHINE_GUN` ×
    the :data:`MACHINE_GUN_PERCENTILE` th-percentile onset count (at least :data:`MACHINE_GUN_FLOOR`)."""
    counts = (bars[:, 0] > 0.5).sum(axis=1)
    per = np.percentile(counts, MACHINE_GUN_PERCENTILE, axis=0) if len(bars) else np.zeros(counts.shape[1])
    total = float(np.percentile(counts.sum(axis=1), MACHINE_GUN_PERCENTILE)) if len(bars) else 0.0
    return MACHINE_GUN * np.maximum(per, MACHINE_GUN_FLOOR), MACHINE_GUN * max(total, MACHINE_GUN_FLOOR)


def reference(bars: NDArray[np.float32]) -> dict[str, Any]:
    """The training bars' own figures (see the module docstring); ``bars`` ``(N, 3, 96, 9)``, in clip order."""
    onsets = bars[:, 0] > 0.5
    counts = onsets.sum(axis=1)  # (N, 9)
    total = counts.sum(axis=1)
    q = MACHINE_GUN_PERCENTILE
    per = np.percentile(counts, q, axis=0) if len(bars) else np.zeros(len(INSTRUMENT_NAMES))
    limits, limit = machine_gun_limits(bars)
    return {
        "bars": len(bars),
        "onsets": float(total.mean()),
        "instruments": {n: float(c) for n, c in zip(INSTRUMENT_NAMES, counts.mean(axis=0), strict=True)},
        "doubles": doubles(onsets),
        "limit": limit,
        "limits": {n: float(v) for n, v in zip(INSTRUMENT_NAMES, limits, strict=True)},
        "strict_limits": {n: MACHINE_GUN * float(p) for n, p in zip(INSTRUMENT_NAMES, per, strict=True)},
        "strict_limit": MACHINE_GUN * float(np.percentile(total, q)),
        "groove": float(groove(onsets).mean()),
        "pass": float(passes(onsets).mean()),
        "clip_step": float(np.median(step_between(onsets[1:], onsets[:-1]))) if len(bars) > 1 else math.nan,
    }


def iois(onsets: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Inter-onset intervals (ticks) of each instrument within each bar of onsets ``(N, 96, 9)``, pooled."""
    bar, inst, tick = np.nonzero(onsets.transpose(0, 2, 1))  # sorted by bar, instrument, tick
    same = (np.diff(bar) == 0) & (np.diff(inst) == 0)
    return np.diff(tick)[same]


def overlap_area(a: NDArray[np.number], b: NDArray[np.number], bins: NDArray[np.floating]) -> float:
    """Overlapping area of the normalised histograms of samples ``a`` and ``b`` over ``bins`` (edges)."""
    ha, _ = np.histogram(a, bins)
    hb, _ = np.histogram(b, bins)
    if not ha.sum() or not hb.sum():
        return 0.0 if ha.sum() or hb.sum() else 1.0
    return float(np.minimum(ha / ha.sum(), hb / hb.sum()).sum())


def overlap_areas(bars: NDArray[np.float32], train: NDArray[np.float32]) -> dict[str, float]:
    """The four overlapping areas of the module docstring, played bars vs training bars ``(N, 3, 96, 9)``."""
    on, tr = bars[:, 0] > 0.5, train[:, 0] > 0.5
    counts, true_counts = on.sum(axis=(1, 2)), tr.sum(axis=(1, 2))
    top = int(max(counts.max(initial=0), true_counts.max(initial=0))) + 2
    return {
        "onsets": overlap_area(counts, true_counts, np.arange(top) - 0.5),
        "ioi": overlap_area(iois(on), iois(tr), np.arange(1, TICKS + 1) - 0.5),
        "velocity": overlap_area(bars[:, 1][on], train[:, 1][tr], np.linspace(0.0, 1.0, 17)),
        "microtiming": overlap_area(bars[:, 2][on], train[:, 2][tr], np.linspace(-1.0, 1.0, 17)),
    }


def feel_figures(
    bars: NDArray[np.float32],
    xy: NDArray[np.floating],
    ref: dict[str, Any],
    train: NDArray[np.float32] | None = None,
) -> dict[str, Any]:
    """The figures of played pad points ``bars`` ``(N, 3, 96, 9)`` at ``xy`` ``(N, 2)`` against the training bars'
    :func:`reference` ``ref`` (and, for the overlapping areas, the training bars themselves)."""
    onsets = bars[:, 0] > 0.5
    counts = onsets.sum(axis=1)  # (N, 9)
    total = counts.sum(axis=1)
    mean = float(total.mean()) if len(total) else 0.0
    per = counts.mean(axis=0) if len(total) else np.zeros(len(INSTRUMENT_NAMES))
    ref_inst = ref.get("instruments") or {}
    instruments = {
        n: float(per[i]) / float(ref_inst[n])
        for i, n in enumerate(INSTRUMENT_NAMES)
        if isinstance(ref_inst.get(n), int | float) and ref_inst[n] >= 1.0
    }
    limits = np.array([float((ref.get("limits") or {}).get(n, math.inf)) for n in INSTRUMENT_NAMES])
    limit = float(ref.get("limit", math.inf))
    ratio = np.concatenate([(total / limit)[:, None], counts / limits[None, :]], axis=1)  # (N, 10)
    over = ratio > 1.0
    strict = np.array([float((ref.get("strict_limits") or {}).get(n, math.inf)) for n in INSTRUMENT_NAMES])
    strictly = (total > float(ref.get("strict_limit", math.inf))) | (counts > strict[None, :]).any(axis=1)
    worst: dict[str, Any] | None = None
    if over.any():
        point, what = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
        worst = {
            "xy": [round(float(xy[point, 0]), 2), round(float(xy[point, 1]), 2)],
            "instrument": None if what == 0 else INSTRUMENT_NAMES[what - 1],
            "onsets": int(total[point] if what == 0 else counts[point, what - 1]),
        }
    parts = _grooves(onsets)
    out: dict[str, Any] = {
        "points": len(bars),
        "onsets": mean,
        "density": mean / ref["onsets"] if ref.get("onsets") else math.nan,
        "instruments": instruments,
        "doubles": doubles(onsets),
        "machine_guns": {
            "share": float(over.any(axis=1).mean()) if len(bars) else 0.0,
            "overall": float(over[:, 0].mean()) if len(bars) else 0.0,
            "strict": float(strictly.mean()) if len(bars) else 0.0,
            "worst": worst,
        },
        "groove": float(groove(onsets).mean()) if len(bars) else 0.0,
        "missing": {k: float((~v).mean()) if len(bars) else 0.0 for k, v in parts.items()},
        "silent": float((total == 0).mean()) if len(bars) else 0.0,
        "pass": float(passes(onsets).mean()) if len(bars) else 0.0,
        "reference": ref,
    }
    if train is not None and len(train) and len(bars):
        out["overlap"] = overlap_areas(bars, train)
    return out


def feel_warnings(feel: dict[str, Any]) -> list[str]:
    """Plain words for each target of issue 21 the pad misses (empty when it feels like drumming)."""
    return [text for text, _ in feel_notes(feel)]


def feel_problems(feel: dict[str, Any]) -> list[str]:
    """Of :func:`feel_warnings`, those a performer hears at once — flams, a machine gun, silence, a pad far too
    busy or bare, grooves missing on much of it, far fewer patterns than the clips' — the ones that call a space
    poor; the rest (a pass rate a few points below the clips', a distribution that differs) are said, not held
    against it."""
    return [text for text, serious in feel_notes(feel) if serious]


def feel_notes(feel: dict[str, Any]) -> list[tuple[str, bool]]:
    """Each missed target's words, and whether it is serious (see :func:`feel_problems`)."""
    found: list[tuple[str, bool]] = []
    ref = feel.get("reference") or {}
    dbl, ref_dbl = feel.get("doubles") or {}, ref.get("doubles") or {}
    rate, ref_rate = dbl.get("per_100"), ref_dbl.get("per_100")
    if isinstance(rate, float) and isinstance(ref_rate, float) and rate > max(DOUBLES_LIMIT * ref_rate, 0.5):
        found.append((f"doubled hits: {rate:.1f} per 100 notes are flams of one drum on neighbouring ticks "
                      f"(the training clips: {ref_rate:.1f})", True))  # fmt: skip
    density = feel.get("density")
    if isinstance(density, float) and math.isfinite(density) and abs(density - 1.0) > DENSITY_TOLERANCE:
        word = "too busy" if density > 1.0 else "too sparse"
        found.append((f"{word}: the pad plays {density:.2f}x the notes of the training clips",
                      abs(density - 1.0) > SERIOUS_DENSITY))  # fmt: skip
    off = {n: r for n, r in (feel.get("instruments") or {}).items() if abs(r - 1.0) > INSTRUMENT_TOLERANCE}
    if off:
        listed = ", ".join(f"{n} {r:.1f}x" for n, r in sorted(off.items(), key=lambda kv: -abs(kv[1] - 1.0)))
        found.append((f"{'too busy' if max(off.values()) > 1.0 else 'too sparse'} on some drums: {listed}", False))
    worst = (feel.get("machine_guns") or {}).get("worst")
    if isinstance(worst, dict):
        kind = f"{worst['instrument']} hits" if worst.get("instrument") else "notes"
        what = f"{worst['onsets']} {kind}"
        share = feel["machine_guns"]["share"] * 100
        found.append((f"machine gun at ({worst['xy'][0]:.2f}, {worst['xy'][1]:.2f}): {what} in a bar "
                      f"({share:.1f} % of the pad plays above the training clips' busiest bars)",
                      share > SERIOUS_MACHINE_GUNS * 100))  # fmt: skip
    share, ref_share = feel.get("groove"), ref.get("groove")
    if isinstance(share, float) and isinstance(ref_share, float) and share < ref_share - GROOVE_MARGIN:
        missing = feel.get("missing") or {}
        name, lack = max(missing.items(), key=lambda kv: kv[1]) if missing else ("kick", 1 - share)
        found.append((f"no {name} on {lack * 100:.0f} % of the pad (kick, snare and a hat or ride together: "
                      f"{share * 100:.0f} %, the training clips {ref_share * 100:.0f} %)",
                      share < ref_share - SERIOUS_GROOVE))  # fmt: skip
    if feel.get("silent", 0.0) > 0.0:
        found.append((f"{feel['silent'] * 100:.1f} % of the pad is silent", feel["silent"] > SERIOUS_SILENT))
    pass_rate, ref_pass = feel.get("pass"), ref.get("pass")
    if isinstance(pass_rate, float) and isinstance(ref_pass, float) and pass_rate < ref_pass - 0.005:
        found.append((f"{pass_rate * 100:.0f} % of the pad passes the pattern filter, below the training clips' "
                      f"{ref_pass * 100:.0f} %", pass_rate < ref_pass - SERIOUS_PASS))  # fmt: skip
    low = {k: v for k, v in (feel.get("overlap") or {}).items() if v < MIN_OVERLAP}
    if low:
        listed = ", ".join(f"{k} {v:.2f}" for k, v in low.items())
        found.append(
            (f"the pad's distributions differ from the training clips' (overlap {listed}; 1 = the same)", False)
        )
    return found


def feel_table(feel: dict[str, Any]) -> list[str]:
    """The figures as lines of text: the pad beside the training bars."""
    ref = feel.get("reference") or {}
    dbl, ref_dbl = feel.get("doubles") or {}, ref.get("doubles") or {}
    guns = feel.get("machine_guns") or {}
    lines = [
        f"{'feel':<22}{'pad':>8}{'train':>8}",
        f"{'doubles per 100':<22}{_num(dbl.get('per_100'), 1):>8}{_num(ref_dbl.get('per_100'), 1):>8}",
        f"{'bars with doubles':<22}{percent(dbl.get('bars')):>8}{percent(ref_dbl.get('bars')):>8}",
        f"{'onsets a bar':<22}{_num(feel.get('onsets'), 1):>8}{_num(ref.get('onsets'), 1):>8}"
        f"   x{_num(feel.get('density'))}",
        f"{'kick+snare+time':<22}{percent(feel.get('groove')):>8}{percent(ref.get('groove')):>8}",
        f"{'filter pass':<22}{percent(feel.get('pass')):>8}{percent(ref.get('pass')):>8}",
        f"{'machine guns':<22}{percent(guns.get('share')):>8}{'':>8}   limit {_num(ref.get('limit'), 0)} onsets",
        f"{'silent':<22}{percent(feel.get('silent')):>8}",
    ]
    inst = feel.get("instruments") or {}
    if inst:
        lines.append("per instrument x" + "  ".join(f"{n} {r:.2f}" for n, r in inst.items()))
    overlap = feel.get("overlap")
    if overlap:
        lines.append("overlap (Yang & Lerch) " + "  ".join(f"{k} {v:.2f}" for k, v in overlap.items()))
    return lines


def percent(value: Any) -> str:
    """A share as a whole percentage for the tables (``-`` when unknown)."""
    return f"{value * 100:.0f}%" if isinstance(value, int | float) else "-"


def _num(value: Any, digits: int = 2) -> str:
    return f"{value:.{digits}f}" if isinstance(value, int | float) and math.isfinite(value) else "-"


__all__ = [
    "MACHINE_GUN",
    "doubles",
    "feel_figures",
    "feel_notes",
    "feel_problems",
    "feel_table",
    "feel_warnings",
    "groove",
    "iois",
    "machine_gun_limits",
    "overlap_area",
    "overlap_areas",
    "percent",
    "reference",
    "step_between",
]
