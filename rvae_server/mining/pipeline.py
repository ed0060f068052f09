"""``rvae mine``: mining drum patterns from MIDI collections into a dataset, after Tikhonov & Yamshchikov (§2.1,
Table 1: ~90K drum tracks of ~200K MIDI files → 33K unique 32-step patterns).

:func:`mine` lists the MIDI files under the folders given (path order; ``limit`` takes the first N, ``sample``
N at random with ``seed``), mines each on an executor (:mod:`rvae_server.mining.executors`; per file:
:mod:`rvae_server.mining.work`), checkpoints every result (:mod:`rvae_server.mining.checkpoint`) and folds it into
the corpus's unique patterns as it arrives (:mod:`rvae_server.mining.merge`: the first occurrence in path order
of every pattern and all its phase shifts is kept, whatever order the workers finish in). One run at a time
writes an output (its lock); a killed run resumes from the checkpoint, mining again the files that changed since.

It writes the dataset (:mod:`rvae_server.core.dataset`) and a JSON summary beside it (``DATASET`` with the suffix
``.json``; the dataset must end in ``.npz``, so the summary never overwrites it) with the count after every
stage, the paper's Table 1 walk-through:

``files`` found → ``files_read`` (the broken ones counted by reason in ``broken``) → ``files_with_drums`` (a
non-trivial channel-10 part; the others counted in ``skipped``) → ``bars`` (96-tick bars of those parts) →
``segments`` (split at long pauses) → ``loops`` (32-step patterns played ``min_repeats`` times or more in a row)
→ ``quality`` (passing the entropy filter) → ``distinct`` (duplicates and near-duplicates removed) →
``patterns`` (phase shifts removed: the unique patterns kept); ``removed_by_rotation`` = ``distinct −
patterns``; ``bars_kept`` (their bars: what a model trains on); ``styles`` (patterns per style). The run's
figures (executor, workers, files resumed and re-read, seconds, files per second) are in the summary file only,
so the dataset of one corpus is the same on every executor (but for its creation time).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import numpy as np

from rvae_server.core.atomic import atomic_write_text
from rvae_server.core.dataset import SUFFIX, write_dataset
from rvae_server.core.midifile import find_clips
from rvae_server.mining import checkpoint
from rvae_server.mining.executors import make_executor
from rvae_server.mining.keys import GRIDS
from rvae_server.mining.merge import Merger
from rvae_server.mining.work import Job, Settings, jobs_for, signature

KILL_AFTER_ENV = "RVAE_MINE_KILL_AFTER"  # tests: SIGKILL this process after N files were checkpointed
KILL_AT_ENV = "RVAE_MINE_KILL_AT"  # tests: SIGKILL this process at a stage of the end: merged, dataset, summary
Progress = Callable[[int, int, dict[str, Any]], None]
RUN_FIELDS = ("executor", "workers", "resumed", "changed", "seconds", "files_per_second", "files_per_second_per_worker")


class MiningError(Exception):
    """Mining could not run (nothing to mine, bad settings, executor or checkpoint trouble); one line."""


def summary_path(dataset: str | os.PathLike[str]) -> Path:
    return Path(dataset).with_suffix(".json")


def _batches(jobs: Sequence[Job], size: int) -> Iterator[list[Job]]:
    for first in range(0, len(jobs), size):
        yield list(jobs[first : first + size])


def check_output(output: str | os.PathLike[str]) -> Path:
    """The dataset path, if a run can write it and its summary and checkpoint beside it; else :class:`MiningError`."""
    out = Path(output)
    if out.suffix.lower() != SUFFIX:
        raise MiningError(f"-o {out}: the dataset must end with {SUFFIX} (its summary is written beside it as .json)")
    if out.is_dir():
        raise MiningError(f"-o {out}: is a folder; name the dataset file")
    folder = out.parent
    if not folder.is_dir():
        raise MiningError(f"-o {out}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise MiningError(f"-o {out}: cannot write in the folder {folder} (permission denied)")
    return out


def select(jobs: list[Job], limit: int | None = None, sample: int | None = None, seed: int = 0) -> list[Job]:
    """The first ``limit`` jobs (path order), or ``sample`` of them drawn with ``seed`` (kept in path order)."""
    if limit is not None and sample is not None:
        raise MiningError("--limit and --sample choose files in two ways: give one")
    for name, value in (("--limit", limit), ("--sample", sample)):
        if value is not None and value < 1:
            raise MiningError(f"{name} must be at least 1, not {value}")
    if limit is not None:
        return jobs[:limit]
    if sample is not None and sample < len(jobs):
        picked = np.sort(np.random.default_rng(seed).choice(len(jobs), size=sample, replace=False))
        return [jobs[int(i)] for i in picked]
    return jobs


def mine(
    roots: Sequence[tuple[str, str | None]],
    output: str | os.PathLike[str],
    settings: Settings | None = None,
    *,
    executor: str = "local",
    workers: int | None = None,
    address: str | None = None,
    batch_size: int | None = None,
    fresh: bool = False,
    progress: Progress | None = None,
    limit: int | None = None,
    sample: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Mine the MIDI files under ``roots`` (``[(folder or file, fallback style or None)]``) into the dataset
    ``output``; returns the summary (also written beside the dataset). Raises :class:`MiningError`."""
    settings = settings or Settings()
    if settings.min_repeats < 2:
        raise MiningError(f"--min-repeats must be at least 2, not {settings.min_repeats}")
    if settings.grid not in GRIDS:
        raise MiningError(f"--grid must be one of {', '.join(GRIDS)}, not {settings.grid!r}")
    start = time.perf_counter()
    out = check_output(output)
    for raw, _ in roots:
        if not os.path.exists(raw):
            raise MiningError(f"{raw}: no such file or folder")
    jobs = select(_unique(jobs_for(list(roots), find_clips)), limit, sample, seed)
    if not jobs:
        raise MiningError(f"no .mid or .midi files in {', '.join(r for r, _ in roots)}")
    try:
        lock = checkpoint.OutputLock(out)
    except checkpoint.CheckpointError as err:
        raise MiningError(str(err)) from None
    except OSError as err:
        raise MiningError(f"-o {out}: cannot make the lock file ({err.strerror or err})") from None
    try:
        return _run(jobs, out, settings, start, executor, workers, address, batch_size, fresh, progress)
    finally:
        lock.release()


