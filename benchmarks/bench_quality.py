"""Spaces that feel like drumming (issue 21): every target per set and bundled model, each recipe variant beside
recipe v2 in one run, medians of the seeds with their ranges; the decode-time cost of the peak picking; the
training time on 1 and 2 threads; the whole ``rvae train`` of 10 clips beside its training loop.

    python -m benchmarks.bench_quality [--seeds 0,1,2,3,4] [--variants v2,v2+peaks,...] [--sets a,b]
                                       [--bundled groove-all,...|none] [--bundled-seeds 0,1,2,3,4]
                                       [--clips tests/data/groove] [--data ../shared/data/groove] [--json OUT]
                                       [--skip-timing]

Sets (fixed): the thirteen 4/4 ``beat`` clips of ``tests/data/groove`` split 5:1 by clip with seed 0 (11 train,
2 validation clips): (a) each clip's first 2 used bars, (b) the whole clips. Bundled models: each trained on
its own data as ``scripts/train_bundled_models.py`` and ``scripts/train_mined_model.py`` do (split with seed 0;
the seed varies the training only). Every figure is ``rvae eval``'s (:mod:`rvae_server.model.evaluate`, 1000
random pad points, seed 0) against the model's own training bars.

Variants (:data:`VARIANTS`), each adding to the one before unless it says otherwise: ``v2`` as shipped before
issue 21 (heard without peak picking), ``v2+peaks`` (peak picking at decode only), ``+pad`` (the threshold
calibrated per instrument at random pad points, counting played onsets); on top of ``+pad`` each alone: ``+grid``
(onsets beside the grid moved onto it, :mod:`rvae_server.model.targets`), ``+tolerant`` (no onset loss one tick
beside a true onset), ``+spread`` (velocity and microtiming spread, :mod:`rvae_server.model.spread`);
``+tol.5+spread`` (the tolerant loss at half weight with the spread: v3 without its cap), ``v3`` (the recipe
chosen: with the cap of hits a bar). Training runs on 1 torch thread (CPU seconds are the figure to compare on a
shared machine).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rvae_server.core.midifile import find_clips
from rvae_server.core.peaks import cap_probs, peak_probs
from rvae_server.model.calibrate import fit_space
from rvae_server.model.evaluate import evaluate_model
from rvae_server.model.inference import LoadedModel
from rvae_server.model.recipe import get_recipe
from rvae_server.model.training import train_model
from rvae_server.model.trainingdata import Split, TrainingData, load_training_bars, split_data

ROOT = Path(__file__).resolve().parents[1]

#: label → (recipe, changes, peak picking when heard)
VARIANTS: dict[str, tuple[str, dict[str, Any], bool]] = {
    "v2": ("v2", {}, False),
    "v2+peaks": ("v2", {}, True),
    "+pad": ("v2", {"threshold_at": "pad", "peaks": True}, True),
    "+grid": ("v2", {"threshold_at": "pad", "peaks": True, "target": "grid"}, True),
    "+tolerant": ("v2", {"threshold_at": "pad", "peaks": True, "onset_loss": "tolerant"}, True),
    "+spread": ("v2", {"threshold_at": "pad", "peaks": True, "spread": True}, True),
    "+tol.5+spread": ("v3", {"cap": False}, True),
    "v3": ("v3", {}, True),
}
BUNDLED = ("groove-all", "groove-rock", "groove-funk", "groove-jazz-shuffle", "groove-hiphop", "mined-all")
GMD_PASS = 0.8


def sets(folder: Path) -> dict[str, Split]:
    paths = [p for p in find_clips([folder]) if p.name.endswith("_beat_4-4.mid")]
    short = load_training_bars(paths)
    for clip in short.clips:
        clip.bars = clip.bars[:2]
    return {"a": split_data(short, 0), "b": split_data(load_training_bars(paths), 0)}


def bundled_data(name: str, data: Path) -> tuple[TrainingData, int | None]:
    """A bundled model's clips and epochs, as its training script chooses them."""
    spec = importlib.util.spec_from_file_location("train_bundled_models", ROOT / "scripts" / "train_bundled_models.py")
    assert spec is not None and spec.loader is not None
    tbm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tbm)  # the script that trained the bundled models chooses their clips

    if name == "mined-all":
        return load_training_bars([str(ROOT / "models" / "mined-all.dataset.npz")]), None
    paths = tbm.select(data, tbm.MODELS[name][1])
    clips = load_training_bars(paths)
    batch = get_recipe().batch_size
    return clips, max(8, min(200, math.ceil(6000 / math.ceil(clips.bars * 5 / 6 / batch))))


