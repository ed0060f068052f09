"""The bars a model trains on: reading clips and mined datasets into used bars, and the clip-first split; the
records of training (per-epoch progress, the result) and its errors.

* Bars come from :func:`rvae_server.core.midifile.read_clip`; unused bars (fewer than 2 onsets) are left out; a clip
  that fails to read is reported and skipped, never fatal. A mined dataset (``.npz``,
  :mod:`rvae_server.model.datasetbars`) gives one clip per source file.
* The train/validation split (5:1) is made **by clip before anything else**: no bar of a validation clip is
  ever trained on. With fewer than 6 clips the split is by bar, and a note says so.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import stack
from rvae_server.core.dataset import DatasetError, is_dataset_path
from rvae_server.core.midifile import ClipError, find_clips, read_clip
from rvae_server.model.datasetbars import dataset_clips
from rvae_server.model.network import RhythmVAE

DEFAULT_SEED = 0
VALIDATION_SHARE = 1 / 6  # 5:1
MIN_BARS = 2


class TrainingError(Exception):
    """Training could not produce a model (no usable bars, NaN loss...), a drum model or a melody model
    (:mod:`rvae_server.melody.training`). ``str(err)`` is one line."""


class TrainingCancelled(TrainingError):
    """The cancel hook asked training to stop; nothing was written."""


@dataclass(frozen=True, slots=True)
class TrainEvent:
    """Progress after one epoch. Losses are per bar; ``val_loss`` and ``val_f1`` are NaN when there is no
    validation set. ``seconds`` is the wall time since training started."""

    epoch: int  # 1-based
    epochs: int
    train_loss: float
    val_loss: float
    seconds: float
    val_f1: float = float("nan")  # the validation bars' onset F1 within ±1 tick at their own points (NaN: none)


@dataclass(slots=True)
class ClipData:
    """The used bars of one clip."""

    path: Path
    sha256: str
    bars: NDArray[np.float32]  # (n, 3, 96, 9)


@dataclass(slots=True)
class TrainingData:
    clips: list[ClipData]  # clips with at least one used bar
    failed: list[tuple[Path, str]] = field(default_factory=list)  # (file, reason)
    empty: list[Path] = field(default_factory=list)  # read, but no used bar
    notes: list[str] = field(default_factory=list)
    datasets: list[dict[str, Any]] = field(default_factory=list)  # mined datasets read (see model.datasetbars)

    @property
    def bars(self) -> int:
        return sum(len(c.bars) for c in self.clips)


@dataclass(slots=True)
class Split:
    train: NDArray[np.float32]  # (n, 3, 96, 9)
    validation: NDArray[np.float32]
    by: str  # "clip" or "bar"
    train_clips: list[int]  # indices into TrainingData.clips (all of them when split by bar)
    validation_clips: list[int]


@dataclass(slots=True)
class TrainResult:
    model: RhythmVAE
    history: list[TrainEvent]
    seconds: float
    best_epoch: int = 0  # the epoch whose weights ``model`` holds
    cpu_seconds: float = 0.0  # process CPU time of training (time.process_time)


def sha256_file(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_training_bars(paths: Sequence[str | os.PathLike[str]]) -> TrainingData:
    """Read every clip under ``paths`` (files, or folders searched recursively) into used bars.

    Clips that fail are listed in ``failed`` with the reason; clips without a used bar in ``empty``. A mined
    dataset (``.npz``, :mod:`rvae_server.model.datasetbars`) gives one clip per source file.
    """
    data = TrainingData(clips=[])
    for dataset in [p for p in paths if is_dataset_path(p)]:
        try:
            clips, record = dataset_clips(dataset)
        except DatasetError as err:
            data.failed.append((Path(dataset), err.reason))
            continue
        data.clips.extend(ClipData(p, digest, bars) for p, digest, bars in clips)
        data.datasets.append(record)
    refused: list[tuple[Path, str]] = []
    found = find_clips([p for p in paths if not is_dataset_path(p)], refused)
    data.failed.extend(refused)  # links leading out of a clip folder are never read
    for path in found:
        try:
            clip = read_clip(path)
            digest = sha256_file(path)
        except ClipError as err:
            data.failed.append((path, err.reason))
            continue
        except OSError as err:
            data.failed.append((path, err.strerror or str(err)))
            continue
        used = clip.used_bars()
        if not used and not clip.bars and clip.skipped:  # not one bar in a supported meter: say which meter
            data.failed.append((path, "; ".join(dict.fromkeys(s.reason for s in clip.skipped))))
            continue
        if not used:
            data.empty.append(path)
            continue
        data.clips.append(ClipData(path, digest, stack(used)))
    return data


def split_data(data: TrainingData, seed: int = DEFAULT_SEED) -> Split:
    """Split 5:1 by clip (the clips shuffled with ``seed``); with fewer than 6 clips, by bar (noted)."""
    rng = np.random.default_rng(seed)
    n_clips = len(data.clips)
    if data.bars < MIN_BARS:
        raise TrainingError(f"need at least {MIN_BARS} usable bars (bars with 2 or more onsets), found {data.bars}")
    if n_clips >= 6:
        order = rng.permutation(n_clips)
        n_val = max(1, round(n_clips * VALIDATION_SHARE))
        val_clips = sorted(int(i) for i in order[:n_val])
        train_clips = sorted(int(i) for i in order[n_val:])
        train = np.concatenate([data.clips[i].bars for i in train_clips])
        val = np.concatenate([data.clips[i].bars for i in val_clips])
        return Split(train, val, "clip", train_clips, val_clips)
    bars = np.concatenate([c.bars for c in data.clips])
    order = rng.permutation(len(bars))
    n_val = max(1, round(len(bars) * VALIDATION_SHARE))
    data.notes.append(
        f"only {n_clips} clip{'s' if n_clips != 1 else ''} (fewer than 6): split by bar, so validation bars "
        "come from the training clips"
    )
    return Split(bars[order[n_val:]], bars[order[:n_val]], "bar", list(range(n_clips)), list(range(n_clips)))
