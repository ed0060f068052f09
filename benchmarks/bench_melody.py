"""The melody layer's figures (issues 14 and 23): the key detector, the paper's filters as a metric, lines on the
paper's grid, generation time, and the clock's lateness with the melody layer on.

1. **Key detector** on the 128 hand-labelled melodies of ``../shared/data/keys`` by cross-validation — 4 folds
   (melody i in fold i % 4) and leave-one-out: ours (:mod:`rvae_server.melody.keyfinder`, its weights fitted on
   the other folds) beside the paper's detector as published (:mod:`rvae_server.melody.tonika`), exact and "same
   key or its relative major/minor".
2. **Filter pass rates** of raw generations, per rule and in all, on 4-bar windows of the **test songs** (the
   split the bundled models were trained with: by song, seed 0): each window's real drums, family, key (its first
   bar's) and octave condition both networks; ours makes each bar for its drum bar and latent point, the seed's
   baseline the 64-step roll at once. Every loop is put on the 64-step grid as an independent reader would (every
   note on its nearest step, none merged) and the last rule uses the paper's detector (``--judge ours`` for
   ours). Rows: the real melodies (how strict the filters are), ours as the network draws (whole range, no scale
   lock), ours as the layer plays (scale lock, 2-octave register), ours after generate-until-pass (≤ 32
   candidates); the previous lines (the network's own ticks and lengths, off the grid) as played and after the
   filters; the baseline sampled (each cell a Bernoulli draw) and thresholded at 0.5.
3. **Lines on the paper's grid**: 4-bar loops as ``rvae jam`` makes them (generate-until-pass, ≤ 64 candidates)
   at 20 random pad points of ``groove-all`` × 5 keys × 5 families, today's lines beside the previous ones: the
   share of onsets on a sixteenth or an eighth-note triplet, of notes shorter than a sixteenth-note triplet (4
   ticks), notes a bar per family against the family's training lines, and the paper's eight filters.
   ``--calibrate`` measures and prints the per-family density offsets (generate.FAMILY_BIAS) that make the
   densities those of the training lines.
4. **Generation time per bar**: :func:`~rvae_server.melody.generate.generate` for one bar as the layer calls it,
   against the time the planner has (a bar ahead: 1.41 s at 170 BPM).
5. **Clock lateness** with the melody layer on and off: ``python -m benchmarks.bench_engine --noise 0.3 [--melody]``
   (noise makes a new drum bar, so a new melody, every bar).

    python -m benchmarks.bench_melody [--windows 600] [--points 20] [--bars 8] [--judge paper|ours]
        [--skip-lateness] [--calibrate] [--pairs-cache FILE]

Run it on an otherwise idle machine; one torch thread.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = next((p / "shared" / "data" for p in ROOT.parents if (p / "shared" / "data").is_dir()),
              ROOT.parent / "shared" / "data")  # fmt: skip
KEYS_DATA = SHARED / "keys"
MELODY_DATA = SHARED / "melody"
PAD_KEYS = ("Am", "C", "Eb", "F#m", "G")


def key_detectors() -> None:
    from rvae_server.melody.keyfinder import cv_table, labelled_melodies

    x, truth, paper = labelled_melodies(KEYS_DATA)
    print(f"1. key detector on {len(truth)} hand-labelled melodies, cross-validated (ours fitted on the other folds):")
    for folds in (4, len(truth)):
        for line in cv_table(x, truth, paper, folds):
            print(f"   {line}")


def load_pairs(cache: Path | None) -> Any:
    from rvae_server.melody.pairs import PairSet, mine_pairs
    from rvae_server.model.inference import LoadedModel

    if cache is not None and cache.exists():
        return PairSet.load(cache)
    encoder = LoadedModel.load("groove-all", [ROOT / "models"])
    pairs = mine_pairs([MELODY_DATA], encoder=encoder.encode_latent)
    if cache is not None:
        pairs.save(cache)
    return pairs


def pass_rates(args: argparse.Namespace, pairs: Any) -> None:
    import torch

    from rvae_server.melody.batches import seed_batch, window_conditions
    from rvae_server.melody.filters import RULES, PassRates, judge, judge_lines, roll_notes
    from rvae_server.melody.generate import MelodySettings, generate
    from rvae_server.melody.keys import KEYS
    from rvae_server.melody.line import Line
    from rvae_server.melody.modelfile import load_melody, load_melody_model
    from rvae_server.melody.pairs import split_by_song

    test = split_by_song(pairs, seed=0)[2]
    rng = np.random.default_rng(args.seed)
    windows = test.windows()
    windows = windows[rng.permutation(len(windows))[: args.windows]]
    family, key, octave, _ = window_conditions(test, windows, np.zeros(len(windows), dtype=np.int64))
    model = load_melody()
    seed_net = load_melody_model(ROOT / "models" / "melody" / "seed-baseline").to_module()
    judge_with = args.judge
    rows_of = ("real melodies", "ours as drawn", "ours as played", "ours after the filters",
               "previous lines as played", "previous after the filters", "baseline sampled",
               "baseline thresholded 0.5")  # fmt: skip
    rates: dict[str, PassRates] = {name: PassRates() for name in rows_of}
    for i, w in enumerate(windows):
        rows = w + np.arange(4)
        wanted = KEYS[int(key[i])]
        real = [Line.from_grid(test.pitch[r], test.length[r], test.velocity[r]) for r in rows]
        rates["real melodies"].add(judge_lines(real, wanted, judge_with))
        drums = test.drums[test.pair_drum[rows]].astype(np.float32) / 127.0
        latents = test.latents[test.pair_drum[rows]]
        played = MelodySettings(key=wanted, family=int(family[i]), octave=int(octave[i]))
        drawn = MelodySettings(key=wanted, family=int(family[i]), octave=int(octave[i]), scale_lock=False)
        one: dict[str, Any] = {"max_attempts": 1, "batch": 1}
        runs = (
            ("ours as drawn", drawn, {**one, "register": None}), ("ours as played", played, one),
            ("ours after the filters", played, {"time_budget": 1.0}),
            ("previous lines as played", played, {**one, "grid": False, "detector": "ours"}),
            ("previous after the filters", played, {"time_budget": 1.0, "grid": False, "detector": "ours"}),
        )  # fmt: skip
        for name, settings, options in runs:
            made = generate(model, drums, latents, settings, rng, **options)
            rates[name].add(judge_lines(made.lines, wanted, judge_with))
    batch = seed_batch(test, windows, np.zeros(len(windows), dtype=np.int64))
    with torch.inference_mode():
        inputs = [torch.from_numpy(v) for v in (batch.drums, batch.family, batch.key, batch.octave)]
        probs = torch.sigmoid(seed_net(*inputs)).numpy()
    decoded = (("baseline sampled", rng.random(probs.shape) < probs), ("baseline thresholded 0.5", probs >= 0.5))
    for name, roll in decoded:
        for i in range(len(windows)):
            steps, pitches = roll_notes(roll[i])
            rates[name].add(judge(roll[i], pitches, KEYS[int(batch.key[i])], steps, judge_with))

    print(f"\n2. the paper's filters (last rule: {judge_with} key detector) on {len(windows)} 4-bar windows of "
          f"{len(set(test.pair_song.tolist()))} test songs, each loop on the 64-step grid as an independent reader "
          "puts it: share passing each rule, and all")  # fmt: skip
    print(f"   {'':<28}" + "".join(f"{r:>12}" for r in (*RULES, "all")))
    for name, counts in rates.items():
        r = counts.rates()
        print(f"   {name:<28}" + "".join(f"{100 * r[k]:11.1f}%" for k in (*RULES, "all")))


def training_density(pairs: Any) -> dict[str, float]:
    """Notes a bar of each family's training lines (the training songs of the by-song split, seed 0)."""
    from rvae_server.melody.families import FAMILIES
    from rvae_server.melody.pairs import split_by_song

    train = split_by_song(pairs, seed=0)[0]
    notes = (train.pitch >= 0).sum(axis=1)
    return {name: float(notes[train.family == f].mean()) for f, name in enumerate(FAMILIES)}