def _run(
    jobs: list[Job], out: Path, settings: Settings, start: float, executor: str, workers: int | None,
    address: str | None, batch_size: int | None, fresh: bool, progress: Progress | None,
) -> dict[str, Any]:  # fmt: skip
    ckpt = checkpoint.checkpoint_path(out)
    if fresh:
        checkpoint.discard(ckpt)
    number = {job.path: k for k, job in enumerate(jobs)}
    merger = Merger()
    try:
        keep, changed = _usable(checkpoint.index(ckpt, settings.to_json()), number)
        for record in checkpoint.records(ckpt, set(keep)):
            merger.add(number[record["path"]], record)
    except checkpoint.CheckpointError as err:
        raise MiningError(str(err)) from None
    done = set(keep.values())
    todo = [j for j in jobs if j.path not in done]
    try:
        pool = make_executor(executor, workers, address)
    except Exception as err:
        raise MiningError(str(err)) from None
    most = 32 if pool.name == "local" else 128  # a cluster's task costs more to send: fewer, larger ones
    size = batch_size or max(1, min(most, len(todo) // (pool.workers * 8) or 1))
    kill_after = int(os.environ.get(KILL_AFTER_ENV, "0") or 0)
    written = 0
    try:
        writer = checkpoint.Writer(ckpt, settings.to_json())
    except OSError as err:
        pool.close()
        raise MiningError(f"{ckpt}: cannot write the checkpoint ({err.strerror or err})") from None
    try:
        if progress is not None:
            progress(len(done), len(jobs), {})
        for batch_results in pool.run(_batches(todo, size), settings):
            for record in batch_results:
                try:
                    writer.add(record)
                except OSError as err:
                    raise MiningError(f"{ckpt}: cannot write the checkpoint ({err.strerror or err})") from None
                merger.add(number[record["path"]], record)
                written += 1
                if kill_after and written >= kill_after:
                    os.kill(os.getpid(), signal.SIGKILL)
                if progress is not None:
                    progress(len(done) + written, len(jobs), record)
    except MiningError:
        raise
    except BrokenProcessPool as err:
        raise MiningError(f"a worker process died ({err}); run the same command again to resume") from None
    except Exception as err:  # a cluster's failure (a lost worker, a dropped connection): resumable
        what = f"{type(err).__name__}: {err}"
        raise MiningError(f"the {pool.name} executor failed ({what}); run the same command again to resume") from None
    finally:
        with contextlib.suppress(OSError):
            writer.close()
        pool.close()
    _kill_at("merged")
    dataset = merger.dataset(settings.to_json())
    summary = {"dataset": os.fspath(out), "summary": os.fspath(summary_path(out)), **dataset.meta["summary"]}
    seconds = time.perf_counter() - start
    rate = len(todo) / max(seconds, 1e-9)
    summary.update(
        executor=pool.name, workers=pool.workers, resumed=len(done), changed=changed, seconds=round(seconds, 3),
        files_per_second=round(rate, 2), files_per_second_per_worker=round(rate / pool.workers, 2),
    )  # fmt: skip
    write_dataset(dataset, out)
    _kill_at("dataset")
    try:
        atomic_write_text(summary_path(out), json.dumps(summary, indent=1) + "\n")
    except OSError as err:
        raise MiningError(f"{summary_path(out)}: cannot write the summary ({err.strerror or err})") from None
    _kill_at("summary")
    checkpoint.discard(ckpt)
    return summary


def _kill_at(stage: str) -> None:
    if os.environ.get(KILL_AT_ENV) == stage:
        os.kill(os.getpid(), signal.SIGKILL)


def _usable(entries: dict[str, checkpoint.Entry], number: dict[str, int]) -> tuple[dict[int, str], int]:
    """The checkpoint lines to keep (line → path): files still to mine whose file is the one read (same
    signature); and how many are mined again because they changed (or could not be read then)."""
    keep: dict[int, str] = {}
    changed = 0
    for path, entry in entries.items():
        if path not in number:
            continue
        try:
            now: tuple[int, ...] | None = tuple(signature(os.stat(path)))
        except OSError:
            now = None
        if entry.sig is not None and entry.sig == now:
            keep[entry.line] = path
        else:
            changed += 1
    return keep, changed


def _unique(jobs: list[Job]) -> list[Job]:
    seen: set[str] = set()
    out = []
    for job in jobs:
        if job.path not in seen:
            seen.add(job.path)
            out.append(job)
    return out


__all__ = [
    "KILL_AFTER_ENV",
    "KILL_AT_ENV",
    "RUN_FIELDS",
    "MiningError",
    "check_output",
    "mine",
    "select",
    "summary_path",
]
