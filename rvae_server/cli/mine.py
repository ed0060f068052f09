"""``rvae mine DIR... -o DATASET.npz [--executor local|dask|ray] [--workers N] [--address ADDR] [--min-repeats N]
[--min-entropy H] [--grid musical|sixteenths] [--limit N | --sample N [--seed S]] [--style DIR=STYLE]... [--fresh]
[--json]``: mine drum patterns from MIDI collections.

See :mod:`rvae_server.mining.pipeline` for the stages and the summary, :mod:`rvae_server.core.dataset` for the
dataset file. ``--limit N`` mines the first N files in path order, ``--sample N`` N files drawn at random
(``--seed``, 0). Progress goes to stderr (a bar on a terminal, a line every few seconds otherwise). Killed or
interrupted, the same command resumes where it stopped (``DATASET.partial.jsonl``); a second run with the same
output is refused while one runs. With ``--json`` the last line on stdout is the summary (``"patterns"``: the
unique patterns kept), or ``{"error": "..."}``. Every failure is one line on stderr. Exit status 0, 1 on error,
130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any, TextIO

from rvae_server.core.dataset import DatasetError
from rvae_server.core.patterns import ENTROPY_K
from rvae_server.mining.executors import EXECUTORS
from rvae_server.mining.keys import GRIDS
from rvae_server.mining.loops import DEFAULT_MIN_REPEATS
from rvae_server.mining.pipeline import MiningError, mine
from rvae_server.mining.work import Settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "mine",
        help="mine drum patterns from MIDI collections into a dataset",
        description="Mine the 32-step drum patterns of MIDI files (folders searched recursively) that play at least "
        "--min-repeats times in a row into a dataset file (.npz), every phase shift of a pattern counted once.",
    )
    parser.add_argument("paths", nargs="+", metavar="DIR")
    parser.add_argument("-o", "--output", required=True, metavar="DATASET", help="the dataset file to write (.npz)")
    parser.add_argument("--executor", choices=EXECUTORS, default="local", help="where files are mined (default local)")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: the CPUs available)")
    parser.add_argument("--address", default=None, help="a running Dask scheduler or Ray cluster to use")
    parser.add_argument(
        "--batch", type=int, default=None, help="files per task (default: automatic, at most 32; 128 on Dask or Ray)"
    )
    parser.add_argument(
        "--min-repeats", type=int, default=DEFAULT_MIN_REPEATS,
        help=f"times a 32-step pattern must play in a row (default {DEFAULT_MIN_REPEATS}, the paper's)",
    )  # fmt: skip
    parser.add_argument(
        "--min-entropy", type=float, default=ENTROPY_K,
        help=f"quality threshold: entropy (bits) of the tick-column codes (default {ENTROPY_K}, as rvae eval)",
    )  # fmt: skip
    parser.add_argument(
        "--grid", choices=tuple(GRIDS), default="musical",
        help="what patterns are compared on: sixteenths and eighth triplets (musical, the default) or sixteenths",
    )  # fmt: skip
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="mine the first N files (path order)")
    parser.add_argument("--sample", type=int, default=None, metavar="N", help="mine N files drawn at random")
    parser.add_argument("--seed", type=int, default=0, help="seed of --sample (default 0)")
    parser.add_argument(
        "--style", action="append", default=[], metavar="DIR=STYLE",
        help="style of the files under DIR whose path and metadata name none (repeatable)",
    )  # fmt: skip
    parser.add_argument("--fresh", action="store_true", help="discard a checkpoint of an earlier run")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON as the last line")
    parser.set_defaults(func=run)


class Progress:
    """Files mined on ``stream``: a ``\\r`` bar on a terminal, else a line every 5 s (and at the end)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.start = time.perf_counter()
        self.last = 0.0
        self.first_done: int | None = None

    def __call__(self, done: int, total: int, record: dict[str, Any]) -> None:
        now = time.perf_counter()
        if self.first_done is None:
            self.first_done = done
        final = done == total
        if not final and now - self.last < (0.1 if self.tty else 5.0):
            return
        self.last = now
        rate = (done - self.first_done) / max(now - self.start, 1e-9)
        text = f"{done}/{total} files  {rate:.0f} files/s"
        if self.tty:
            width = 28
            filled = round(width * done / max(total, 1))
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {text}\x1b[K" + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


def _roots(args: argparse.Namespace) -> list[tuple[str, str | None]]:
    fallbacks: dict[str, str] = {}
    for item in args.style:
        folder, sep, style = item.rpartition("=")
        if not sep or not folder or not style:
            raise MiningError(f"--style takes DIR=STYLE, not {item!r}")
        fallbacks[folder.rstrip("/")] = style
    unknown = set(fallbacks) - {p.rstrip("/") for p in args.paths}
    if unknown:
        raise MiningError(f"--style names folders that are not mined: {', '.join(sorted(unknown))}")
    return [(p, fallbacks.get(p.rstrip("/"))) for p in args.paths]


def run(args: argparse.Namespace) -> int:
    try:
        if args.workers is not None and args.workers < 1:
            raise MiningError(f"--workers must be at least 1, not {args.workers}")
        if args.batch is not None and args.batch < 1:
            raise MiningError(f"--batch must be at least 1, not {args.batch}")
        settings = Settings(min_repeats=args.min_repeats, min_entropy=args.min_entropy, grid=args.grid)
        summary = mine(
            _roots(args), args.output, settings, executor=args.executor, workers=args.workers,
            address=args.address, batch_size=args.batch, fresh=args.fresh, progress=Progress(sys.stderr),
            limit=args.limit, sample=args.sample, seed=args.seed,
        )  # fmt: skip
    except (MiningError, DatasetError) as err:
        print(f"error: {err}", file=sys.stderr, flush=True)
        if args.json:
            print(json.dumps({"error": str(err)}), flush=True)
        return 1
    except KeyboardInterrupt:
        print(f"\ninterrupted: run the same command again to resume ({args.output}.partial.jsonl)", file=sys.stderr)
        raise
    if args.json:
        print(json.dumps(summary), flush=True)
    else:
        print(_table(summary))
    return 0


def _table(s: dict[str, Any]) -> str:
    rows = [
        ("files found", s["files"]),
        ("files read", s["files_read"]),
        ("with a channel-10 drum part", s["files_with_drums"]),
        ("bars", s["bars"]),
        ("segments (split at pauses)", s["segments"]),
        (f"32-step patterns played {s['settings']['min_repeats']}+ times", s["loops"]),
        ("passing the entropy filter", s["quality"]),
        ("distinct (duplicates removed)", s["distinct"]),
        ("unique patterns (phase shifts removed)", s["patterns"]),
    ]
    lines = [f"{name:<40}{value:>10}" for name, value in rows]
    for kind in ("broken", "skipped"):
        for reason, n in s[kind].items():
            lines.append(f"  {kind}: {reason}: {n}")
    lines.append(f"wrote {s['dataset']} ({s['bars_kept']} bars) and {s['summary']} in {s['seconds']:.1f} s")
    return "\n".join(lines)
