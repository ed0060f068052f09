"""Training a rhythm VAE from MIDI clips: data loading, the clip-first split, the training loop, and
:func:`train_and_save`, the plain top-level entry point the CLI and the server (in a ``spawn``-ed process) call.

* Bars come from :func:`rvae_server.core.midifile.read_clip`; unused bars (fewer than 2 onsets) are left out; a clip
  that fails to read is reported and skipped, never fatal.
* The train/validation split (5:1) is made **by clip before anything else**: no bar of a validation clip is
  ever trained on. With fewer than 6 clips the split is by bar, and a note says so.
* Adam (lr 1e-3), shuffled batches of up to 64 bars (the last one may be smaller), reproducible with ``seed``
  (same seed, same data, same thread count → identical weights).
* Progress goes to a callback as :class:`TrainEvent` (one per epoch); a cancel hook (a callable returning a bool,
  or anything with ``is_set()`` such as a ``threading``/``multiprocessing`` Event) is checked before every batch.
* A NaN/inf loss aborts with :class:`TrainingError`; cancelling raises :class:`TrainingCancelled`. In both cases,
  and on Ctrl-C or a kill, no model file is written: saving happens once, at the end, atomically.

Losses are per bar (see :func:`rvae_server.model.network.vae_loss`). The training loss of an epoch is the mean over its
batches of the sampled loss; the validation loss is computed at the posterior mean (deterministic).
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from numpy.typing import NDArray

from rvae_server.core.bar import stack
from rvae_server.core.midifile import ClipError, find_clips, read_clip
from rvae_server.model.network import ModelConfig, RhythmVAE, flatten_bars, vae_loss

log = logging.getLogger(__name__)

DEFAULT_EPOCHS = 60
DEFAULT_BATCH = 64
DEFAULT_LR = 1e-3
DEFAULT_SEED = 0
VALIDATION_SHARE = 1 / 6  # 5:1
MIN_BARS = 2

GMD_LICENCE = {
    "data": "Groove MIDI Dataset v1.0.0",
    "attribution": "Groove MIDI Dataset, Google LLC, CC BY 4.0",
    "licence": "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)",
    "changes": (
        "The MIDI performances were quantised to 96-tick bars (24 per beat) with microtiming and velocity "
        "kept, drum pitches reduced to 9 instruments, bars with fewer than 2 onsets dropped, and the bars "
        "used to train this model; the model's weights are derived from them."
    ),
}
UNKNOWN_LICENCE = {
    "data": "user clips",
    "attribution": "unknown: the training clips' licence was not given",
    "licence": "unknown",
    "changes": "",
}


class TrainingError(Exception):
    """Training could not produce a model (no usable bars, NaN loss...). ``str(err)`` is one line."""


class TrainingCancelled(TrainingError):
    """The cancel hook asked training to stop; nothing was written."""


class _SetLike(Protocol):
    def is_set(self) -> bool: ...


CancelHook = Callable[[], bool] | _SetLike


@dataclass(frozen=True, slots=True)
class TrainEvent:
    """Progress after one epoch. Losses are per bar; ``val_loss`` is NaN when there is no validation set.
    ``seconds`` is the wall time since training started."""

    epoch: int  # 1-based
    epochs: int
    train_loss: float
    val_loss: float
    seconds: float


@dataclass(slots=True)
class ClipData:
    """The used bars of one clip."""

    path: Path
    sha256: str
    bars: NDArray[np.float32]  # (n, 3, 96, 9)


@dataclass(slots=True)
class TrainingData:
    clips: list[ClipData]  # clips with at least one used bar
    failed: list[tuple[Path, str]] = field(default_factory=list)  # (file, reason)
    empty: list[Path] = field(default_factory=list)  # read, but no used bar
    notes: list[str] = field(default_factory=list)

    @property
    def bars(self) -> int:
        return sum(len(c.bars) for c in self.clips)


@dataclass(slots=True)
class Split:
    train: NDArray[np.float32]  # (n, 3, 96, 9)
    validation: NDArray[np.float32]
    by: str  # "clip" or "bar"
    train_clips: list[int]  # indices into TrainingData.clips (all of them when split by bar)
    validation_clips: list[int]


@dataclass(slots=True)
class TrainResult:
    model: RhythmVAE
    history: list[TrainEvent]
    seconds: float


def sha256_file(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_training_bars(paths: Sequence[str | os.PathLike[str]]) -> TrainingData:
    """Read every clip under ``paths`` (files, or folders searched recursively) into used bars.

    Clips that fail are listed in ``failed`` with the reason; clips without a used bar in ``empty``.
    """
    data = TrainingData(clips=[])
    for path in find_clips(paths):
        try:
            clip = read_clip(path)
            digest = sha256_file(path)
        except ClipError as err:
            data.failed.append((path, err.reason))
            continue
        except OSError as err:
            data.failed.append((path, err.strerror or str(err)))
            continue
        used = clip.used_bars()
        if not used and not clip.bars and clip.skipped:  # not one bar in a supported meter: say which meter
            data.failed.append((path, "; ".join(dict.fromkeys(s.reason for s in clip.skipped))))
            continue
        if not used:
            data.empty.append(path)
            continue
        data.clips.append(ClipData(path, digest, stack(used)))
    return data


def split_data(data: TrainingData, seed: int = DEFAULT_SEED) -> Split:
    """Split 5:1 by clip (the clips shuffled with ``seed``); with fewer than 6 clips, by bar (noted)."""
    rng = np.random.default_rng(seed)
    n_clips = len(data.clips)
    if data.bars < MIN_BARS:
        raise TrainingError(f"need at least {MIN_BARS} usable bars (bars with 2 or more onsets), found {data.bars}")
    if n_clips >= 6:
        order = rng.permutation(n_clips)
        n_val = max(1, round(n_clips * VALIDATION_SHARE))
        val_clips = sorted(int(i) for i in order[:n_val])
        train_clips = sorted(int(i) for i in order[n_val:])
        train = np.concatenate([data.clips[i].bars for i in train_clips])
        val = np.concatenate([data.clips[i].bars for i in val_clips])
        return Split(train, val, "clip", train_clips, val_clips)
    bars = np.concatenate([c.bars for c in data.clips])
    order = rng.permutation(len(bars))
    n_val = max(1, round(len(bars) * VALIDATION_SHARE))
    data.notes.append(
        f"only {n_clips} clip{'s' if n_clips != 1 else ''} (fewer than 6): split by bar, so validation bars "
        "come from the training clips"
    )
    return Split(bars[order[n_val:]], bars[order[:n_val]], "bar", list(range(n_clips)), list(range(n_clips)))


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
    epochs: int = DEFAULT_EPOCHS,
    seed: int = DEFAULT_SEED,
    batch_size: int = DEFAULT_BATCH,
    lr: float = DEFAULT_LR,
    progress: Callable[[TrainEvent], None] | None = None,
    cancel: CancelHook | None = None,
) -> TrainResult:
    """Train a fresh :class:`RhythmVAE` on ``split``. Uses torch's current thread count."""
    if epochs < 1:
        raise TrainingError(f"epochs must be at least 1, not {epochs}")
    if batch_size < 1:
        raise TrainingError(f"batch size must be at least 1, not {batch_size}")
    config = config or ModelConfig()
    start = time.perf_counter()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = RhythmVAE(config)
    init_output_biases(model, split.train)
    generator = torch.Generator().manual_seed(seed)
    optimizer = FusedAdam(list(model.parameters()), lr=lr)
    x_train = torch.from_numpy(flatten_bars(split.train))
    x_val = torch.from_numpy(flatten_bars(split.validation))
    n = x_train.shape[0]
    history: list[TrainEvent] = []
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(n, generator=generator)
        total, batches = 0.0, 0
        for first in range(0, n, batch_size):
            if _cancelled(cancel):
                raise TrainingCancelled(f"training cancelled in epoch {epoch}")
            batch = x_train[order[first : first + batch_size]]
            out, mean, logvar = model(batch, generator)
            loss = vae_loss(out, mean, logvar, batch, config.beta).total
            value = float(loss.detach())
            if not math.isfinite(value):
                raise TrainingError(f"the loss became {value} in epoch {epoch}, batch {batches + 1}; nothing saved")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += value
            batches += 1
        val_loss = evaluate(model, x_val, config.beta) if len(x_val) else float("nan")
        event = TrainEvent(epoch, epochs, total / batches, val_loss, time.perf_counter() - start)
        history.append(event)
        if progress is not None:
            progress(event)
    model.eval()
    return TrainResult(model, history, time.perf_counter() - start)


