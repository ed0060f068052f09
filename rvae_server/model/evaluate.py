"""How a model plays on a pad, measured as a performer meets it: the figures of ``rvae eval``, stored in a model's
``meta.json`` as ``evaluation`` after training and shown (with a plain warning when the space is poor) by the
web page.

Everything is decoded at one threshold, the model's own default (0.5 on its calibrated probabilities, see
:mod:`rvae_server.model.inference`), unless another is given.

``random``, ``grid``
    :data:`POINTS` uniform random pad points (seed 0) and the 30 × 30 pad grid: share passing the pattern filter
    (:mod:`rvae_server.core.patterns`), mean onsets a bar and its ratio to the training bars' mean (``density``),
    share of silent bars and of bars with fewer than 4 onsets; for the grid also the number of distinct
    patterns and the mean number of onset cells that change between 4-neighbours (``step``).
``train``, ``validation``
    the bars of each part: their own pass rate (real data), mean onsets, and the round trip a performer makes —
    encode the bar, clip its point to the pad, decode there — scored by onset F1 on the exact tick and within
    ±1 tick (an onset counts as found when the other side has one on the same instrument at most one tick
    away), velocity error (mean absolute, MIDI units) and microtiming error (half-ticks) on the onsets found on
    the exact tick, and ``inside``: the share of bars whose encoding lies inside the pad before clipping.
``feel``
    how the random points feel against the training bars (:mod:`rvae_server.model.feel`): doubled hits, density
    overall and per instrument, machine guns, the share playing a groove, silent points, the filter's pass
    rate beside the training bars' own, and the overlapping areas of their distributions.
``poor``, ``warnings``
    plain-language warnings for every target the space misses, and whether it plays poorly: see
    :mod:`rvae_server.model.verdict`.

Every bar is played as the performer hears it: thresholded, then one onset where a drummer plays one
(:mod:`rvae_server.core.peaks`; ``peaks=False`` measures the decoder as models before issue 21 played).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.patterns import ENTROPY_K, MIN_INSTRUMENTS, MIN_ONSETS, passes
from rvae_server.core.peaks import decoded_bars
from rvae_server.model.feel import feel_figures, feel_table, percent, reference
from rvae_server.model.inference import LoadedModel
from rvae_server.model.planes import grid_points
from rvae_server.model.verdict import is_poor, warnings

POINTS = 1000
GRID = 30
SEED = 0


def _density(onsets: NDArray[np.bool_], reference: float) -> dict[str, float]:
    counts = onsets.sum(axis=(1, 2))
    mean = float(counts.mean()) if len(counts) else 0.0
    return {
        "pass": float(passes(onsets).mean()) if len(onsets) else 0.0,
        "onsets": mean,
        "density": mean / reference if reference > 0 else math.nan,
        "silent": float((counts == 0).mean()) if len(counts) else 0.0,
        "sparse": float((counts < MIN_ONSETS).mean()) if len(counts) else 0.0,
    }


def grid_figures(onsets: NDArray[np.bool_], n: int, p99: bool = False) -> dict[str, float]:
    """Distinct patterns and mean neighbour step of an ``n × n`` grid's onsets ``(n*n, 96, 9)`` (row-major); with
    ``p99`` also the 99th-percentile step (``step_p99``)."""
    flat = onsets.reshape(n * n, -1)
    distinct = len({row.tobytes() for row in np.packbits(flat, axis=1)})
    cube = flat.reshape(n, n, -1)
    steps = np.concatenate(
        [(cube[:, 1:] != cube[:, :-1]).sum(-1).ravel(), (cube[1:, :] != cube[:-1, :]).sum(-1).ravel()]
    )
    out = {"distinct": distinct, "step": float(steps.mean())}
    if p99:
        out["step_p99"] = float(np.percentile(steps, 99))
    return out


def _dilate(a: NDArray[np.bool_]) -> NDArray[np.bool_]:
    d = a.copy()
    d[:, 1:] |= a[:, :-1]
    d[:, :-1] |= a[:, 1:]
    return d


def reconstruction(
    model: LoadedModel, bars: NDArray[np.float32], threshold: float = 0.5, peaks: bool = True
) -> dict[str, float]:
    """The performer's round trip of ``bars`` ``(N, 3, 96, 9)`` (see the module docstring)."""
    if not len(bars):
        return {}
    raw = model.encode(bars, clip=False)
    inside = float(((raw >= 0) & (raw <= 1)).all(axis=1).mean())
    played = decoded_bars(model.decode_pad(np.clip(raw, 0.0, 1.0)).planes, threshold, peaks)
    pred = played[:, 0] > 0.5
    true = bars[:, 0] > 0.5
    tp = float((pred & true).sum())
    f1 = 2 * tp / max(1.0, float(pred.sum() + true.sum()))
    prec = float((pred & _dilate(true)).sum()) / max(1.0, float(pred.sum()))
    rec = float((true & _dilate(pred)).sum()) / max(1.0, float(true.sum()))
    f1_tick = 2 * prec * rec / (prec + rec) if prec + rec > 0 else 0.0
    both = pred & true
    vel = float(np.abs(played[:, 1] - bars[:, 1])[both].mean() * 127) if both.any() else math.nan
    mt = float(np.abs(played[:, 2] - bars[:, 2])[both].mean()) if both.any() else math.nan
    return {"f1": f1, "f1_tick": f1_tick, "velocity_error": vel, "microtiming_error": mt, "inside": inside}


