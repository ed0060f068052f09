"""The ``rvae`` command line. Each subcommand lives in its own module in this package, which exposes
``register(subparsers)``: it adds its parser and sets ``func`` (``args -> exit status``) as its default."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from rvae_server import __version__

#: Subcommand modules, in the order ``rvae --help`` lists them.
COMMANDS: tuple[str, ...] = (
    "clip", "ports", "serve", "train", "eval", "encode", "render", "models", "osc_send", "mine", "map", "key", "jam",
    "capture",
)  # fmt: skip


#: Subcommands whose name is not their module's.
NAMES = {"osc": "osc_send"}


def _command(argv: Sequence[str]) -> str | None:
    """The module of the subcommand ``argv`` names (its first word that is not an option), if it is one."""
    word = next((a for a in argv if not a.startswith("-")), None)
    module = NAMES.get(word, word) if word is not None else None
    return module if module in COMMANDS else None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given the arguments, only the subcommand they name is imported and registered (each command's
    module imports what it needs: ``rvae train`` need not import the server, the miner or the map), else all."""
    parser = argparse.ArgumentParser(prog="rvae", description="A real-time latent-space drum instrument.")
    parser.add_argument("--version", action="version", version=f"rvae {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    wanted = _command(argv) if argv is not None else None
    for name in COMMANDS if wanted is None else (wanted,):
        importlib.import_module(f"{__name__}.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(given).parse_args(given)
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
