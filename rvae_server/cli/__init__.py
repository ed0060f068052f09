"""The ``rvae`` command line. Each subcommand lives in its own module in this package, which exposes
``register(subparsers)``: it adds its parser and sets ``func`` (``args -> exit status``) as its default."""

from __future__ import annotations

import argparse
import importlib
import logging
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


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(chosen_command(words)).parse_args(words)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        status: int = args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `rvae clip --json DIR | head`
        sys.stderr.close()
        return 0
    return status


if __name__ == "__main__":
    sys.exit(main())
