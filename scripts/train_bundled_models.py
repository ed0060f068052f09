"""Train the bundled models in ``models/`` from the Groove MIDI Dataset: one per main style and one on all.

    python scripts/train_bundled_models.py [--data ../shared/data/groove] [--out models] [--only NAME,...]
                                           [--recipe v2] [--steps 6000] [--seed 0] [--threads 1]

Clips: the dataset's ``beat`` clips (fills left out) whose ``style`` column (``info.csv``) matches the model's
selection; the train and validation splits of the dataset are pooled and then split 5:1 by clip as usual.
Recipe: the current one (:mod:`rvae_server.model.recipe`, the same as ``rvae train`` and live retraining), with
epochs enough for about ``--steps`` optimiser steps (the recipe's batch size), between 8 and 200. Each model's
pad is fitted to its clips and its figures are stored (``space`` and ``evaluation`` in ``meta.json``; printed
here). Weights are float16.
The metadata credits "Groove MIDI Dataset, Google LLC, CC BY 4.0" and says what was changed and selected.
Same data, seed and thread count → the same models.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rvae_server.model.evaluate import table
from rvae_server.model.recipe import DEFAULT_RECIPE, RECIPES, get_recipe
from rvae_server.model.training import GMD_LICENCE, train_and_save
from rvae_server.model.trainingdata import TrainEvent, load_training_bars

ROOT = Path(__file__).resolve().parents[1]


DATA = ROOT.parent / "shared" / "data" / "groove"


def _style(prefix: str) -> Callable[[str], bool]:
    return lambda style: style == prefix or style.startswith(prefix + "/")


#: name → (what it holds, selection of the ``style`` column)
MODELS: dict[str, tuple[str, Callable[[str], bool]]] = {
    "groove-all": ("every style", lambda style: True),
    "groove-rock": ("rock (rock, rock/halftime, rock/indie, rock/shuffle, rock/prog)", _style("rock")),
    "groove-funk": ("funk (funk, funk/purdieshuffle, funk/rock, funk/fast)", _style("funk")),
    "groove-jazz-shuffle": (
        "jazz and shuffles (jazz/*, blues/shuffle, rock/shuffle, funk/purdieshuffle, neworleans/shuffle)",
        lambda style: _style("jazz")(style) or "shuffle" in style,
    ),
    "groove-hiphop": ("hip-hop", _style("hiphop")),
}
DEFAULT = "groove-all"


def select(data: Path, keep: Callable[[str], bool]) -> list[Path]:
    with open(data / "info.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [data / r["midi_filename"] for r in rows if r["beat_type"] == "beat" and keep(r["style"])]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=ROOT / "models")
    parser.add_argument("--only", default="", help="comma-separated model names (default: all)")
    parser.add_argument("--recipe", choices=sorted(RECIPES), default=DEFAULT_RECIPE)
    parser.add_argument("--regularizer", choices=("vae", "acai", "ae"), default=None)
    parser.add_argument("--steps", type=int, default=6000, help="optimiser steps per model (default 6000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n] or list(MODELS)
    for name in names:
        what, keep = MODELS[name]
        paths = select(args.data, keep)
        bars = load_training_bars(paths).bars
        batch = get_recipe(args.recipe).batch_size
        epochs = max(8, min(200, math.ceil(args.steps / math.ceil(bars * 5 / 6 / batch))))
        licence = dict(GMD_LICENCE)
        licence["changes"] += (
            f" Selection: the dataset's 'beat' clips (no fills) with style {what}: {len(paths)} clips from its "
            "train and validation splits, split again 5:1 by clip for this model."
        )
        start = time.perf_counter()

        def progress(e: TrainEvent, name: str = name) -> None:
            if e.epoch == e.epochs or e.epoch % 5 == 0:
                print(f"  {name}: epoch {e.epoch}/{e.epochs} train {e.train_loss:.2f} val {e.val_loss:.2f}", flush=True)

        print(f"{name}: {len(paths)} clips, {bars} bars, {epochs} epochs", flush=True)
        summary = train_and_save(
            [str(p) for p in paths],
            name,
            str(args.out),
            epochs=epochs,
            seed=args.seed,
            progress=progress,
            threads=args.threads,
            licence=licence,
            clip_root=str(args.data),
            recipe=args.recipe,
            regularizer=args.regularizer,
        )
        if summary.evaluation is not None:
            print(table(summary.evaluation), flush=True)
        size = (Path(summary.model) / "weights.safetensors").stat().st_size
        print(f"{name}: saved {summary.model} ({size / 1e6:.2f} MB) in {time.perf_counter() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
