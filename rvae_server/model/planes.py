"""What the engine and the control surfaces share with a model, without torch: a model's decoded planes and the bar
they make, the pad ↔ latent mapping, the pad grid, and what a model must be for the engine to play it.

Pad coordinates are ``(x, y)`` in ``[0, 1]²``; every interface (CLI, OSC, web, MIDI CC) speaks them. A model
trained by this version stores its own linear pad ↔ latent mapping (:class:`PadMapping`, ``meta.json``
``space.pad``); a model without one uses the fixed ``(0, 0) ↦ latent (-3, -3)``, ``(1, 1) ↦ (3, 3)``
(:func:`pad_to_latent`, :func:`latent_to_pad`).

Decoded planes are ``(N, 3, 96, 9)`` float32 (:class:`DecodedPlanes`), indexed ``[point, plane, tick,
instrument]``: onset probability, velocity in (0, 1), microtiming in (-1, 1) half-ticks (positive = late);
:func:`threshold_planes` turns one point's planes into a :class:`~rvae_server.core.bar.Bar`.

Only numpy and :mod:`rvae_server.core`: ``tests/test_architecture.py`` checks that importing the control API
(:mod:`rvae_server.engine.api`) does not load torch.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import N_INSTRUMENTS, TICKS, Bar

#: Latent units covered by the pad of a model without its own mapping: pad 0 ↦ -PAD_RANGE, pad 1 ↦ +PAD_RANGE.
PAD_RANGE = 3.0

#: What the engine plays (the bar of rvae_server.core.bar and the 2-D pad): a model's config must say so.
PLAYABLE = {"ticks": TICKS, "instruments": N_INSTRUMENTS, "latent": 2}


# ------------------------------------------------------------------------------------------ decoded planes


@dataclass(frozen=True, slots=True)
class DecodedPlanes:
    """Decoder output for N latent points: one array ``planes`` ``(N, 3, 96, 9)`` float32 whose planes are onset
    probability, velocity and microtiming; :attr:`probs`, :attr:`velocities`, :attr:`microtiming` are views."""

    planes: NDArray[np.float32]

    @property
    def probs(self) -> NDArray[np.float32]:
        return self.planes[:, 0]

    @property
    def velocities(self) -> NDArray[np.float32]:
        return self.planes[:, 1]

    @property
    def microtiming(self) -> NDArray[np.float32]:
        return self.planes[:, 2]

    def __len__(self) -> int:
        return int(self.planes.shape[0])

    def one(self, index: int) -> NDArray[np.float32]:
        """The planes of one point, ``(3, 96, 9)`` (a view), as :func:`threshold_planes` takes them."""
        return self.planes[index]


def threshold_planes(
    planes: NDArray[np.floating], threshold: float = 0.5, mutes: Sequence[bool] | NDArray[np.bool_] | None = None
) -> Bar:
    """A bar from one point's decoded planes ``(3, 96, 9)`` (probability, velocity, microtiming): an onset
    where probability ≥ ``threshold`` and the instrument is not muted (``mutes``: 9 booleans in table order);
    velocity clamped to ``[1/127, 1]`` (MIDI 1–127), microtiming to ``[-1, 1]``. Pure; no decoding."""
    arr = np.asarray(planes, dtype=np.float32)
    if arr.shape != (3, TICKS, N_INSTRUMENTS):
        raise ValueError(f"one bar's decoded planes have shape (3, {TICKS}, {N_INSTRUMENTS}), not {arr.shape}")
    onsets = arr[0] >= threshold
    if mutes is not None:
        keep = ~np.asarray(mutes, dtype=bool)
        if keep.shape != (N_INSTRUMENTS,):
            raise ValueError(f"mutes have {N_INSTRUMENTS} entries, not {keep.shape}")
        onsets &= keep[None, :]
    return Bar.from_decoded(arr, onsets)


def mutes_from_indices(indices: Iterable[int]) -> NDArray[np.bool_]:
    """Instrument indices (as :func:`rvae_server.core.bar.parse_instruments` gives) → the 9-boolean mute mask."""
    mask = np.zeros(N_INSTRUMENTS, dtype=bool)
    for i in indices:
        mask[i] = True
    return mask


# ------------------------------------------------------------------------------------------ the pad


def grid_points(n: int = 30) -> NDArray[np.float32]:
    """The ``n × n`` pad grid, ``(n*n, 2)`` float32 of ``(x, y)``: row-major with **y as rows and x as columns**
    (point ``i * n + j`` is ``x = j / (n - 1)``, ``y = i / (n - 1)``), corners included."""
    if n < 2:
        raise ValueError(f"a grid needs n ≥ 2, not {n}")
    axis = np.linspace(0.0, 1.0, n, dtype=np.float32)
    ys, xs = np.meshgrid(axis, axis, indexing="ij")
    return np.stack((xs.ravel(), ys.ravel()), axis=1).astype(np.float32)


def pad_to_latent(xy: NDArray[np.floating] | tuple[float, float]) -> NDArray[np.float32]:
    """Pad coordinates (``[0, 1]`` per axis; values outside are extrapolated) → latent: ``z = 6 * xy - 3``."""
    arr = np.asarray(xy, dtype=np.float32)
    return (arr * np.float32(2 * PAD_RANGE) - np.float32(PAD_RANGE)).astype(np.float32)


def latent_to_pad(z: NDArray[np.floating] | tuple[float, float]) -> NDArray[np.float32]:
    """Latent → pad coordinates: ``xy = (z + 3) / 6`` (not clipped)."""
    arr = np.asarray(z, dtype=np.float32)
    return ((arr + np.float32(PAD_RANGE)) / np.float32(2 * PAD_RANGE)).astype(np.float32)


@dataclass(frozen=True, slots=True)
class PadMapping:
    """One model's linear pad ↔ latent mapping, per axis: ``z = centre + (2 * xy - 1) * half_span`` — the pad's
    centre is latent ``centre`` and its edges lie ``half_span`` latent units away. The default is the fixed
    mapping of :func:`pad_to_latent`. Stored in a model's ``meta.json`` as ``space.pad``."""

    centre: tuple[float, float] = (0.0, 0.0)
    half_span: tuple[float, float] = (PAD_RANGE, PAD_RANGE)

    def to_latent(self, xy: NDArray[np.floating] | Sequence[float]) -> NDArray[np.float32]:
        arr = np.asarray(xy, dtype=np.float32)
        c = np.asarray(self.centre, dtype=np.float32)
        h = np.asarray(self.half_span, dtype=np.float32)
        return (c + (arr * np.float32(2) - np.float32(1)) * h).astype(np.float32)

    def to_pad(self, z: NDArray[np.floating] | Sequence[float]) -> NDArray[np.float32]:
        arr = np.asarray(z, dtype=np.float32)
        c = np.asarray(self.centre, dtype=np.float32)
        h = np.asarray(self.half_span, dtype=np.float32)
        return (((arr - c) / h + np.float32(1)) / np.float32(2)).astype(np.float32)

    def to_json(self) -> dict[str, list[float]]:
        return {
            "centre": [round(float(v), 6) for v in self.centre],
            "half_span": [round(float(v), 6) for v in self.half_span],
        }

    @staticmethod
    def from_json(data: object) -> PadMapping:
        """From :meth:`to_json` output; raises ``ValueError`` when it is not two finite centres and two positive
        half spans."""
        if not isinstance(data, dict):
            raise ValueError("the pad mapping is not a JSON object")
        centre, span = data.get("centre"), data.get("half_span")
        if not (isinstance(centre, list) and isinstance(span, list) and len(centre) == len(span) == 2):
            raise ValueError("the pad mapping needs 'centre' (2 numbers) and 'half_span' (2 positive numbers)")
        values = centre + span
        if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values):
            raise ValueError("the pad mapping's numbers must be finite")
        if not all(v > 0 for v in span):
            raise ValueError("the pad mapping's half spans must be positive")
        return PadMapping((float(centre[0]), float(centre[1])), (float(span[0]), float(span[1])))


__all__ = [
    "PAD_RANGE",
    "PLAYABLE",
    "DecodedPlanes",
    "PadMapping",
    "grid_points",
    "latent_to_pad",
    "mutes_from_indices",
    "pad_to_latent",
    "threshold_planes",
]
