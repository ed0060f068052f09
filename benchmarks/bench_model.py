"""Benchmark of the rhythm VAE: training time, reconstruction, the shape of the pad space, decoding latency,
and the β and epochs sweeps that chose the defaults.

    python -m benchmarks.bench_model [--clips DIR] [--betas 0.01,0.1,...] [--epochs-sweep 25,50,...] [--quick]

Data: the thirteen 4/4 ``beat`` clips of ``tests/data/groove`` (Groove MIDI Dataset, "the dozen clips").
Training uses 2 torch threads (this machine has 2 cores; the server trains in its own process); decoding is
measured with 1 thread, as the live server runs it.

Figures
-------
* training seconds: reading the clips + split + training for the default epochs (not interpreter start-up);
* onset F1 of the reconstruction (encode → decode at the posterior mean, threshold 0.5) on the training and
  validation bars, exact tick; also "±1 tick" (an onset counts if the other side has one on the same instrument
  within one tick), velocity MAE (MIDI units) and microtiming MAE (half-ticks) on the target's onset cells
  among the decoded onsets;
* 30×30 pad grid (threshold 0.5): distinct patterns, mean onsets changed between adjacent points (4-neighbour),
  share of points with fewer than 2 onsets; share of training bars whose encoding falls inside the pad;
* decoding one bar: median and p99 (a drag: small steps; a jump: random points), the 30×30 grid in one batch.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from rvae_server.core.midifile import find_clips
from rvae_server.model.inference import LoadedModel
from rvae_server.model.modelfile import save_model
from rvae_server.model.network import ModelConfig, RhythmVAE
from rvae_server.model.training import DEFAULT_BATCH, DEFAULT_EPOCHS, train_model
from rvae_server.model.trainingdata import Split, TrainEvent, load_training_bars, split_data

ROOT = Path(__file__).resolve().parents[1]


BATCH = DEFAULT_BATCH


def dozen(folder: Path) -> list[Path]:
    return [p for p in find_clips([folder]) if p.name.endswith("_beat_4-4.mid")]


def f1_stats(model: LoadedModel, bars: np.ndarray) -> dict[str, float]:
    dec = model.decode_latent(model.encode_latent(bars))
    pred = dec.probs >= 0.5
    true = bars[:, 0] > 0.5
    tp = float((pred & true).sum())
    f1 = 2 * tp / max(1.0, float(pred.sum() + true.sum()))

    # ±1 tick: dilate each side along the tick axis (wrapping within the bar is ignored)
    def dilate(a: np.ndarray) -> np.ndarray:
        d = a.copy()
        d[:, 1:] |= a[:, :-1]
        d[:, :-1] |= a[:, 1:]
        return d

    prec = float((pred & dilate(true)).sum()) / max(1.0, float(pred.sum()))
    rec = float((true & dilate(pred)).sum()) / max(1.0, float(true.sum()))
    f1_tol = 2 * prec * rec / max(1e-9, prec + rec)
    both = pred & true
    vel = float(np.abs(dec.velocities - bars[:, 1])[both].mean() * 127) if both.any() else float("nan")
    mt = float(np.abs(dec.microtiming - bars[:, 2])[both].mean()) if both.any() else float("nan")
    return {"f1": f1, "f1_tol": f1_tol, "vel_mae": vel, "mt_mae": mt}


def grid_stats(model: LoadedModel, train: np.ndarray, n: int = 30) -> dict[str, float]:
    onsets = model.decode_grid(n).probs >= 0.5  # (n*n, 96, 9)
    flat = onsets.reshape(n, n, -1)
    distinct = len({row.tobytes() for row in onsets.reshape(n * n, -1)})
    steps = np.concatenate(
        [(flat[:, 1:] != flat[:, :-1]).sum(-1).ravel(), (flat[1:, :] != flat[:-1, :]).sum(-1).ravel()]
    )
    sparse = float((onsets.reshape(n * n, -1).sum(-1) < 2).mean())
    xy = model.encode(train, clip=False)
    inside = float(((xy >= 0) & (xy <= 1)).all(axis=1).mean())
    return {"distinct": distinct, "step": float(steps.mean()), "sparse": sparse, "inside": inside}


def latency(model: LoadedModel) -> dict[str, float]:
    rng = np.random.default_rng(1)
    drag = np.clip(0.5 + np.cumsum(rng.normal(0, 0.004, (4000, 2)), axis=0), 0, 1).astype(np.float32)
    jumps = rng.uniform(0, 1, (1000, 2)).astype(np.float32)
    out: dict[str, float] = {}
    for label, points in (("drag", drag), ("jump", jumps)):
        for p in points[:100]:
            model.decode_pad(p)
        times = []
        for p in points:
            t = time.perf_counter()
            model.decode_pad(p)
            times.append(time.perf_counter() - t)
        out[f"{label}_median_ms"] = statistics.median(times) * 1e3
        out[f"{label}_p99_ms"] = float(np.percentile(times, 99)) * 1e3
    pattern_times = []
    for p in jumps[:300]:
        t = time.perf_counter()
        model.pattern(p)
        pattern_times.append(time.perf_counter() - t)
    out["pattern_jump_median_ms"] = statistics.median(pattern_times) * 1e3
    grid_times = []
    for _ in range(10):
        t = time.perf_counter()
        model.decode_grid(30)
        grid_times.append(time.perf_counter() - t)
    out["grid_ms"] = statistics.median(grid_times) * 1e3
    return out


def train(split: Split, beta: float, epochs: int, snapshots: tuple[int, ...] = ()) -> tuple[RhythmVAE, list, float]:
    """Train; at each snapshot epoch evaluate a copy (evaluation time excluded from the reported seconds)."""
    rows: list[tuple[int, float, dict[str, float]]] = []
    holder: dict[str, RhythmVAE] = {}
    excluded = [0.0]

    import rvae_server.model.training as training

    original = training.RhythmVAE

    def capture(config: ModelConfig) -> RhythmVAE:
        model = original(config)
        holder["m"] = model
        return model

    def on_epoch(e: TrainEvent) -> None:
        if e.epoch in snapshots:
            t = time.perf_counter()
            m = holder["m"]
            m.eval()
            lm = LoadedModel.from_module(m)
            stats = {**f1_stats(lm, split.train), **{f"val_{k}": v for k, v in f1_stats(lm, split.validation).items()}}
            stats.update(grid_stats(lm, split.train))
            m.train()
            rows.append((e.epoch, e.seconds - excluded[0], stats))
            excluded[0] += time.perf_counter() - t

    training.RhythmVAE = capture  # type: ignore[assignment,misc]
    try:
        result = train_model(split, ModelConfig(beta=beta), epochs=epochs, seed=0, batch_size=BATCH, progress=on_epoch)
    finally:
        training.RhythmVAE = original  # type: ignore[misc]
    return result.model, rows, result.seconds - excluded[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=Path, default=ROOT / "tests" / "data" / "groove")
    parser.add_argument("--betas", default="0.01,0.05,0.2,0.5,1,2")
    parser.add_argument("--epochs-sweep", default="20,40,60,100,150,200")
    parser.add_argument("--quick", action="store_true", help="skip the sweeps")
    parser.add_argument("--sweeps-only", action="store_true", help="only the sweeps")
    parser.add_argument("--threads", type=int, default=2, help="torch threads for training (default 2)")
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help=f"batch size (default {DEFAULT_BATCH})")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    global BATCH
    BATCH = args.batch
    beta_default = ModelConfig().beta

    paths = dozen(args.clips)
    if args.sweeps_only:
        data = load_training_bars(paths)
        split = split_data(data, 0)
        return sweeps(args, split, beta_default)
    # 1. the timed run: read + split + train, default epochs
    runs, cpu = [], []
    for _ in range(3):
        t, c = time.perf_counter(), time.process_time()
        data = load_training_bars(paths)
        split = split_data(data, 0)
        result = train_model(split, ModelConfig(), epochs=DEFAULT_EPOCHS, seed=0, batch_size=BATCH)
        runs.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    print(f"data: {len(data.clips)} clips, {data.bars} used bars; split by {split.by}: "
          f"{len(split.train)} train / {len(split.validation)} validation bars")  # fmt: skip
    print(f"train {DEFAULT_EPOCHS} epochs (beta {beta_default}, batch {BATCH}), {args.threads} threads: wall seconds "
          f"{', '.join(f'{r:.2f}' for r in runs)} (median {statistics.median(runs):.2f}, target <= 5); "
          f"CPU seconds {', '.join(f'{c:.2f}' for c in cpu)}; load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    model = LoadedModel.from_module(result.model)
    tr, va = f1_stats(model, split.train), f1_stats(model, split.validation)
    print(f"reconstruction onset F1: train {tr['f1']:.3f} (±1 tick {tr['f1_tol']:.3f}), "
          f"validation {va['f1']:.3f} (±1 tick {va['f1_tol']:.3f})")  # fmt: skip
    print(f"on onsets: velocity MAE train {tr['vel_mae']:.1f} / val {va['vel_mae']:.1f} MIDI units; "
          f"microtiming MAE train {tr['mt_mae']:.3f} / val {va['mt_mae']:.3f} half-ticks")  # fmt: skip
    g = grid_stats(model, split.train)
    print(
        f"30x30 grid: {g['distinct']} distinct patterns, mean onsets changed between neighbours {g['step']:.2f}, "
        f"{g['sparse'] * 100:.0f}% points < 2 onsets; "
        f"{g['inside'] * 100:.0f}% of training bars encode inside the pad"
    )

    with tempfile.TemporaryDirectory() as tmp:
        for dtype in ("float16", "float32"):
            path = save_model(result.model, {}, tmp, f"m-{dtype}", dtype=dtype)
            size = (path / "weights.safetensors").stat().st_size
            params = sum(p.numel() for p in result.model.parameters())
            print(f"model file ({dtype}): {size / 1e6:.2f} MB weights, {params} parameters")
        torch.set_num_threads(1)
        loaded = LoadedModel.load(Path(tmp) / "m-float16")
        lat = latency(loaded)
        torch.set_num_threads(2)
    print(f"decode one bar (1 thread): drag median {lat['drag_median_ms']:.3f} ms, p99 {lat['drag_p99_ms']:.3f} ms; "
          f"jump median {lat['jump_median_ms']:.3f} ms, p99 {lat['jump_p99_ms']:.3f} ms; "
          f"pattern() jump median {lat['pattern_jump_median_ms']:.3f} ms")  # fmt: skip
    print(f"decode 30x30 grid in one batch (1 thread): {lat['grid_ms']:.1f} ms")
    if args.quick:
        return 0
    return sweeps(args, split, beta_default)


def sweeps(args: argparse.Namespace, split: Split, beta_default: float) -> int:
    names = ("epochs", "sec", "F1 tr", "F1 val", "±1 tr", "±1 val", "distinct", "step", "sparse", "inside")
    header = f"{'':>8} " + " ".join(f"{n:>8}" if n == "distinct" else f"{n:>6}" for n in names)

    def row(label: str, epoch: int, sec: float, s: dict[str, float]) -> str:
        return (
            f"{label:>8} {epoch:>6} {sec:>6.2f} {s['f1']:>6.3f} {s['val_f1']:>6.3f} {s['f1_tol']:>6.3f} "
            f"{s['val_f1_tol']:>6.3f} {s['distinct']:>8} {s['step']:>6.2f} {s['sparse']:>6.2f} {s['inside']:>6.2f}"
        )

    print(f"\nbeta sweep at {DEFAULT_EPOCHS} epochs")
    print(header)
    for beta in (float(b) for b in args.betas.split(",")):
        _, rows, _sec = train(split, beta, DEFAULT_EPOCHS, (DEFAULT_EPOCHS,))
        epoch, sec, stats = rows[-1]
        print(row(f"b={beta:g}", epoch, sec, stats), flush=True)

    sweep = tuple(int(e) for e in args.epochs_sweep.split(","))
    print(f"\nepochs sweep at beta {beta_default:g} (one run, snapshots)")
    print(header)
    _, rows, _sec = train(split, beta_default, max(sweep), sweep)
    for epoch, sec, stats in rows:
        print(row("", epoch, sec, stats), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
