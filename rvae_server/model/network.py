"""The rhythm VAE: configuration, network, loss, and the pad ↔ latent mapping. No side effects, no I/O.

Layout
------
A bar is the ``(3, 96, 9)`` array of :mod:`rvae_server.core.bar` (planes onsets, velocities, microtiming). The
network reads and writes it **flattened in C order**: ``(N, 3 * 864)``, index ``plane * 864 + tick * 9 +
instrument``. The encoder sees all three planes; the decoder's three heads each give one ``(96, 9)`` plane:

* encoder: ``2592 → hidden (LeakyReLU) → mean (2), log-variance (2)``
* decoder: ``2 → hidden (LeakyReLU) → onsets (logits; sigmoid gives the probability), velocities (sigmoid),
  microtiming (tanh; half-ticks, positive = late)``

Pad coordinates
---------------
The performer's XY is in ``[0, 1]²``; every interface (CLI, OSC, web, MIDI CC) speaks pad coordinates.
``(0, 0) ↦ latent (-3, -3)`` and ``(1, 1) ↦ (3, 3)``, linearly (:func:`pad_to_latent`, :func:`latent_to_pad`).

Loss (per bar, averaged over the batch)
---------------------------------------
``BCE(onsets, summed over the 864 cells) + squared error of velocity and microtiming summed over the cells
that hold an onset in the target + beta * KL(q(z|x) || N(0, I))``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from torch import nn

from rvae_server.core.bar import CELLS, N_INSTRUMENTS, TICKS

#: Latent units covered by the pad: pad 0 ↦ -PAD_RANGE, pad 1 ↦ +PAD_RANGE (on each axis).
PAD_RANGE = 3.0


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """Shape and loss settings of a :class:`RhythmVAE`; saved with every model so a file rebuilds it."""

    ticks: int = TICKS
    instruments: int = N_INSTRUMENTS
    hidden: int = 512
    latent: int = 2
    beta: float = 0.5  # KL weight; chosen by the beta sweep of benchmarks/bench_model.py
    leaky_slope: float = 0.01

    @property
    def cells(self) -> int:
        """Cells of one plane (96 * 9 = 864)."""
        return self.ticks * self.instruments

    @property
    def input_size(self) -> int:
        """Values of one bar as the encoder reads it (3 * 864)."""
        return 3 * self.cells

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(data: object) -> ModelConfig:
        """Rebuild from :meth:`to_json` output; raises ``ValueError`` naming a missing, unknown or bad field."""
        if not isinstance(data, dict):
            raise ValueError("model config is not a JSON object")
        known = {f.name: f for f in fields(ModelConfig)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ValueError(f"model config has unknown fields: {', '.join(unknown)}")
        missing = sorted(set(known) - set(data))
        if missing:
            raise ValueError(f"model config lacks fields: {', '.join(missing)}")
        kwargs: dict[str, Any] = {}
        for name in ("ticks", "instruments", "hidden", "latent"):
            value = data[name]
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 1_000_000:
                raise ValueError(f"model config field {name!r} must be a positive integer, not {value!r}")
            kwargs[name] = value
        for name in ("beta", "leaky_slope"):
            value = data[name]
            if not isinstance(value, int | float) or isinstance(value, bool) or not np.isfinite(value) or value < 0:
                raise ValueError(f"model config field {name!r} must be a finite number ≥ 0, not {value!r}")
            kwargs[name] = float(value)
        config = ModelConfig(**kwargs)
        if config.leaky_slope >= 1.0:
            raise ValueError(f"model config field 'leaky_slope' must be below 1, not {config.leaky_slope}")
        return config


def expected_tensors(config: ModelConfig) -> dict[str, tuple[int, ...]]:
    """The parameter names of a :class:`RhythmVAE` with their shapes (what a weights file must hold)."""
    h, z, n, c = config.hidden, config.latent, config.input_size, config.cells
    shapes: dict[str, tuple[int, ...]] = {
        "encoder.hidden.weight": (h, n),
        "encoder.hidden.bias": (h,),
        "encoder.mean.weight": (z, h),
        "encoder.mean.bias": (z,),
        "encoder.logvar.weight": (z, h),
        "encoder.logvar.bias": (z,),
        "decoder.hidden.weight": (h, z),
        "decoder.hidden.bias": (h,),
    }
    for head in ("onsets", "velocities", "microtiming"):
        shapes[f"decoder.{head}.weight"] = (c, h)
        shapes[f"decoder.{head}.bias"] = (c,)
    return shapes


class Encoder(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.hidden = nn.Linear(config.input_size, config.hidden)
        self.mean = nn.Linear(config.hidden, config.latent)
        self.logvar = nn.Linear(config.hidden, config.latent)
        self.slope = config.leaky_slope

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = F.leaky_relu(self.hidden(x), self.slope)
        return self.mean(h), self.logvar(h)


class DecoderOutput(NamedTuple):
    onset_logits: torch.Tensor  # (N, 864); sigmoid gives the onset probability
    velocities: torch.Tensor  # (N, 864) in (0, 1)
    microtiming: torch.Tensor  # (N, 864) in (-1, 1), half-ticks, positive = late


class Decoder(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.hidden = nn.Linear(config.latent, config.hidden)
        self.onsets = nn.Linear(config.hidden, config.cells)
        self.velocities = nn.Linear(config.hidden, config.cells)
        self.microtiming = nn.Linear(config.hidden, config.cells)
        self.slope = config.leaky_slope

    def forward(self, z: torch.Tensor) -> DecoderOutput:
        h = F.leaky_relu(self.hidden(z), self.slope)
        return DecoderOutput(self.onsets(h), torch.sigmoid(self.velocities(h)), torch.tanh(self.microtiming(h)))


class RhythmVAE(nn.Module):
    """The VAE. :meth:`forward` takes bars flattened to ``(N, 2592)`` and returns the decoder output for a
    sample of ``q(z|x)`` (the mean in eval mode), the mean and the log-variance."""

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__()
        self.config = config or ModelConfig()
        self.encoder = Encoder(self.config)
        self.decoder = Decoder(self.config)

    def forward(
        self, x: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[DecoderOutput, torch.Tensor, torch.Tensor]:
        mean, logvar = self.encoder(x)
        if self.training:
            eps = torch.randn(mean.shape, generator=generator, dtype=mean.dtype)
            z = mean + eps * torch.exp(0.5 * logvar)
        else:
            z = mean
        return self.decoder(z), mean, logvar


class LossTerms(NamedTuple):
    """Loss terms per bar, averaged over the batch (scalars)."""

    total: torch.Tensor
    onsets: torch.Tensor
    velocities: torch.Tensor
    microtiming: torch.Tensor
    kl: torch.Tensor


def vae_loss(
    out: DecoderOutput, mean: torch.Tensor, logvar: torch.Tensor, target: torch.Tensor, beta: float
) -> LossTerms:
    """The training loss for flattened target bars ``(N, 2592)`` (see the module docstring)."""
    cells = out.onset_logits.shape[1]
    onsets = target[:, :cells]
    velocities = target[:, cells : 2 * cells]
    microtiming = target[:, 2 * cells :]
    n = target.shape[0]
    bce = F.binary_cross_entropy_with_logits(out.onset_logits, onsets, reduction="sum") / n
    vel = (((out.velocities - velocities) ** 2) * onsets).sum() / n
    mt = (((out.microtiming - microtiming) ** 2) * onsets).sum() / n
    kl = (-0.5 * (1 + logvar - mean.pow(2) - logvar.exp())).sum() / n
    return LossTerms(bce + vel + mt + beta * kl, bce, vel, mt, kl)


def pad_to_latent(xy: NDArray[np.floating] | tuple[float, float]) -> NDArray[np.float32]:
    """Pad coordinates (``[0, 1]`` per axis; values outside are extrapolated) → latent: ``z = 6 * xy - 3``."""
    arr = np.asarray(xy, dtype=np.float32)
    return (arr * np.float32(2 * PAD_RANGE) - np.float32(PAD_RANGE)).astype(np.float32)


def latent_to_pad(z: NDArray[np.floating] | tuple[float, float]) -> NDArray[np.float32]:
    """Latent → pad coordinates: ``xy = (z + 3) / 6`` (not clipped)."""
    arr = np.asarray(z, dtype=np.float32)
    return ((arr + np.float32(PAD_RANGE)) / np.float32(2 * PAD_RANGE)).astype(np.float32)


def flatten_bars(bars: NDArray[np.floating]) -> NDArray[np.float32]:
    """Bars ``(N, 3, 96, 9)`` → the network's layout ``(N, 2592)`` (C order)."""
    arr = np.asarray(bars, dtype=np.float32)
    if arr.ndim != 4 or arr.shape[1:] != (3, TICKS, N_INSTRUMENTS):
        raise ValueError(f"bars have shape (N, 3, {TICKS}, {N_INSTRUMENTS}), not {arr.shape}")
    return np.ascontiguousarray(arr.reshape(arr.shape[0], 3 * CELLS))


__all__ = [
    "PAD_RANGE",
    "Decoder",
    "DecoderOutput",
    "Encoder",
    "LossTerms",
    "ModelConfig",
    "RhythmVAE",
    "expected_tensors",
    "flatten_bars",
    "latent_to_pad",
    "pad_to_latent",
    "vae_loss",
]