def evaluate_model(
    model: LoadedModel,
    train: NDArray[np.float32] | None,
    validation: NDArray[np.float32] | None = None,
    *,
    threshold: float = 0.5,
    points: int = POINTS,
    n: int = GRID,
    seed: int = SEED,
    peaks: bool = True,
) -> dict[str, Any]:
    """All the figures of the module docstring as a JSON-ready dict (floats rounded to 4 decimals). Without
    ``train`` bars the density is measured against the model's recorded ``training.onsets_per_bar``, and the
    feel against the reference stored in its evaluation (if any)."""
    ref: dict[str, Any] | None = None
    if train is not None and len(train):
        ref = reference(train)
        onsets_per_bar = ref["onsets"]
    else:
        recorded = (model.meta.get("training") or {}).get("onsets_per_bar")
        onsets_per_bar = float(recorded) if isinstance(recorded, int | float) else math.nan
        stored = ((model.evaluation or {}).get("feel") or {}) if hasattr(model, "evaluation") else {}
        ref = stored.get("reference") if isinstance(stored.get("reference"), dict) else None
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0.0, 1.0, (points, 2)).astype(np.float32)
    random_bars = decoded_bars(model.decode_pad(xy).planes, threshold, peaks)
    random_onsets = random_bars[:, 0] > 0.5
    grid_onsets = decoded_bars(model.decode_pad(grid_points(n)).planes, threshold, peaks)[:, 0] > 0.5
    out: dict[str, Any] = {
        "filter": {"min_onsets": MIN_ONSETS, "min_instruments": MIN_INSTRUMENTS, "entropy_k": ENTROPY_K},
        "threshold": threshold,
        "raw_threshold": model.default_threshold,
        "peaks": peaks,
        "random": {"points": points, **_density(random_onsets, onsets_per_bar)},
        "grid": {"n": n, **_density(grid_onsets, onsets_per_bar), **grid_figures(grid_onsets, n, p99=True)},
    }
    if ref is not None:
        out["feel"] = feel_figures(random_bars, xy, ref, train)
    for part, bars in (("train", train), ("validation", validation)):
        if bars is None or not len(bars):
            continue
        onsets = bars[:, 0] > 0.5
        out[part] = {
            "bars": len(bars),
            "onsets": float(onsets.sum(axis=(1, 2)).mean()),
            "pass": float(passes(onsets).mean()),
            **reconstruction(model, bars, threshold, peaks),
        }
    out = _rounded(out)
    out["warnings"] = warnings(out)
    out["poor"] = is_poor(out)
    return out


def _rounded(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, float):
        return round(value, 4) if math.isfinite(value) else None
    return value


def table(figures: dict[str, Any]) -> str:
    """The figures as a small text table for people."""
    lines = []
    f = figures.get("filter") or {}
    raw = figures.get("raw_threshold")
    raw_text = f" (raw {raw:g})" if isinstance(raw, int | float) else " (uncalibrated model)"
    lines.append(f"threshold {figures.get('threshold')}{raw_text}; pattern filter: >= {f.get('min_onsets')} onsets "
                 f"on >= {f.get('min_instruments')} instruments, column entropy > {f.get('entropy_k')}")  # fmt: skip
    lines.append(f"{'pad':<14}{'pass':>7}{'onsets':>8}{'density':>9}{'silent':>8}{'<4':>7}{'distinct':>10}{'step':>7}")
    for key, label in (("random", f"{(figures.get('random') or {}).get('points')} random"), ("grid", "30x30 grid")):
        r = figures.get(key)
        if not r:
            continue
        distinct = f"{r['distinct']:>10}" if "distinct" in r else f"{'':>10}"
        step = f"{r['step']:>7.2f}" if "step" in r else f"{'':>7}"
        lines.append(f"{label:<14}{percent(r['pass']):>7}{r['onsets']:>8.1f}{_num(r['density']):>9}{percent(r['silent']):>8}"
                     f"{percent(r['sparse']):>7}{distinct}{step}")  # fmt: skip
    lines.append(
        f"{'bars':<14}{'n':>5}{'onsets':>8}{'pass':>7}{'F1':>7}{'F1 ±1':>7}{'vel err':>9}{'mt err':>8}{'inside':>8}"
    )
    for part in ("train", "validation"):
        r = figures.get(part)
        if not r:
            continue
        errors = f"{_num(r.get('velocity_error'), 1):>9}{_num(r.get('microtiming_error')):>8}"
        lines.append(f"{part:<14}{r['bars']:>5}{r['onsets']:>8.1f}{percent(r['pass']):>7}{_num(r.get('f1')):>7}"
                     f"{_num(r.get('f1_tick')):>7}{errors}{percent(r.get('inside')):>8}")  # fmt: skip
    if isinstance(figures.get("feel"), dict):
        lines.extend(feel_table(figures["feel"]))
    for text in figures.get("warnings") or []:
        lines.append(f"warning: {text}")
    return "\n".join(lines)


def _num(value: Any, digits: int = 2) -> str:
    return f"{value:.{digits}f}" if isinstance(value, int | float) else "-"


__all__ = ["evaluate_model", "grid_figures", "reconstruction", "table", "warnings"]
