"""Mining one file: the per-file job that runs on a worker (a local process, a Dask or Ray worker).

:func:`mine_file` takes and returns plain data (picklable and JSON-able: the result is also the file's line in
the checkpoint), so any executor can run it. Steps, after the paper: read the file **once** with the project's
strict reader (its bytes hashed and parsed, never opened twice: a FIFO swapped in cannot block it; every tempo
and meter change; drum pitches merged into the 9 instruments) and record its :func:`signature`; keep it only if
it has a non-trivial **channel-10** part (at least :data:`MIN_PART_ONSETS` onsets in at least ``min_repeats``
bars); split the part at long pauses; find the 32-step patterns (:mod:`rvae_server.mining.loops`); keep those
that pass the entropy filter (:mod:`rvae_server.core.patterns`, the filter of ``rvae eval``); key them
(:mod:`rvae_server.mining.keys`) and pack their notes (:func:`pack_notes`: 4 bytes a note).
Duplicates are removed later, across files, by :mod:`rvae_server.mining.merge`.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import N_INSTRUMENTS, TICKS, stack
from rvae_server.core.dataset import notes_from_planes
from rvae_server.core.midifile import ClipError, read_bytes, read_clip
from rvae_server.core.patterns import ENTROPY_K, passes
from rvae_server.mining.keys import bar_keys, canonical, digest
from rvae_server.mining.labels import Labeller
from rvae_server.mining.loops import DEFAULT_MIN_REPEATS, find_loops, segments

MIN_PART_ONSETS = 16


@dataclass(frozen=True, slots=True)
class Settings:
    """How files are mined (recorded in the dataset and the checkpoint)."""

    min_repeats: int = DEFAULT_MIN_REPEATS
    min_entropy: float = ENTROPY_K
    min_part_onsets: int = MIN_PART_ONSETS
    grid: str = "musical"  # what two bars are compared on (mining.keys.GRIDS)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Job:
    """One file to mine: its path, the folder it was found under (named on the command line) and the name that
    folder goes by in the dataset, and the folder's fallback style."""

    path: str
    root: str
    root_name: str
    fallback_style: str | None = None

    @property
    def name(self) -> str:
        """The file's name in the dataset: ``<root name>/<path below the root>``."""
        try:
            rel = Path(self.path).relative_to(self.root).as_posix()
        except ValueError:
            rel = Path(self.path).name
        return f"{self.root_name}/{rel}" if rel != "." else self.root_name


def reason_kind(reason: str) -> str:
    """A short category of a reader's error, to count broken files by reason."""
    low = reason.lower()
    for key, kind in (
        ("not a midi file", "not a MIDI file"),
        ("corrupt midi", "corrupt MIDI file"),
        ("empty file", "empty file"),
        ("refusing midi files over", "file too large"),
        ("more than", "file too long"),
        ("type 2", "MIDI type 2"),
        ("no notes in the file", "no notes"),
        ("no drum notes on channel 10", "no channel-10 drum part"),
        ("not in the drum map", "no notes of the drum map"),
        ("no notes of the drum map", "no notes of the drum map"),
        ("invalid time signature", "invalid time signature"),
        ("cannot read", "unreadable file"),
        ("no such file", "no such file"),
    ):
        if key in low:
            return kind
    return reason.split(":")[0][:60]


def signature(info: os.stat_result) -> list[int]:
    """What tells a file unchanged since it was read: size, modification and change times (ns), inode. A file
    written again — even with its old modification time put back — has a new change time."""
    return [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]


def pack_notes(rows: NDArray[np.int64]) -> str:
    """Note rows ``(bar 0..1, cell, velocity, microtiming)`` of a pattern → compact text (4 bytes a note, base64)."""
    packed = np.empty(len(rows), dtype=_NOTE)
    packed["cell"] = rows[:, 0] * TICKS * N_INSTRUMENTS + rows[:, 1]
    packed["velocity"] = rows[:, 2]
    packed["microtiming"] = rows[:, 3]
    return base64.b64encode(packed.tobytes()).decode("ascii")


def unpack_notes(text: str) -> NDArray[np.int64]:
    """The inverse of :func:`pack_notes`: rows ``(bar, cell, velocity, microtiming)``."""
    packed = np.frombuffer(base64.b64decode(text), dtype=_NOTE)
    cell = packed["cell"].astype(np.int64)
    return np.stack(
        (cell // (TICKS * N_INSTRUMENTS), cell % (TICKS * N_INSTRUMENTS), packed["velocity"].astype(np.int64),
         packed["microtiming"].astype(np.int64)), axis=1,
    )  # fmt: skip


