"""Mining at scale (issue 23): a 100,000-file collection mined on this machine with the local executor, a local
Dask cluster and a local Ray, the three datasets compared, kill -9 and resume, and the map of the result.

Prints, for each executor: wall time, the peak memory of the whole process tree (the sum of the processes'
proportional set sizes, PSS, sampled every 0.5 s: the driver, its workers, and for Ray and Dask every process
they start), files per second and per worker, and the load average before, during and after (this machine is
shared: a figure measured under load should be measured again on an idle machine). Then:

* whether the three datasets are **identical** (every array, and the meta but for its creation time);
* **kill -9 and resume** on the local executor: the run is killed (its whole process group) at several points —
  by share of files checkpointed, then once every file is done: after the merge, after the dataset is written,
  after the summary (the pipeline's ``RVAE_MINE_KILL_AT`` hook) — and resumed each time; the final dataset must
  equal the uninterrupted one;
* the files per second per worker beside the paper's collection (~200,000 MIDI files: how long it would take here);
* ``rvae map`` of the dataset (PNG), and of a paper-sized dataset (``--paper-size``: 33,000 patterns made from the
  mined ones, each a few onsets away) to show the map's time at that scale.

    python -m benchmarks.bench_scale [--corpus /tmp/rvae-corpus-100k] [--files 100000] [--out /tmp/rvae-scale]
        [--executors local dask ray] [--kill 0.1 0.5 0.9] [--paper-size] [--model groove-all]

The collection is made by :mod:`benchmarks.corpus` when the folder does not hold it (never in the repository
or the shared data). Run with ``nice -n 5`` on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.corpus import build
from rvae_server.mining.pipeline import KILL_AT_ENV

PAPER_FILES = 200_000  # "approximately two hundred thousand MIDI files" (Tikhonov & Yamshchikov, §2)
PAPER_PATTERNS = 33_000


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
    out, stack = [], [root]
    while stack:
        pid = stack.pop()
        out.append(pid)
        stack.extend(children.get(pid, []))
    return out


def _pss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except (OSError, ValueError):
            continue
    return total


def monitored(cmd: list[str], kill_when: Any = None, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``cmd`` in its own session; sample its process tree's PSS and the load. ``kill_when()`` true: kill -9
    the whole session."""
    start = time.monotonic()
    before = os.getloadavg()[0]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, **(env or {})})  # fmt: skip
    streams: dict[str, str] = {}

    def drain(name: str, stream: Any) -> None:
        streams[name] = stream.read()

    readers = [threading.Thread(target=drain, args=item) for item in (("out", proc.stdout), ("err", proc.stderr))]
    for reader in readers:
        reader.start()
    peak, loads, killed = 0, [], False
    while proc.poll() is None:
        peak = max(peak, _pss_kib(_tree(proc.pid)))
        loads.append(os.getloadavg()[0])
        if kill_when is not None and not killed and kill_when():
            os.killpg(proc.pid, signal.SIGKILL)
            killed = True
        time.sleep(0.5)
    for reader in readers:
        reader.join()
    lines = streams.get("out", "").strip().splitlines()
    try:
        summary = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        summary = {}
    return {
        "status": proc.returncode, "seconds": time.monotonic() - start, "peak_mib": peak / 1024, "killed": killed,
        "load": (before, float(np.mean(loads)) if loads else before, os.getloadavg()[0]), "summary": summary,
        "stderr": streams.get("err", "")[-2000:],
    }  # fmt: skip


def mine_cmd(corpus: Path, out: Path, executor: str, workers: int, fresh: bool = True) -> list[str]:
    cmd = [sys.executable, "-m", "rvae_server.cli", "mine", str(corpus), "-o", str(out), "--executor", executor,
           "--workers", str(workers), "--json"]  # fmt: skip
    return [*cmd, "--fresh"] if fresh else cmd


def same_dataset(a: Path, b: Path) -> str:
    """'' when identical (arrays, meta but ``created``), else what differs."""
    with np.load(a) as x, np.load(b) as y:
        if set(x.files) != set(y.files):
            return "different arrays"
        for name in x.files:
            if name == "meta":
                mx, my = json.loads(str(x[name])), json.loads(str(y[name]))
                if {**mx, "created": None} != {**my, "created": None}:
                    return "meta differs"
            elif not np.array_equal(x[name], y[name]):
                return f"{name} differs"
    return ""


def _load(load: tuple[float, float, float]) -> str:
    return f"load {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"


def executors(args: argparse.Namespace) -> dict[str, Path]:
    print(f"== mining {args.files} files on {args.workers} workers (load average before / during / after)")
    outs: dict[str, Path] = {}
    for executor in args.executors:
        out = args.out / f"{executor}.npz"
        run = monitored(mine_cmd(args.corpus, out, executor, args.workers))
        s = run["summary"]
        if run["status"] != 0:
            print(f"  {executor:<6} FAILED ({run['status']}): {run['stderr'][-600:]}")
            continue
        outs[executor] = out
        print(f"  {executor:<6} {run['seconds']:7.1f} s  peak {run['peak_mib']:6.0f} MiB  "
              f"{s['files_per_second']:6.0f} files/s  {s['files_per_second_per_worker']:5.0f} files/s/worker  "
              f"{s['patterns']} patterns ({s['bars_kept']} bars)  {_load(run['load'])}")  # fmt: skip
        if executor == "local":
            per_worker = s["files_per_second_per_worker"]
            minutes = PAPER_FILES / (per_worker * args.workers) / 60
            print(f"         the paper's ~{PAPER_FILES:,} files at {per_worker:.0f} files/s/worker: {minutes:.1f} min, "
                  f"{args.workers} workers; {PAPER_FILES / per_worker / 60 / 16:.1f} min on 16")  # fmt: skip
    if len(outs) > 1:
        base = next(iter(outs.values()))
        for executor, out in list(outs.items())[1:]:
            diff = same_dataset(base, out)
            print(f"  {executor} vs {next(iter(outs))}: {'identical' if not diff else 'DIFFERENT: ' + diff}")
    return outs


