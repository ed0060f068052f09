"""``rvae key FILE_OR_DIR... [--json] [--detector ours|seed]``: the key of each MIDI file's melodic notes.

Every note off the drum channel 10 counts (:func:`rvae_server.core.melodyfile.read_notes`). Keys are printed in
English (``A minor``, ``Eb major``; :mod:`rvae_server.melody.keys`), found by our detector
(:mod:`rvae_server.melody.keyfinder`). With ``--json`` each file gives one line ``{"file": path, "key": "A minor"}``,
or ``{"file": path, "error": "what was wrong"}``. ``--detector seed`` uses the paper's detector as published
(:mod:`rvae_server.melody.tonika`) instead of ours. Exit status 0 when every file was read, 1 when any failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rvae_server.core.melodyfile import read_notes
from rvae_server.core.midifile import ClipError, find_clips
from rvae_server.melody.keyfinder import detect_key
from rvae_server.melody.tonika import detect_key_seed


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "key",
        help="detect the key of MIDI files' melodic notes",
        description="Detect the key (C major … B minor) of the melodic notes (all but channel 10) of MIDI files.",
    )
    parser.add_argument("paths", nargs="+", metavar="FILE_OR_DIR")
    parser.add_argument("--json", action="store_true", help='one line per file: {"file": ..., "key": "A minor"}')
    parser.add_argument(
        "--detector",
        choices=("ours", "seed"),
        default="ours",
        help="ours (23 cues weighed by a fitted model, the default) or the paper's detector as published",
    )
    parser.set_defaults(func=run)


def _report(path: object, as_json: bool, key: str | None = None, error: str | None = None) -> None:
    if as_json:
        entry = {"file": str(path), "key": key} if error is None else {"file": str(path), "error": error}
        print(json.dumps(entry), flush=True)
    elif error is None:
        print(f"{path}\t{key}", flush=True)
    else:
        print(f"error: {path}: {error}", file=sys.stderr, flush=True)


def _one(path: Path, args: argparse.Namespace) -> int:
    try:
        notes = read_notes(path)
    except ClipError as err:
        _report(path, args.json, error=err.reason)
        return 1
    key = detect_key_seed(notes.pitches) if args.detector == "seed" else detect_key(notes.pitches, notes.starts)
    _report(path, args.json, key=key.name)
    return 0


def run(args: argparse.Namespace) -> int:
    failed = 0
    for named in args.paths:
        found = find_clips([named])
        if not found:
            failed += 1
            _report(named, args.json, error="no .mid or .midi files in this folder")
        for path in found:
            failed += _one(path, args)
    return 1 if failed else 0
