"""``rvae eval MODEL [CLIP_OR_DIR...] [--threshold T] [--points N] [--json]``: how a model plays on a pad.

Prints the figures of :mod:`rvae_server.model.evaluate` — the pattern filter's pass rate over random pad points and
the 30 × 30 grid, density against the training bars, silent and sparse shares, distinct patterns and the
neighbour step on the grid, and the performer's round trip (encode, clip to the pad, decode) of the bars:
onset F1 exact and ±1 tick, velocity and microtiming error, the share inside the pad.

Which bars: the CLIPs given (all their used bars, reported as ``train``), else the model's own training clips
read back from the paths in its metadata (relative paths are looked up under ``--clip-root``, default the
current folder; a model trained on a mined dataset reads it back from its recorded path or beside the model's
folder), split into ``train`` and ``validation`` as recorded. Without either, only the pad figures are
printed (density against the model's recorded onsets per bar). ``--json`` prints one JSON object.
Exit status 0, 1 on error.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rvae_server.cli.models import add_models_dir_argument, models_dirs
from rvae_server.core.bar import N_INSTRUMENTS, TICKS
from rvae_server.core.dataset import DatasetError
from rvae_server.model.datasetbars import dataset_clips
from rvae_server.model.evaluate import POINTS, evaluate_model, table
from rvae_server.model.inference import LoadedModel
from rvae_server.model.modelfile import ModelFileError
from rvae_server.model.trainingdata import TrainingData, load_training_bars


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="measure how a model plays on the pad",
        description="Measure a model as a performer meets it: pattern filter pass rates over the pad, density, "
        "smoothness, and the round trip of clips through the pad.",
    )
    parser.add_argument("model", metavar="MODEL", help="model name or folder")
    parser.add_argument("clips", nargs="*", metavar="CLIP_OR_DIR", help="clips to round-trip (default: its own)")
    parser.add_argument("--clip-root", default=".", help="where the model's relative clip paths start (default .)")
    parser.add_argument("--threshold", type=float, default=0.5, help="onset threshold (default 0.5: the model's own)")
    parser.add_argument("--points", type=int, default=POINTS, help=f"random pad points (default {POINTS})")
    add_models_dir_argument(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def _bars(clips: list[Any]) -> NDArray[np.float32]:
    return np.concatenate(clips) if clips else np.zeros((0, 3, TICKS, N_INSTRUMENTS), np.float32)


def own_bars(model: LoadedModel, root: Path) -> tuple[NDArray[np.float32], NDArray[np.float32], list[str]]:
    """The model's training and validation bars, read back from its metadata's clip list; notes on clips
    that are missing or changed since (their SHA-256 differs)."""
    train: list[NDArray[np.float32]] = []
    val: list[NDArray[np.float32]] = []
    notes: list[str] = []
    training = model.meta.get("training") or {}
    mined = _dataset_bars(model, training.get("datasets") or [], notes)
    for entry in training.get("clips") or []:
        found = mined.get((str(entry.get("path", "")), str(entry.get("sha256", ""))))
        if found is not None:  # a source file of the mined dataset it was trained on
            (val if entry.get("split") == "validation" else train).append(found)
            continue
        path = Path(str(entry.get("path", "")))
        path = path if path.is_absolute() else root / path
        data = load_training_bars([path])
        if not data.clips:
            notes.append(f"{path}: cannot read it; left out")
            continue
        clip = data.clips[0]
        if clip.sha256 != entry.get("sha256"):
            notes.append(f"{path}: changed since training (SHA-256 differs)")
        (val if entry.get("split") == "validation" else train).append(clip.bars)
    return _bars(train), _bars(val), notes


def _dataset_bars(model: LoadedModel, records: list[Any], notes: list[str]) -> dict[tuple[str, str], Any]:
    """The bars of each source file of the mined datasets a model was trained on, by (file, SHA-256): each dataset
    read from its recorded path, else from beside the model's folder (where ``rvae map`` looks too)."""
    out: dict[tuple[str, str], Any] = {}
    for record in records:
        if not isinstance(record, dict):
            continue
        where = [Path(str(record.get("file", "")))]
        if model.path is not None:
            where.append(Path(model.path).parent / str(record.get("name", "")))
        path = next((p for p in where if p.name and p.is_file()), None)
        if path is None:
            notes.append(f"dataset {record.get('name')!r}: not found; its clips are left out")
            continue
        try:
            clips, _ = dataset_clips(path)
        except DatasetError as err:
            notes.append(f"dataset {path}: {err.reason}; its clips are left out")
            continue
        out.update({(str(p), digest): bars for p, digest, bars in clips})
    return out


def run(args: argparse.Namespace) -> int:
    if not (math.isfinite(args.threshold) and 0.0 <= args.threshold <= 1.0):
        return _fail(args, f"--threshold must be in [0, 1], not {args.threshold:g}")
    if not 1 <= args.points <= 100_000:
        return _fail(args, f"--points must be between 1 and 100000, not {args.points}")
    try:
        model = LoadedModel.load(args.model, models_dirs(args))
    except ModelFileError as err:
        return _fail(args, str(err))
    notes: list[str] = []
    if args.clips:
        data: TrainingData = load_training_bars(args.clips)
        notes += [f"{p}: {r}" for p, r in data.failed]
        if not data.clips:
            return _fail(args, f"no usable bars in {', '.join(args.clips)}")
        train, val = _bars([c.bars for c in data.clips]), None
    else:
        train, val, notes = own_bars(model, Path(args.clip_root))
    if not len(train):
        notes.append("no clips to round-trip (none given, the model's own not found): pad figures only")
    figures = evaluate_model(model, train, val, threshold=args.threshold, points=args.points)
    figures["model"] = model.name
    figures["notes"] = notes
    if args.json:
        print(json.dumps(figures), flush=True)
    else:
        print(f"model {model.name}")
        print(table(figures))
        for text in notes:
            print(f"note: {text}")
    return 0


def _fail(args: argparse.Namespace, message: str) -> int:
    print(f"error: {message}", file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps({"error": message}), flush=True)
    return 1


__all__ = ["own_bars", "register", "run"]