def kill_and_resume(args: argparse.Namespace, reference: Path | None) -> None:
    print(f"\n== kill -9 (the whole process group) at {args.kill} of the files, then once all are done; resume")
    out = args.out / "killed.npz"
    ckpt = Path(f"{out}.partial.jsonl")
    for k in (out, ckpt, out.with_suffix(".json")):
        k.unlink(missing_ok=True)
    seen: dict[str, int] = {"lines": 0, "pos": 0}

    def lines() -> int:
        if not ckpt.exists():
            return 0
        with open(ckpt, "rb") as fh:
            fh.seek(seen["pos"])
            chunk = fh.read()
        cut = chunk.rfind(b"\n") + 1
        seen["lines"] += chunk[:cut].count(b"\n")
        seen["pos"] += cut
        return max(0, seen["lines"] - 1)

    for point in (int(f * args.files) for f in args.kill):
        seen.update(lines=0, pos=0)
        run = monitored(mine_cmd(args.corpus, out, "local", args.workers, fresh=False), lambda p=point: lines() >= p)
        print(f"  killed at {lines()} files checkpointed (aimed at {point}): status {run['status']}, "
              f"{run['seconds']:.0f} s, {_load(run['load'])}")  # fmt: skip
    for stage in ("merged", "dataset", "summary"):  # the end, where polling is too slow: the pipeline's own hook
        run = monitored(mine_cmd(args.corpus, out, "local", args.workers, fresh=False), env={KILL_AT_ENV: stage})
        print(f"  killed when {stage} (every file done): status {run['status']}, {run['seconds']:.0f} s")
    run = monitored(mine_cmd(args.corpus, out, "local", args.workers, fresh=False))
    s = run["summary"]
    print(f"  resumed to the end: status {run['status']}, resumed {s.get('resumed')} files, {run['seconds']:.0f} s")
    if reference is not None and run["status"] == 0:
        diff = same_dataset(reference, out)
        print(f"  against the uninterrupted run: {'identical' if not diff else 'DIFFERENT: ' + diff}")


def paper_sized(source: Path, target: Path, patterns: int = PAPER_PATTERNS, seed: int = 0) -> Path:
    """A dataset of ``patterns`` 2-bar patterns made from ``source``'s: each a copy with a few onsets moved."""
    from rvae_server.core.dataset import build_dataset, notes_from_planes, read_dataset, write_dataset

    ds = read_dataset(source)
    bars = ds.bars()
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, ds.patterns, patterns)
    first = ds.arrays["pattern_first_bar"].astype(np.int64)
    planes = np.concatenate([bars[first[p] : first[p] + 2] for p in pick])
    for k in range(patterns):  # move three onsets of each copy to random cells
        on = np.argwhere(planes[2 * k : 2 * k + 2, 0] > 0)
        for b, t, i in on[rng.permutation(len(on))[:3]]:
            planes[2 * k + b, :, t, i] = 0
            planes[2 * k + b, :, rng.integers(0, 96), i] = (1.0, 0.8, 0.0)
    a = ds.arrays
    cols = {name: a[name].astype(np.int64)[pick] for name in a if name.startswith("pattern_")}
    cols["pattern_first_bar"] = np.arange(patterns) * 2
    texts = {name: ds.text(name) for name in ("files", "file_sha256", "file_tracks", "styles", "labels")}
    write_dataset(build_dataset(notes_from_planes(planes), cols, texts, ds.meta["settings"], {}), target)
    return target


def maps(args: argparse.Namespace, dataset: Path | None) -> None:
    if dataset is None:
        return
    print("\n== rvae map (PNG)")
    targets = [("the mined dataset", dataset)]
    if args.paper_size:
        paper = paper_sized(dataset, args.out / "paper.npz")
        targets.append((f"a paper-sized dataset ({PAPER_PATTERNS:,} patterns)", paper))
    for label, path in targets:
        cmd = [sys.executable, "-m", "rvae_server.cli", "map", args.model, str(path), "-o",
               str(args.out / f"{path.stem}-map.png"), "--json"]  # fmt: skip
        run = monitored(cmd)
        points = run["summary"].get("points")
        print(f"  {label}: {run['seconds']:.1f} s, {points} points, peak {run['peak_mib']:.0f} MiB, status "
              f"{run['status']}, {_load(run['load'])}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=Path("/tmp/rvae-corpus-100k"))
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=Path("/tmp/rvae-scale"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--executors", nargs="+", default=["local", "dask", "ray"])
    parser.add_argument("--kill", nargs="*", type=float, default=[0.1, 0.5, 0.9])
    parser.add_argument("--paper-size", action="store_true")
    parser.add_argument("--model", default="groove-all")
    parser.add_argument("--skip-kill", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    marker = args.corpus / f".made-{args.files}"
    if not marker.exists():
        print(f"making {args.files} files under {args.corpus} ...", file=sys.stderr)
        build(args.corpus, args.files)
        marker.write_text("benchmarks.corpus\n")
    outs = executors(args)
    reference = outs.get("local")
    if not args.skip_kill:
        kill_and_resume(args, reference)
    maps(args, reference)


if __name__ == "__main__":
    main()
