"""Mined bar datasets: a compact NPZ file of drum patterns with their provenance (written by ``rvae mine``, read
by ``rvae train`` and ``rvae map``). Plain arrays only, read within declared bounds (:data:`LIMITS`, :data:`MAX_BARS`;
:mod:`rvae_server.core.npzbounds`: nothing is allocated before its size is checked, no pickle is ever read).

Format ``rvae-bars-dataset``, version 1 — arrays of the NPZ:

``meta``
    0-d string, JSON: ``format``, ``format_version``, ``created``, ``settings`` (how it was mined) and
    ``summary`` (the count after every stage, see :mod:`rvae_server.mining.pipeline`).
``note_bar`` int32, ``note_cell`` uint16, ``note_velocity`` uint8, ``note_microtiming`` int8
    one row per onset: its bar (index into the dataset's bars), ``tick * 9 + instrument``, MIDI velocity
    1..127 and microtiming in 127ths of a half-tick (-127..127, positive = late). Sorted by bar.
``pattern_first_bar`` int32, ``pattern_length`` uint8
    each pattern's bars are ``first_bar .. first_bar + length - 1`` (length 2: the paper's 32-step patterns, as
    ``rvae mine`` writes them; 1 in datasets of earlier versions, still read); the patterns cover the bars in
    order.
``pattern_file`` int32, ``pattern_source_bar`` int32, ``pattern_repeats`` int32, ``pattern_occurrences`` int32,
``pattern_style`` int16, ``pattern_label`` int16
    provenance: index into ``files``; the 1-based bar of that file where the loop starts (its first 96-tick bar;
    see :class:`rvae_server.core.midifile.ClipBar`); how many times it repeats there in a row; how many loops of
    the corpus were this pattern (duplicates, near-duplicates and rotations merged into it); index into
    ``styles`` (coarse style) and ``labels`` (the finer label found in the path or metadata).
``files`` str, ``file_sha256`` str, ``file_tracks`` str, ``styles`` str, ``labels`` str
    the source files (relative to the folder named on the command line, prefixed by its name), their SHA-256,
    the MIDI tracks that held their drum part (``"2"`` or ``"2+5"``), the style and label vocabularies.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.atomic import atomic_write_bytes
from rvae_server.core.bar import N_INSTRUMENTS, TICKS
from rvae_server.core.npzbounds import NpzBoundsError, NpzLimits, read_bounded_npz
from rvae_server.core.untrusted import BoundsError, Limits, loads_json

FORMAT = "rvae-bars-dataset"
FORMAT_VERSION = 1
SUFFIX = ".npz"
MAX_BYTES = 1024**3
#: What a dataset file may declare: its size, members, one array's bytes, all arrays' bytes (checked before reading).
LIMITS = NpzLimits(file_bytes=MAX_BYTES, members=32, array_bytes=256 * 1024**2, total_bytes=768 * 1024**2)
#: Most bars a dataset may hold (2 per pattern): 1M bars are ~10 GB as float planes, far beyond any mined corpus.
MAX_BARS = 1_000_000

_NOTE_ARRAYS = {"note_bar": np.int32, "note_cell": np.uint16, "note_velocity": np.uint8, "note_microtiming": np.int8}
_PATTERN_ARRAYS = {
    "pattern_first_bar": np.int32,
    "pattern_length": np.uint8,
    "pattern_file": np.int32,
    "pattern_source_bar": np.int32,
    "pattern_repeats": np.int32,
    "pattern_occurrences": np.int32,
    "pattern_style": np.int16,
    "pattern_label": np.int16,
}
_TEXT_ARRAYS = ("files", "file_sha256", "file_tracks", "styles", "labels")


class DatasetError(Exception):
    """A dataset file could not be read or written. ``str(err)`` is one line: ``"<file>: <cause>"``."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__(f"{os.fspath(path)}: {reason}")
        self.path = Path(path)
        self.reason = reason


