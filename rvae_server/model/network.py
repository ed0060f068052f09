"""The rhythm VAE: configuration, network, loss, and the pad ↔ latent mapping. No side effects, no I/O.

Layout
------
A bar is the ``(3, 96, 9)`` array of :mod:`rvae_server.core.bar` (planes onsets, velocities, microtiming). The
network reads and writes it **flattened in C order**: ``(N, 3 * 864)``, index ``plane * 864 + tick * 9 +
instrument``. The encoder sees all three planes; the decoder's three heads each give one ``(96, 9)`` plane:

* encoder: ``2592 → encoder_hidden (LeakyReLU; default: hidden) → mean (2), log-variance (2)``
* decoder: ``2 → hidden (LeakyReLU) [→ hidden (LeakyReLU)] × (decoder_layers - 1) → onsets (logits; sigmoid
  gives the probability), velocities (sigmoid), microtiming (tanh; half-ticks, positive = late)``. Parameter
  names: ``decoder.hidden`` is the first hidden layer, ``decoder.hidden_2``, ``decoder.hidden_3`` … the others.

Pad coordinates
---------------
The performer's XY is in ``[0, 1]²``; the pad ↔ latent mapping (a model's own, or the fixed one) lives in the
torch-free :mod:`rvae_server.model.planes`, beside the decoded planes.

Loss (per bar, averaged over the batch)
---------------------------------------
``BCE(onsets, summed over the 864 cells, onset cells weighted by onset_pos_weight) + squared error of velocity
and microtiming summed over the cells that hold an onset in the target + beta * KL(q(z|x) || N(0, I))``. The
KL term is the ``vae`` regularizer's; ``ae`` has none (the encoder's mean is the code) and ``acai`` adds the
adversarial interpolation term of :mod:`rvae_server.model.acai` instead.

Configs written before ``decoder_layers``, ``onset_pos_weight`` and ``regularizer`` existed load with their
values of then (:data:`LEGACY_FIELDS`): one decoder layer, weight 1, ``vae``.
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

REGULARIZERS = ("vae", "acai", "ae")

#: Values of the fields added after format 1's first models, for config JSON that lacks them (older files).
LEGACY_FIELDS: dict[str, Any] = {
    "decoder_layers": 1,
    "onset_pos_weight": 1.0,
    "regularizer": "vae",
    "encoder_hidden": 0,
}


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """Shape and loss settings of a :class:`RhythmVAE`; saved with every model so a file rebuilds it."""

    ticks: int = TICKS
    instruments: int = N_INSTRUMENTS
    hidden: int = 256  # units of each decoder hidden layer (and of the encoder's unless encoder_hidden is set)
    latent: int = 2
    beta: float = 0.5  # KL weight (regularizer "vae"); see docs/quality.md
    leaky_slope: float = 0.01
    decoder_layers: int = 3  # hidden layers of the decoder (older models: 1); see docs/quality.md
    onset_pos_weight: float = 2.0  # BCE weight of onset cells (older models: 1)
    regularizer: str = "ae"  # "vae" (KL), "ae" (none), "acai" (adversarial interpolation critic)
    encoder_hidden: int = 64  # units of the encoder's hidden layer; 0: the same as ``hidden`` (older models)

    @property
    def cells(self) -> int:
        """Cells of one plane (96 * 9 = 864)."""
        return self.ticks * self.instruments

    @property
    def encoder_units(self) -> int:
        """Units of the encoder's hidden layer."""
        return self.encoder_hidden or self.hidden

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
        missing = sorted(set(known) - set(data) - set(LEGACY_FIELDS))
        if missing:
            raise ValueError(f"model config lacks fields: {', '.join(missing)}")
        data = {**LEGACY_FIELDS, **data}
        kwargs: dict[str, Any] = {}
        for name in ("ticks", "instruments", "hidden", "latent", "decoder_layers", "encoder_hidden"):
            value = data[name]
            low = 0 if name == "encoder_hidden" else 1
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= 1_000_000:
                raise ValueError(f"model config field {name!r} must be a positive integer, not {value!r}")
            kwargs[name] = value
        for name in ("beta", "leaky_slope", "onset_pos_weight"):
            value = data[name]
            if not isinstance(value, int | float) or isinstance(value, bool) or not np.isfinite(value) or value < 0:
                raise ValueError(f"model config field {name!r} must be a finite number ≥ 0, not {value!r}")
            kwargs[name] = float(value)
        if data["regularizer"] not in REGULARIZERS:
            raise ValueError(f"model config field 'regularizer' must be one of {', '.join(REGULARIZERS)}")
        kwargs["regularizer"] = data["regularizer"]
        config = ModelConfig(**kwargs)
        if config.leaky_slope >= 1.0:
            raise ValueError(f"model config field 'leaky_slope' must be below 1, not {config.leaky_slope}")
        if config.decoder_layers > 8:
            raise ValueError(f"model config field 'decoder_layers' must be 1..8, not {config.decoder_layers}")
        return config


