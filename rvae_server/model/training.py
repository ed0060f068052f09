"""Training a rhythm VAE: the training loop, and :func:`train_and_save`, the plain top-level entry point the CLI
and the server (in a ``spawn``-ed process) call.

* The bars and the clip-first 5:1 split come from :mod:`rvae_server.model.trainingdata`.
* The settings come from a recipe (:mod:`rvae_server.model.recipe`: model shape, regularizer, epochs, learning rate
  and its schedule, batch size, best-validation checkpoint). Adam (:mod:`rvae_server.model.optim`), shuffled batches
  (the last one may be smaller), reproducible with ``seed`` (same seed, same data, same thread count →
  identical weights). The ``acai`` regularizer trains a critic beside the model (:mod:`rvae_server.model.acai`).
* After training, :func:`train_and_save` fits the pad to the training bars (:mod:`rvae_server.model.calibrate`) and
  stores the model's figures (:mod:`rvae_server.model.evaluate`) in its metadata.
* Progress goes to a callback as :class:`TrainEvent` (one per epoch); a cancel hook (a callable returning a bool,
  or anything with ``is_set()`` such as a ``threading``/``multiprocessing`` Event) is checked before every batch.
* A NaN/inf loss aborts with :class:`TrainingError`; cancelling raises :class:`TrainingCancelled`. In both cases,
  and on Ctrl-C or a kill, no model file is written: saving happens once, at the end, atomically.

Losses are per bar (see :func:`rvae_server.model.network.vae_loss`). The training loss of an epoch is the mean over its
batches of the sampled loss; the validation loss is computed at the posterior mean (deterministic).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch
from numpy.typing import NDArray

from rvae_server.model.acai import LAMBDA as ACAI_LAMBDA
from rvae_server.model.acai import Critic, interpolation_terms
from rvae_server.model.network import REGULARIZERS, ModelConfig, RhythmVAE, flatten_bars, vae_loss
from rvae_server.model.optim import FusedAdam
from rvae_server.model.recipe import Recipe, free_threads, get_recipe
from rvae_server.model.targets import ONSET_LOSSES, TARGETS, snap_to_grid, tolerant_weights
from rvae_server.model.trainingdata import (
    DEFAULT_SEED,
    ClipData,
    Split,
    TrainEvent,
    TrainingCancelled,
    TrainingData,
    TrainingError,
    TrainResult,
    load_training_bars,
    split_data,
)
from rvae_server.model.trainmeta import GMD_LICENCE, UNKNOWN_LICENCE, build_meta
from rvae_server.model.trainreport import kept_event, training_report

log = logging.getLogger(__name__)

DEFAULT_EPOCHS = get_recipe().epochs  # a ceiling: see Recipe.epochs_for
DEFAULT_BATCH = get_recipe().batch_size
DEFAULT_LR = get_recipe().lr


class _SetLike(Protocol):
    def is_set(self) -> bool: ...


CancelHook = Callable[[], bool] | _SetLike


def _cancelled(cancel: CancelHook | None) -> bool:
    if cancel is None:
        return False
    is_set = getattr(cancel, "is_set", None)
    if callable(is_set):
        return bool(is_set())
    return bool(cancel())  # type: ignore[operator]


def train_model(
    split: Split,
    config: ModelConfig | None = None,
    *,
    recipe: Recipe | None = None,
    epochs: int | None = None,
    seed: int = DEFAULT_SEED,
    batch_size: int | None = None,
    lr: float | None = None,
    progress: Callable[[TrainEvent], None] | None = None,
    cancel: CancelHook | None = None,
) -> TrainResult:
    """Train a fresh model on ``split`` with ``recipe`` (default :func:`rvae_server.model.recipe.get_recipe`);
    ``config``, ``epochs``, ``batch_size`` and ``lr`` override the recipe's. Uses torch's current thread count.
    With ``recipe.keep_best`` the returned model holds the weights of the best validation epoch."""
    recipe = recipe or get_recipe()
    config = config or recipe.config_for(len(split.train))
    epochs = recipe.epochs_for(len(split.train)) if epochs is None else epochs
    batch_size = recipe.batch_size if batch_size is None else batch_size
    lr = recipe.lr if lr is None else lr
    if epochs < 1:
        raise TrainingError(f"epochs must be at least 1, not {epochs}")
    if recipe.target not in TARGETS or recipe.onset_loss not in ONSET_LOSSES:
        raise TrainingError(f"unknown target {recipe.target!r} or onset loss {recipe.onset_loss!r}")
    if batch_size < 1:
        raise TrainingError(f"batch size must be at least 1, not {batch_size}")
    start, cpu_start = time.perf_counter(), time.process_time()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = RhythmVAE(config)
        critic = Critic(config) if config.regularizer == "acai" else None
    bars = snap_to_grid(split.train) if recipe.target == "grid" else split.train  # what the decoder is asked
    init_output_biases(model, bars)
    generator = torch.Generator().manual_seed(seed)
    optimizer = FusedAdam(list(model.parameters()), lr=lr)
    critic_opt = FusedAdam(list(critic.parameters()), lr=lr) if critic is not None else None
    x_train = torch.from_numpy(flatten_bars(split.train))  # the encoder reads the bars as played
    y_train = x_train if bars is split.train else torch.from_numpy(flatten_bars(bars))
    tolerant = recipe.onset_loss == "tolerant"
    weights = torch.from_numpy(tolerant_weights(bars, recipe.tolerance_weight)) if tolerant else None
    x_val = torch.from_numpy(flatten_bars(split.validation))
    n = x_train.shape[0]
    history: list[TrainEvent] = []
    best = (-math.inf, 0.0)  # (validation score, its standard error)
    best_state: dict[str, torch.Tensor] | None = None
    best_epoch = epochs
    warmup = recipe.beta_warmup * epochs
    choose = recipe.keep_best and len(x_val) >= recipe.min_validation_bars  # Recipe: too few bars to choose by
    for epoch in range(1, epochs + 1):
        model.train()
        beta = config.beta if config.regularizer == "vae" else 0.0
        if warmup > 0:
            beta *= min(1.0, epoch / warmup)
        if recipe.lr_final != 1.0:
            done = (epoch - 1) / max(1, epochs - 1)
            optimizer.lr = lr * (recipe.lr_final + (1 - recipe.lr_final) * 0.5 * (1 + math.cos(math.pi * done)))
        order = torch.randperm(n, generator=generator)
        total, batches = 0.0, 0
        for first in range(0, n, batch_size):
            if _cancelled(cancel):
                raise TrainingCancelled(f"training cancelled in epoch {epoch}")
            rows = order[first : first + batch_size]
            batch = x_train[rows]
            goal = batch if y_train is x_train else y_train[rows]
            out, mean, logvar = model(batch, generator)
            cell_weight = None if weights is None else weights[rows]
            loss = vae_loss(out, mean, logvar, goal, beta, config.onset_pos_weight, cell_weight).total
            critic_loss = None
            if critic is not None:
                ae_term, critic_loss = interpolation_terms(model, critic, batch, out.onset_logits, mean, generator)
                loss = loss + ACAI_LAMBDA * ae_term
            value = float(loss.detach())
            if not math.isfinite(value):
                raise TrainingError(f"the loss became {value} in epoch {epoch}, batch {batches + 1}; nothing saved")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if critic is not None and critic_opt is not None and critic_loss is not None:
                critic_opt.zero_grad()
                critic_loss.backward()
                critic_opt.step()
            total += value
            batches += 1
        nan = float("nan")
        val_loss, val_f1, val_se = validation_scores(model, x_val, beta) if len(x_val) else (nan, nan, nan)
        event = TrainEvent(epoch, epochs, total / batches, val_loss, time.perf_counter() - start, val_f1)
        history.append(event)
        if choose and math.isfinite(val_f1):
            if val_f1 > best[0]:
                best = (val_f1, max(val_se, recipe.best_tolerance))
            if val_f1 >= best[0] - best[1]:  # as good as the best so far (Recipe.keep_best): keep the later
                best_epoch = epoch
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        if progress is not None:
            progress(event)
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return TrainResult(model, history, time.perf_counter() - start, best_epoch, time.process_time() - cpu_start)


def init_output_biases(model: RhythmVAE, bars: NDArray[np.float32]) -> None:
    """Start the decoder at the training set's average bar: the onset head's bias is the logit of each cell's
    onset frequency, the velocity head's the logit of the mean velocity (training converges several times faster
    than from zero biases)."""
    onsets = bars[:, 0].reshape(len(bars), -1)
    freq = np.clip(onsets.mean(axis=0), 1e-3, 1 - 1e-3)
    struck = onsets.sum()
    mean_vel = float(np.clip(bars[:, 1].sum() / struck, 0.05, 0.95)) if struck else 0.5
    with torch.no_grad():
        model.decoder.onsets.bias.copy_(torch.from_numpy(np.log(freq / (1 - freq)).astype(np.float32)))
        model.decoder.velocities.bias.fill_(math.log(mean_vel / (1 - mean_vel)))
        model.decoder.microtiming.bias.zero_()


def evaluate(model: RhythmVAE, x: torch.Tensor, beta: float) -> float:
    """The loss per bar of flattened bars ``x`` at the posterior mean (no sampling)."""
    return validation_scores(model, x, beta)[0]


def validation_scores(model: RhythmVAE, x: torch.Tensor, beta: float) -> tuple[float, float, float]:
    """``(loss per bar, mean onset F1 within ±1 tick at threshold 0.5, its standard error)`` of flattened bars
    ``x`` decoded at their posterior means; the F1 is each bar's, averaged over the bars. The loss uses the
    config's onset weight."""
    was_training = model.training
    model.eval()
    cfg = model.config
    with torch.inference_mode():
        out, mean, logvar = model(x)
        value = float(vae_loss(out, mean, logvar, x, beta, cfg.onset_pos_weight).total)
        pred = (out.onset_logits >= 0).reshape(-1, cfg.ticks, cfg.instruments)
        true = (x[:, : cfg.cells] > 0.5).reshape(-1, cfg.ticks, cfg.instruments)
    model.train(was_training)

    def near(a: torch.Tensor) -> torch.Tensor:
        d = a.clone()
        d[:, 1:] |= a[:, :-1]
        d[:, :-1] |= a[:, 1:]
        return d

    prec = (pred & near(true)).sum(dim=(1, 2)) / pred.sum(dim=(1, 2)).clamp(min=1)
    rec = (true & near(pred)).sum(dim=(1, 2)) / true.sum(dim=(1, 2)).clamp(min=1)
    f1 = torch.where(prec + rec > 0, 2 * prec * rec / (prec + rec).clamp(min=1e-9), torch.zeros_like(prec))
    se = float(f1.std() / math.sqrt(len(f1))) if len(f1) > 1 else 0.0
    return value, float(f1.mean()), se


