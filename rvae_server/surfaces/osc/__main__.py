"""``python -m rvae_server.surfaces.osc --markdown|--json``: print the OSC address table."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rvae_server.surfaces.osc.table import table_as_json, table_as_markdown


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rvae_server.surfaces.osc", description="Print the OSC address table."
    )
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--markdown", action="store_true", help="docs/osc.md")
    group.add_argument("--json", action="store_true", help="the table as JSON (for the web page)")
    args = parser.parse_args(argv)
    sys.stdout.write(table_as_markdown() if args.markdown else table_as_json() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
