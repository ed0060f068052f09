"""``rvae map MODEL [DATASET_OR_CLIPS...] [-o map.png|map.html] [--pad pad.png] [--grid N] [--threshold T]
[--models-dir DIR] [--json]``: a map of a model's space, and the pad's picture of what plays where.

``-o``: the training bars at their encoded pad XY coloured by style (names at the centroids) beside the decoded grid
(:mod:`rvae_server.mining.mapfigure`). The bars come from a mined dataset (``.npz``), from MIDI clips or folders,
or — when none is named — from the model's own training bars wherever they are
(:func:`rvae_server.model.mapsources.model_map`: its mined dataset, the clip-bars file beside the bundled models,
its clips where its metadata says they are); if none is found it says what is missing.
``--pad``: the picture the web page's pad shows by default — each point of its grid (``--grid``, default 30) drawn
from its decoded bar, size = onsets, colour = the mix of kick, snare, hats, toms and cymbals, at ``--threshold``
(0.5: the model's own default) — with a legend. With ``--json`` the last line on stdout is ``{"map": path,
"points": n, "styles": {style: n}}`` and/or ``{"pad": path}`` (or ``{"error": ...}``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any

from rvae_server.cli.models import add_models_dir_argument, models_dirs
from rvae_server.core.dataset import DatasetError, is_dataset_path
from rvae_server.mining.mapfigure import clips_map, write_html, write_pad_png, write_png
from rvae_server.model.inference import LoadedModel
from rvae_server.model.mapsources import NoMap, model_map
from rvae_server.model.modelfile import ModelFileError
from rvae_server.model.spacemap import SpaceMap, dataset_map


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "map",
        help="draw a map of a model's space: training bars by style, and the decoded grid",
        description="Draw the training bars of a model at their pad XY, coloured by style, beside its decoded grid.",
    )
    parser.add_argument("model", metavar="MODEL", help="a model name or folder")
    parser.add_argument("data", nargs="*", metavar="DATASET", help="a mined .npz dataset, or MIDI clips/folders")
    parser.add_argument("-o", "--output", help="map.png or map.html: the training bars beside the decoded grid")
    parser.add_argument("--pad", metavar="PNG", help="pad.png: what plays where, as the web page's pad shows it")
    parser.add_argument("--grid", type=int, default=None, help="grid size (default 12 × 12 for -o, 30 × 30 for --pad)")
    parser.add_argument("--threshold", type=float, default=0.5, help="--pad's threshold (0.5: the model's default)")
    add_models_dir_argument(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = str(args.output) if args.output else None
    result: dict[str, Any] = {}
    try:
        if out is None and not args.pad:
            raise ValueError("name what to draw: -o map.png|map.html, --pad pad.png, or both")
        if out is not None and not out.lower().endswith((".png", ".html")):
            raise ValueError(f"-o must name a .png or .html file, not {out!r}")
        if args.pad and not str(args.pad).lower().endswith(".png"):
            raise ValueError(f"--pad must name a .png file, not {args.pad!r}")
        if args.grid is not None and not 2 <= args.grid <= 40:
            raise ValueError(f"--grid must be 2..40, not {args.grid}")
        if not 0.0 <= args.threshold <= 1.0:
            raise ValueError(f"--threshold must be 0..1, not {args.threshold:g}")
        model = LoadedModel.load(args.model, models_dirs(args))
        if args.pad:
            write_pad_png(model, args.pad, args.grid or 30, args.threshold)
            result["pad"] = str(args.pad)
            if not args.json:
                print(f"wrote {args.pad}: what plays where on {model.name}'s pad")
        if out is not None:
            space = _space(model, list(args.data))
            if not len(space):
                raise ValueError(f"no bar to map in {space.source}")
            (write_html if out.lower().endswith(".html") else write_png)(space, model, out, args.grid or 12)
            styles = Counter(space.styles[s] for s in space.style.tolist())
            result.update(map=out, points=len(space), source=space.source, styles=dict(styles))
            if not args.json:
                print(f"wrote {out}: {len(space)} bars of {space.source}, {len(styles)} styles")
    except (ValueError, DatasetError, ModelFileError, NoMap) as err:
        print(f"error: {err}", file=sys.stderr, flush=True)
        if args.json:
            print(json.dumps({"error": str(err)}), flush=True)
        return 1
    if args.json:
        print(json.dumps(result))
    return 0


def _space(model: LoadedModel, data: list[str]) -> SpaceMap:
    """The bars to map: the dataset or clips named, else the model's own training bars (raises :class:`NoMap`)."""
    datasets = [d for d in data if is_dataset_path(d)]
    if len(datasets) > 1 or (datasets and len(data) > 1):
        raise ValueError("name one dataset, or MIDI clips and folders, not both")
    if datasets:
        return dataset_map(model, datasets[0])
    if data:
        return clips_map(model, data)
    return model_map(model)