def hidden_layer_names(config: ModelConfig) -> list[str]:
    """The decoder's hidden layers in order: ``hidden``, ``hidden_2``, ``hidden_3`` …"""
    return ["hidden"] + [f"hidden_{k}" for k in range(2, config.decoder_layers + 1)]


def expected_tensors(config: ModelConfig) -> dict[str, tuple[int, ...]]:
    """The parameter names of a :class:`RhythmVAE` with their shapes (what a weights file must hold)."""
    h, z, n, c, e = config.hidden, config.latent, config.input_size, config.cells, config.encoder_units
    shapes: dict[str, tuple[int, ...]] = {
        "encoder.hidden.weight": (e, n),
        "encoder.hidden.bias": (e,),
        "encoder.mean.weight": (z, e),
        "encoder.mean.bias": (z,),
        "encoder.logvar.weight": (z, e),
        "encoder.logvar.bias": (z,),
    }
    for k, layer in enumerate(hidden_layer_names(config)):
        shapes[f"decoder.{layer}.weight"] = (h, z if k == 0 else h)
        shapes[f"decoder.{layer}.bias"] = (h,)
    for head in ("onsets", "velocities", "microtiming"):
        shapes[f"decoder.{head}.weight"] = (c, h)
        shapes[f"decoder.{head}.bias"] = (c,)
    return shapes


class Encoder(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.hidden = nn.Linear(config.input_size, config.encoder_units)
        self.mean = nn.Linear(config.encoder_units, config.latent)
        self.logvar = nn.Linear(config.encoder_units, config.latent)
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
        self.layer_names = hidden_layer_names(config)
        for k, layer in enumerate(self.layer_names):
            setattr(self, layer, nn.Linear(config.latent if k == 0 else config.hidden, config.hidden))
        self.onsets = nn.Linear(config.hidden, config.cells)
        self.velocities = nn.Linear(config.hidden, config.cells)
        self.microtiming = nn.Linear(config.hidden, config.cells)
        self.slope = config.leaky_slope

    def hidden_layers(self) -> list[nn.Linear]:
        return [getattr(self, layer) for layer in self.layer_names]

    def forward(self, z: torch.Tensor) -> DecoderOutput:
        h = z
        for layer in self.hidden_layers():
            h = F.leaky_relu(layer(h), self.slope)
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
        if self.training and self.config.regularizer == "vae":
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
    out: DecoderOutput,
    mean: torch.Tensor,
    logvar: torch.Tensor,
    target: torch.Tensor,
    beta: float,
    pos_weight: float = 1.0,
    onset_weight: torch.Tensor | None = None,
) -> LossTerms:
    """The training loss for flattened target bars ``(N, 2592)`` (see the module docstring). ``beta`` 0 leaves
    the KL term out of ``total`` (it is still reported). ``onset_weight`` ``(N, 864)`` weighs each onset cell's
    BCE (:mod:`rvae_server.model.targets`)."""
    cells = out.onset_logits.shape[1]
    onsets = target[:, :cells]
    velocities = target[:, cells : 2 * cells]
    microtiming = target[:, 2 * cells :]
    n = target.shape[0]
    weight = None if pos_weight == 1.0 else torch.full((cells,), pos_weight, dtype=target.dtype)
    bce = (
        F.binary_cross_entropy_with_logits(out.onset_logits, onsets, onset_weight, reduction="sum", pos_weight=weight)
        / n
    )
    vel = (((out.velocities - velocities) ** 2) * onsets).sum() / n
    mt = (((out.microtiming - microtiming) ** 2) * onsets).sum() / n
    kl = (-0.5 * (1 + logvar - mean.pow(2) - logvar.exp())).sum() / n
    total = bce + vel + mt + beta * kl if beta else bce + vel + mt
    return LossTerms(total, bce, vel, mt, kl)


def flatten_bars(bars: NDArray[np.floating]) -> NDArray[np.float32]:
    """Bars ``(N, 3, 96, 9)`` → the network's layout ``(N, 2592)`` (C order)."""
    arr = np.asarray(bars, dtype=np.float32)
    if arr.ndim != 4 or arr.shape[1:] != (3, TICKS, N_INSTRUMENTS):
        raise ValueError(f"bars have shape (N, 3, {TICKS}, {N_INSTRUMENTS}), not {arr.shape}")
    return np.ascontiguousarray(arr.reshape(arr.shape[0], 3 * CELLS))


__all__ = [
    "LEGACY_FIELDS",
    "REGULARIZERS",
    "Decoder",
    "DecoderOutput",
    "Encoder",
    "LossTerms",
    "ModelConfig",
    "RhythmVAE",
    "expected_tensors",
    "flatten_bars",
    "hidden_layer_names",
    "vae_loss",
]
