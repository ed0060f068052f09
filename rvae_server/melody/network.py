"""The melody networks: ours (:class:`MelodyNet`) and the seed paper's baseline (:class:`SeedNet`). No I/O.

Ours
----
In: the drum bar as the layer plays it (``(96, 9)`` onsets and velocities on the 24-ppqn grid, 1728 values),
the drum layer's **latent point** (2 values: moving the pad moves the melody even where the thresholded drums
stay the same) and 16-d embeddings of the conditions: instrument family, key (24) and octave. Two ReLU layers
of ``hidden`` units, then per tick of the 96: an onset logit, pitch logits over :data:`PITCHES` semitones
relative to the key's tonic in the requested octave (``tonic + 12 * (octave + 1)``, so C4 = 60 is the tonic of
C major in octave 4), a length (sigmoid of ``log2(ticks) / log2(96)``) and a velocity (sigmoid of
``velocity / 127``). Pitches relative to the tonic make a line learnt in one key playable in every key.

Loss (per bar, averaged over the batch): onset BCE summed over the 96 ticks + pitch cross-entropy and
:data:`REGRESSION_WEIGHT` x the squared errors of length and velocity, summed over the ticks with an onset.

The seed's baseline
-------------------
As the seed describes it: the flattened drum loop (4 bars of onsets, ``4 x 96 x 9``) concatenated with 16-d
embeddings of instrument family, key and octave → 4 ReLU layers of 64 → a sigmoid over 64 sixteenth-note
steps x 128 pitches (the 4-bar melody as a piano roll). Loss: BCE summed over the cells.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, fields
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from rvae_server.core.bar import N_INSTRUMENTS, TICKS
from rvae_server.melody.families import FAMILIES

PITCH_LOW = -24  # the lowest pitch class of the output, in semitones from the tonic
PITCHES = 48  # -24 .. +23 semitones around the tonic
OCTAVES = 9  # octaves 0..8 (C4 = 60 is in octave 4)
MAX_LENGTH_TICKS = TICKS  # a note ends at the bar line at the latest
REGRESSION_WEIGHT = 10.0
SEED_STEPS = 64
SEED_BARS = 4


def _check_ints(data: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        value = data[name]
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100_000:
            raise ValueError(f"melody model config field {name!r} must be a positive integer, not {value!r}")


def _from_json(cls: type[Any], data: object) -> Any:
    if not isinstance(data, dict):
        raise ValueError("melody model config is not a JSON object")
    known = {f.name for f in fields(cls)}
    unknown, missing = sorted(set(data) - known), sorted(known - set(data))
    if unknown:
        raise ValueError(f"melody model config has unknown fields: {', '.join(unknown)}")
    if missing:
        raise ValueError(f"melody model config lacks fields: {', '.join(missing)}")
    _check_ints(data, tuple(sorted(known)))
    return cls(**data)


@dataclass(frozen=True, slots=True)
class MelodyConfig:
    """Shape of a :class:`MelodyNet`; saved with the model so its file rebuilds it."""

    hidden: int = 256
    embed: int = 16
    families: int = len(FAMILIES)
    pitches: int = PITCHES
    octaves: int = OCTAVES
    dropout_percent: int = 30  # dropout after each hidden layer while training

    @property
    def input_size(self) -> int:
        return 2 * TICKS * N_INSTRUMENTS + 2 + 3 * self.embed

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(data: object) -> MelodyConfig:
        config: MelodyConfig = _from_json(MelodyConfig, data)
        if config.pitches != PITCHES or config.octaves != OCTAVES or config.families != len(FAMILIES):
            raise ValueError(
                f"melody model config: pitches, octaves and families must be {PITCHES}, {OCTAVES}, {len(FAMILIES)}"
            )
        return config


@dataclass(frozen=True, slots=True)
class SeedConfig:
    """Shape of the seed's baseline :class:`SeedNet`."""

    hidden: int = 64
    layers: int = 4
    embed: int = 16
    families: int = len(FAMILIES)
    octaves: int = OCTAVES

    @property
    def input_size(self) -> int:
        return SEED_BARS * TICKS * N_INSTRUMENTS + 3 * self.embed

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(data: object) -> SeedConfig:
        config: SeedConfig = _from_json(SeedConfig, data)
        return config


class MelodyOutput(NamedTuple):
    onset_logits: torch.Tensor  # (N, 96)
    pitch_logits: torch.Tensor  # (N, 96, PITCHES)
    lengths: torch.Tensor  # (N, 96) in (0, 1): log2(ticks) / log2(96)
    velocities: torch.Tensor  # (N, 96) in (0, 1): velocity / 127


