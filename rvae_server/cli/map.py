"""``rvae map MODEL [DATASET_OR_CLIPS...] -o map.png|map.html [--grid N] [--models-dir DIR] [--json]``: a map of
a model's space.

The training bars at their encoded pad XY coloured by style (names at the centroids) beside the decoded grid
(:mod:`rvae_server.mining.mapfigure`). The bars come from a mined dataset (``.npz``), from MIDI clips or folders,
or — when none is named — from the dataset the model was trained on (recorded in its metadata). With ``--json``
the last line on stdout is ``{"map": path, "points": n, "styles": {style: n}}`` (or ``{"error": ...}``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any

from rvae_server.cli.models import add_models_dir_argument, models_dirs
from rvae_server.core.dataset import DatasetError, is_dataset_path
from rvae_server.mining.mapfigure import clips_map, write_html, write_png
from rvae_server.model.inference import LoadedModel
from rvae_server.model.modelfile import ModelFileError
from rvae_server.model.spacemap import dataset_map, recorded_dataset


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "map",
        help="draw a map of a model's space: training bars by style, and the decoded grid",
        description="Draw the training bars of a model at their pad XY, coloured by style, beside its decoded grid.",
    )
    parser.add_argument("model", metavar="MODEL", help="a model name or folder")
    parser.add_argument("data", nargs="*", metavar="DATASET", help="a mined .npz dataset, or MIDI clips/folders")
    parser.add_argument("-o", "--output", required=True, help="map.png or map.html")
    parser.add_argument("--grid", type=int, default=12, help="decoded grid size (default 12 × 12)")
    add_models_dir_argument(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = str(args.output)
    try:
        if not out.lower().endswith((".png", ".html")):
            raise ValueError(f"-o must name a .png or .html file, not {out!r}")
        if not 2 <= args.grid <= 40:
            raise ValueError(f"--grid must be 2..40, not {args.grid}")
        model = LoadedModel.load(args.model, models_dirs(args))
        datasets = [d for d in args.data if is_dataset_path(d)]
        if len(datasets) > 1 or (datasets and len(args.data) > 1):
            raise ValueError("name one dataset, or MIDI clips and folders, not both")
        if datasets:
            space = dataset_map(model, datasets[0])
        elif args.data:
            space = clips_map(model, list(args.data))
        else:
            space = dataset_map(model, recorded_dataset(model))
        if not len(space):
            raise ValueError(f"no bar to map in {space.source}")
        (write_html if out.lower().endswith(".html") else write_png)(space, model, out, args.grid)
    except (ValueError, DatasetError, ModelFileError) as err:
        print(f"error: {err}", file=sys.stderr, flush=True)
        if args.json:
            print(json.dumps({"error": str(err)}), flush=True)
        return 1
    styles = Counter(space.styles[s] for s in space.style.tolist())
    if args.json:
        print(json.dumps({"map": out, "points": len(space), "source": space.source, "styles": dict(styles)}))
    else:
        print(f"wrote {out}: {len(space)} bars of {space.source}, {len(styles)} styles")
    return 0
