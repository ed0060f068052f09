"""The map's projection at scale: every bar of a mined dataset encoded to its pad XY, a chunk at a time.

A dataset's bars as float planes take 10 kB each (a 100,000-bar dataset: 1 GB); :func:`encode_dataset` never holds
more than ``chunk`` of them, so the map of any dataset a reader accepts (:mod:`rvae_server.core.dataset`) costs
the encoder's time and the points' memory only. Our latent is 2-D, so the encoder's posterior mean mapped to the
pad *is* the map (no t-SNE or UMAP step: the seed needed one from its 4-D space).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.dataset import BarDataset
from rvae_server.model.inference import LoadedModel

CHUNK = 4096  # bars encoded at once: ~40 MB of planes


def encode_dataset(
    model: LoadedModel, dataset: BarDataset, min_onsets: int = 2, chunk: int = CHUNK
) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    """``(xy, keep)``: the pad XY ``(M, 2)`` of the dataset's bars with at least ``min_onsets`` onsets, and which
    bars those are ``(N,)`` (in bar order)."""
    points: list[NDArray[np.float32]] = []
    kept: list[NDArray[np.bool_]] = []
    for bars in dataset.bar_chunks(chunk):
        keep = bars[:, 0].sum(axis=(1, 2)) >= min_onsets
        kept.append(keep)
        if keep.any():
            points.append(model.encode(bars[keep]).astype(np.float32))
    xy = np.concatenate(points) if points else np.zeros((0, 2), np.float32)
    return xy, (np.concatenate(kept) if kept else np.zeros(0, dtype=bool))


__all__ = ["CHUNK", "encode_dataset"]