def jams(points: int, grid: bool, seed: int = 0) -> dict[str, Any]:
    """4-bar loops as rvae jam makes them, at ``points`` random pad points × 5 keys × 5 families."""
    from rvae_server.melody.families import FAMILIES, OCTAVES
    from rvae_server.melody.filters import PassRates, judge_lines
    from rvae_server.melody.generate import MelodySettings, generate
    from rvae_server.melody.grid import on_grid_share
    from rvae_server.melody.keys import parse_key
    from rvae_server.melody.modelfile import load_melody
    from rvae_server.model.inference import LoadedModel
    from rvae_server.model.planes import threshold_planes

    drum_model = LoadedModel.load("groove-all", [ROOT / "models"])
    model = load_melody()
    rng = np.random.default_rng(seed)
    out: dict[str, Any] = {"rates": {d: PassRates() for d in ("paper", "ours")}, "grid": [], "short": [0, 0],
                           "density": {f: [] for f in FAMILIES}}  # fmt: skip
    options: dict[str, Any] = {} if grid else {"grid": False, "detector": "ours"}
    for xy in rng.uniform(0.0, 1.0, (points, 2)).astype(np.float32):
        z = drum_model.pad_to_latent(xy)
        bar = threshold_planes(drum_model.decode_latent(z[None]).one(0), drum_model.suggest_threshold())
        drums = np.repeat(bar.velocities[None], 4, 0)
        heard = model.latent_for(np.repeat(bar.planes()[None], 4, 0), np.repeat(z[None], 4, 0))
        for key in map(parse_key, PAD_KEYS):
            for family in FAMILIES:
                settings = MelodySettings.make(key=key, family=family, octave=OCTAVES[family])
                made = generate(model, drums, heard, settings, rng, max_attempts=64, time_budget=5.0, **options)
                for detector, rates in out["rates"].items():
                    rates.add(judge_lines(made.lines, key, detector))
                out["grid"].append(on_grid_share(made.lines))
                out["short"][0] += sum(int((line.lengths < 4).sum()) for line in made.lines)
                out["short"][1] += sum(len(line) for line in made.lines)
                out["density"][family].append(sum(len(line) for line in made.lines) / len(made.lines))
    return out


