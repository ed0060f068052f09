"""``rvae`` under tracemalloc, for finding what grows in a long run (``bench_soak --trace``): the first SIGUSR1 starts
tracing (once the server runs: tracing its start-up, torch's import, takes minutes), each later one writes a
snapshot of the allocations traced to ``$RVAE_TRACE_DIR/snap-N.pickle`` (N = 1, 2, …).

    python -m benchmarks.traced_serve serve ARGS...
"""

from __future__ import annotations

import os
import signal
import sys
import tracemalloc
from pathlib import Path


def main() -> int:
    folder = Path(os.environ.get("RVAE_TRACE_DIR", "."))
    frames = int(os.environ.get("RVAE_TRACE_FRAMES", "12"))
    taken = [0]

    def dump(_signum: int, _frame: object) -> None:
        if not tracemalloc.is_tracing():
            tracemalloc.start(frames)
            return
        taken[0] += 1
        tracemalloc.take_snapshot().dump(str(folder / f"snap-{taken[0]}.pickle"))

    signal.signal(signal.SIGUSR1, dump)
    from rvae_server.cli import main as rvae

    return rvae(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