_NOTE = np.dtype([("cell", "<u2"), ("velocity", "u1"), ("microtiming", "i1")])


def mine_file(job: Job, settings: Settings) -> dict[str, Any]:
    """Mine one file → its result record (see the module docstring); never raises for a bad file. The file is
    read once: the bytes hashed are the bytes parsed, and a FIFO or device put in its place is refused unread."""
    out: dict[str, Any] = {"file": job.name, "path": job.path, "status": "ok", "sig": None, "loops": []}
    try:
        data, info = read_bytes(Path(job.path))
        out["sig"] = signature(info)
        out["sha256"] = hashlib.sha256(data).hexdigest()
        clip = read_clip(job.path, data)
    except ClipError as err:
        return {**out, "status": "broken", "reason": reason_kind(err.reason), "detail": err.reason}
    except Exception as err:  # a reader bug must not stop a 100K-file run: count it, name it
        return {**out, "status": "broken", "reason": "reader error", "detail": f"{type(err).__name__}: {err}"}
    style, label = _labeller(job.root, job.fallback_style).label(job.path)
    out.update(style=style, label=label, tracks="+".join(map(str, clip.drum_tracks)))
    if clip.drum_channel != 10:
        return {**out, "status": "skipped", "reason": "no channel-10 drum part"}
    planes = clip.planes if clip.planes is not None else stack([b.bar for b in clip.bars])
    counts = planes[:, 0].sum(axis=(1, 2)).astype(np.int64) if len(planes) else np.zeros(0, np.int64)
    out["bars"] = len(planes)
    if int(counts.sum()) < settings.min_part_onsets or int((counts > 0).sum()) < settings.min_repeats:
        return {**out, "status": "skipped", "reason": "trivial drum part"}
    codes_of_bar = bar_keys(planes, settings.grid)
    keys = [row.tobytes() for row in codes_of_bar]
    spans = segments(counts)
    out["segments"] = len(spans)
    found = [loop for start, stop in spans for loop in find_loops(keys, start, stop, settings.min_repeats)]
    out["found"] = len(found)
    for loop in found:
        rows = slice(loop.first, loop.first + loop.length)
        if not passes(planes[rows, 0].reshape(1, -1, N_INSTRUMENTS), settings.min_entropy)[0]:
            continue
        codes = codes_of_bar[rows].ravel()
        out["loops"].append(
            {
                "length": loop.length,
                "source_bar": clip.bars[loop.first].source_bar,
                "repeats": loop.repeats,
                "key": digest(codes),
                "canon": digest(canonical(codes)),
                "notes": pack_notes(notes_from_planes(planes[rows])),
            }
        )
    return out


_LABELLERS: dict[tuple[str, str | None], Labeller] = {}


def _labeller(root: str, fallback: str | None) -> Labeller:
    """One labeller per folder and worker process (it caches the folder's metadata)."""
    key = (root, fallback)
    if key not in _LABELLERS:
        _LABELLERS[key] = Labeller(root, fallback)
    return _LABELLERS[key]


def mine_batch(jobs: list[Job], settings: Settings) -> list[dict[str, Any]]:
    """Mine several files (one task of an executor)."""
    return [mine_file(job, settings) for job in jobs]


def jobs_for(roots: list[tuple[str, str | None]], find: Any) -> list[Job]:
    """The jobs for folders (or files) ``[(path, fallback style)]``; ``find`` lists the MIDI files of a path.
    Each root goes by its folder name in the dataset (``name-2``, ``name-3`` … when two share one)."""
    jobs: list[Job] = []
    used: dict[str, int] = {}
    for raw, fallback in roots:
        root = os.path.abspath(raw)
        top = root if os.path.isdir(root) else os.path.dirname(root)
        base = Path(top).name or "root"
        used[base] = used.get(base, 0) + 1
        name = base if used[base] == 1 else f"{base}-{used[base]}"
        for path in find([root]):
            jobs.append(Job(os.path.abspath(path), top, name, fallback))
    return jobs


__all__ = [
    "MIN_PART_ONSETS",
    "Job",
    "Settings",
    "jobs_for",
    "mine_batch",
    "mine_file",
    "pack_notes",
    "reason_kind",
    "signature",
    "unpack_notes",
]
