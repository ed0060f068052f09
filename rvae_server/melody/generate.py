"""Generating melody bars for drum bars: sampling our network, and generate-until-pass, bounded.

:class:`MelodySettings` are what the performer sets: key, instrument family, octave, **density** (0..1; 0.5 is
the model's own: the onset logits are shifted by ``DENSITY_SPAN * (density - 0.5)``), **temperature** (how
adventurous the sampling is: onset logits and pitch logits are divided by it) and **scale lock** (only the key's
scale notes may be drawn).

:func:`generate` runs the network once for the bars given (one forward pass, ~1 ms a bar on one thread), draws
candidates in batches (numpy: Bernoulli onsets on the paper's grid — :mod:`rvae_server.melody.grid` — and
Gumbel-max pitches; each family at its training lines' density, :data:`FAMILY_BIAS`) and judges each with the
paper's filters (:mod:`rvae_server.melody.filters`, both key detectors; a single bar is judged as the loop it
plays). It returns the first candidate that passes, or, when ``max_attempts`` candidates or ``time_budget``
seconds are spent, the one that failed the fewest rules: the music never waits for a perfect bar.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from rvae_server.core.bar import N_INSTRUMENTS, TICKS
from rvae_server.melody.batches import reference_pitch
from rvae_server.melody.families import FAMILIES, OCTAVES, parse_family
from rvae_server.melody.filters import Verdict, judge_lines
from rvae_server.melody.grid import MIN_LENGTH, gather, onset_grid, triplet_beats
from rvae_server.melody.keys import Key, parse_key
from rvae_server.melody.line import Line, monophonic
from rvae_server.melody.network import MAX_LENGTH_TICKS, PITCH_LOW, MelodyNet

A_MINOR = Key(True, 9)
DENSITY_SPAN = 6.0
#: Pitches are drawn within this many semitones of the key's tonic in the chosen octave (a 2-octave register).
REGISTER = 12
#: Onset-logit offsets per family (bass, keys, guitar, pad, lead) at density 0.5, so that the lines the layer plays
#: — on the paper's grid, after the filters — have the density of the family's training lines (notes a bar):
#: measured and set with ``python -m benchmarks.bench_melody --calibrate``.
FAMILY_BIAS: tuple[float, ...] = (0.26, 0.0, 0.43, 0.07, 0.52)
MIN_TEMPERATURE = 0.05
MAX_TEMPERATURE = 3.0


@dataclass(frozen=True, slots=True)
class MelodySettings:
    """What the melody follows besides the drums (see the module docstring)."""

    key: Key = A_MINOR
    family: int = 0  # bass
    octave: int = OCTAVES["bass"]
    density: float = 0.5
    temperature: float = 1.0
    scale_lock: bool = True

    @staticmethod
    def make(**values: Any) -> MelodySettings:
        """Settings from loose values (``key="Am"``, ``family="bass"``, numbers clamped to their ranges); raises
        ``ValueError`` naming what is unusable."""
        out = MelodySettings()
        changes: dict[str, Any] = {}
        for name, value in values.items():
            if name == "key":
                changes[name] = parse_key(value)
            elif name == "family":
                changes[name] = parse_family(value)
            elif name == "octave":
                changes[name] = int(min(8, max(0, round(float(value)))))
            elif name == "density":
                changes[name] = min(1.0, max(0.0, float(value)))
            elif name == "temperature":
                changes[name] = min(MAX_TEMPERATURE, max(MIN_TEMPERATURE, float(value)))
            elif name == "scale_lock":
                changes[name] = bool(value)
            else:
                raise ValueError(f"unknown melody setting {name!r}")
        return replace(out, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key.name,
            "family": FAMILIES[self.family],
            "octave": self.octave,
            "density": self.density,
            "temperature": self.temperature,
            "scale_lock": self.scale_lock,
        }


@dataclass(frozen=True, slots=True)
class Distributions:
    """The network's output for B bars, as numpy: onset logits (B, 96), pitch logits (B, 96, 48), lengths in
    ticks (B, 96), velocities 1..127 (B, 96); and the ticks the bars' notes may start on (B, 96), the paper's grid
    as the drums swing it (:mod:`rvae_server.melody.grid`)."""

    onset_logits: NDArray[np.float32]
    pitch_logits: NDArray[np.float32]
    lengths: NDArray[np.int64]
    velocities: NDArray[np.int64]
    grid: NDArray[np.bool_]


class MelodyModel:
    """A trained :class:`~rvae_server.melody.network.MelodyNet` ready to play (eval mode, no autograd)."""

    def __init__(
        self, module: MelodyNet, meta: dict[str, Any] | None = None, name: str = "unsaved", drum_encoder: Any = None
    ) -> None:
        self.module = module.eval()
        self.meta = meta or {}
        self.name = name
        self.drum_encoder = drum_encoder  # a melody.drumencoder.DrumEncoder, or None (older files)

    def latent_for(self, drums: NDArray[np.floating], latent: ArrayLike) -> NDArray[np.float32]:
        """The latent points ``(B, 2)`` the network hears for drum bars ``(B, 3, 96, 9)``: encoded by the drum
        encoder it was trained with when it carries one, else ``latent`` (the drum layer's own point)."""
        if self.drum_encoder is not None:
            return self.drum_encoder.encode(drums)
        return np.asarray(latent, dtype=np.float32).reshape(-1, 2)

    def distributions(self, drums: ArrayLike, latents: ArrayLike, settings: MelodySettings) -> Distributions:
        """Run the network for bars ``drums`` (B, 96, 9) of velocities in [0, 1] and ``latents`` (B, 2)."""
        d = np.array(drums, dtype=np.float32).reshape(-1, TICKS, N_INSTRUMENTS)  # a writable copy for torch
        z = np.array(latents, dtype=np.float32).reshape(-1, 2)
        b = d.shape[0]
        cond = [torch.full((b,), v, dtype=torch.int64) for v in (settings.family, settings.key.index, settings.octave)]
        with torch.inference_mode():
            out = self.module(torch.from_numpy(d), torch.from_numpy(z), *cond)
            lengths = torch.round(torch.pow(2.0, out.lengths * np.log2(MAX_LENGTH_TICKS))).clamp(1, MAX_LENGTH_TICKS)
            velocities = torch.round(out.velocities * 127.0).clamp(1, 127)
        return Distributions(
            out.onset_logits.numpy().copy(),
            out.pitch_logits.numpy().copy(),
            lengths.numpy().astype(np.int64),
            velocities.numpy().astype(np.int64),
            onset_grid(triplet_beats(d)),
        )

    def sample(
        self,
        dist: Distributions,
        settings: MelodySettings,
        rng: np.random.Generator,
        count: int,
        register: int | None = REGISTER,
        grid: bool = True,
    ) -> list[list[Line]]:
        """``count`` candidates, each a list of one line per bar. ``register``: semitones around the tonic in the
        chosen octave that pitches may take (``None``: the network's whole range, 4 octaves). ``grid``: notes start
        on the paper's grid only, last :data:`~rvae_server.melody.grid.MIN_LENGTH` ticks at least, and each family
        plays at its training lines' density (:data:`FAMILY_BIAS`); ``False``: the network's own ticks and lengths,
        as lines were made before (kept for the benchmark)."""
        temp = min(MAX_TEMPERATURE, max(MIN_TEMPERATURE, settings.temperature))
        bars, ticks, classes = dist.pitch_logits.shape
        bias = FAMILY_BIAS[settings.family] if grid and 0 <= settings.family < len(FAMILY_BIAS) else 0.0
        logits = (dist.onset_logits + bias + DENSITY_SPAN * (settings.density - 0.5)) / temp
        prob = 0.5 + 0.5 * np.tanh(0.5 * logits)  # the logistic function, without overflow
        if grid:
            prob = gather(prob, dist.grid)
        onsets = rng.random((count, bars, ticks)) < prob[None]
        lengths = np.maximum(dist.lengths, MIN_LENGTH) if grid else dist.lengths
        base = int(reference_pitch(settings.key.tonic, settings.octave)) + PITCH_LOW
        pitches = base + np.arange(classes)
        allowed = (pitches >= 0) & (pitches <= 127)
        if register is not None:
            allowed &= np.abs(pitches - (base - PITCH_LOW)) <= register
        if settings.scale_lock:
            allowed &= np.isin(pitches % 12, settings.key.scale)
        noise = rng.gumbel(size=(count, bars, ticks, classes))
        scores = np.where(allowed, dist.pitch_logits / temp, -np.inf)[None] + noise
        chosen = pitches[np.argmax(scores, axis=-1)]
        out: list[list[Line]] = []
        for k in range(count):
            lines = []
            for b in range(bars):
                at = np.flatnonzero(onsets[k, b])
                lines.append(monophonic(at, chosen[k, b, at], dist.velocities[b, at], lengths[b, at]))
            out.append(lines)
        return out


@dataclass(frozen=True, slots=True)
class Generated:
    """What :func:`generate` chose: one line per bar, its verdict, candidates drawn and time taken."""

    lines: list[Line]
    verdict: Verdict
    attempts: int
    seconds: float


def generate(
    model: MelodyModel,
    drums: ArrayLike,
    latents: ArrayLike,
    settings: MelodySettings,
    rng: np.random.Generator,
    *,
    max_attempts: int = 32,
    batch: int = 8,
    time_budget: float = 0.05,
    register: int | None = REGISTER,
    grid: bool = True,
    detector: str = "both",
) -> Generated:
    """Lines for the drum bars given (see the module docstring), judged together for ``settings.key`` (the last
    rule by ``detector``: both ours and the paper's must find that key, by default). ``grid``: see
    :meth:`MelodyModel.sample`."""
    start = time.perf_counter()
    dist = model.distributions(drums, latents, settings)
    best: tuple[list[Line], Verdict] | None = None
    attempts = 0
    while attempts < max_attempts:
        for lines in model.sample(dist, settings, rng, min(batch, max_attempts - attempts), register, grid):
            attempts += 1
            verdict = judge_lines(lines, settings.key, detector)
            if best is None or len(verdict.failed) < len(best[1].failed):
                best = (lines, verdict)
            if verdict.passed:
                return Generated(lines, verdict, attempts, time.perf_counter() - start)
        if time.perf_counter() - start > time_budget:
            break
    assert best is not None
    return Generated(best[0], best[1], attempts, time.perf_counter() - start)


__all__ = ["DENSITY_SPAN", "Distributions", "Generated", "MelodyModel", "MelodySettings", "generate"]
