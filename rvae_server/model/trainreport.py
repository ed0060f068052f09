"""The honest training report (issue 21), torch-free so ``rvae models`` and the page read it cheaply: the epoch
kept, its validation loss and F1, the lowest validation loss and its epoch, the last epoch's validation loss,
the clips' round trip through the pad, and a plain sentence when the held-out clips come back far worse than the
training clips (the model reproduces these clips but not others). Stored in ``meta.json`` as
``training.report``; shown by ``rvae train``, ``rvae models``, the page's loss panel and OSC
(``/rvae/train/report``)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from rvae_server.model.verdict import POOR_F1_BARS

if TYPE_CHECKING:
    from rvae_server.model.trainingdata import TrainEvent, TrainResult

FAR_F1 = 0.2  # held-out clips this far below the training clips (onset F1 within ±1 tick): say so
FAR_F1_BARS = POOR_F1_BARS  # on fewer training bars (a performer's own clips; verdict's rule): thousands of bars
# of other drummers' songs are not expected back from a 2-D pad, so no advice is given there


def kept_event(result: TrainResult) -> TrainEvent:
    """The progress record of the epoch whose weights the model holds."""
    history = result.history
    return history[result.best_epoch - 1] if 1 <= result.best_epoch <= len(history) else history[-1]


def _finite(value: float) -> float | None:
    return round(value, 4) if math.isfinite(value) else None


def training_report(result: TrainResult, evaluation: dict[str, Any] | None = None) -> dict[str, Any]:
    """The honest report of a training run (``training.report`` in ``meta.json``): the kept epoch with its
    validation loss and F1 (each validation bar's onset F1 within ±1 tick at its own point, averaged), the
    lowest validation loss and its epoch, the last epoch's validation loss, the clips' round trip through the pad
    (``train_f1``, ``validation_f1``: :mod:`rvae_server.model.evaluate`, within ±1 tick) and ``warning``, a plain
    sentence when the validation F1 is :data:`FAR_F1` or more below the training F1 on a set under
    :data:`FAR_F1_BARS` training bars (else None)."""
    kept = kept_event(result)
    scored = [e for e in result.history if math.isfinite(e.val_loss)]
    lowest = min(scored, key=lambda e: e.val_loss) if scored else None
    figures = evaluation or {}
    train_f1 = (figures.get("train") or {}).get("f1_tick")
    val_f1 = (figures.get("validation") or {}).get("f1_tick")
    warning = None
    bars = (figures.get("train") or {}).get("bars", 0)
    small = isinstance(bars, int) and bars < FAR_F1_BARS
    if small and isinstance(train_f1, int | float) and isinstance(val_f1, int | float) and train_f1 - val_f1 >= FAR_F1:
        warning = (
            f"the model plays its training clips back (F1 {train_f1:.2f}) but not the held-out ones ({val_f1:.2f}): "
            "it reproduces these clips, not others; add variety (more clips, other songs)"
        )
    return {
        "epochs": len(result.history),
        "kept_epoch": kept.epoch,
        "kept_val_loss": _finite(kept.val_loss),
        "kept_val_f1": _finite(kept.val_f1),
        "best_val_loss": _finite(lowest.val_loss) if lowest else None,
        "best_val_loss_epoch": lowest.epoch if lowest else None,
        "last_val_loss": _finite(result.history[-1].val_loss),
        "train_f1": train_f1 if isinstance(train_f1, int | float) else None,
        "validation_f1": val_f1 if isinstance(val_f1, int | float) else None,
        "warning": warning,
    }


def report_text(report: dict[str, Any]) -> list[str]:
    """The report as plain sentences (the CLI's, ``rvae models``', the page's)."""
    if not isinstance(report.get("kept_epoch"), int):
        return []

    def num(value: Any, digits: int = 2) -> str:
        return f"{value:.{digits}f}" if isinstance(value, int | float) else "-"

    lines = [f"kept epoch {report['kept_epoch']} of {report.get('epochs')}: validation loss "
             f"{num(report.get('kept_val_loss'), 1)}, validation F1 {num(report.get('kept_val_f1'))}"]  # fmt: skip
    if isinstance(report.get("best_val_loss_epoch"), int):
        lines[0] += (f"; the lowest validation loss was {num(report.get('best_val_loss'), 1)} at epoch "
                     f"{report['best_val_loss_epoch']}")  # fmt: skip
    if isinstance(report.get("train_f1"), int | float):
        lines.append(f"through the pad (F1 within ±1 tick): training clips {num(report['train_f1'])}, held-out "
                     f"clips {num(report.get('validation_f1'))}")  # fmt: skip
    if report.get("warning"):
        lines.append(f"warning: {report['warning']}")
    return lines


def report_float(value: object) -> float:
    """A number of a report or a training event as a float (NaN when it is not a number: missing, None, text)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return math.nan


def report_int(value: object) -> int:
    """A whole number of a report or a training event (0 when it is not one)."""
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else 0


__all__ = ["FAR_F1", "FAR_F1_BARS", "kept_event", "report_float", "report_int", "report_text", "training_report"]
