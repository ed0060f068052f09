"""The ``training`` and ``licence`` parts of a trained model's metadata (see :mod:`rvae_server.model.modelfile`).
``training.train_loss`` and ``training.val_loss`` are the kept epoch's; ``training.report`` is added by
:func:`rvae_server.model.trainreport.training_report` once the model is evaluated."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import torch

from rvae_server.model.recipe import Recipe, get_recipe
from rvae_server.model.trainingdata import Split, TrainingData, TrainResult
from rvae_server.model.trainreport import kept_event

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
    recipe: Recipe | None = None,
    threads: int | None = None,
) -> dict[str, Any]:
    """The ``training`` and ``licence`` parts of a model's metadata (see :mod:`rvae_server.model.modelfile`)."""
    recipe = recipe or get_recipe()
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
    kept = kept_event(result)
    return {
        "name": name,
        "training": {
            "clips": clips,
            "failed_clips": [{"path": _clip_label(p, root), "reason": r} for p, r in data.failed],
            "split": split.by,
            "bars": {"train": len(split.train), "validation": len(split.validation)},
            "onsets_per_bar": round(float(split.train[:, 0].sum()) / max(1, len(split.train)), 3),
            "epochs": len(result.history),
            "best_epoch": result.best_epoch,
            "recipe": recipe.name,
            "keep_best": recipe.keep_best,
            "beta_warmup": recipe.beta_warmup,
            "seed": seed,
            "batch_size": batch_size,
            "learning_rate": lr,
            "threads": threads if threads is not None else torch.get_num_threads(),
            "seconds": round(result.seconds, 3),
            "cpu_seconds": round(result.cpu_seconds, 3),
            "train_loss": kept.train_loss,
            "val_loss": kept.val_loss if math.isfinite(kept.val_loss) else None,
            "history": [
                {
                    "epoch": e.epoch,
                    "train_loss": round(e.train_loss, 6),
                    "val_loss": round(e.val_loss, 6) if math.isfinite(e.val_loss) else None,
                    "val_f1": round(e.val_f1, 4) if math.isfinite(e.val_f1) else None,
                    "seconds": round(e.seconds, 3),
                }
                for e in result.history
            ],
            "notes": list(data.notes),
            **({"datasets": list(data.datasets)} if data.datasets else {}),
        },
        "licence": dict(licence or UNKNOWN_LICENCE),
    }


__all__ = ["GMD_LICENCE", "UNKNOWN_LICENCE", "build_meta"]