def grid_figures(args: argparse.Namespace, pairs: Any) -> None:
    want = training_density(pairs)
    print(f"\n3. 4-bar loops as rvae jam makes them, {args.points} pad points × {len(PAD_KEYS)} keys × 5 families:")
    for label, grid in (("today (on the grid)", True), ("previous lines", False)):
        got = jams(args.points, grid, args.seed)
        rates = {d: r.rates() for d, r in got["rates"].items()}
        dens = "  ".join(f"{f} {np.mean(v):.1f}/{want[f]:.1f} ({100 * (np.mean(v) / want[f] - 1):+.0f}%)"
                         for f, v in got["density"].items())  # fmt: skip
        print(f"   {label}: onsets on 16ths or 8th triplets {100 * np.mean(got['grid']):.1f}%, notes under 4 ticks "
              f"{100 * got['short'][0] / max(1, got['short'][1]):.1f}%, the paper's eight filters pass "
              f"{100 * rates['paper']['all']:.1f}% (our key detector: {100 * rates['ours']['all']:.1f}%)")  # fmt: skip
        print(f"     notes a bar, generated/training: {dens}")


def calibrate(args: argparse.Namespace, pairs: Any, rounds: int = 4) -> None:
    import rvae_server.melody.generate as gen

    want = training_density(pairs)
    bias = list(gen.FAMILY_BIAS)
    for round_ in range(rounds):
        gen.FAMILY_BIAS = tuple(bias)
        got = {f: float(np.mean(v)) for f, v in jams(args.points, True, args.seed + 1)["density"].items()}
        print(f"   calibration {round_}: bias {[round(b, 3) for b in bias]} density "
              f"{ {f: round(v, 2) for f, v in got.items()} } (training {want})")  # fmt: skip
        bias = [b + 1.2 * float(np.log(want[f] / got[f])) for b, f in zip(bias, got, strict=True)]
    print(f"   FAMILY_BIAS = {tuple(round(b, 2) for b in bias)}")


