"""Mine the shared corpora and train the bundled model ``mined-all`` on every style.

    python scripts/train_mined_model.py [--data ../shared/data] [--out models] [--min-repeats 2] [--steps N]
                                        [--workers 2] [--seed 0] [--threads 1] [--reuse-dataset]

1. ``rvae mine`` (:func:`rvae_server.mining.pipeline.mine`) over every source folder of ``DATA/corpus``,
   ``DATA/melody`` and ``DATA/groove`` into ``OUT/mined-all.dataset.npz`` (kept beside the model: ``rvae map
   mined-all`` and the web page's map read it). Game soundtracks whose paths name no style are labelled ``game``.
   ``--min-repeats 2`` (default here; the command's default is 3, the paper's): these corpora are small.
   ``--reuse-dataset`` skips this step and trains on the dataset already there (the same data: how the bundled
   model was retrained in issue 21, on the loops of the rule before issue 23 — single bars and 2-bar patterns);
   mining again now finds the paper's 32-step patterns.
2. Trains ``mined-all`` on that dataset (split 5:1 by source file) with the current recipe (``train_and_save``,
   :mod:`rvae_server.model.recipe`: its epochs and best-validation checkpoint; ``--steps`` sets epochs for about
   that many optimiser steps of 64 bars instead, between 8 and 200).
3. The licence metadata lists every source folder with its licence and copyright line, read from its
   ``SOURCE.md`` (the Groove MIDI Dataset's too), and how many patterns came from it.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from collections import Counter
from pathlib import Path

from rvae_server.core.dataset import read_dataset
from rvae_server.mining.pipeline import mine, summary_path
from rvae_server.mining.work import Settings
from rvae_server.model.training import train_and_save
from rvae_server.model.trainingdata import TrainEvent, load_training_bars

ROOT = Path(__file__).resolve().parents[1]


DATA = ROOT.parent / "shared" / "data"
NAME = "mined-all"
GAME_SOURCES = {"asgp", "blasphemer", "crystal-picnic", "plee-the-bear", "tunnel", "freedoom", "openttd_openmsx",
                "simutrans"}  # fmt: skip


def sources(data: Path) -> list[Path]:
    """Every source folder: the corpus's and the melody set's sub-folders, and the Groove MIDI Dataset."""
    out: list[Path] = []
    for group in ("corpus", "melody"):
        out.extend(sorted(p for p in (data / group).iterdir() if p.is_dir()))
    out.append(data / "groove")
    return [p for p in out if p.is_dir()]


def source_licence(folder: Path) -> dict[str, str]:
    text = (folder / "SOURCE.md").read_text(encoding="utf-8") if (folder / "SOURCE.md").is_file() else ""

    def field(name: str) -> str:
        m = re.search(rf"^[-*]\s*(?:\*\*)?{name}(?:\*\*)?:\s*(.+)$", text, re.MULTILINE | re.IGNORECASE)
        return m.group(1).strip() if m else ""

    if folder.name == "groove":
        return {
            "folder": "groove",
            "origin": "Groove MIDI Dataset v1.0.0 (Google LLC; Gillick, Roberts, Engel, Eck, Bamman, ICML 2019)",
            "licence": "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)",
            "copyright": "Groove MIDI Dataset, Google LLC, CC BY 4.0",
        }
    return {
        "folder": f"{folder.parent.name}/{folder.name}",
        "origin": field("Repository"),
        "licence": field("Licence") or field("License"),
        "copyright": field("Copyright"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=ROOT / "models")
    parser.add_argument("--min-repeats", type=int, default=2)
    parser.add_argument("--steps", type=int, default=None, help="optimiser steps (default: the recipe's epochs)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--reuse-dataset", action="store_true", help="train on OUT/mined-all.dataset.npz as it is (no mining)"
    )
    args = parser.parse_args()
    folders = sources(args.data)
    roots = [(str(f), "game" if f.name in GAME_SOURCES else None) for f in folders]
    dataset_path = args.out / f"{NAME}.dataset.npz"
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    summary_file = summary_path(dataset_path)  # what `mine` writes beside the dataset
    if args.reuse_dataset and dataset_path.is_file() and summary_file.is_file():
        summary = json.loads(summary_file.read_text(encoding="utf-8"))
        print(f"reusing {dataset_path}: {summary['files']} files → {summary['patterns']} patterns", flush=True)
    else:
        summary = mine(roots, dataset_path, Settings(min_repeats=args.min_repeats), workers=args.workers)
        print(f"mined {summary['files']} files → {summary['patterns']} patterns, {summary['bars_kept']} bars "
              f"in {summary['seconds']:.0f} s", flush=True)  # fmt: skip
    dataset = read_dataset(dataset_path)
    per_root = Counter(f.split("/")[0] for f in (dataset.text("files")[i] for i in dataset.arrays["pattern_file"]))
    licences = []
    for folder in folders:
        entry = source_licence(folder)
        entry["patterns"] = str(per_root.get(folder.name, 0))
        licences.append(entry)
    listed = "; ".join(
        f"{e['folder']}: {e['licence']}" + (f" ({e['copyright']})" if e["copyright"] else "") for e in licences
    )
    licence = {
        "data": f"drum loops mined from {len(folders)} MIDI collections ({summary['files']} files)",
        "attribution": listed,
        "licence": "mixed, per source: " + ", ".join(sorted({e["licence"].split(" (")[0] for e in licences})),
        "changes": (
            f"Drum loops were mined from the files (rvae mine, min_repeats {args.min_repeats}: channel-10 parts, "
            "bars of 96 ticks with velocity and microtiming, loops repeating in a row, the quality filter, "
            "duplicates and rotations removed) and the model's weights were trained on them. Copyleft sources "
            "(GPL, CC BY-SA) ask that redistributions of derived material keep their licence and credit."
        ),
        "sources": licences,  # type: ignore[dict-item]
    }
    bars = load_training_bars([str(dataset_path)]).bars
    epochs = None  # the recipe's (it keeps the best-validation checkpoint)
    if args.steps is not None:
        epochs = max(8, min(200, math.ceil(args.steps / math.ceil(bars * 5 / 6 / 64))))
    print(f"{NAME}: {bars} bars, {epochs if epochs is not None else 'the recipe’s'} epochs", flush=True)

    def progress(e: TrainEvent) -> None:
        if e.epoch == e.epochs or e.epoch % 10 == 0:
            print(f"  epoch {e.epoch}/{e.epochs} train {e.train_loss:.2f} val {e.val_loss:.2f}", flush=True)

    result = train_and_save([str(dataset_path)], NAME, str(args.out), epochs=epochs, seed=args.seed,
                            progress=progress, threads=args.threads, licence=licence)  # type: ignore[arg-type]  # fmt: skip
    print(f"saved {result.model} in {time.perf_counter() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