class FusedAdam:
    """Adam (betas 0.9, 0.999, eps 1e-8, no weight decay) as one fused CPU kernel per step: the same update as
    ``torch.optim.Adam(fused=True)`` without ``torch.optim``'s first-use import of ``torch._dynamo`` (2 s on an
    idle core, 15+ s on a busy one: more than the whole training of a dozen clips). Falls back to
    ``torch.optim.Adam`` where the kernel is missing."""

    def __init__(self, params: list[torch.nn.Parameter], lr: float = DEFAULT_LR) -> None:
        self.params = params
        self.lr = lr
        self.kernel = getattr(torch, "_fused_adam_", None)
        self.fallback = None if self.kernel is not None else torch.optim.Adam(params, lr=lr)
        self.exp_avg = [torch.zeros_like(p) for p in params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in params]
        self.steps = [torch.zeros((), dtype=torch.float32) for _ in params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        if self.fallback is not None:
            self.fallback.step()
            return
        with torch.no_grad():
            for s in self.steps:
                s += 1
            grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in self.params]
            self.kernel(  # type: ignore[misc]
                self.params, grads, self.exp_avg, self.exp_avg_sq, [], self.steps,
                lr=self.lr, beta1=0.9, beta2=0.999, weight_decay=0.0, eps=1e-8, amsgrad=False, maximize=False,
            )  # fmt: skip


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
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        out, mean, logvar = model(x)
        value = float(vae_loss(out, mean, logvar, x, beta).total)
    model.train(was_training)
    return value