class MelodyNet(nn.Module):
    """Ours (see the module docstring). :meth:`forward` takes ``drums`` (N, 96, 9) velocities in [0, 1],
    ``latents`` (N, 2), and the condition indices ``family``, ``key`` (0..23), ``octave`` (N,) int64."""

    def __init__(self, config: MelodyConfig | None = None) -> None:
        super().__init__()
        self.config = c = config or MelodyConfig()
        self.family = nn.Embedding(c.families, c.embed)
        self.key = nn.Embedding(24, c.embed)
        self.octave = nn.Embedding(c.octaves, c.embed)
        self.hidden1 = nn.Linear(c.input_size, c.hidden)
        self.hidden2 = nn.Linear(c.hidden, c.hidden)
        self.out = nn.Linear(c.hidden, TICKS * (3 + c.pitches))
        self.dropout = nn.Dropout(c.dropout_percent / 100.0)

    def forward(
        self,
        drums: torch.Tensor,
        latents: torch.Tensor,
        family: torch.Tensor,
        key: torch.Tensor,
        octave: torch.Tensor,
    ) -> MelodyOutput:
        n = drums.shape[0]
        flat = drums.reshape(n, -1)
        x = torch.cat(
            [flat, (flat > 0).to(flat.dtype), latents / 3.0, self.family(family), self.key(key), self.octave(octave)],
            dim=1,
        )
        h = self.dropout(F.relu(self.hidden1(x)))
        h = self.dropout(F.relu(self.hidden2(h)))
        out = self.out(h).reshape(n, TICKS, 3 + self.config.pitches)
        return MelodyOutput(out[..., 0], out[..., 3:], torch.sigmoid(out[..., 1]), torch.sigmoid(out[..., 2]))


class MelodyTarget(NamedTuple):
    onsets: torch.Tensor  # (N, 96) 0/1
    pitches: torch.Tensor  # (N, 96) int64 class 0..PITCHES-1 (anything where no onset)
    lengths: torch.Tensor  # (N, 96) in [0, 1]
    velocities: torch.Tensor  # (N, 96) in [0, 1]


class MelodyLoss(NamedTuple):
    total: torch.Tensor
    onsets: torch.Tensor
    pitches: torch.Tensor
    lengths: torch.Tensor
    velocities: torch.Tensor


def melody_loss(out: MelodyOutput, target: MelodyTarget) -> MelodyLoss:
    n = target.onsets.shape[0]
    mask = target.onsets
    bce = F.binary_cross_entropy_with_logits(out.onset_logits, mask, reduction="sum") / n
    ce = F.cross_entropy(out.pitch_logits.reshape(-1, out.pitch_logits.shape[-1]), target.pitches.reshape(-1),
                         reduction="none").reshape(mask.shape)  # fmt: skip
    pitch = (ce * mask).sum() / n
    length = (((out.lengths - target.lengths) ** 2) * mask).sum() / n
    vel = (((out.velocities - target.velocities) ** 2) * mask).sum() / n
    total = bce + pitch + REGRESSION_WEIGHT * (length + vel)
    return MelodyLoss(total, bce, pitch, length, vel)


class SeedNet(nn.Module):
    """The seed's baseline (see the module docstring). :meth:`forward` takes ``drums`` (N, 4, 96, 9) onsets and
    the condition indices; returns the roll's logits (N, 64, 128)."""

    def __init__(self, config: SeedConfig | None = None) -> None:
        super().__init__()
        self.config = c = config or SeedConfig()
        self.family = nn.Embedding(c.families, c.embed)
        self.key = nn.Embedding(24, c.embed)
        self.octave = nn.Embedding(c.octaves, c.embed)
        sizes = [c.input_size] + [c.hidden] * c.layers
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(sizes))
        self.out = nn.Linear(c.hidden, SEED_STEPS * 128)

    def forward(
        self, drums: torch.Tensor, family: torch.Tensor, key: torch.Tensor, octave: torch.Tensor
    ) -> torch.Tensor:
        n = drums.shape[0]
        h = torch.cat([drums.reshape(n, -1), self.family(family), self.key(key), self.octave(octave)], dim=1)
        for layer in self.layers:
            h = F.relu(layer(h))
        return self.out(h).reshape(n, SEED_STEPS, 128)


def expected_tensors(module: nn.Module) -> dict[str, tuple[int, ...]]:
    """Parameter names and shapes of a freshly built module (what a weights file must hold)."""
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


__all__ = [
    "MAX_LENGTH_TICKS",
    "OCTAVES",
    "PITCHES",
    "PITCH_LOW",
    "SEED_BARS",
    "SEED_STEPS",
    "MelodyConfig",
    "MelodyLoss",
    "MelodyNet",
    "MelodyOutput",
    "MelodyTarget",
    "SeedConfig",
    "SeedNet",
    "expected_tensors",
    "melody_loss",
]
