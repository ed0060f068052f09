"""``rvae models [--models-dir DIR]... [--json]``: list the models found, with a summary of their metadata.

Models are looked for in this user's models folder (``~/Library/Application Support/rvae/models`` on macOS,
``%LOCALAPPDATA%\\rvae\\models`` on Windows, ``~/.local/share/rvae/models`` on Linux; where ``rvae train`` saves
them), in ``./models`` when the current folder has one, and then in the bundled ``models/`` folder, or only in the
``--models-dir`` folders given (each command that takes a model accepts it). The
default model (named on the ``Default model:`` line of a models dir's README.md, else the first found that plays
well) is marked. Models their own evaluation flags as playing poorly (``evaluation.poor`` in ``meta.json``, written
by ``rvae eval`` and training) are listed apart, after the others, each with its warnings. With ``--json`` each model
is one JSON object per line (``poor`` and ``warnings`` included). Each model's line shows the epochs trained and
the one kept with its validation loss and F1; under it the training report
(:func:`rvae_server.model.trainreport.report_text`) when the metadata holds one. Exit status 0, or 1 when no model
was found.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rvae_server.model.modeldirs import ModelInfo, default_model_dirs, find_models, plays_poorly
from rvae_server.model.trainreport import report_text


def add_models_dir_argument(parser: argparse.ArgumentParser) -> None:
    """The ``--models-dir DIR`` option shared by the model commands (repeatable; replaces the default dirs)."""
    parser.add_argument(
        "--models-dir",
        action="append",
        metavar="DIR",
        help="where models are (repeatable; default: your models folder, ./models if any, then the bundled models)",
    )


def models_dirs(args: argparse.Namespace) -> list[Path]:
    """The models dirs a command searches: ``--models-dir`` values, else :func:`default_model_dirs`."""
    given: list[str] | None = args.models_dir
    return [Path(d) for d in given] if given else default_model_dirs()


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "models",
        help="list the models found and their metadata",
        description="List the rhythm VAE models found (your models folder, ./models if any, the bundled models, "
        "or --models-dir).",
    )
    add_models_dir_argument(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object per model and line")
    parser.set_defaults(func=run)


def _fmt(value: object, spec: str = "") -> str:
    if value is None:
        return "-"
    try:
        return format(value, spec)
    except (TypeError, ValueError):
        return str(value)


def run(args: argparse.Namespace) -> int:
    dirs = models_dirs(args)
    found = find_models(dirs)
    if args.json:
        for info in found:
            print(json.dumps(info.summary()), flush=True)
    else:
        _print_table(found)
    if not found:
        where = ", ".join(str(d) for d in dirs)
        print(f"error: no models found in {where}", file=sys.stderr)
        return 1
    return 0


def _print_table(found: list[ModelInfo]) -> None:
    """The models that play well first; those their own evaluation flags (``evaluation.poor`` in meta.json) listed
    apart, under a heading, each with its warnings: offered, but not as a peer of the others."""
    poor = [i for i in found if i.error is None and plays_poorly(i.meta)]
    if found:
        columns = f"{'epochs':>6} {'kept':>5} {'bars':>6} {'clips':>5} {'reg':>5} {'pad':>5} {'val loss':>9}"
        columns += f" {'val F1':>6}"
        print(f"{'':2}{'name':<22} {columns}  created")
    for info in (i for i in found if i not in poor):
        _print_model(info)
    if poor:
        print(f"\nplaying poorly by their own evaluation (rvae eval MODEL says why; play them knowingly): {len(poor)}")
        for info in poor:
            _print_model(info)
            for warning in info.summary()["warnings"] or ["flagged by its evaluation"]:
                print(f"{'':4}warning: {warning}")
    if any(i.default for i in found):
        print("* = default model")


def _print_model(info: ModelInfo) -> None:
    s = info.summary()
    mark = "* " if info.default else "  "
    if "error" in s:
        print(f"{mark}{info.name:<22} error: {s['error']}  ({info.path})")
        return
    print(
        f"{mark}{info.name:<22} {_fmt(s['epochs']):>6} {_fmt(s['kept_epoch']):>5} {_fmt(s['bars']):>6} "
        f"{_fmt(s['clips']):>5} {_fmt(s['regularizer']):>5} {_fmt(s['pad_pass'], '.0%'):>5} "
        f"{_fmt(s['val_loss'], '.2f'):>9} {_fmt(s['val_f1'], '.2f'):>6}  "
        f"{_fmt(s['created'])}{'  (plays poorly)' if s['poor'] else ''}"
    )
    print(f"{'':4}{info.path}  data: {_short(_fmt(s['attribution']))}")
    for line in report_text(s.get("report") or {}):
        print(f"{'':4}{line}")


def _short(text: str, limit: int = 160) -> str:
    """One line of at most ``limit`` characters (a model trained on many sources credits them all in meta.json)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
