"""``rvae jam --model M --xy X Y --key Am [--family bass] [--seed S] --bars N -o OUT.mid``: drums and a melody made
for them, offline.

The drums are the pad point's bars (``--threshold``, ``--noise`` as for ``rvae render``); the melody layer's
model (``--melody-model``, the bundled ``default``) makes a line for each drum bar, in the key, family and octave
asked (``--octave``, default the family's), ``--density``, ``--temperature`` and the scale lock (on;
``--no-scale-lock``), its notes on the paper's grid. Every 4 bars are judged together by the paper's filters as a
64-step loop, both key detectors asked (fewer bars at the end as the loop they make), generated again until they
pass (at most ``--attempts`` tries; the best is kept otherwise). The file is type 1: drums on channel 10, the
melody on ``--channel`` (1) with its family's General MIDI program. Exit status 0, 1 on a bad argument (a negative
``--seed`` too) or an unreadable model. A summary goes to stderr.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from rvae_server.cli.models import add_models_dir_argument, models_dirs
from rvae_server.core.bar import Bar
from rvae_server.core.config import seed_problem
from rvae_server.core.tempo import MAX_FILE_BPM, MIN_FILE_BPM
from rvae_server.melody.families import FAMILIES, OCTAVES, PROGRAMS
from rvae_server.melody.filters import LOOP_BARS
from rvae_server.melody.generate import MelodySettings, generate
from rvae_server.melody.jamfile import write_jam
from rvae_server.melody.line import Line
from rvae_server.melody.modelfile import DEFAULT_NAME, load_melody
from rvae_server.model.inference import LoadedModel
from rvae_server.model.modelfile import ModelFileError
from rvae_server.model.planes import threshold_planes

MAX_BARS = 4096


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "jam",
        help="drums from a pad point and a melody made for them, to a MIDI file",
        description="Decode drums at the pad point (X, Y) and generate a melody line for them; write both.",
    )
    parser.add_argument("--model", required=True, metavar="NAME_OR_PATH", help="the drum model")
    parser.add_argument("--xy", required=True, nargs=2, type=float, metavar=("X", "Y"), help="pad point in [0, 1]")
    parser.add_argument("--key", required=True, help="key of the melody: Am, Eb, F#m, 'G major' …")
    parser.add_argument("--family", default="bass", help=f"{' | '.join(FAMILIES)} (default bass)")
    parser.add_argument("--octave", type=int, default=None, help="octave of the key's tonic (default: the family's)")
    parser.add_argument("--density", type=float, default=0.5, help="0..1, 0.5 = the model's own (default)")
    parser.add_argument("--temperature", type=float, default=1.0, help="sampling temperature (default 1)")
    parser.add_argument("--no-scale-lock", dest="scale_lock", action="store_false", help="allow notes off the scale")
    parser.add_argument("--bars", type=int, required=True, help="bars to write")
    parser.add_argument("--seed", type=int, default=None, help="seed of the noise and the melody (default: random)")
    parser.add_argument("--threshold", type=float, default=0.5, help="drum onset threshold (default 0.5)")
    parser.add_argument("--noise", type=float, default=0.0, help="drum latent noise in [0, 1] (default 0)")
    parser.add_argument("--bpm", type=float, default=120.0, help="tempo (default 120)")
    parser.add_argument("--channel", type=int, default=1, help="MIDI channel of the melody (default 1)")
    parser.add_argument("--attempts", type=int, default=64, help="tries per 4 bars to pass the filters (default 64)")
    parser.add_argument("--melody-model", default=DEFAULT_NAME, metavar="NAME_OR_PATH", help="the melody model")
    add_models_dir_argument(parser)
    parser.add_argument("-o", "--output", required=True, metavar="OUT.mid")
    parser.set_defaults(func=run)


def _check(args: argparse.Namespace) -> str | None:
    x, y = args.xy
    if not all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in (x, y)):
        return f"--xy must be two numbers in [0, 1] (pad coordinates), not {x:g} {y:g}"
    for name, lo, hi in (("threshold", 0, 1), ("noise", 0, 1), ("density", 0, 1), ("temperature", 0.05, 3)):
        value = getattr(args, name)
        if not (math.isfinite(value) and lo <= value <= hi):
            return f"--{name} must be in [{lo:g}, {hi:g}], not {value:g}"
    if not 1 <= args.bars <= MAX_BARS:
        return f"--bars must be between 1 and {MAX_BARS}, not {args.bars}"
    if not (math.isfinite(args.bpm) and MIN_FILE_BPM <= args.bpm <= MAX_FILE_BPM):
        return f"--bpm must be between {MIN_FILE_BPM:g} and {MAX_FILE_BPM:g}, not {args.bpm:g}"
    if not 1 <= args.channel <= 16 or args.channel == 10:
        return f"--channel must be a MIDI channel 1..16 other than 10 (the drums'), not {args.channel}"
    if args.octave is not None and not 0 <= args.octave <= 8:
        return f"--octave must be 0..8, not {args.octave}"
    if not 1 <= args.attempts <= 10_000:
        return f"--attempts must be 1..10000, not {args.attempts}"
    if (seed := seed_problem(args.seed)) is not None:
        return f"--{seed}"
    if Path(args.output).suffix.lower() not in (".mid", ".midi"):
        return f"-o {args.output}: the output must end with .mid or .midi"
    return None


def run(args: argparse.Namespace) -> int:
    import torch

    torch.set_num_threads(1)
    problem = _check(args)
    settings = None
    if problem is None:
        try:
            settings = MelodySettings.make(key=args.key, family=args.family, density=args.density,
                                           temperature=args.temperature, scale_lock=args.scale_lock)  # fmt: skip
        except ValueError as err:
            problem = str(err)
    if problem is not None or settings is None:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    octave = args.octave if args.octave is not None else OCTAVES[FAMILIES[settings.family]]
    settings = MelodySettings.make(**{**settings.to_dict(), "octave": octave})
    try:
        drums_model = LoadedModel.load(args.model, models_dirs(args))
        melody_model = load_melody(args.melody_model)
    except ModelFileError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    rng = np.random.default_rng(args.seed)
    base = drums_model.pad_to_latent(np.asarray(args.xy, dtype=np.float32))  # the model's own pad
    bars: list[Bar] = []
    latents: list[np.ndarray] = []
    for _ in range(args.bars):
        z = base + args.noise * rng.standard_normal(2).astype(np.float32) if args.noise > 0 else base
        latents.append(np.asarray(z, dtype=np.float32))
        bars.append(threshold_planes(drums_model.decode_latent(z[None]).one(0), args.threshold))
    lines: list[Line] = []
    passed = groups = 0
    for start in range(0, args.bars, LOOP_BARS):
        group = range(start, min(start + LOOP_BARS, args.bars))
        drums = np.stack([bars[b].velocities for b in group])
        heard = melody_model.latent_for(
            np.stack([bars[b].planes() for b in group]), np.stack([latents[b] for b in group])
        )
        made = generate(melody_model, drums, heard, settings, rng,
                        max_attempts=args.attempts, time_budget=5.0)  # fmt: skip
        lines.extend(made.lines)
        groups += 1
        passed += made.verdict.passed
    program = PROGRAMS[FAMILIES[settings.family]]
    try:
        write_jam(args.output, bars, lines, args.bpm, channel=args.channel, program=program)
    except OSError as err:
        print(f"error: {args.output}: cannot write: {err.strerror or err}", file=sys.stderr)
        return 1
    notes = sum(len(line) for line in lines)
    print(
        f"wrote {args.output}: {args.bars} bars, {sum(b.onset_count() for b in bars)} drum notes, {notes} "
        f"{FAMILIES[settings.family]} notes in {settings.key.name}; {passed} of {groups} 4-bar loops pass the filters",
        file=sys.stderr,
    )
    return 0
