"""Mining drum loops from the shared corpora (../shared/data: corpus, melody, groove) with ``rvae mine``'s pipeline.

Prints (figures measured on a shared, busy machine are noisy: re-run on an idle one):

1. **files/s** mining all corpora on 1 and on 2 local worker processes (median of --repeat fresh runs);
2. the **count after every stage** for each corpus and for all of them, at ``min_repeats`` 3 (the default, the
   paper's) and 2 (the bundled model's) — the paper's Table 1 walk-through (~200K MIDI files → 33K unique
   patterns);
3. **duplicates removed by phase shift** (and by key: exact and near-duplicates);
4. with ``--calibrate``: the quality filter's entropy threshold recomputed on the Groove MIDI Dataset (82 % of its
   bars pass) against the constant in ``rvae_server/core/patterns.py``
   (used bars, as scripts/calibrate_pattern_filter.py);
5. with ``--models``: the mined model beside the Groove models — validation loss (reconstruction, from the
   metadata), the share of the decoded 30 × 30 grid that passes the quality filter, and the distinct patterns
   on that grid (``rvae eval`` on another branch will give the full table).

    python -m benchmarks.bench_mining [--data ../shared/data] [--repeat 3] [--calibrate] [--models]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import numpy as np

from rvae_server.core.midifile import ClipError, find_clips, read_clip
from rvae_server.core.patterns import ENTROPY_K, calibrate_entropy_k, passes
from rvae_server.mining.pipeline import mine
from rvae_server.mining.work import Settings

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = next((p / "shared" / "data" for p in ROOT.parents if (p / "shared" / "data").is_dir()),
                    ROOT.parent / "shared" / "data")  # fmt: skip
STAGES = ("files", "files_read", "files_with_drums", "bars", "segments", "loops", "quality", "distinct", "patterns")


def roots(data: Path) -> dict[str, list[tuple[str, str | None]]]:
    groups = {name: [(str(data / name), None)] for name in ("corpus", "melody", "groove") if (data / name).is_dir()}
    groups["all"] = [r for rs in groups.values() for r in rs]
    return groups


def speed(data: Path, repeat: int) -> None:
    every = roots(data)["all"]
    print("== mining speed (all corpora, min_repeats 3)")
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            runs = []
            for _ in range(repeat):
                s = mine(every, Path(tmp) / "d.npz", workers=workers, fresh=True)
                runs.append(s["files"] / s["seconds"])
            print(f"  {workers} worker{'s' if workers > 1 else ' '}: {statistics.median(runs):7.0f} files/s "
                  f"(median of {repeat}; {s['files']} files)")  # fmt: skip


def stages(data: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for n in (3, 2):
            print(f"\n== counts after every stage, min_repeats {n}")
            print(f"  {'stage':<18}" + "".join(f"{g:>10}" for g in roots(data)))
            results = {g: mine(r, Path(tmp) / f"{g}.npz", Settings(min_repeats=n), workers=2, fresh=True)
                       for g, r in roots(data).items()}  # fmt: skip
            for stage in (*STAGES, "removed_duplicates", "removed_by_rotation", "bars_kept"):
                print(f"  {stage:<18}" + "".join(f"{results[g][stage]:>10}" for g in results))
            every = results["all"]
            print(f"  phase-shift duplicates: {every['removed_by_rotation']} of {every['distinct']} distinct loops "
                  f"({100 * every['removed_by_rotation'] / max(1, every['distinct']):.1f} %)")  # fmt: skip
            print(f"  broken: {every['broken']}  skipped: {every['skipped']}")
    print("  the paper: ~200,000 MIDI files, ~90,000 drum tracks → 33,000 unique 32-step patterns (14 instruments)")


def calibrate(data: Path) -> None:
    onsets = []
    for path in find_clips([data / "groove"]):
        try:
            onsets.extend(b.bar.onsets for b in read_clip(path).bars if b.used)
        except ClipError:
            continue
    arr = np.stack(onsets)
    threshold = calibrate_entropy_k(arr)
    print(f"\n== quality filter on {len(arr)} GMD bars: calibrated threshold {threshold:.4f} bits "
          f"(constant {ENTROPY_K}); pass rate at the constant {passes(arr).mean():.3f}")  # fmt: skip


def models() -> None:
    from rvae_server.model.inference import LoadedModel
    from rvae_server.model.planes import threshold_planes

    print("\n== models (decoded 30 × 30 grid at the suggested threshold)")
    print(f"  {'model':<22}{'val loss':>10}{'grid passes':>13}{'distinct':>10}")
    for folder in sorted(p for p in (ROOT / "models").iterdir() if (p / "meta.json").is_file()):
        model = LoadedModel.load(folder)
        thr = model.suggest_threshold()
        decoded = model.decode_grid(30)
        onsets = np.stack([threshold_planes(decoded.one(k), thr).onsets for k in range(len(decoded))])
        distinct = len({o.tobytes() for o in onsets})
        val = (model.meta.get("training") or {}).get("val_loss")
        print(f"  {folder.name:<22}{val if val is not None else float('nan'):>10.2f}{passes(onsets).mean():>13.3f}"
              f"{distinct:>10}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--models", action="store_true")
    args = parser.parse_args()
    speed(args.data, args.repeat)
    stages(args.data)
    if args.calibrate:
        calibrate(args.data)
    if args.models:
        models()


if __name__ == "__main__":
    main()
