"""Store the bundled groove models' training bars with their style labels, so each has a map (the web page's *Map*
tab, ``rvae map MODEL``) without the Groove MIDI Dataset on the machine and without retraining anything.

    python scripts/make_groove_map.py [--data ../shared/data/groove] [--models models] [--out models/groove.clips.npz]

Reads every bundled groove model's ``meta.json`` (``training.clips``: each clip's path in the dataset and its
SHA-256), takes each clip once from ``--data`` (refusing one whose SHA-256 differs from the recorded one), labels it
with its ``style`` in the dataset's ``info.csv`` (``funk/groove1`` → style ``funk``, label ``funk/groove1``) and
writes their bars (those with at least 2 onsets, as training uses them) to one clip-bars file
(:func:`rvae_server.model.mapsources.write_clip_bars`): each model finds its own clips there by SHA-256, so a
model retrained on the same clips keeps its map. Run it again after the bundled models are retrained on other clips.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rvae_server.core.dataset import file_sha256  # noqa: E402
from rvae_server.model.mapsources import write_clip_bars  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "groove"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DATA, help="the Groove MIDI Dataset folder (with info.csv)")
    parser.add_argument("--models", type=Path, default=ROOT / "models", help="the bundled models folder")
    parser.add_argument("--out", type=Path, default=None, help="default: MODELS/groove.clips.npz")
    args = parser.parse_args(argv)
    out = args.out or args.models / "groove.clips.npz"
    with open(args.data / "info.csv", newline="", encoding="utf-8") as f:
        styles = {row["midi_filename"]: row["style"] for row in csv.DictReader(f)}
    clips: dict[str, str] = {}  # recorded path → SHA-256
    for meta_path in sorted(args.models.glob("groove-*/meta.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        for clip in meta["training"]["clips"]:
            clips.setdefault(clip["path"], clip["sha256"])
        print(f"{meta_path.parent.name}: {len(meta['training']['clips'])} clips", flush=True)
    chosen = []
    for recorded, sha in sorted(clips.items()):
        path = args.data / recorded
        if file_sha256(path) != sha:
            print(f"error: {path} is not the clip the models recorded (SHA-256 differs)", file=sys.stderr)
            return 1
        label = styles.get(recorded, "other")
        chosen.append((path, recorded, label.split("/")[0], label))
    bars = write_clip_bars(out, chosen)
    print(f"wrote {out}: {len(chosen)} clips, {bars} bars, {out.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
