"""``rvae render --model NAME_OR_PATH [--xy X Y] [--threshold T] [--noise N] [--seed S] [--bars B] [--bpm BPM]
[--mute kick,snare,...] [--models-dir DIR] -o OUT.mid``: decode the pad point (X, Y) ∈ [0, 1]² into bars.

``--xy`` defaults to the model's start point (a training bar's location, see :mod:`rvae_server.model.calibrate`;
the centre for older models). Onset where the model's calibrated probability ≥ T (default 0.5: the model's
own default threshold, see :mod:`rvae_server.model.inference`); N ∈ [0, 1] adds a Gaussian offset of standard
deviation N latent units, drawn once per bar from ``--seed`` (default: fresh randomness); muted instruments
are silenced. Writes a standard MIDI file with :func:`rvae_server.core.midiwrite.write_bars`, or a WAV file (the
built-in drum kit) when OUT ends with ``.wav``; both atomically. Exit status 0, 1 on a bad argument or an
unreadable model.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from rvae_server.cli.models import add_models_dir_argument, models_dirs
from rvae_server.core.bar import Bar, parse_instruments
from rvae_server.core.config import seed_problem
from rvae_server.core.midiwrite import write_bars
from rvae_server.core.tempo import MAX_FILE_BPM, MIN_FILE_BPM
from rvae_server.model.inference import LoadedModel
from rvae_server.model.modelfile import ModelFileError
from rvae_server.model.planes import mutes_from_indices

MAX_BARS = 4096


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "render",
        help="decode a pad point into a MIDI (or WAV) file",
        description="Decode the pad point (X, Y) in [0, 1]² with a model and write the bar(s) to a file.",
    )
    parser.add_argument("--model", required=True, metavar="NAME_OR_PATH")
    parser.add_argument(
        "--xy", nargs=2, type=float, metavar=("X", "Y"), help="pad point in [0, 1] (default: the model's start point)"
    )
    parser.add_argument(
        "--threshold", type=float, default=0.5, help="onset threshold (default 0.5: the model's own calibrated one)"
    )
    parser.add_argument("--noise", type=float, default=0.0, help="latent noise std in [0, 1] (default 0)")
    parser.add_argument("--seed", type=int, default=None, help="seed for the noise (default: random)")
    parser.add_argument("--bars", type=int, default=1, help="bars to render (default 1)")
    parser.add_argument("--bpm", type=float, default=120.0, help="tempo (default 120)")
    parser.add_argument("--mute", default="", metavar="INSTRUMENTS", help="comma-separated instruments to silence")
    add_models_dir_argument(parser)
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="output .mid/.midi or .wav file")
    parser.set_defaults(func=run)


def _check(args: argparse.Namespace) -> str | None:
    x, y = args.xy if args.xy is not None else (0.5, 0.5)
    if not all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in (x, y)):
        return f"--xy must be two numbers in [0, 1] (pad coordinates), not {x:g} {y:g}"
    if not (math.isfinite(args.threshold) and 0.0 <= args.threshold <= 1.0):
        return f"--threshold must be in [0, 1], not {args.threshold:g}"
    if not (math.isfinite(args.noise) and 0.0 <= args.noise <= 1.0):
        return f"--noise must be in [0, 1], not {args.noise:g}"
    if not 1 <= args.bars <= MAX_BARS:
        return f"--bars must be between 1 and {MAX_BARS}, not {args.bars}"
    if not (math.isfinite(args.bpm) and MIN_FILE_BPM <= args.bpm <= MAX_FILE_BPM):
        return f"--bpm must be between {MIN_FILE_BPM:g} and {MAX_FILE_BPM:g}, not {args.bpm:g}"
    if (seed := seed_problem(args.seed)) is not None:
        return f"--{seed}"
    if Path(args.output).suffix.lower() not in (".mid", ".midi", ".wav"):
        return f"-o {args.output}: the output must end with .mid, .midi or .wav"
    return None


def run(args: argparse.Namespace) -> int:
    problem = _check(args)
    mutes = None
    if problem is None and args.mute:
        try:
            mutes = mutes_from_indices(parse_instruments(args.mute))
        except ValueError as err:
            problem = f"--mute: {err}"
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    try:
        model = LoadedModel.load(args.model, models_dirs(args))
    except ModelFileError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    rng = np.random.default_rng(args.seed)
    xy = np.array(args.xy if args.xy is not None else (model.start or (0.5, 0.5)), dtype=np.float32)
    bars = [model.pattern(xy, args.threshold, args.noise, rng, mutes) for _ in range(args.bars)]
    try:
        _write(Path(args.output), bars, args.bpm)
    except OSError as err:
        print(f"error: {args.output}: cannot write: {err.strerror or err}", file=sys.stderr)
        return 1
    onsets = sum(b.onset_count() for b in bars)
    print(f"wrote {args.output}: {len(bars)} bar{'s' if len(bars) != 1 else ''}, {onsets} notes", file=sys.stderr)
    return 0


def _write(path: Path, bars: list[Bar], bpm: float) -> None:
    if path.suffix.lower() == ".wav":
        from rvae_server.outputs.render import write_wav

        write_wav(path, bars, bpm)
    else:
        write_bars(path, bars, bpm)
