"""Synthetic pattern models whose bars are easy to predict: stand-ins for a trained model in engine tests."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import INSTRUMENT_NAMES, N_INSTRUMENTS, TICKS
from rvae_server.model.planes import DecodedPlanes

#: The instruments the synthetic model plays (indices in the instrument table).
KICK, SNARE, CH, OH = (INSTRUMENT_NAMES.index(n) for n in ("kick", "snare", "closed-hat", "open-hat"))


class SyntheticModel:
    """Latent x > 0: closed hat on every tick; x < 0: open hat on every tick. Kick on the beats with probability
    sigmoid(latent y); snare on beats 2 and 4 (unless ``snare=False``). Velocity 0.5, kicks 1.0. Microtiming:
    kicks 0.4 late, closed hats 0.2 early (played at half that amount of a tick at timing 1). ``calls`` counts
    the decodes."""

    def __init__(self, name: str, snare: bool = True) -> None:
        self.name = name
        self.snare = snare
        self.calls = 0

    def decode_latent(self, z: NDArray[np.floating]) -> DecodedPlanes:
        self.calls += 1
        n = z.shape[0]
        probs = np.zeros((n, TICKS, N_INSTRUMENTS), dtype=np.float32)
        vel = np.full_like(probs, 0.5)
        mt = np.zeros_like(probs)
        for k in range(n):
            probs[k, :, CH if z[k, 0] > 0 else OH] = 0.9
            probs[k, ::24, KICK] = 1 / (1 + math.exp(-z[k, 1]))
            if self.snare:
                probs[k, 24::48, SNARE] = 0.8
        vel[:, ::24, KICK] = 1.0
        mt[:, :, KICK] = 0.4
        mt[:, :, CH] = -0.2
        return DecodedPlanes(np.stack((probs, vel, mt), axis=1))

    def decode_ticks(self, z: NDArray[np.floating]) -> NDArray[np.float32]:
        """Tick t decoded at z[t] (as LoadedModel.decode_ticks), vectorized."""
        self.calls += 1
        planes = np.zeros((3, TICKS, N_INSTRUMENTS), dtype=np.float32)
        right = z[:, 0] > 0
        planes[0, right, CH] = 0.9
        planes[0, ~right, OH] = 0.9
        planes[0, ::24, KICK] = 1 / (1 + np.exp(-z[::24, 1]))
        if self.snare:
            planes[0, 24::48, SNARE] = 0.8
        planes[1] = 0.5
        planes[1, ::24, KICK] = 1.0
        planes[2, :, KICK] = 0.4
        planes[2, :, CH] = -0.2
        return planes


class PlainModel(SyntheticModel):
    """The synthetic model without decode_ticks: the engine decodes each distinct point of a moving bar."""

    decode_ticks = None  # type: ignore[assignment]