def run_variant(split: Split, variant: str, seed: int, threads: int = 1, epochs: int | None = None) -> dict[str, Any]:
    recipe_name, changes, peaks = VARIANTS[variant]
    recipe = get_recipe(recipe_name).with_changes(**changes) if changes else get_recipe(recipe_name)
    torch.set_num_threads(threads)
    wall, cpu = time.perf_counter(), time.process_time()
    result = train_model(split, recipe=recipe, seed=seed, epochs=epochs)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    torch.set_num_threads(1)
    space = fit_space(
        result.model, split.train, at=recipe.threshold_at, peaks=recipe.peaks, spread=recipe.spread, cap=recipe.cap
    )
    model = LoadedModel.from_module(result.model, {"space": space}, peaks=peaks)
    figures = evaluate_model(model, split.train, split.validation, peaks=peaks)
    figures["seconds"] = {"wall": round(wall, 2), "cpu": round(cpu, 2), "threads": threads}
    figures["kept"] = f"{result.best_epoch}/{len(result.history)}"
    return figures


def targets(f: dict[str, Any], kind: str, gmd: bool = False) -> dict[str, tuple[float, bool | None]]:
    """Each target of issue 21: name → (value, met) (``met`` None: reported, no target)."""
    feel, ref = f.get("feel") or {}, (f.get("feel") or {}).get("reference") or {}
    train, grid = f.get("train") or {}, f.get("grid") or {}
    out: dict[str, tuple[float, bool | None]] = {}
    rate, ref_rate = feel["doubles"]["per_100"], ref["doubles"]["per_100"]
    out["doubles /100"] = (rate, None)
    out["doubles / train's"] = (rate / ref_rate if ref_rate else math.inf, rate <= 1.5 * ref_rate)
    out["density"] = (feel["density"], abs(feel["density"] - 1) <= 0.15)
    inst = feel.get("instruments") or {}
    worst = max(inst.values(), key=lambda r: abs(r - 1)) if inst else 1.0
    out["worst instrument"] = (worst, abs(worst - 1) <= 0.30)
    out["machine guns"] = (feel["machine_guns"]["share"], feel["machine_guns"]["share"] == 0)
    out["m.g. strict (no floor)"] = (feel["machine_guns"].get("strict", math.nan), None)
    out["groove"] = (feel["groove"], None)
    out["groove - train's"] = (feel["groove"] - ref["groove"], feel["groove"] >= ref["groove"] - 0.05)
    out["silent"] = (feel["silent"], feel["silent"] == 0)
    floor = max(ref["pass"], GMD_PASS) if gmd else ref["pass"]
    out["pass"] = (feel["pass"], feel["pass"] >= floor)
    out["pass - train's"] = (feel["pass"] - ref["pass"], None)
    for key, value in (feel.get("overlap") or {}).items():
        out[f"overlap {key}"] = (value, value >= 0.7)
    if kind == "a":
        out["F1 exact"] = (train.get("f1", math.nan), train.get("f1", 0) >= 0.95)
        out["F1 ±1"] = (train.get("f1_tick", math.nan), None)
        out["step"] = (grid["step"], grid["step"] <= 4)
    else:
        out["F1 exact"] = (train.get("f1", math.nan), None)
        out["F1 ±1"] = (train.get("f1_tick", math.nan), train.get("f1_tick", 0) >= 0.9 if kind == "b" else None)
        out["step"] = (grid["step"], None)
    cliff = ref.get("clip_step") or math.nan
    out["p99 step / clip step"] = (grid["step_p99"] / cliff, grid["step_p99"] <= cliff)
    if "seconds" in f:
        out["cpu s"] = (f["seconds"]["cpu"], None)
    return out


