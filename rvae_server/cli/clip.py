"""``rvae clip FILE_OR_DIR... [--json]``: read MIDI clips into bars and list them.

With ``--json`` each file gives one JSON object per line (see :meth:`rvae_server.core.midifile.Clip.to_json`), or
``{"file": ..., "error": "what was wrong"}``. Exit status 0 when every file was read, 1 when any failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rvae_server.core.bar import INSTRUMENT_NAMES
from rvae_server.core.midifile import Clip, ClipError, find_clips, read_clip

SHORT = {"kick": "KK", "snare": "SN", "closed-hat": "CH", "open-hat": "OH", "low-tom": "LT",
         "mid-tom": "MT", "high-tom": "HT", "crash": "CR", "ride": "RD"}  # fmt: skip


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "clip",
        help="read MIDI clips into 96-tick bars and list them",
        description="Read MIDI clips (files, or folders searched recursively for .mid/.midi) into 96-tick bars.",
    )
    parser.add_argument("paths", nargs="+", metavar="FILE_OR_DIR")
    parser.add_argument("--json", action="store_true", help="one JSON object per file and line")
    parser.set_defaults(func=run)


def _table(clip: Clip) -> str:
    lines = [f"{clip.path}  meter {','.join(clip.meters)}  {len(clip.bars)} bars"]
    for warning in clip.warnings:
        lines.append(f"  warning: {warning}")
    header = "  bar  src  meter   bpm  used  " + " ".join(f"{SHORT[n]:>3}" for n in INSTRUMENT_NAMES)
    if clip.bars:
        lines.append(header)
    for b in clip.bars:
        counts = b.bar.onsets_per_instrument()
        cells = " ".join(f"{counts[n]:>3}" for n in INSTRUMENT_NAMES)
        lines.append(
            f"  {b.index:>3}  {b.source_bar:>3}  {b.meter:<5} {b.bpm:>5.1f}  {'yes' if b.used else 'no ':<4}  {cells}"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    failed = 0
    for named in args.paths:
        refused: list[tuple[Path, str]] = []
        found = find_clips([named], refused)
        for path, reason in refused:
            failed += 1
            _error(path, reason, args.json)
        if not found and not refused:
            failed += 1
            _error(named, "no .mid or .midi files in this folder", args.json)
        for path in found:
            failed += _one(path, args.json)
    return 1 if failed else 0


def _error(path: object, reason: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"file": str(path), "error": reason}), flush=True)
    else:
        print(f"error: {path}: {reason}", file=sys.stderr, flush=True)


def _one(path: Path, as_json: bool) -> int:
    """Report one file; 1 if it failed."""
    try:
        clip = read_clip(path)
    except ClipError as err:
        _error(path, err.reason, as_json)
        return 1
    print(json.dumps(clip.to_json()) if as_json else _table(clip), flush=True)
    return 0
