"""Training the melody networks on mined pairs: ours (:func:`train_melody`) and the seed's baseline
(:func:`train_seed`), the same pairs, the same split, the same transpositions.

* Adam (lr 1e-3), shuffled batches, one torch thread (call :func:`torch.set_num_threads` before; the scripts and
  the benchmark do), reproducible with ``seed``.
* Every epoch transposes each pair (or window) by :func:`~rvae_server.melody.pairs.transposition`: over 12 epochs
  each one is seen once in every key.
* The validation loss is computed each epoch on the validation songs, untransposed; the weights of the epoch
  with the lowest validation loss are kept.
* Progress goes to a callback, one :class:`EpochReport` per epoch. A NaN loss raises
  :class:`rvae_server.model.trainingdata.TrainingError` (the one training error, drums and melody alike).
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypedDict, Unpack

import numpy as np
import torch
import torch.nn.functional as F

from rvae_server.melody.batches import MelodyBatch, SeedBatch, melody_batch, seed_batch
from rvae_server.melody.network import (
    MelodyConfig,
    MelodyNet,
    MelodyTarget,
    SeedConfig,
    SeedNet,
    melody_loss,
)
from rvae_server.melody.pairs import PairSet, transposition
from rvae_server.model.trainingdata import TrainingError

DEFAULT_EPOCHS = 12
DEFAULT_BATCH = 128
DEFAULT_LR = 1e-3


class LoopOptions(TypedDict, total=False):
    """How :func:`train_melody` and :func:`train_seed` train: ``epochs`` (default :data:`DEFAULT_EPOCHS`),
    ``batch`` (:data:`DEFAULT_BATCH`), ``lr`` (:data:`DEFAULT_LR`), ``seed`` (0), ``progress`` (called after each
    epoch with its :class:`EpochReport`)."""

    epochs: int
    batch: int
    lr: float
    seed: int
    progress: Callable[[EpochReport], None] | None


@dataclass(slots=True)
class EpochReport:
    epoch: int
    train_loss: float
    val_loss: float
    seconds: float


@dataclass(slots=True)
class TrainResult:
    module: torch.nn.Module
    epochs: list[EpochReport] = field(default_factory=list)
    best_epoch: int = 0
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        best = self.epochs[self.best_epoch - 1] if self.epochs else None
        return {
            "epochs": len(self.epochs),
            "best_epoch": self.best_epoch,
            "train_loss": round(best.train_loss, 4) if best else None,
            "val_loss": round(best.val_loss, 4) if best else None,
            "seconds": round(self.seconds, 1),
            "per_epoch": [
                {"epoch": e.epoch, "train_loss": round(e.train_loss, 4), "val_loss": round(e.val_loss, 4)}
                for e in self.epochs
            ],
        }


def _melody_tensors(b: MelodyBatch) -> tuple[tuple[torch.Tensor, ...], MelodyTarget]:
    inputs = (
        torch.from_numpy(b.drums),
        torch.from_numpy(b.latents),
        torch.from_numpy(b.family),
        torch.from_numpy(b.key),
        torch.from_numpy(b.octave),
    )
    target = MelodyTarget(
        torch.from_numpy(b.onsets),
        torch.from_numpy(b.pitches),
        torch.from_numpy(b.lengths),
        torch.from_numpy(b.velocities),
    )
    return inputs, target


def _seed_tensors(b: SeedBatch) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
    inputs = (torch.from_numpy(b.drums), torch.from_numpy(b.family), torch.from_numpy(b.key),
              torch.from_numpy(b.octave))  # fmt: skip
    return inputs, torch.from_numpy(b.roll)


def _loop(
    module: torch.nn.Module,
    count: int,
    val_count: int,
    loss_of: Callable[[np.ndarray, np.ndarray, bool], torch.Tensor],
    options: LoopOptions,
) -> TrainResult:
    if count == 0 or val_count == 0:
        raise TrainingError(f"nothing to train on: {count} training and {val_count} validation examples")
    epochs, batch = options.get("epochs", DEFAULT_EPOCHS), options.get("batch", DEFAULT_BATCH)
    seed, progress = options.get("seed", 0), options.get("progress")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(module.parameters(), lr=options.get("lr", DEFAULT_LR))
    result = TrainResult(module)
    best = math.inf
    best_state: dict[str, torch.Tensor] | None = None
    started = time.perf_counter()
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        module.train()
        order = rng.permutation(count)
        total, batches = 0.0, 0
        for lo in range(0, count, batch):
            index = order[lo : lo + batch]
            loss = loss_of(index, transposition(index, epoch), True)
            if not torch.isfinite(loss):
                raise TrainingError(f"the loss became {loss.item()} in epoch {epoch}; nothing was saved")
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.item())
            batches += 1
        module.eval()
        val, vb = 0.0, 0
        with torch.no_grad():
            for lo in range(0, val_count, 512):
                index = np.arange(lo, min(lo + 512, val_count))
                val += float(loss_of(index, np.zeros(index.size, dtype=np.int64), False).item()) * index.size
                vb += index.size
        report = EpochReport(epoch, total / max(batches, 1), val / max(vb, 1), time.perf_counter() - t0)
        result.epochs.append(report)
        if report.val_loss < best:
            best, result.best_epoch = report.val_loss, epoch
            best_state = copy.deepcopy(module.state_dict())
        if progress:
            progress(report)
    if best_state is not None:
        module.load_state_dict(best_state)
    module.eval()
    result.seconds = time.perf_counter() - started
    return result


def train_melody(
    train: PairSet, val: PairSet, config: MelodyConfig | None = None, **options: Unpack[LoopOptions]
) -> TrainResult:
    """Train our :class:`MelodyNet` on the pairs of ``train``; ``val`` picks the epoch kept."""
    torch.manual_seed(options.get("seed", 0))
    module = MelodyNet(config)

    def loss_of(index: np.ndarray, shift: np.ndarray, training: bool) -> torch.Tensor:
        data = train if training else val
        inputs, target = _melody_tensors(melody_batch(data, index, shift))
        return melody_loss(module(*inputs), target).total

    return _loop(module, len(train), len(val), loss_of, options)


def train_seed(
    train: PairSet, val: PairSet, config: SeedConfig | None = None, **options: Unpack[LoopOptions]
) -> TrainResult:
    """Train the seed's baseline :class:`SeedNet` on the 4-bar windows of ``train``."""
    torch.manual_seed(options.get("seed", 0))
    module = SeedNet(config)
    windows = {True: train.windows(), False: val.windows()}

    def loss_of(index: np.ndarray, shift: np.ndarray, training: bool) -> torch.Tensor:
        data = train if training else val
        inputs, roll = _seed_tensors(seed_batch(data, windows[training][index], shift))
        logits = module(*inputs)
        return F.binary_cross_entropy_with_logits(logits, roll, reduction="sum") / roll.shape[0]

    return _loop(module, len(windows[True]), len(windows[False]), loss_of, options)


__all__ = ["EpochReport", "LoopOptions", "TrainResult", "train_melody", "train_seed"]