@dataclass(frozen=True, slots=True)
class TrainSummary:
    """What :func:`train_and_save` returns (also the ``rvae train --json`` line)."""

    model: str  # the saved model folder
    bars: int  # used bars, train + validation
    epochs: int
    train_loss: float  # the kept epoch's
    val_loss: float  # the kept epoch's; NaN if there was no validation set
    seconds: float  # wall time: reading, training, fitting the pad, evaluating and saving
    notes: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()  # "<file>: <reason>" of clips that could not be read
    best_epoch: int = 0
    recipe: str = ""
    evaluation: dict[str, Any] | None = None  # rvae_server.model.evaluate figures (also in the model's meta.json)
    report: dict[str, Any] | None = None  # rvae_server.model.trainmeta.training_report (meta.json training.report)

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "bars": self.bars,
            "epochs": self.epochs,
            "best_epoch": self.best_epoch,
            "recipe": self.recipe,
            "train_loss": round(self.train_loss, 6),
            "val_loss": round(self.val_loss, 6) if math.isfinite(self.val_loss) else None,
            "seconds": round(self.seconds, 3),
            "evaluation": self.evaluation,
            "report": self.report,
        }


def train_and_save(
    paths: Sequence[str],
    name: str,
    models_dir: str,
    epochs: int | None = None,
    seed: int = DEFAULT_SEED,
    beta: float | None = None,
    cancel: CancelHook | None = None,
    progress: Callable[[TrainEvent], None] | None = None,
    on_note: Callable[[str], None] | None = None,
    threads: int | None = None,
    licence: dict[str, str] | None = None,
    clip_root: str | None = None,
    batch_size: int | None = None,
    weights_dtype: str = "float16",
    recipe: str | None = None,
    regularizer: str | None = None,
) -> TrainSummary:
    """Read clips, split, train, fit the pad (:func:`rvae_server.model.calibrate.fit_space`), evaluate
    (:func:`rvae_server.model.evaluate.evaluate_model`) and save the model as ``models_dir/name`` (atomically, only at
    the end).

    A plain top-level function with plain arguments, so a ``spawn``-ed process can run it; ``progress`` and
    ``on_note`` are called in the training process (forward them over a queue). ``recipe`` names a
    :mod:`rvae_server.model.recipe` recipe (default: the current one); ``epochs``, ``beta``, ``batch_size`` and
    ``regularizer`` override its settings. ``threads`` sets torch's intra-op thread count for this process when
    given (``0``: :func:`rvae_server.model.recipe.free_threads`). ``licence`` describes the training data (default:
    unknown licence); ``clip_root`` makes the clip paths in the metadata relative to it. Raises
    :class:`TrainingError` (no usable bars, NaN loss, cancelled, unknown recipe) or
    :class:`rvae_server.model.modelfile.ModelFileError` (bad name, cannot write); in every failure the previous model
    of that name is untouched. ``name`` was checked where it entered (:func:`rvae_server.core.names.model_name`:
    the command line, the page, OSC); the write checks it once more, as every model folder write does.
    """
    from rvae_server.model.calibrate import fit_space
    from rvae_server.model.evaluate import evaluate_model
    from rvae_server.model.inference import LoadedModel
    from rvae_server.model.modelfile import save_model

    start = time.perf_counter()
    try:
        chosen = get_recipe(recipe)
    except KeyError as err:
        raise TrainingError(str(err.args[0])) from None
    changes: dict[str, Any] = {}
    if beta is not None:
        changes["beta"] = beta
    if regularizer is not None:
        if regularizer not in REGULARIZERS:
            raise TrainingError(f"regularizer must be one of {', '.join(REGULARIZERS)}, not {regularizer!r}")
        changes["regularizer"] = regularizer
    if changes:
        chosen = chosen.with_changes(**changes)
    if chosen.config.regularizer != "vae" and not (math.isfinite(chosen.config.beta) and chosen.config.beta >= 0):
        raise TrainingError(f"beta must be a finite number ≥ 0, not {chosen.config.beta}")
    if threads is not None:
        torch.set_num_threads(threads if threads > 0 else free_threads())
    data = load_training_bars(paths)
    failed = tuple(f"{p}: {r}" for p, r in data.failed)
    for line in failed:
        _note(on_note, f"skipped {line}")
    for p in data.empty:
        _note(on_note, f"skipped {p}: no bar with 2 or more onsets")
    if not data.clips:
        tried = len(data.failed) + len(data.empty)
        if not tried:
            raise TrainingError(f"no .mid or .midi files in {', '.join(map(str, paths))}; nothing saved")
        raise TrainingError(f"no usable bars in {tried} clip file(s); nothing saved")
    split = split_data(data, seed)
    for text in data.notes:
        _note(on_note, text)
    result = train_model(
        split, recipe=chosen, epochs=epochs, seed=seed, batch_size=batch_size, progress=progress, cancel=cancel
    )
    if _cancelled(cancel):
        raise TrainingCancelled("training cancelled after the last epoch")
    meta = build_meta(
        data, split, result, name=name, seed=seed, batch_size=batch_size or chosen.batch_size, lr=chosen.lr,
        licence=licence, clip_root=clip_root, recipe=chosen,
    )  # fmt: skip
    meta["space"] = fit_space(
        result.model, split.train, at=chosen.threshold_at, peaks=chosen.peaks, spread=chosen.spread, cap=chosen.cap
    )
    loaded = LoadedModel.from_module(result.model, {"space": meta["space"]})
    meta["evaluation"] = evaluate_model(loaded, split.train, split.validation)
    report = training_report(result, meta["evaluation"])
    meta["training"]["report"] = report
    path = save_model(result.model, meta, models_dir, name, dtype=weights_dtype)
    kept = kept_event(result)
    return TrainSummary(
        str(path), data.bars, len(result.history), kept.train_loss, kept.val_loss, time.perf_counter() - start,
        tuple(data.notes), failed, result.best_epoch, chosen.name, meta["evaluation"], report,
    )  # fmt: skip


def _note(on_note: Callable[[str], None] | None, text: str) -> None:
    log.debug("%s", text)
    if on_note is not None:
        on_note(text)


__all__ = [
    "DEFAULT_EPOCHS",
    "GMD_LICENCE",
    "UNKNOWN_LICENCE",
    "ClipData",
    "FusedAdam",
    "Split",
    "TrainEvent",
    "TrainResult",
    "TrainSummary",
    "TrainingCancelled",
    "TrainingData",
    "TrainingError",
    "build_meta",
    "evaluate",
    "load_training_bars",
    "split_data",
    "train_and_save",
    "train_model",
]