def _clip_label(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return str(path)


def build_meta(
    data: TrainingData,
    split: Split,
    result: TrainResult,
    *,
    name: str,
    seed: int,
    batch_size: int,
    lr: float,
    licence: dict[str, str] | None = None,
    clip_root: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """The ``training`` and ``licence`` parts of a model's metadata (see :mod:`rvae_server.model.modelfile`)."""
    root = Path(clip_root) if clip_root is not None else None
    val = set(split.validation_clips) if split.by == "clip" else set()
    clips = [
        {
            "path": _clip_label(c.path, root),
            "sha256": c.sha256,
            "bars": len(c.bars),
            "split": "validation" if i in val else ("train" if split.by == "clip" else "both (split by bar)"),
        }
        for i, c in enumerate(data.clips)
    ]
    last = result.history[-1]
    return {
        "name": name,
        "training": {
            "clips": clips,
            "failed_clips": [{"path": _clip_label(p, root), "reason": r} for p, r in data.failed],
            "split": split.by,
            "bars": {"train": len(split.train), "validation": len(split.validation)},
            "onsets_per_bar": round(float(split.train[:, 0].sum()) / max(1, len(split.train)), 3),
            "epochs": len(result.history),
            "seed": seed,
            "batch_size": batch_size,
            "learning_rate": lr,
            "seconds": round(result.seconds, 3),
            "train_loss": last.train_loss,
            "val_loss": last.val_loss if math.isfinite(last.val_loss) else None,
            "history": [
                {
                    "epoch": e.epoch,
                    "train_loss": round(e.train_loss, 6),
                    "val_loss": round(e.val_loss, 6) if math.isfinite(e.val_loss) else None,
                    "seconds": round(e.seconds, 3),
                }
                for e in result.history
            ],
            "notes": list(data.notes),
        },
        "licence": dict(licence or UNKNOWN_LICENCE),
    }


@dataclass(frozen=True, slots=True)
class TrainSummary:
    """What :func:`train_and_save` returns (also the ``rvae train --json`` line)."""

    model: str  # the saved model folder
    bars: int  # used bars, train + validation
    epochs: int
    train_loss: float
    val_loss: float  # NaN if there was no validation set
    seconds: float  # wall time: reading, training and saving
    notes: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()  # "<file>: <reason>" of clips that could not be read

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "bars": self.bars,
            "epochs": self.epochs,
            "train_loss": round(self.train_loss, 6),
            "val_loss": round(self.val_loss, 6) if math.isfinite(self.val_loss) else None,
            "seconds": round(self.seconds, 3),
        }


def train_and_save(
    paths: Sequence[str],
    name: str,
    models_dir: str,
    epochs: int = DEFAULT_EPOCHS,
    seed: int = DEFAULT_SEED,
    beta: float | None = None,
    cancel: CancelHook | None = None,
    progress: Callable[[TrainEvent], None] | None = None,
    on_note: Callable[[str], None] | None = None,
    threads: int | None = None,
    licence: dict[str, str] | None = None,
    clip_root: str | None = None,
    batch_size: int = DEFAULT_BATCH,
    weights_dtype: str = "float16",
) -> TrainSummary:
    """Read clips, split, train and save the model as ``models_dir/name`` (atomically, only at the end).

    A plain top-level function with plain arguments, so a ``spawn``-ed process can run it; ``progress`` and
    ``on_note`` are called in the training process (forward them over a queue). ``threads`` sets torch's
    intra-op thread count for this process when given. ``licence`` describes the training data (default: unknown
    licence); ``clip_root`` makes the clip paths in the metadata relative to it. Raises :class:`TrainingError`
    (no usable bars, NaN loss, cancelled) or :class:`rvae_server.model.modelfile.ModelFileError` (bad name, cannot
    write); in every failure the previous model of that name is untouched.
    """
    from rvae_server.model.modelfile import check_model_name, save_model

    start = time.perf_counter()
    check_model_name(name)
    if threads is not None:
        torch.set_num_threads(threads)
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
    config = ModelConfig() if beta is None else ModelConfig(beta=beta)
    result = train_model(
        split, config, epochs=epochs, seed=seed, batch_size=batch_size, progress=progress, cancel=cancel
    )
    meta = build_meta(
        data, split, result, name=name, seed=seed, batch_size=batch_size, lr=DEFAULT_LR, licence=licence,
        clip_root=clip_root,
    )  # fmt: skip
    path = save_model(result.model, meta, models_dir, name, dtype=weights_dtype)
    last = result.history[-1]
    return TrainSummary(
        str(path), data.bars, len(result.history), last.train_loss, last.val_loss, time.perf_counter() - start,
        tuple(data.notes), failed,
    )  # fmt: skip


def _note(on_note: Callable[[str], None] | None, text: str) -> None:
    log.debug("%s", text)
    if on_note is not None:
        on_note(text)


__all__ = [
    "DEFAULT_EPOCHS",
    "GMD_LICENCE",
    "ClipData",
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
