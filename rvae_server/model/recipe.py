"""Training recipes: the model shape plus every training setting, by name, so the recipe that made a model is
reproducible and the previous one stays available for comparison (``rvae train --recipe v1``).

Each setting was measured with ``rvae eval`` figures on two fixed sets (docs/quality.md, made by
``python -m benchmarks.bench_quality``). :func:`free_threads` picks torch's thread count from the idle cores.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace

from rvae_server.model.network import LEGACY_FIELDS, ModelConfig


@dataclass(frozen=True, slots=True)
class Recipe:
    """How to train a model. ``epochs`` is a ceiling for large sets: training stops after ``max_samples`` bars
    have been seen (``epochs`` is lowered to fit), and small sets get at least ``min_epochs``.
    ``beta_warmup`` is the share of the epochs over which β rises linearly from 0 to the config's β.
    ``keep_best`` keeps the weights of the best validation epoch, not the last: the score is the onset F1
    within ±1 tick of each validation bar decoded at its posterior mean, averaged over the bars. Epochs whose
    score is within ``max(best_tolerance, one standard error)`` of the best so far count as equally good, and
    the later one is kept: on a dozen clips the held-out clips are other songs, their score is a noisy plateau
    that sags a little while the training clips — the ones the performer plays — keep improving (measured in
    docs/quality.md); a real collapse still falls back to the best epoch. With fewer than
    ``min_validation_bars`` validation bars the score is too noisy to choose by (on 4 bars one bar moves the
    mean by a quarter; one seed of set (a) stopped at epoch 40 of 160 with its clips' F1 at 0.86, not 1.00):
    the last epoch is kept. ``target`` and ``onset_loss`` choose what the onset loss asks
    (:mod:`rvae_server.model.targets`); ``threshold_at`` and ``peaks`` how the default threshold is fitted
    (:mod:`rvae_server.model.calibrate`)."""

    name: str
    config: ModelConfig = field(default_factory=ModelConfig)
    epochs: int = 200
    lr: float = 3e-3
    batch_size: int = 64
    beta_warmup: float = 0.0
    lr_final: float = 1.0  # the learning rate falls along a half cosine to lr * lr_final by the last epoch
    keep_best: bool = True
    best_tolerance: float = 0.0  # validation F1 this far below the best still counts as "as good" (see above)
    min_validation_bars: int = 16  # fewer validation bars than this: keep the last epoch (see above)
    max_samples: int | None = None
    min_epochs: int = 1
    large_regularizer: str | None = None  # the regularizer from ``large_bars`` training bars up (None: the same)
    large_bars: int = 1000
    target: str = "played"  # "played" or "grid": onsets beside the grid moved onto it (model.targets)
    onset_loss: str = "exact"  # "exact" or "tolerant": less loss one tick beside a true onset (model.targets)
    tolerance_weight: float = 0.0  # "tolerant": the weight of the cells beside a true onset
    threshold_at: str = "train"  # the calibrated density is matched at the "train" points or random "pad" points
    peaks: bool = False  # calibrate counting onsets as they play, one where a drummer plays one (core.peaks)
    spread: bool = False  # fit velocity and microtiming's spread at random pad points (model.spread)
    cap: bool = False  # cap each bar at the training bars' machine-gun limits (model.calibrate space.cap)
    description: str = ""

    def config_for(self, bars: int) -> ModelConfig:
        """The model config to train on ``bars`` training bars."""
        if self.large_regularizer is not None and bars >= self.large_bars:
            return replace(self.config, regularizer=self.large_regularizer)
        return self.config

    def epochs_for(self, bars: int) -> int:
        """The epochs to train on ``bars`` training bars."""
        epochs = self.epochs
        if self.max_samples is not None and bars > 0:
            epochs = min(epochs, math.ceil(self.max_samples / bars))
        return max(self.min_epochs, epochs)

    def with_changes(self, **changes: object) -> Recipe:
        """A copy with recipe fields or config fields (``beta``, ``decoder_layers`` …) changed."""
        config_fields = set(ModelConfig.__dataclass_fields__)
        config = replace(self.config, **{k: v for k, v in changes.items() if k in config_fields})  # type: ignore[arg-type]
        rest = {k: v for k, v in changes.items() if k not in config_fields}
        if "regularizer" in changes:  # a regularizer asked for is used whatever the size of the set
            rest.setdefault("large_regularizer", None)
        return replace(self, config=config, **rest)  # type: ignore[arg-type]


#: The recipe every model was trained with before issue 10 (one 512-unit decoder layer, lr 1e-3, 60 epochs,
#: the last epoch kept).
V1 = Recipe(
    "v1",
    ModelConfig(hidden=512, beta=0.5, **LEGACY_FIELDS),
    epochs=60,
    lr=1e-3,
    batch_size=64,
    keep_best=False,
    description="before issue 10: one decoder layer, lr 1e-3, 60 epochs, last epoch",
)

#: The recipe chosen by the measurements of docs/quality.md.
V2 = Recipe(
    "v2",
    ModelConfig(),
    epochs=160,
    lr=3e-3,
    lr_final=0.05,
    batch_size=32,
    keep_best=True,
    best_tolerance=0.1,
    max_samples=32_000,
    large_regularizer="vae",
    large_bars=1000,
    description="autoencoder (a VAE from 1000 bars up); 64-unit encoder, three 256-unit decoder layers, onset "
    "weight 2; lr 3e-3 falling to 1.5e-4, batches of 32, 160 epochs (fewer above 200 bars); best validation epoch "
    "within 0.1 F1",
)

#: Issue 21, chosen by the measurements of docs/quality.md: v2's network and schedule; an onset loss that weighs
#: the empty cells one tick beside a true onset by half (a drummer's jitter is not punished as a wrong note);
#: the threshold calibrated per instrument at random pad points counting onsets as they play (one where a
#: drummer plays one); velocity and microtiming's spread fitted at the same points; a cap of hits a bar at the
#: training bars' machine-gun limits.
V3 = replace(
    V2,
    name="v3",
    onset_loss="tolerant",
    tolerance_weight=0.5,
    threshold_at="pad",
    peaks=True,
    spread=True,
    cap=True,
    description=V2.description + "; onset loss half as strict one tick beside a true onset; threshold calibrated "
    "per instrument at random pad points counting onsets as played (peak picking); velocity and microtiming "
    "spread fitted there; at most the training bars' machine-gun limits of hits a bar",
)

RECIPES: dict[str, Recipe] = {r.name: r for r in (V1, V2, V3)}
DEFAULT_RECIPE = "v3"


def get_recipe(name: str | None = None) -> Recipe:
    """A recipe by name (default :data:`DEFAULT_RECIPE`); ``KeyError`` naming the known ones."""
    key = name or DEFAULT_RECIPE
    if key not in RECIPES:
        raise KeyError(f"no recipe {key!r} (known: {', '.join(RECIPES)})")
    return RECIPES[key]


def free_threads(max_threads: int | None = None) -> int:
    """Torch threads for training: the cores not busy according to the 1-minute load average
    (``/proc/loadavg``), at least 1, at most ``max_threads`` (default: all cores). On a busy machine one thread
    trains much faster than several fighting for cores (measured 4–50× slower with 2 threads under load)."""
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:
        return 1
    free = int(cores - math.ceil(load - 0.25))
    return max(1, min(free, max_threads or cores, cores))


__all__ = ["DEFAULT_RECIPE", "RECIPES", "V1", "V2", "V3", "Recipe", "free_threads", "get_recipe"]
