"""Calibrate the pattern filter's entropy threshold on real bars (see :mod:`rvae_server.core.patterns`).

    python scripts/calibrate_pattern_filter.py [../shared/data/groove] [--share 0.82]

Reads every MIDI file under the folder (the Groove MIDI Dataset: beats and fills, all splits), keeps every used
bar (2 or more onsets) the reader maps to a 96-tick bar, and prints the entropy threshold at which ``--share``
of them pass the whole filter, with the share it gives and the one the current ``ENTROPY_K`` gives.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from rvae_server.core.bar import stack
from rvae_server.core.midifile import ClipError, find_clips, read_clip
from rvae_server.core.patterns import ENTROPY_K, REAL_PASS_RATE, basic_ok, calibrate_entropy_k, passes

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", nargs="?", type=Path, default=ROOT.parent / "shared" / "data" / "groove")
    parser.add_argument("--share", type=float, default=REAL_PASS_RATE)
    args = parser.parse_args()
    onsets, clips = [], 0
    for path in find_clips([args.data]):
        try:
            used = read_clip(path).used_bars()
        except ClipError:
            continue
        if used:
            onsets.append(stack(used)[:, 0] > 0.5)
            clips += 1
    bars = np.concatenate(onsets)
    k = calibrate_entropy_k(bars, args.share)
    print(
        f"{len(bars)} bars from {clips} clips; {basic_ok(bars).mean() * 100:.2f} % have >= 4 onsets on >= 2 instruments"
    )
    print(f"ENTROPY_K = {k}  ->  {passes(bars, k).mean() * 100:.2f} % pass (aim {args.share * 100:.0f} %)")
    print(f"current ENTROPY_K = {ENTROPY_K}  ->  {passes(bars).mean() * 100:.2f} % pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
