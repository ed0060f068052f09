"""The drum encoder a melody model was trained with, carried inside the melody model.

The melody network conditions on a drum bar's **latent point** (moving the pad moves the melody). The training
pairs' points came from one drum model's encoder (the bundled ``groove-all``): at play time the layer's drum bar
is encoded again by **that same encoder**, stored in the melody model's weights as ``drum_encoder.*``. So the
condition means the same thing whatever drum model plays (a retrained ``groove-all``, ``groove-funk``, a
performer's own model, each with its own latent space), and retraining a drum model never silently changes what
the melody hears. Pure numpy: ``x (2592) → LeakyReLU(W1 x + b1) → W2 h + b2`` (the posterior mean).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import CELLS, N_INSTRUMENTS, TICKS

PREFIX = "drum_encoder."
NAMES = ("hidden.weight", "hidden.bias", "mean.weight", "mean.bias")


@dataclass(frozen=True)
class DrumEncoder:
    """Encoder weights (float32) and the LeakyReLU slope; ``source`` names the drum model they came from."""

    tensors: dict[str, NDArray[np.float32]]
    slope: float
    source: str

    @staticmethod
    def from_drum_model(model: Any) -> DrumEncoder:
        """The encoder of a loaded drum model (:class:`rvae_server.model.inference.LoadedModel`)."""
        return DrumEncoder(model.encoder_tensors(), float(model.config.leaky_slope), str(model.name))

    def expected(self) -> dict[str, tuple[int, ...]]:
        return {PREFIX + n: tuple(a.shape) for n, a in self.tensors.items()}

    @staticmethod
    def check_shapes(shapes: dict[str, tuple[int, ...]]) -> str | None:
        """What is wrong with the shapes of stored ``drum_encoder.*`` tensors, or None."""
        if set(shapes) != {PREFIX + n for n in NAMES}:
            return f"the drum encoder needs {', '.join(PREFIX + n for n in NAMES)}"
        hidden = shapes[PREFIX + "hidden.weight"]
        if len(hidden) != 2 or hidden[1] != 3 * CELLS or shapes[PREFIX + "hidden.bias"] != (hidden[0],):
            return f"the drum encoder's first layer must read {3 * CELLS} values"
        if shapes[PREFIX + "mean.weight"] != (2, hidden[0]) or shapes[PREFIX + "mean.bias"] != (2,):
            return "the drum encoder must give a 2-D latent point"
        return None

    def encode(self, bars: NDArray[np.floating]) -> NDArray[np.float32]:
        """Latent points ``(N, 2)`` of drum bars ``(N, 3, 96, 9)`` (planes onsets, velocities, microtiming)."""
        arr = np.asarray(bars, dtype=np.float32)
        if arr.ndim == 3:
            arr = arr[None]
        if arr.shape[1:] != (3, TICKS, N_INSTRUMENTS):
            raise ValueError(f"drum bars have shape (N, 3, {TICKS}, {N_INSTRUMENTS}), not {arr.shape}")
        x = arr.reshape(len(arr), 3 * CELLS)
        t = self.tensors
        h = x @ t["hidden.weight"].T + t["hidden.bias"]
        h = np.where(h > 0, h, h * np.float32(self.slope))
        return (h @ t["mean.weight"].T + t["mean.bias"]).astype(np.float32)