@dataclass(slots=True)
class BarDataset:
    """A dataset in memory. ``arrays`` holds every array of the format but ``meta``."""

    meta: dict[str, Any]
    arrays: dict[str, NDArray[Any]] = field(default_factory=dict)

    @property
    def patterns(self) -> int:
        return len(self.arrays["pattern_first_bar"])

    @property
    def bar_count(self) -> int:
        return int(self.arrays["pattern_length"].astype(np.int64).sum())

    def text(self, name: str) -> list[str]:
        return [str(s) for s in self.arrays[name]]

    def bars(self, first: int = 0, stop: int | None = None) -> NDArray[np.float32]:
        """Bars ``first .. stop - 1`` (default: every bar) as planes ``(n, 3, 96, 9)`` float32 (onsets, velocities,
        microtiming). The notes are sorted by bar, so a slice costs only its own bars."""
        a = self.arrays
        stop = self.bar_count if stop is None else min(stop, self.bar_count)
        first = max(0, min(first, stop))
        bars_all = a["note_bar"]
        lo, hi = np.searchsorted(bars_all, first, "left"), np.searchsorted(bars_all, stop, "left")
        out = np.zeros((stop - first, 3, TICKS * N_INSTRUMENTS), dtype=np.float32)
        bar = bars_all[lo:hi].astype(np.int64) - first
        cell = a["note_cell"][lo:hi].astype(np.int64)
        out[bar, 0, cell] = 1.0
        out[bar, 1, cell] = a["note_velocity"][lo:hi].astype(np.float32) / 127.0
        out[bar, 2, cell] = a["note_microtiming"][lo:hi].astype(np.float32) / 127.0
        return out.reshape(-1, 3, TICKS, N_INSTRUMENTS)

    def bar_chunks(self, size: int = 4096) -> Iterator[NDArray[np.float32]]:
        """Every bar, ``size`` at a time (:meth:`bars` of consecutive slices): bounded memory for any dataset."""
        for first in range(0, self.bar_count, size):
            yield self.bars(first, first + size)

    def bar_pattern(self) -> NDArray[np.int64]:
        """The pattern index of every bar ``(N,)``."""
        return np.repeat(np.arange(self.patterns), self.arrays["pattern_length"].astype(np.int64))

    def bar_source(self) -> NDArray[np.int64]:
        """The 1-based source bar (in its file) of every bar ``(N,)``."""
        a = self.arrays
        pattern = self.bar_pattern()
        offset = np.arange(len(pattern)) - a["pattern_first_bar"].astype(np.int64)[pattern]
        return a["pattern_source_bar"].astype(np.int64)[pattern] + offset


def notes_from_planes(planes: NDArray[np.floating], first_bar: int = 0) -> NDArray[np.int64]:
    """The onsets of bars ``(N, 3, 96, 9)`` as rows ``(bar, cell, velocity 1..127, microtiming -127..127)``."""
    arr = np.asarray(planes, dtype=np.float32).reshape(len(planes), 3, TICKS * N_INSTRUMENTS)
    b, cell = np.nonzero(arr[:, 0] > 0.5)
    vel = np.clip(np.rint(arr[b, 1, cell] * 127.0), 1, 127)
    mt = np.clip(np.rint(arr[b, 2, cell] * 127.0), -127, 127)
    return np.stack((b + first_bar, cell, vel, mt), axis=1).astype(np.int64)


def build_dataset(
    notes: NDArray[np.int64],
    patterns: dict[str, NDArray[Any] | list[int]],
    texts: dict[str, list[str]],
    settings: dict[str, Any],
    summary: dict[str, Any],
) -> BarDataset:
    """Assemble a dataset from note rows (:func:`notes_from_planes`), the pattern columns and the text columns."""
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": settings,
        "summary": summary,
    }
    notes = np.asarray(notes, dtype=np.int64).reshape(-1, 4)
    order = np.argsort(notes[:, 0], kind="stable")
    notes = notes[order]
    arrays: dict[str, NDArray[Any]] = {}
    for (name, dtype), column in zip(_NOTE_ARRAYS.items(), notes.T, strict=True):
        arrays[name] = column.astype(dtype)
    for name, dtype in _PATTERN_ARRAYS.items():
        arrays[name] = np.asarray(patterns[name], dtype=np.int64).astype(dtype)
    for name in _TEXT_ARRAYS:
        arrays[name] = np.asarray(list(texts[name]), dtype=str)
    return BarDataset(meta, arrays)


def write_dataset(dataset: BarDataset, path: str | os.PathLike[str]) -> str:
    """Write atomically as a compressed NPZ; returns the file's SHA-256."""
    buffer = io.BytesIO()
    meta = np.asarray(json.dumps(dataset.meta, allow_nan=False))
    np.savez_compressed(buffer, meta=meta, **dataset.arrays)  # type: ignore[arg-type]
    data = buffer.getvalue()
    try:
        atomic_write_bytes(path, data)
    except OSError as err:
        raise DatasetError(path, f"cannot write: {err.strerror or err}") from err
    return hashlib.sha256(data).hexdigest()


