"""Reading the whole Groove MIDI Dataset (../shared/data/groove, 1,021 files) into bars.

Prints wall time (median of --repeat runs), files and bars per second, and the ratio against mido's own
parser on the same files (the reader's former implementation). Target: all of GMD in under 5 s on 2 cores.

    python -m benchmarks.bench_clips [--data DIR] [--repeat 3] [--no-mido]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import mido

from rvae_server.core.midifile import ClipError, find_clips, read_clip

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "groove"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-mido", action="store_true", help="skip the mido comparison (slow)")
    args = parser.parse_args()
    files = find_clips([args.data])
    if not files:
        raise SystemExit(f"no MIDI files under {args.data}")

    runs = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        bars = used = failed = 0
        for path in files:
            try:
                clip = read_clip(path)
            except ClipError:
                failed += 1
                continue
            bars += len(clip.bars)
            used += sum(b.used for b in clip.bars)
        runs.append(time.perf_counter() - start)
    wall = statistics.median(runs)
    print(f"files: {len(files)}  bars: {bars} (used {used})  failed: {failed}")
    print(
        f"read_clip, all files: median {wall:.3f} s over {args.repeat} runs (min {min(runs):.3f}, max {max(runs):.3f})"
    )
    print(f"  {len(files) / wall:.0f} files/s, {bars / wall:.0f} bars/s, {1000 * wall / len(files):.2f} ms/file")
    print(f"  target < 5 s: {'met' if wall < 5 else 'NOT met'}")
    if not args.no_mido:
        start = time.perf_counter()
        for path in files:
            mido.MidiFile(path)
        mido_wall = time.perf_counter() - start
        print(
            f"mido.MidiFile parse only, all files: {mido_wall:.3f} s  (ratio mido/read_clip: {mido_wall / wall:.1f}x)"
        )


if __name__ == "__main__":
    main()
