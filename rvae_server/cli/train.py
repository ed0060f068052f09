"""``rvae train CLIP_DIR_OR_DATASET... --name NAME [--regularizer vae|acai|ae] [--recipe NAME] [--epochs N]
[--seed S] [--beta B] [--threads T] [--models-dir DIR] [--force] [--json]``.

Reads the clips (files, or folders searched recursively), splits them 5:1 by clip, trains a model with the
recipe (default: the current one, :mod:`rvae_server.model.recipe`; ``v1`` is the recipe before issue 10), fits its
pad to the clips, evaluates it (:mod:`rvae_server.model.evaluate`) and saves it as ``DIR/NAME`` (default: this
user's models folder, see :mod:`rvae_server.core.places`), atomically and only at the end: an error, Ctrl-C or a
kill leaves no partial model and the previous model of that name untouched. A model of that name already there is
replaced only with ``--force`` (else the command says so and stops). ``--threads`` defaults to the idle cores (one
when the machine is busy). Progress goes to stderr (a bar on a terminal, one line per epoch otherwise, with the
validation loss and F1), then the evaluation table and the training report
(:func:`rvae_server.model.trainreport.report_text`: the kept epoch, its validation loss and F1, the lowest
validation loss and its epoch, a warning when the held-out clips come back far worse). With ``--json`` the last
line on stdout is ``{"model": path, "bars": int, "epochs": int, "best_epoch": int, "recipe": str, "train_loss":
float, "val_loss": float|null, "seconds": float, "evaluation": {...}, "report": {...}}`` (losses: the kept
epoch's; or ``{"error": "..."}``). Exit status 0, 1 on error, 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any, TextIO

from rvae_server.cli.models import add_models_dir_argument, models_dirs
from rvae_server.core.config import seed_problem
from rvae_server.core.names import NAME_RULE, InvalidName, model_name
from rvae_server.model.evaluate import table
from rvae_server.model.modelfile import ModelFileError
from rvae_server.model.network import REGULARIZERS
from rvae_server.model.recipe import DEFAULT_RECIPE, RECIPES, free_threads, get_recipe
from rvae_server.model.training import train_and_save
from rvae_server.model.trainingdata import DEFAULT_SEED, TrainEvent, TrainingError
from rvae_server.model.trainreport import report_text


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a rhythm VAE on MIDI clips",
        description="Train a rhythm VAE on MIDI clips and save it in the models dir.",
    )
    parser.add_argument(
        "paths", nargs="+", metavar="CLIP_DIR_OR_DATASET", help="MIDI clips, folders, or mined .npz datasets"
    )
    parser.add_argument("--name", required=True, help=f"model name ({NAME_RULE})")
    recipe = get_recipe()
    parser.add_argument(
        "--regularizer", choices=REGULARIZERS, default=None,
        help=f"vae (KL), acai (adversarial interpolation), ae (none) (default: {recipe.config.regularizer}, "
        f"{recipe.large_regularizer or recipe.config.regularizer} from {recipe.large_bars} training bars up)",
    )  # fmt: skip
    parser.add_argument(
        "--recipe", choices=sorted(RECIPES), default=DEFAULT_RECIPE, help=f"training recipe (default {DEFAULT_RECIPE})"
    )
    parser.add_argument(
        "--epochs", type=int, default=None, help=f"default: the recipe's ({recipe.epochs}, fewer on large sets)"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--beta", type=float, default=None, help="KL weight of the vae regularizer")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: the idle cores)")
    add_models_dir_argument(parser)
    parser.add_argument("--force", action="store_true", help="replace a model of the same name")
    parser.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    parser.set_defaults(func=run)


class Progress:
    """Epoch progress on ``stream``: a ``\\r`` bar on a terminal, else one line per epoch."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.open = False

    def __call__(self, e: TrainEvent) -> None:
        val = f"{e.val_loss:.2f}" if math.isfinite(e.val_loss) else "-"
        f1 = f"  val F1 {e.val_f1:.2f}" if math.isfinite(e.val_f1) else ""
        text = f"epoch {e.epoch}/{e.epochs}  train {e.train_loss:.2f}  val {val}{f1}  {e.seconds:.1f} s"
        if self.tty:
            width = 24
            done = round(width * e.epoch / e.epochs)
            self.stream.write(f"\r[{'#' * done}{'.' * (width - done)}] {text}\x1b[K")
            self.open = e.epoch < e.epochs
            if not self.open:
                self.stream.write("\n")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def note(self, text: str) -> None:
        self.end()
        self.stream.write(f"note: {text}\n")
        self.stream.flush()

    def end(self) -> None:
        if self.open:
            self.stream.write("\n")
            self.open = False


def run(args: argparse.Namespace) -> int:
    progress = Progress(sys.stderr)
    if args.epochs is not None and args.epochs < 1:
        return _fail(args, progress, f"--epochs must be at least 1, not {args.epochs}")
    if args.threads is not None and not 1 <= args.threads <= 256:
        return _fail(args, progress, f"--threads must be between 1 and 256, not {args.threads}")
    if args.beta is not None and not (math.isfinite(args.beta) and args.beta >= 0):
        return _fail(args, progress, f"--beta must be a finite number ≥ 0, not {args.beta}")
    if (seed := seed_problem(args.seed)) is not None:
        return _fail(args, progress, f"--{seed}")
    try:
        name = model_name(args.name)  # the name enters here: checked once, before any path is made of it
    except InvalidName as err:
        return _fail(args, progress, str(err))
    models_dir = models_dirs(args)[0]
    existing = models_dir / name
    if (existing / "meta.json").exists() and not args.force:
        return _fail(args, progress, f"a model named {args.name!r} already exists at {existing}: "
                     "pass --force to replace it, or choose another --name")  # fmt: skip
    if existing.exists() and args.force:
        progress.note(f"replacing the model at {existing} when training succeeds")
    try:
        summary = train_and_save(
            [str(p) for p in args.paths],
            name,
            str(models_dir),
            epochs=args.epochs,
            seed=args.seed,
            beta=args.beta,
            progress=progress,
            on_note=progress.note,
            threads=args.threads if args.threads is not None else free_threads(),
            recipe=args.recipe,
            regularizer=args.regularizer,
        )
    except (TrainingError, ModelFileError) as err:
        return _fail(args, progress, str(err))
    except KeyboardInterrupt:
        progress.end()
        print("interrupted: no model written", file=sys.stderr)
        raise
    progress.end()
    if summary.evaluation is not None:
        print(table(summary.evaluation), file=sys.stderr, flush=True)
    for line in report_text(summary.report or {}):
        print(line, file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(summary.to_json()), flush=True)
    else:
        print(
            f"saved {summary.model}: {summary.bars} bars, {summary.epochs} epochs (kept epoch {summary.best_epoch}), "
            f"recipe {summary.recipe}, {summary.seconds:.1f} s"
        )
    return 0


def _fail(args: argparse.Namespace, progress: Progress, message: str) -> int:
    progress.end()
    print(f"error: {message}", file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps({"error": message}), flush=True)
    return 1