def summary(rows: dict[str, list[dict[str, tuple[float, bool | None]]]], title: str) -> str:
    """Medians (ranges) of each target per variant; ✓/✗ on the median's own run of the same seed."""
    names = list(next(iter(rows.values()))[0])
    width = 21
    lines = [title, f"{'target':<24}" + "".join(f"{v:>{width}}" for v in rows)]
    for name in names:
        cells = []
        for variant_rows in rows.values():
            values = [r[name][0] for r in variant_rows if name in r]
            met = [r[name][1] for r in variant_rows if name in r]
            med = statistics.median(values) if values else math.nan
            spread = f"{min(values):.2f}–{max(values):.2f}" if len(values) > 1 else ""
            mark = "" if met[0] is None else f" {sum(bool(m) for m in met)}/{len(met)}"
            cells.append(f"{med:.2f} {spread}{mark}".rjust(width))
        lines.append(f"{name:<24}" + "".join(cells))
    return "\n".join(lines)


def peak_cost() -> dict[str, float]:
    """Decode-time cost (median µs) of the peak picking a trained model's decode applies (one bar, one 30x30 grid),
    of a v3 model's cap, and of the whole single-point decode with and without them."""
    rng = np.random.default_rng(0)
    probs = rng.random((96, 9)).astype(np.float32)
    grid = rng.random((900, 96, 9)).astype(np.float32)
    limits = np.full(9, 12)

    def median_us(fn: Any, reps: int) -> float:
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return statistics.median(times) * 1e6

    split = sets(ROOT / "tests" / "data" / "groove")["a"]
    torch.set_num_threads(1)
    module = train_model(split, recipe=get_recipe("v3"), seed=0, epochs=2).model
    space = fit_space(module, split.train, at="pad", peaks=True, cap=True)
    z = np.array([[0.3, -0.2]], np.float32)
    decode = {
        k: median_us(lambda m=m: m.decode_latent(z), 3000)
        for k, m in (
            ("raw", LoadedModel.from_module(module, peaks=False)),
            ("peaks", LoadedModel.from_module(module)),
            ("capped", LoadedModel.from_module(module, {"space": space})),
        )
    }
    costs = {"bar": median_us(lambda: peak_probs(probs), 3000), "grid": median_us(lambda: peak_probs(grid), 30),
             "cap_bar": median_us(lambda: cap_probs(probs, limits, 40), 3000),
             "cap_grid": median_us(lambda: cap_probs(grid, limits, 40), 30)}  # fmt: skip
    return {**costs, **{f"decode_{k}": v for k, v in decode.items()}}


