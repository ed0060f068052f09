"""How the models play on a pad (issue 10): the targets (a), (b), (c), each beside the previous recipe's figure
measured in the same run, training seconds on 1 and 2 threads, and the seed's Table 2 (AE / VAE / ACAI / real).

    python -m benchmarks.bench_quality [--clips tests/data/groove] [--seeds 0] [--models models]
                                       [--old-models DIR] [--data ../shared/data/groove] [--skip-table2]
                                       [--skip-bundled | --only-bundled] [--sweep] [--json OUT]

Sets (fixed, deterministic): the thirteen 4/4 ``beat`` clips of ``tests/data/groove`` (Groove MIDI Dataset;
the "dozen clips" of benchmarks/bench_model.py), split 5:1 by clip with seed 0 (11 train, 2 validation):

* (a) each clip's first 2 used bars (22 train bars) — targets: onset F1 >= 0.95 exact, every training bar
  inside the pad, >= 70 % of random pad points pass the pattern filter with density within ±20 % of the training
  bars', training <= 2 s;
* (b) the whole clips (196 train bars) — targets: F1 within ±1 tick >= 0.9, >= 80 % pass at density ±20 %,
  >= 90 % of training bars inside, training <= 5 s on 2 idle cores;
* (c) the bundled models (``--models``) against the previous ones (``--old-models``, e.g. the models folder of
  the commit before, exported with ``git archive``), each on its own training bars read back from ``--data``:
  >= 80 % of random points pass at density ±20 %, no silent point, the start point plays kick and snare or hat.

Smoothness for all: mean onset cells changed between 30x30 grid neighbours <= 4, >= 400 distinct patterns.
``--sweep`` measures each choice of the recipe: one change at a time (:data:`SWEEP`) on (a) and (b).

"old" is recipe v1 as shipped before issue 10 (fixed ±3 pad, threshold 0.5, last epoch); "new" the current
recipe with its fitted pad and calibrated threshold. Figures are rvae_server.model.evaluate's (1000 random points,
seed 0). Training runs with 1 torch thread (CPU seconds beside wall seconds), then once more with 2 threads
(wall seconds: meaningful only on an idle machine; the load average is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rvae_server.cli.eval import own_bars
from rvae_server.core.bar import instrument_index
from rvae_server.core.midifile import find_clips
from rvae_server.core.patterns import passes
from rvae_server.model.calibrate import fit_space
from rvae_server.model.evaluate import evaluate_model, grid_figures
from rvae_server.model.inference import LoadedModel
from rvae_server.model.modeldirs import find_models
from rvae_server.model.planes import grid_points
from rvae_server.model.recipe import get_recipe
from rvae_server.model.training import train_model
from rvae_server.model.trainingdata import Split, load_training_bars, split_data
from rvae_server.session.daemon import playable_start

ROOT = Path(__file__).resolve().parents[1]


#: One change at a time from the current recipe: how each of its choices was measured (``--sweep``).
SWEEP: tuple[tuple[str, dict[str, Any]], ...] = (
    ("v2 as is", {}),
    ("1 dec layer", {"decoder_layers": 1}),
    ("2 dec layers", {"decoder_layers": 2}),
    ("4 dec layers", {"decoder_layers": 4}),
    ("hidden 192", {"hidden": 192}),
    ("hidden 512", {"hidden": 512}),
    ("enc = hidden", {"encoder_hidden": 0}),
    ("pos weight 1", {"onset_pos_weight": 1.0}),
    ("pos weight 3", {"onset_pos_weight": 3.0}),
    ("vae b=0.5", {"regularizer": "vae"}),
    ("vae b=0.1", {"regularizer": "vae", "beta": 0.1}),
    ("vae warm-up", {"regularizer": "vae", "beta_warmup": 0.5}),
    ("lr 1e-3", {"lr": 1e-3}),
    ("lr 6e-3", {"lr": 6e-3}),
    ("lr constant", {"lr_final": 1.0}),
    ("80 epochs", {"epochs": 80}),
    ("240 epochs", {"epochs": 240}),
    ("batch 16", {"batch_size": 16}),
    ("batch 64", {"batch_size": 64}),
    ("last epoch", {"keep_best": False}),
    ("strict best", {"best_tolerance": 0.0}),
)

KICK, SNARE = instrument_index("kick"), instrument_index("snare")
HATS = [instrument_index("closed-hat"), instrument_index("open-hat")]


def sets(folder: Path) -> dict[str, Split]:
    paths = [p for p in find_clips([folder]) if p.name.endswith("_beat_4-4.mid")]
    short = load_training_bars(paths)
    for clip in short.clips:
        clip.bars = clip.bars[:2]
    return {"a": split_data(short, 0), "b": split_data(load_training_bars(paths), 0)}


def train_eval(split: Split, recipe: str, seed: int, threads: int, **changes: Any) -> dict[str, Any]:
    torch.set_num_threads(threads)
    chosen = get_recipe(recipe).with_changes(**changes) if changes else get_recipe(recipe)
    wall, cpu = time.perf_counter(), time.process_time()
    result = train_model(split, recipe=chosen, seed=seed)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    torch.set_num_threads(1)
    if recipe == "v1":  # as shipped then: the fixed ±3 pad, threshold 0.5
        model = LoadedModel.from_module(result.model)
    else:
        model = LoadedModel.from_module(result.model, {"space": fit_space(result.model, split.train)})
    figures = evaluate_model(model, split.train, split.validation)
    figures["nearest_bar_step"] = nearest_bar_step(model, split.train)
    figures["seconds"] = {"wall": round(wall, 2), "cpu": round(cpu, 2), "threads": threads}
    figures["best_epoch"] = result.best_epoch
    figures["epochs"] = len(result.history)
    return figures


def nearest_bar_step(model: LoadedModel, bars: np.ndarray, n: int = 30) -> float:
    """The grid step of a pad that would play, at each grid point, the training bar encoded nearest to it: what
    reproducing every training bar exactly where it lies costs in smoothness with this layout."""
    xy = model.encode(bars)
    points = grid_points(n)
    nearest = ((points[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    return float(grid_figures(bars[nearest, 0] > 0.5, n)["step"])


def nearest_other(bars: np.ndarray) -> float:
    """Median over the bars of the onset cells that differ from the most similar other bar of the set."""
    onsets = (bars[:, 0] > 0.5).reshape(len(bars), -1).astype(np.int32)
    differ = (onsets[:, None, :] != onsets[None, :, :]).sum(axis=2)
    np.fill_diagonal(differ, 1 << 30)
    return float(np.median(differ.min(axis=1)))


def row(label: str, f: dict[str, Any]) -> str:
    t, v, r, g, s = f["train"], f["validation"], f["random"], f["grid"], f["seconds"]
    return (
        f"{label:<16}{t['f1']:>6.2f}{t['f1_tick']:>6.2f}{v['f1']:>6.2f}{v['f1_tick']:>6.2f}{t['inside'] * 100:>7.0f}%"
        f"{r['pass'] * 100:>6.0f}%{r['density']:>6.2f}{r['silent'] * 100:>6.0f}%{g['step']:>6.2f}{g['distinct']:>6}"
        f"{t['velocity_error']:>6.1f}{t['microtiming_error']:>6.2f}{s['cpu']:>7.2f}{s['wall']:>7.2f}"
        f"  {f['best_epoch']}/{f['epochs']}"
    )


HEADER = (
    f"{'':<16}{'F1':>6}{'±1':>6}{'vF1':>6}{'v±1':>6}{'inside':>8}{'pass':>7}{'dens':>6}{'silent':>7}{'step':>6}"
    f"{'dist':>6}{'vel':>6}{'mt':>6}{'cpu s':>7}{'wall s':>7}  kept/epochs"
)


def groove(bar_onsets: np.ndarray) -> bool:
    o = bar_onsets
    return bool(passes(o[None])[0] and o[:, KICK].any() and (o[:, SNARE].any() or o[:, HATS].any()))


def bundled(folder: Path, data: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for info in find_models([folder]):
        if info.error is not None:
            continue
        model = LoadedModel.load(info.path)
        train, val, notes = own_bars(model, data)
        rng = np.random.default_rng(0)
        train = train[rng.permutation(len(train))[:4000]]  # at most 4000 bars: the figures settle well before
        figures = evaluate_model(model, train, val[:1000] if len(val) else None)
        start = playable_start(model)
        first = model.pattern(start)
        figures["start"] = {"xy": list(start), "onsets": first.onset_count(), "groove": groove(first.onsets > 0)}
        figures["notes"] = notes
        out[info.name] = figures
    return out


def bundled_row(name: str, label: str, f: dict[str, Any]) -> str:
    r, g, t, st = f["random"], f["grid"], f.get("train") or {}, f["start"]
    return (
        f"{name:<20}{label:<5}{r['pass'] * 100:>6.0f}%{r['density']:>7.2f}{r['silent'] * 100:>7.1f}%"
        f"{g['silent'] * 100:>7.1f}%{g['step']:>6.2f}{g['distinct']:>6}{t.get('f1_tick', float('nan')):>6.2f}"
        f"{t.get('inside', float('nan')) * 100:>7.0f}%   ({st['xy'][0]:.2f}, {st['xy'][1]:.2f}) "
        f"{st['onsets']} onsets, {'kick+snare/hat' if st['groove'] else 'NOT a groove'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=Path, default=ROOT / "tests" / "data" / "groove")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--models", type=Path, default=ROOT / "models")
    parser.add_argument("--old-models", type=Path, default=None)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "groove")
    parser.add_argument("--skip-table2", action="store_true")
    parser.add_argument("--sweep", action="store_true", help="also one change at a time from the recipe (slow)")
    parser.add_argument("--skip-bundled", action="store_true")
    parser.add_argument("--only-bundled", action="store_true", help="only (c)")
    parser.add_argument("--json", type=Path, default=None, help="write every figure here")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    results: dict[str, Any] = {"load": os.getloadavg()[0]}
    data = sets(args.clips)
    print(f"load average {os.getloadavg()[0]:.2f}; (a) {len(data['a'].train)} / {len(data['a'].validation)} bars, "
          f"(b) {len(data['b'].train)} / {len(data['b'].validation)} bars (train / validation)")  # fmt: skip
    print("F1 = onset F1 of the training bars (exact, ±1 tick), vF1 validation; inside = training bars inside the "
          "pad; pass / dens / silent over 1000 random pad points; step / dist on the 30x30 grid")  # fmt: skip
    for name in () if args.only_bundled else ("a", "b"):
        print(f"\n({name})\n{HEADER}")
        for seed in seeds:
            for recipe in ("v1", "v2"):
                f = train_eval(data[name], recipe, seed, 1)
                results[f"{name}/{recipe}/{seed}"] = f
                print(row(f"{'old' if recipe == 'v1' else 'new'} s{seed} 1 thr", f), flush=True)
            f2 = train_eval(data[name], "v2", seed, 2)
            results[f"{name}/v2/{seed}/2 threads"] = f2
            print(row(f"new s{seed} 2 thr", f2), flush=True)
            print(f"smoothness bound: a pad playing each training bar exactly where it lies would step "
                  f"{results[f'{name}/v2/{seed}']['nearest_bar_step']:.2f} (this layout); the most similar other "
                  f"training bar differs by a median of {nearest_other(data[name].train):.0f} onset cells")  # fmt: skip
    if not args.skip_table2 and not args.only_bundled:
        print("\nTable 2 (the seed's, for our bars): share of random pad points passing the pattern filter")
        print(f"{'':<16}" + HEADER[16:])
        for name in ("a", "b"):
            real = passes(data[name].train).mean()
            print(f"({name}) real training bars pass: {real * 100:.0f}%")
            for regularizer in ("ae", "vae", "acai"):
                for seed in seeds:
                    f = train_eval(data[name], "v2", seed, 1, regularizer=regularizer)
                    results[f"table2/{name}/{regularizer}/{seed}"] = f
                    print(row(f"({name}) {regularizer} s{seed}", f), flush=True)
    if args.sweep and not args.only_bundled:
        for name in ("a", "b"):
            print(f"\nsweep ({name}): one change at a time from recipe v2\n{HEADER}")
            for label, changes in SWEEP:
                for seed in seeds:
                    f = train_eval(data[name], "v2", seed, 1, **changes)
                    results[f"sweep/{name}/{label}/{seed}"] = f
                    print(row(f"{label} s{seed}", f), flush=True)
    if not args.skip_bundled:
        print("\n(c) bundled models, on their own training bars (at most 4000) from", args.data)
        print(f"{'':<25}{'pass':>7}{'dens':>7}{'silent':>8}{'grid 0':>8}{'step':>6}{'dist':>6}{'±1 F1':>6}{'inside':>8}"
              "   start point")  # fmt: skip
        new = bundled(args.models, args.data)
        old = bundled(args.old_models, args.data) if args.old_models else {}
        for name in sorted(new):
            if name in old:
                print(bundled_row(name, "old", old[name]))
            print(bundled_row(name, "new", new[name]), flush=True)
        results["bundled"] = {"new": new, "old": old}
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