def is_dataset_path(path: str | os.PathLike[str]) -> bool:
    """True for an existing file with the dataset suffix (``.npz``)."""
    p = Path(path)
    return p.suffix.lower() == SUFFIX and p.is_file()


def read_dataset(path: str | os.PathLike[str]) -> BarDataset:
    """Read and validate a dataset; raises :class:`DatasetError` naming the file and what is wrong. Nothing is
    allocated before it is bounded (see :mod:`rvae_server.core.npzbounds`): a small file cannot declare its way to
    gigabytes of memory, and its meta is parsed with bounded depth, values and integers."""
    p = Path(path)
    try:
        loaded = read_bounded_npz(p, LIMITS)
    except NpzBoundsError as err:
        reason = f"not a dataset ({err.reason})" if err.reason.startswith("not a readable") else err.reason
        raise DatasetError(p, reason) from None
    if "meta" not in loaded:
        raise DatasetError(p, "not a dataset: no 'meta' array")
    raw_meta = loaded.pop("meta")
    if raw_meta.dtype.kind != "U" or raw_meta.ndim != 0:
        raise DatasetError(p, "its meta is not one string")
    try:
        meta = loads_json(str(raw_meta), Limits(depth=16, values=100_000, string=100_000, int_digits=18))
    except BoundsError as err:
        raise DatasetError(p, f"its meta is not usable JSON: {err}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise DatasetError(p, f"not a {FORMAT} file")
    if meta.get("format_version") != FORMAT_VERSION:
        raise DatasetError(p, f"format version {meta.get('format_version')!r} is not supported (only {FORMAT_VERSION})")
    _validate(p, loaded)
    return BarDataset(meta, loaded)


def file_sha256(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _validate(p: Path, a: dict[str, NDArray[Any]]) -> None:
    for name in (*_NOTE_ARRAYS, *_PATTERN_ARRAYS, *_TEXT_ARRAYS):
        if name not in a:
            raise DatasetError(p, f"array {name!r} is missing")
        if a[name].ndim != 1:
            raise DatasetError(p, f"array {name!r} has {a[name].ndim} dimensions, not 1")
    for group in (_NOTE_ARRAYS, _PATTERN_ARRAYS):
        lengths = {len(a[n]) for n in group}
        if len(lengths) != 1:
            raise DatasetError(p, f"arrays {', '.join(group)} differ in length")
    for name in _TEXT_ARRAYS:
        if a[name].dtype.kind != "U":
            raise DatasetError(p, f"array {name!r} is not text")
    for name in ("file_sha256", "file_tracks"):
        if len(a[name]) != len(a["files"]):
            raise DatasetError(p, f"array {name!r} does not have one entry per file")
    length = a["pattern_length"].astype(np.int64)
    first = a["pattern_first_bar"].astype(np.int64)
    if np.any((length < 1) | (length > 2)):
        raise DatasetError(p, "a pattern is not 1 or 2 bars long")
    if len(first) and (first[0] != 0 or np.any(first[1:] != np.cumsum(length)[:-1])):
        raise DatasetError(p, "the patterns do not cover the bars in order")
    bars = int(length.sum())
    if bars > MAX_BARS:
        raise DatasetError(p, f"it holds {bars} bars; at most {MAX_BARS} are read")
    if np.any(np.diff(a["note_bar"].astype(np.int64)) < 0):
        raise DatasetError(p, "its notes are not sorted by bar")
    checks = (
        ("note_bar", 0, bars - 1),
        ("note_cell", 0, TICKS * N_INSTRUMENTS - 1),
        ("note_velocity", 1, 127),
        ("note_microtiming", -127, 127),
        ("pattern_file", 0, len(a["files"]) - 1),
        ("pattern_style", 0, len(a["styles"]) - 1),
        ("pattern_label", 0, len(a["labels"]) - 1),
    )
    for name, lo, hi in checks:
        values = a[name].astype(np.int64)
        if values.size and (values.min() < lo or values.max() > hi):
            raise DatasetError(p, f"array {name!r} has values outside {lo}..{hi}")


__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "BarDataset",
    "DatasetError",
    "build_dataset",
    "file_sha256",
    "is_dataset_path",
    "notes_from_planes",
    "read_dataset",
    "write_dataset",
]