def generation_time(args: argparse.Namespace) -> None:
    from rvae_server.melody.generate import MelodySettings, generate
    from rvae_server.melody.keys import KEYS
    from rvae_server.melody.modelfile import load_melody

    model = load_melody()
    rng = np.random.default_rng(1)
    times, attempts, passed = [], [], []
    for k in range(args.bars_timed):
        drums = np.zeros((1, 96, 9), dtype=np.float32)
        drums[0, ::24, 0] = 0.9
        drums[0, rng.integers(0, 96, 12), rng.integers(1, 9, 12)] = rng.uniform(0.3, 1.0, 12)
        settings = MelodySettings(key=KEYS[k % 24], family=k % 5, octave=(2, 4, 4, 4, 5)[k % 5])
        start = time.perf_counter()
        out = generate(model, drums, rng.normal(size=(1, 2)), settings, rng)
        times.append(time.perf_counter() - start)
        attempts.append(out.attempts)
        passed.append(out.verdict.passed)
    ms = np.asarray(times) * 1000
    bar_ms = 4 * 60 / 170 * 1000
    print(f"\n4. generation time per bar (one bar, as the layer calls it; {len(ms)} bars, 24 keys x 5 families):")
    print(
        f"   median {np.median(ms):.2f} ms  p99 {np.percentile(ms, 99):.2f} ms  max {ms.max():.2f} ms; "
        f"{np.mean(passed) * 100:.1f}% passed, median {np.median(attempts):.0f} candidates; a bar at 170 BPM is "
        f"{bar_ms:.0f} ms (the planner works a bar ahead): the slowest took {ms.max() / bar_ms * 100:.1f}% of it"
    )


def lateness(args: argparse.Namespace) -> None:
    print("\n5. clock lateness at 170 BPM, layer 1 with noise 0.3 (benchmarks/bench_engine.py harness):")
    for label, extra in (("melody off", []), ("melody on", ["--melody"])):
        result = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_engine", "--bars", str(args.bars), "--noise", "0.3",
             "--skip-training", *extra],
            capture_output=True, text=True, timeout=900, check=False, cwd=ROOT,
        )  # fmt: skip
        wanted = ("idle", "while 500 OSC", "all conditions", "melody:", "within limit")
        lines = [line.strip() for line in result.stdout.splitlines() if any(w in line for w in wanted)]
        print(f"   {label}:")
        for line in lines or [f"(bench_engine failed: {result.stderr.strip()[-300:]})"]:
            print(f"     {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--windows", type=int, default=600, help="4-bar test windows judged (default 600)")
    parser.add_argument("--points", type=int, default=20, help="pad points of the grid figures (default 20)")
    parser.add_argument("--judge", choices=("paper", "ours"), default="paper", help="key detector of the last rule")
    parser.add_argument("--calibrate", action="store_true", help="measure the per-family density offsets")
    parser.add_argument("--bars-timed", type=int, default=300, help="bars generated for the timing (default 300)")
    parser.add_argument("--bars", type=int, default=8, help="bars a condition in the lateness runs (default 8)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pairs-cache", type=Path, default=None, help="mined pairs (.npz), written if missing")
    parser.add_argument("--skip-lateness", action="store_true")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    key_detectors()
    pairs = load_pairs(args.pairs_cache)
    if args.calibrate:
        calibrate(args, pairs)
    pass_rates(args, pairs)
    grid_figures(args, pairs)
    generation_time(args)
    if not args.skip_lateness:
        lateness(args)


if __name__ == "__main__":
    main()
