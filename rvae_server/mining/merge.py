"""Duplicates removed across the corpus, in any order of arrival: the result never depends on the executor.

Files are numbered in path order (the order ``rvae mine`` lists them) and each kept loop of a file by its place
in the file: ``(file number, loop number)`` is a loop's **rank**. :class:`Merger` takes the per-file results
(:func:`rvae_server.mining.work.mine_file`) in whatever order the workers finish them, or from a checkpoint,
and keeps only

* per **canonical key** (a pattern and all its phase shifts, :mod:`rvae_server.mining.keys`): the loop of the
  lowest rank with its notes and provenance, and how many loops of the corpus it stands for (occurrences);
* the set of keys seen (to count the distinct loops before the phase shifts are merged), and counters.

So its memory grows with the unique patterns, never with the files or the loops mined. :meth:`Merger.dataset`
orders the patterns by rank — the dataset a single process would write mining the files in path order, the
first occurrence of each pattern kept — and gives the files, styles and labels their numbers in that order.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from rvae_server.core.dataset import BarDataset, build_dataset
from rvae_server.mining.labels import STYLES
from rvae_server.mining.work import unpack_notes


@dataclass(slots=True)
class _Kept:
    rank: tuple[int, int]
    loop: dict[str, Any]  # the loop's record (length, source_bar, repeats, notes)
    file: tuple[str, str, str, str, str]  # name, sha256, tracks, style, label
    occurrences: int = 0


class Merger:
    """Folds per-file results into the corpus's unique patterns and the count after every stage."""

    def __init__(self) -> None:
        self.count: Counter[str] = Counter()
        self.broken: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()
        self.keys: set[str] = set()
        self.kept: dict[str, _Kept] = {}

    def add(self, number: int, record: dict[str, Any]) -> None:
        """Fold in the result of file ``number`` (its place in path order). Each file must be added once."""
        count = self.count
        count["files"] += 1
        status = record.get("status")
        if status == "broken":
            self.broken[str(record.get("reason"))] += 1
            return
        count["files_read"] += 1
        if status == "skipped":
            self.skipped[str(record.get("reason"))] += 1
            return
        count["files_with_drums"] += 1
        count["bars"] += int(record.get("bars", 0))
        count["segments"] += int(record.get("segments", 0))
        count["loops"] += int(record.get("found", 0))
        file = (str(record["file"]), str(record.get("sha256", "")), str(record.get("tracks", "")),
                str(record.get("style") or "other"), str(record.get("label") or ""))  # fmt: skip
        for k, loop in enumerate(record.get("loops", [])):
            count["quality"] += 1
            self.keys.add(loop["key"])
            rank = (number, k)
            held = self.kept.get(loop["canon"])
            if held is None:
                self.kept[loop["canon"]] = _Kept(rank, loop, file, 1)
                continue
            held.occurrences += 1
            if rank < held.rank:
                held.rank, held.loop, held.file = rank, loop, file

    def dataset(self, settings: dict[str, Any]) -> BarDataset:
        """The dataset (patterns in rank order) with its summary in ``meta["summary"]``."""
        order = sorted(self.kept.values(), key=lambda kept: kept.rank)
        files: dict[str, int] = {}
        file_rows: list[tuple[str, str, str]] = []
        styles = list(STYLES)
        labels: dict[str, int] = {}
        cols: dict[str, list[int]] = {name: [] for name in (
            "pattern_first_bar", "pattern_length", "pattern_file", "pattern_source_bar", "pattern_repeats",
            "pattern_occurrences", "pattern_style", "pattern_label")}  # fmt: skip
        notes: list[np.ndarray] = []
        bars = 0
        for kept in order:
            name, sha, tracks, style, label = kept.file
            if name not in files:
                files[name] = len(files)
                file_rows.append((name, sha, tracks))
            if style not in styles:
                styles.append(style)
            labels.setdefault(label, len(labels))
            loop = kept.loop
            cols["pattern_first_bar"].append(bars)
            cols["pattern_length"].append(int(loop["length"]))
            cols["pattern_file"].append(files[name])
            cols["pattern_source_bar"].append(int(loop["source_bar"]))
            cols["pattern_repeats"].append(int(loop["repeats"]))
            cols["pattern_occurrences"].append(kept.occurrences)
            cols["pattern_style"].append(styles.index(style))
            cols["pattern_label"].append(labels[label])
            rows = unpack_notes(loop["notes"])
            rows[:, 0] += bars
            notes.append(rows)
            bars += int(loop["length"])
        per_style = Counter(styles[s] for s in cols["pattern_style"])
        c = self.count
        summary: dict[str, Any] = {
            **{k: c[k] for k in ("files", "files_read", "files_with_drums", "bars", "segments", "loops", "quality")},
            "distinct": len(self.keys),
            "patterns": len(order),
            "removed_duplicates": c["quality"] - len(self.keys),
            "removed_by_rotation": len(self.keys) - len(order),
            "bars_kept": bars,
            "broken": dict(sorted(self.broken.items(), key=lambda kv: (-kv[1], kv[0]))),
            "skipped": dict(sorted(self.skipped.items(), key=lambda kv: (-kv[1], kv[0]))),
            "styles": {s: per_style[s] for s in styles if per_style[s]},
            "settings": settings,
        }
        texts = {
            "files": [f for f, _, _ in file_rows],
            "file_sha256": [h for _, h, _ in file_rows],
            "file_tracks": [t for _, _, t in file_rows],
            "styles": styles,
            "labels": list(labels),
        }
        all_notes = np.concatenate(notes) if notes else np.zeros((0, 4), dtype=np.int64)
        return build_dataset(all_notes, cols, texts, settings, summary)  # type: ignore[arg-type]


__all__ = ["Merger"]
