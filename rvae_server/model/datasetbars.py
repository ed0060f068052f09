"""Training bars from a mined dataset (``rvae mine``'s ``.npz``, :mod:`rvae_server.core.dataset`), grouped by the
file they were mined from, so the train/validation split stays by source file (no bar of a validation file is
trained on), and the record of the dataset that a model's metadata keeps (``training.datasets``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.dataset import file_sha256, read_dataset

MIN_ONSETS = 2  # as clips: a bar with fewer onsets is not used


def dataset_clips(path: str | os.PathLike[str]) -> tuple[list[tuple[Path, str, NDArray[np.float32]]], dict[str, Any]]:
    """``([(source file, its SHA-256, its bars (n, 3, 96, 9))], record)`` of a dataset; raises
    :class:`rvae_server.core.dataset.DatasetError`."""
    dataset = read_dataset(path)
    bars = dataset.bars()
    keep = bars[:, 0].sum(axis=(1, 2)) >= MIN_ONSETS
    file_of_bar = dataset.arrays["pattern_file"].astype(np.int64)[dataset.bar_pattern()]
    files, hashes = dataset.text("files"), dataset.text("file_sha256")
    clips = []
    for f in np.unique(file_of_bar[keep]):
        clips.append((Path(files[f]), hashes[f], bars[keep & (file_of_bar == f)]))
    record = {
        "file": os.path.abspath(path),
        "name": Path(path).name,
        "sha256": file_sha256(path),
        "patterns": dataset.patterns,
        "bars": int(keep.sum()),
        "settings": dataset.meta.get("settings", {}),
    }
    return clips, record


__all__ = ["dataset_clips"]
