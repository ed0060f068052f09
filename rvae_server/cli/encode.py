"""``rvae encode --model NAME_OR_PATH CLIP [--models-dir DIR] [--json]``: map a clip's bars to pad points.

Each used bar (2 or more onsets) is encoded to the posterior mean, mapped to pad coordinates and clipped to
``[0, 1]²``. With ``--json`` one line per used bar: ``{"index": int, "xy": [x, y]}`` (``index`` as in
``rvae clip``). Exit status 0, 1 when the model or the clip cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rvae_server.cli.models import add_models_dir_argument, models_dirs
from rvae_server.core.bar import stack
from rvae_server.core.midifile import ClipError, read_clip
from rvae_server.model.inference import LoadedModel
from rvae_server.model.modelfile import ModelFileError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "encode",
        help="map a clip's bars to pad coordinates",
        description="Encode each used bar of a MIDI clip to its point on the pad ([0, 1]², clipped).",
    )
    parser.add_argument("clip", metavar="CLIP")
    parser.add_argument("--model", required=True, metavar="NAME_OR_PATH")
    add_models_dir_argument(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object per used bar and line")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        model = LoadedModel.load(args.model, models_dirs(args))
        clip = read_clip(args.clip)
    except (ModelFileError, ClipError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    used = [b for b in clip.bars if b.used]
    if not used:
        print(f"error: {args.clip}: no bar with 2 or more onsets", file=sys.stderr)
        return 1
    xy = model.encode(stack(b.bar for b in used))
    if not args.json:
        print(f"{'bar':>4} {'x':>7} {'y':>7}")
    for b, (x, y) in zip(used, xy, strict=True):
        if args.json:
            print(json.dumps({"index": b.index, "xy": [round(float(x), 6), round(float(y), 6)]}))
        else:
            print(f"{b.index:>4} {x:7.4f} {y:7.4f}")
    sys.stdout.flush()
    return 0
