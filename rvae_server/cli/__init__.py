"""The ``rvae`` command line. Each subcommand lives in its own module in this package, which exposes
``register(subparsers)``: it adds its parser and sets ``func`` (``args -> exit status``) as its default.

Where PyTorch has no build (an Intel Mac with Python 3.13 or later: torch 2.2.2 is the last for it and stops at
3.12), rvae installs without it; a command that needs it says why and what to do (:func:`missing_torch`); ``rvae
osc`` works."""

from __future__ import annotations

import argparse
import importlib
import logging
import platform
import sys
from collections.abc import Sequence

from rvae_server import __version__

#: The subcommands in the order ``rvae --help`` lists them, each with its module in this package.
COMMANDS: dict[str, str] = {
    "clip": "clip", "ports": "ports", "serve": "serve", "train": "train", "eval": "eval", "encode": "encode",
    "render": "render", "models": "models", "osc": "osc_send", "mine": "mine", "map": "map", "key": "key",
    "jam": "jam", "capture": "capture",
}  # fmt: skip


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``rvae`` parser with every subcommand, or with subcommand ``only`` alone: then only its module is
    imported (``rvae osc`` runs in a fraction of a second because it never imports the model and torch)."""
    parser = argparse.ArgumentParser(prog="rvae", description="A real-time latent-space drum instrument.")
    parser.add_argument("--version", action="version", version=f"rvae {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command, module in COMMANDS.items():
        if only is None or command == only:
            importlib.import_module(f"{__name__}.{module}").register(subparsers)
    return parser


def chosen_command(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` names: its first word that is not an option (``rvae``'s own options take no
    value), when that is a subcommand; else ``None`` (``--help``, ``--version``, a typo: the whole parser)."""
    for word in argv:
        if word == "--":
            return None
        if not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def missing_torch(command: str | None) -> str:
    """Why ``rvae COMMAND`` cannot run without PyTorch, and what to do."""
    where = f"Python {platform.python_version()} on {sys.platform} {platform.machine()}"
    why = (
        "PyTorch has no build for Intel Macs after Python 3.12 (torch 2.2.2 is the last)"
        if sys.platform == "darwin" and platform.machine() == "x86_64" and sys.version_info >= (3, 13)
        else "PyTorch is not installed"
    )
    return (
        f"rvae{' ' + command if command else ''}: needs PyTorch, and {why} ({where}). Make a virtual environment "
        "with Python 3.11 or 3.12 and pip install -e . again (README: On macOS and Windows); rvae osc works "
        "without it."
    )


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser(chosen_command(words)).parse_args(words)
    except ModuleNotFoundError as err:
        if err.name != "torch":
            raise
        print(missing_torch(chosen_command(words)), file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        status: int = args.func(args)
    except ModuleNotFoundError as err:
        if err.name != "torch":
            raise
        print(missing_torch(chosen_command(words)), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `rvae clip --json DIR | head`
        sys.stderr.close()
        return 0
    return status


if __name__ == "__main__":
    sys.exit(main())
