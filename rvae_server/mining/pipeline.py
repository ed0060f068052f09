"""``rvae mine``: mining drum loops from MIDI collections into a dataset (after Tikhonov & Yamshchikov's pipeline,
which mined 33K unique drum patterns from the Lakh MIDI Dataset).

:func:`mine` lists the MIDI files under the folders given, mines each on an executor
(:mod:`rvae_server.mining.executors`; per file: :mod:`rvae_server.mining.work`), checkpoints every result
(:mod:`rvae_server.mining.checkpoint`), then, in file order so the result does not depend on the executor, removes
duplicates across the corpus:

* the same key (:mod:`rvae_server.mining.keys`) twice — an exact duplicate, or a near-duplicate that differs
  only in velocity or microtiming — keeps the first;
* a key that is a rotation (phase shift) of one kept — the same loop started a beat later — is merged into it.

It writes the dataset (:mod:`rvae_server.core.dataset`) and a JSON summary beside it (``DATASET`` with the suffix
``.json``) with the count after every stage, the seed's Table 1 walk-through:

``files`` found → ``files_read`` (the broken ones counted by reason in ``broken``) → ``files_with_drums`` (a
non-trivial channel-10 part; the others counted in ``skipped``) → ``bars`` (96-tick bars of those parts) →
``segments`` (split at long pauses) → ``loops`` (repeating ``min_repeats`` times or more; ``loops_1bar`` +
``loops_2bar``) → ``quality`` (every bar passes the filter) → ``distinct`` (duplicates and near-duplicates
removed) → ``patterns`` (rotations removed: the unique patterns kept); ``removed_by_rotation`` =
``distinct − patterns``; ``bars_kept`` (their bars: what a model trains on); ``styles`` (patterns per style).
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rvae_server.core.atomic import atomic_write_text
from rvae_server.core.dataset import BarDataset, build_dataset, write_dataset
from rvae_server.core.midifile import find_clips
from rvae_server.mining import checkpoint
from rvae_server.mining.executors import make_executor
from rvae_server.mining.labels import STYLES
from rvae_server.mining.work import Job, Settings, jobs_for

KILL_AFTER_ENV = "RVAE_MINE_KILL_AFTER"  # tests: SIGKILL this process after N files were checkpointed
Progress = Callable[[int, int, dict[str, Any]], None]


class MiningError(Exception):
    """Mining could not run (nothing to mine, bad settings, executor or checkpoint trouble)."""


def summary_path(dataset: str | os.PathLike[str]) -> Path:
    return Path(dataset).with_suffix(".json")


def _batches(jobs: Sequence[Job], size: int) -> Iterator[list[Job]]:
    for first in range(0, len(jobs), size):
        yield list(jobs[first : first + size])


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
) -> dict[str, Any]:
    """Mine the MIDI files under ``roots`` (``[(folder or file, fallback style or None)]``) into the dataset
    ``output``; returns the summary (also written beside the dataset). Raises :class:`MiningError`."""
    settings = settings or Settings()
    if settings.min_repeats < 2:
        raise MiningError(f"--min-repeats must be at least 2, not {settings.min_repeats}")
    start = time.perf_counter()
    for raw, _ in roots:
        if not os.path.exists(raw):
            raise MiningError(f"{raw}: no such file or folder")
    jobs = _unique(jobs_for(list(roots), find_clips))
    if not jobs:
        raise MiningError(f"no .mid or .midi files in {', '.join(r for r, _ in roots)}")
    ckpt = checkpoint.checkpoint_path(output)
    if fresh:
        checkpoint.discard(ckpt)
    try:
        results = checkpoint.load(ckpt, settings.to_json())
    except checkpoint.CheckpointError as err:
        raise MiningError(str(err)) from None
    wanted = {j.path for j in jobs}
    results = {p: r for p, r in results.items() if p in wanted}
    resumed = len(results)
    todo = [j for j in jobs if j.path not in results]
    try:
        pool = make_executor(executor, workers, address)
    except Exception as err:
        raise MiningError(str(err)) from None
    size = batch_size or max(1, min(32, len(todo) // (pool.workers * 8) or 1))
    kill_after = int(os.environ.get(KILL_AFTER_ENV, "0") or 0)
    writer = checkpoint.Writer(ckpt, settings.to_json())
    written = 0
    try:
        if progress is not None:
            progress(resumed, len(jobs), {})
        for batch_results in pool.run(_batches(todo, size), settings):
            for record in batch_results:
                writer.add(record)
                results[record["path"]] = record
                written += 1
                if kill_after and written >= kill_after:
                    os.kill(os.getpid(), signal.SIGKILL)
                if progress is not None:
                    progress(len(results), len(jobs), record)
    finally:
        writer.close()
        pool.close()
    dataset = _assemble(jobs, results, settings, output)
    summary = dataset.meta["summary"]
    seconds = time.perf_counter() - start
    summary.update(
        executor=pool.name,
        workers=pool.workers,
        resumed=resumed,
        seconds=round(seconds, 3),
        files_per_second=round(len(todo) / max(seconds, 1e-9), 2),
    )
    write_dataset(dataset, output)
    atomic_write_text(summary_path(output), json.dumps(summary, indent=1) + "\n")
    checkpoint.discard(checkpoint.checkpoint_path(output))
    return summary


def _unique(jobs: list[Job]) -> list[Job]:
    seen: set[str] = set()
    out = []
    for job in jobs:
        if job.path not in seen:
            seen.add(job.path)
            out.append(job)
    return out


def _assemble(
    jobs: Sequence[Job], results: dict[str, dict[str, Any]], settings: Settings, output: str | os.PathLike[str]
) -> BarDataset:
    """Dedupe across files in file order, count every stage: the dataset, its summary in its meta."""
    broken: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    count = Counter[str]()
    keys: set[str] = set()
    canon: dict[str, int] = {}
    files: dict[str, int] = {}
    file_rows: list[tuple[str, str, str]] = []
    styles = list(STYLES)
    labels: dict[str, int] = {}
    pattern_cols: dict[str, list[int]] = {k: [] for k in (
        "pattern_first_bar", "pattern_length", "pattern_file", "pattern_source_bar", "pattern_repeats",
        "pattern_occurrences", "pattern_style", "pattern_label")}  # fmt: skip
    notes: list[np.ndarray] = []
    bars = 0
    for job in jobs:
        r = results[job.path]
        count["files"] += 1
        if r["status"] == "broken":
            broken[r["reason"]] += 1
            continue
        count["files_read"] += 1
        if r["status"] == "skipped":
            skipped[r["reason"]] += 1
            continue
        count["files_with_drums"] += 1
        count["bars"] += r.get("bars", 0)
        count["segments"] += r.get("segments", 0)
        count["loops"] += r.get("found", 0)
        count["loops_2bar"] += r.get("found_2bar", 0)
        for loop in r["loops"]:
            count["quality"] += 1
            if loop["key"] in keys:
                canon_hit = canon.get(loop["canon"])
                if canon_hit is not None:
                    pattern_cols["pattern_occurrences"][canon_hit] += 1
                continue
            keys.add(loop["key"])
            if loop["canon"] in canon:
                pattern_cols["pattern_occurrences"][canon[loop["canon"]]] += 1
                continue
            canon[loop["canon"]] = len(canon)
            if r["file"] not in files:
                files[r["file"]] = len(files)
                file_rows.append((r["file"], r.get("sha256", ""), r.get("tracks", "")))
            style = r.get("style") or "other"
            if style not in styles:
                styles.append(style)
            label = r.get("label") or ""
            labels.setdefault(label, len(labels))
            cols = pattern_cols
            cols["pattern_first_bar"].append(bars)
            cols["pattern_length"].append(loop["length"])
            cols["pattern_file"].append(files[r["file"]])
            cols["pattern_source_bar"].append(loop["source_bar"])
            cols["pattern_repeats"].append(loop["repeats"])
            cols["pattern_occurrences"].append(1)
            cols["pattern_style"].append(styles.index(style))
            cols["pattern_label"].append(labels[label])
            rows = np.asarray(loop["notes"], dtype=np.int64).reshape(-1, 4)
            rows[:, 0] += bars
            notes.append(rows)
            bars += loop["length"]
    per_style = Counter(styles[s] for s in pattern_cols["pattern_style"])
    summary: dict[str, Any] = {
        "dataset": os.fspath(output),
        "summary": os.fspath(summary_path(output)),
        "files": count["files"],
        "files_read": count["files_read"],
        "files_with_drums": count["files_with_drums"],
        "bars": count["bars"],
        "segments": count["segments"],
        "loops": count["loops"],
        "loops_1bar": count["loops"] - count["loops_2bar"],
        "loops_2bar": count["loops_2bar"],
        "quality": count["quality"],
        "distinct": len(keys),
        "patterns": len(canon),
        "removed_duplicates": count["quality"] - len(keys),
        "removed_by_rotation": len(keys) - len(canon),
        "bars_kept": bars,
        "broken": dict(broken.most_common()),
        "skipped": dict(skipped.most_common()),
        "styles": {s: per_style[s] for s in styles if per_style[s]},
        "settings": settings.to_json(),
    }
    texts = {
        "files": [f for f, _, _ in file_rows],
        "file_sha256": [h for _, h, _ in file_rows],
        "file_tracks": [t for _, _, t in file_rows],
        "styles": styles,
        "labels": list(labels),
    }
    all_notes = np.concatenate(notes) if notes else np.zeros((0, 4), dtype=np.int64)
    return build_dataset(all_notes, pattern_cols, texts, settings.to_json(), summary)  # type: ignore[arg-type]


__all__ = ["KILL_AFTER_ENV", "MiningError", "mine", "summary_path"]
