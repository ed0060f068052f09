"""A map of a model's space (the seed's Figure 3, for our 2-D latent): its training bars at their encoded pad
coordinates, each with a style and its provenance (source file, bar). Used by ``rvae map`` (PNG and HTML) and by
the web page's map (``GET /api/map``).

Where the bars come from: a mined dataset (:mod:`rvae_server.core.dataset`) — given, or the one recorded in the
model's metadata (``training.datasets``, written when a model is trained on a dataset: see
:func:`recorded_dataset`) — or any bars with labels (:func:`build_map`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.dataset import DatasetError, file_sha256, read_dataset
from rvae_server.model.inference import LoadedModel
from rvae_server.model.mapencode import encode_dataset

MIN_ONSETS = 2  # bars with fewer onsets are not trained on, so not mapped


@dataclass(slots=True)
class SpaceMap:
    """Points of a map: ``xy`` (N, 2) pad coordinates; per point an index into ``styles`` and ``files`` and the
    1-based source bar."""

    model: str
    xy: NDArray[np.float32]
    style: NDArray[np.int64]
    styles: list[str]
    file: NDArray[np.int64]
    files: list[str]
    bar: NDArray[np.int64]
    source: str = ""  # where the bars came from (a dataset file, folders)

    def __len__(self) -> int:
        return len(self.xy)

    def centroids(self) -> dict[str, tuple[float, float]]:
        """Each style's centroid (the mean XY of its points), for the styles that have points."""
        out: dict[str, tuple[float, float]] = {}
        for k, name in enumerate(self.styles):
            mask = self.style == k
            if mask.any():
                mx, my = self.xy[mask].mean(axis=0)
                out[name] = (float(mx), float(my))
        return out

    def subsample(self, limit: int) -> SpaceMap:
        """At most ``limit`` points, evenly spread over the list (deterministic)."""
        if len(self) <= limit:
            return self
        keep = np.linspace(0, len(self) - 1, limit).round().astype(np.int64)
        return SpaceMap(self.model, self.xy[keep], self.style[keep], self.styles, self.file[keep], self.files,
                        self.bar[keep], self.source)  # fmt: skip

    def to_json(self, limit: int = 20_000) -> dict[str, Any]:
        """``{model, source, count, styles, files, centroids: {style: [x, y]}, points: [[x, y, style, file,
        bar]]}`` — XY rounded to 1e-4, at most ``limit`` points (``count`` is the full number)."""
        part = self.subsample(limit)
        used_files = sorted(set(part.file.tolist()))
        index = {f: k for k, f in enumerate(used_files)}
        points = [
            [round(float(x), 4), round(float(y), 4), int(s), index[int(f)], int(b)]
            for (x, y), s, f, b in zip(part.xy, part.style, part.file, part.bar, strict=True)
        ]
        return {
            "model": self.model,
            "source": self.source,
            "count": len(self),
            "styles": list(self.styles),
            "files": [self.files[f] for f in used_files],
            "centroids": {k: [round(x, 4), round(y, 4)] for k, (x, y) in self.centroids().items()},
            "points": points,
        }


def build_map(
    model: LoadedModel,
    bars: NDArray[np.floating],
    style: NDArray[np.integer],
    styles: list[str],
    file: NDArray[np.integer],
    files: list[str],
    bar: NDArray[np.integer],
    source: str = "",
) -> SpaceMap:
    """Encode ``bars`` (N, 3, 96, 9) with ``model``; bars with fewer than 2 onsets are left out."""
    keep = np.asarray(bars)[:, 0].sum(axis=(1, 2)) >= MIN_ONSETS
    xy = model.encode(np.asarray(bars, dtype=np.float32)[keep]) if keep.any() else np.zeros((0, 2), np.float32)
    return SpaceMap(model.name, xy.astype(np.float32), np.asarray(style, np.int64)[keep], list(styles),
                    np.asarray(file, np.int64)[keep], list(files), np.asarray(bar, np.int64)[keep], source)  # fmt: skip


def dataset_map(model: LoadedModel, path: str | os.PathLike[str]) -> SpaceMap:
    """The map of a mined dataset's bars (encoded a chunk at a time:
    :func:`rvae_server.model.mapencode.encode_dataset`); raises :class:`rvae_server.core.dataset.DatasetError`."""
    dataset = read_dataset(path)
    pattern = dataset.bar_pattern()
    a = dataset.arrays
    xy, keep = encode_dataset(model, dataset, MIN_ONSETS)
    return SpaceMap(
        model.name, xy, a["pattern_style"].astype(np.int64)[pattern][keep], dataset.text("styles"),
        a["pattern_file"].astype(np.int64)[pattern][keep], dataset.text("files"), dataset.bar_source()[keep],
        os.fspath(path),
    )  # fmt: skip


def recorded_dataset(model: LoadedModel) -> Path:
    """The dataset the model was trained on, from its metadata: the recorded path if that file is there with the
    recorded SHA-256, else a file of the recorded name beside the model's folder (in its models dir) with that
    SHA-256. Raises :class:`DatasetError` saying what is missing."""
    records = (model.meta.get("training") or {}).get("datasets") or []
    if not records:
        raise DatasetError(model.name, "the model was not trained on a mined dataset; name one")
    record = records[0]
    candidates = [Path(str(record.get("file", "")))]
    if model.path is not None:
        candidates.append(model.path.parent / str(record.get("name", "")))
    for path in candidates:
        if path.is_file() and (not record.get("sha256") or file_sha256(path) == record["sha256"]):
            return path
    where = " or ".join(str(c) for c in candidates)
    raise DatasetError(model.name, f"its training dataset is not at {where} (or has changed); name one")


__all__ = ["SpaceMap", "build_map", "dataset_map", "recorded_dataset"]
