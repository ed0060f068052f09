"""The melody layer's figures (issue 14): the key detector, the seed's filters as a metric, generation time, and
the clock's lateness with the melody layer on.

1. **Key detector** on the 128 hand-labelled melodies of ``../shared/data/keys``: exact key, and "same key or its
   relative major/minor", for ours (:func:`rvae_server.melody.keys.detect_key`) and the seed's idea
   (:func:`~rvae_server.melody.keys.detect_key_seed`), on all and on each half (odd/even files).
2. **Filter pass rates** of raw generations, per rule and in all, on 4-bar windows of the **test songs** (the
   split the bundled models were trained with: by song, seed 0): each window's real drums, family, key (its first
   bar's) and octave condition both networks; ours makes each bar for its drum bar and latent point, the seed's
   baseline the 64-step roll at once. Rows: the real melodies (how strict the filters are), ours as the network
   draws (whole range, no scale lock), ours as the layer plays (scale lock, 2-octave register), ours after
   generate-until-pass (≤ 32 candidates), the baseline sampled (each cell a Bernoulli draw) and thresholded
   at 0.5.
3. **Generation time per bar**: :func:`~rvae_server.melody.generate.generate` for one bar as the layer calls it,
   against the time the planner has (a bar ahead: 1.41 s at 170 BPM).
4. **Clock lateness** with the melody layer on and off: ``python -m benchmarks.bench_engine --noise 0.3 [--melody]``
   (noise makes a new drum bar, so a new melody, every bar).

    python -m benchmarks.bench_melody [--windows 600] [--bars 8] [--skip-lateness] [--pairs-cache FILE]

Run it on an otherwise idle machine; one torch thread.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

KEYS_DATA = ROOT.parent / "shared" / "data" / "keys"
MELODY_DATA = ROOT.parent / "shared" / "data" / "melody"


def key_detectors() -> None:
    from rvae_server.core.melodyfile import read_notes
    from rvae_server.melody.keys import detect_key, detect_key_seed, parse_german_key, same_or_relative

    rows = [r.split("\t") for r in (KEYS_DATA / "keys.tsv").read_text(encoding="utf-8").splitlines() if r.strip()]
    data = [(read_notes(KEYS_DATA / "midi" / f), parse_german_key(k)) for f, k in rows]
    print(f"1. key detector on {len(data)} hand-labelled melodies (exact / same or relative major-minor):")
    for name, detect in (("ours (shortlist + Krumhansl)", detect_key), ("the seed's idea", detect_key_seed)):
        found = [(detect(n.pitches), k) for n, k in data]
        parts = []
        for label, part in (("all", found), ("even files", found[0::2]), ("odd files", found[1::2])):
            exact = np.mean([a == b for a, b in part]) * 100
            rel = np.mean([same_or_relative(a, b) for a, b in part]) * 100
            parts.append(f"{label} {exact:5.1f}% / {rel:5.1f}%")
        print(f"   {name:<30} " + "   ".join(parts))


def pass_rates(args: argparse.Namespace) -> None:
    import torch

    from rvae_server.melody.batches import seed_batch, window_conditions
    from rvae_server.melody.filters import RULES, PassRates, judge, judge_lines, roll_onsets
    from rvae_server.melody.generate import MelodySettings, generate
    from rvae_server.melody.keys import KEYS
    from rvae_server.melody.line import Line
    from rvae_server.melody.modelfile import load_melody, load_melody_model
    from rvae_server.melody.pairs import PairSet, mine_pairs, split_by_song
    from rvae_server.model.inference import LoadedModel

    cache = args.pairs_cache
    if cache is not None and cache.exists():
        pairs = PairSet.load(cache)
    else:
        encoder = LoadedModel.load("groove-all", [ROOT / "models"])
        pairs = mine_pairs([MELODY_DATA], encoder=encoder.encode_latent)
        if cache is not None:
            pairs.save(cache)
    test = split_by_song(pairs, seed=0)[2]
    rng = np.random.default_rng(args.seed)
    windows = test.windows()
    windows = windows[rng.permutation(len(windows))[: args.windows]]
    family, key, octave, _ = window_conditions(test, windows, np.zeros(len(windows), dtype=np.int64))
    model = load_melody()
    seed_net = load_melody_model(ROOT / "models" / "melody" / "seed-baseline").to_module()

    rates: dict[str, PassRates] = {name: PassRates() for name in (
        "real melodies", "ours as drawn", "ours as played", "ours after the filters", "baseline sampled",
        "baseline thresholded 0.5")}  # fmt: skip
    for i, w in enumerate(windows):
        rows = w + np.arange(4)
        wanted = KEYS[int(key[i])]
        real = [Line.from_grid(test.pitch[r], test.length[r], test.velocity[r]) for r in rows]
        rates["real melodies"].add(judge_lines(real, wanted))
        drums = test.drums[test.pair_drum[rows]].astype(np.float32) / 127.0
        latents = test.latents[test.pair_drum[rows]]
        played = MelodySettings(key=wanted, family=int(family[i]), octave=int(octave[i]))
        drawn = MelodySettings(key=wanted, family=int(family[i]), octave=int(octave[i]), scale_lock=False)
        one = dict(max_attempts=1, batch=1)
        rates["ours as drawn"].add(generate(model, drums, latents, drawn, rng, register=None, **one).verdict)
        rates["ours as played"].add(generate(model, drums, latents, played, rng, **one).verdict)
        rates["ours after the filters"].add(generate(model, drums, latents, played, rng, time_budget=1.0).verdict)
    batch = seed_batch(test, windows, np.zeros(len(windows), dtype=np.int64))
    with torch.inference_mode():
        inputs = [torch.from_numpy(v) for v in (batch.drums, batch.family, batch.key, batch.octave)]
        probs = torch.sigmoid(seed_net(*inputs)).numpy()
    decoded = (("baseline sampled", rng.random(probs.shape) < probs), ("baseline thresholded 0.5", probs >= 0.5))
    for name, roll in decoded:
        for i in range(len(windows)):
            rates[name].add(judge(roll[i], roll_onsets(roll[i]), KEYS[int(batch.key[i])]))

    print(f"\n2. the seed's filters on {len(windows)} 4-bar windows of {len(set(test.pair_song.tolist()))} test songs:"
          " share passing each rule, and all")  # fmt: skip
    print(f"   {'':<26}" + "".join(f"{r:>12}" for r in (*RULES, "all")))
    for name, counts in rates.items():
        r = counts.rates()
        print(f"   {name:<26}" + "".join(f"{100 * r[k]:11.1f}%" for k in (*RULES, "all")))


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
    print(f"\n3. generation time per bar (one bar, as the layer calls it; {len(ms)} bars, 24 keys x 5 families):")
    print(
        f"   median {np.median(ms):.2f} ms  p99 {np.percentile(ms, 99):.2f} ms  max {ms.max():.2f} ms; "
        f"{np.mean(passed) * 100:.1f}% passed, median {np.median(attempts):.0f} candidates; a bar at 170 BPM is "
        f"{bar_ms:.0f} ms (the planner works a bar ahead): the slowest took {ms.max() / bar_ms * 100:.1f}% of it"
    )


def lateness(args: argparse.Namespace) -> None:
    print("\n4. clock lateness at 170 BPM, layer 1 with noise 0.3 (benchmarks/bench_engine.py harness):")
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
    parser.add_argument("--bars-timed", type=int, default=300, help="bars generated for the timing (default 300)")
    parser.add_argument("--bars", type=int, default=8, help="bars a condition in the lateness runs (default 8)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pairs-cache", type=Path, default=None, help="mined pairs (.npz), written if missing")
    parser.add_argument("--skip-lateness", action="store_true")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    key_detectors()
    pass_rates(args)
    generation_time(args)
    if not args.skip_lateness:
        lateness(args)


if __name__ == "__main__":
    main()