def whole_train(clips: Path, recipe: str) -> dict[str, float]:
    """``rvae train`` of ``clips`` in a fresh process (1 thread): wall and CPU seconds of the whole command beside
    its training loop (``training.seconds`` of the saved meta)."""
    with tempfile.TemporaryDirectory() as tmp:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        cmd = [sys.executable, "-m", "rvae_server.cli", "train", str(clips), "--name", "ten", "--models-dir", tmp,
               "--threads", "1", "--recipe", recipe, "--json"]  # fmt: skip
        subprocess.run(cmd, check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        meta = json.loads((Path(tmp) / "ten" / "meta.json").read_text())
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    loop = float(meta["training"]["seconds"])
    return {"wall": wall, "cpu": cpu, "loop": loop, "overhead": wall - loop}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=Path, default=ROOT / "tests" / "data" / "groove")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "groove")
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--sets", default="a,b")
    parser.add_argument("--bundled", default=",".join(BUNDLED), help="bundled models to retrain, or 'none'")
    parser.add_argument("--bundled-variants", default="v2,v2+peaks,+tol.5+spread,v3")
    parser.add_argument("--bundled-seeds", default=None, help="default: --seeds")
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    variants = [v for v in args.variants.split(",") if v]
    results: dict[str, Any] = {"load": os.getloadavg()[0], "seeds": seeds}
    print(f"load average {os.getloadavg()[0]:.2f}; seeds {seeds}; medians (min–max), k/n = seeds meeting the target")
    data = sets(args.clips)
    for name in [s for s in args.sets.split(",") if s and s != "none"]:
        split = data[name]
        rows: dict[str, list[dict[str, tuple[float, bool | None]]]] = {}
        for variant in variants:
            rows[variant] = []
            for seed in seeds:
                f = run_variant(split, variant, seed)
                results[f"{name}/{variant}/{seed}"] = f
                rows[variant].append(targets(f, name))
                print(f"  ({name}) {variant} s{seed}: kept {f['kept']}, {f['seconds']['cpu']:.1f} CPU s", flush=True)
        title = f"\n({name}) {len(split.train)} / {len(split.validation)} bars (train / validation)"
        print(summary(rows, title), flush=True)
    bundled = [] if args.bundled == "none" else [b for b in args.bundled.split(",") if b]
    bseeds = [int(s) for s in (args.bundled_seeds or args.seeds).split(",")]
    for name in bundled:
        clips, epochs = bundled_data(name, args.data)
        split = split_data(clips, 0)
        rows = {}
        for variant in [v for v in args.bundled_variants.split(",") if v]:
            rows[variant] = []
            for seed in bseeds:
                f = run_variant(split, variant, seed, epochs=epochs)
                results[f"{name}/{variant}/{seed}"] = f
                rows[variant].append(targets(f, "c", gmd=name.startswith("groove")))
                print(f"  {name} {variant} s{seed}: kept {f['kept']}, {f['seconds']['cpu']:.1f} CPU s", flush=True)
        print(summary(rows, f"\n{name}: {len(split.train)} / {len(split.validation)} bars"), flush=True)
    if not args.skip_timing:
        cost = peak_cost()
        results["peak_cost_us"] = cost
        print(f"\npeak picking at decode: {cost['bar']:.0f} µs a bar, {cost['grid'] / 1000:.1f} ms a 30x30 grid; a v3 "
              f"model's cap (peaks included) {cost['cap_bar']:.0f} µs a bar, {cost['cap_grid'] / 1000:.1f} ms a grid; "
              f"one point decoded raw {cost['decode_raw']:.0f} µs, with peaks {cost['decode_peaks']:.0f} µs, with "
              f"peaks and cap {cost['decode_capped']:.0f} µs")  # fmt: skip
        for threads in (1, 2):
            f = run_variant(data["b"], "v3", 0, threads=threads)
            s = f["seconds"]
            results[f"timing/b/{threads}"] = s
            print(f"training (b) v3 seed 0, {threads} thread(s): {s['wall']:.2f} s wall, {s['cpu']:.2f} CPU s")
        ten = sorted(p for p in find_clips([args.clips]) if p.name.endswith("_beat_4-4.mid"))[:10]
        with tempfile.TemporaryDirectory() as tmp:
            for p in ten:
                (Path(tmp) / p.name).write_bytes(p.read_bytes())
            for recipe in ("v2", "v3"):
                w = whole_train(Path(tmp), recipe)
                results[f"timing/rvae-train/{recipe}"] = w
                print(f"rvae train, 10 clips, recipe {recipe}: {w['wall']:.2f} s wall ({w['cpu']:.2f} CPU s), "
                      f"training loop {w['loop']:.2f} s, the rest {w['overhead']:.2f} s")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
