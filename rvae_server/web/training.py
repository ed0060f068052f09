"""What the web page needs of a training service, and how its progress events become page messages.

The service is :class:`rvae_server.session.trainjobs.TrainingService` (a separate process per job); any object with the
same three methods will do (:class:`TrainingService` below). The page uploads clips into its session folder
(:mod:`rvae_server.web.uploads`) and asks to train on that folder, so **the upload folder must be one of the
service's clip folders** (``TrainingService(engine, models_dir, [*clip_dirs, upload_dir])`` and
``start_web(..., upload_dir=upload_dir)``).

Threads: ``start`` and ``cancel`` are called on a worker thread of the web server (never its event loop), so
they may block briefly; listeners may be called on any thread (the web server hands events to its loop).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rvae_server.core.names import ModelName
from rvae_server.model.trainreport import report_float as _float
from rvae_server.model.trainreport import report_int as _int
from rvae_server.model.trainreport import report_text

#: The kinds of :class:`TrainingUpdate`, and the service event types they come from.
KINDS = {
    "train-started": "started",
    "train-progress": "epoch",
    "train-note": "note",
    "train-done": "done",
    "train-failed": "failed",
    "train-cancelled": "cancelled",
}

TrainingListener = Callable[[dict[str, Any]], None]


class TrainingService(Protocol):
    """A retraining service the page drives (see :class:`rvae_server.session.trainjobs.TrainingService`)."""

    def start(self, folder: str, name: ModelName, layers: Sequence[int]) -> str:
        """Train model ``name`` on the clips under ``folder``; when done, load it and swap it in at the next bar
        line on the 0-based ``layers``. Returns a job id at once; raises ``ValueError``/``RuntimeError`` with a
        one-line message for the performer (a job already running, a folder outside the clip folders…)."""
        ...

    def cancel(self) -> bool:
        """Cancel the running job (True), or say there is none (False). Nothing is saved; the music goes on."""
        ...

    def undo_model(self, layer: int) -> str:
        """Put back the model the 0-based ``layer`` played before its last model change; returns its name. Raises
        :class:`~rvae_server.engine.api.ControlError` when there is none."""
        ...

    def add_listener(self, listener: TrainingListener) -> None:
        """Call ``listener`` with each event dict: ``{"type": "train-started"|"train-progress"|"train-note"|
        "train-done"|"train-failed"|"train-cancelled", "job", ...}`` (progress: ``epoch``, ``epochs``,
        ``train_loss``, ``val_loss``, ``val_f1`` (None without a validation set); done: ``name``, ``report``
        (:func:`rvae_server.model.trainreport.training_report`); failed: ``error``; note: ``text``)."""
        ...


@dataclass(frozen=True, slots=True)
class TrainingUpdate:
    """One piece of progress as the page sees it. ``kind``: ``started``, ``epoch`` (``epoch`` 1-based of
    ``epochs``, losses per bar, ``val_loss`` and ``val_f1`` NaN without a validation set), ``note``
    (``message``), ``done`` (``model``: the new model, already in the menu; ``report``: the training report's
    sentences, ``kept_epoch``), ``failed`` (``message``) or ``cancelled``."""

    kind: str
    job: str
    epoch: int = 0
    epochs: int = 0
    train_loss: float = math.nan
    val_loss: float = math.nan
    model: str | None = None
    message: str = ""
    val_f1: float = math.nan
    report: tuple[str, ...] = ()  # done: the training report's sentences (rvae_server.model.trainreport)
    kept_epoch: int = 0  # done: the epoch whose weights were kept (0: unknown)

    @staticmethod
    def from_event(event: Mapping[str, Any]) -> TrainingUpdate | None:
        """The update for a service event dict, or None for an event type the page does not show."""
        kind = KINDS.get(str(event.get("type")))
        if kind is None:
            return None
        message = event.get("text") or event.get("error") or ""
        model = event.get("name") if kind in ("started", "done") else None
        given = event.get("report")
        report: dict[str, Any] = given if kind == "done" and isinstance(given, dict) else {}
        return TrainingUpdate(
            kind,
            str(event.get("job", "")),
            _int(event.get("epoch")),
            _int(event.get("epochs")),
            _float(event.get("train_loss")),
            _float(event.get("val_loss")),
            str(model) if model is not None else None,
            str(message)[:500],
            _float(event.get("val_f1")),
            tuple(line[:500] for line in report_text(report)),
            _int(report.get("kept_epoch")),
        )

    def to_json(self) -> dict[str, Any]:
        """The ``training`` message: a JSON-ready dict; non-finite losses become ``null``."""

        def finite(v: float) -> float | None:
            return round(v, 6) if math.isfinite(v) else None

        return {
            "type": "training",
            "kind": self.kind,
            "job": self.job,
            "epoch": self.epoch,
            "epochs": self.epochs,
            "train_loss": finite(self.train_loss),
            "val_loss": finite(self.val_loss),
            "model": self.model,
            "message": self.message,
            "val_f1": finite(self.val_f1),
            "report": list(self.report),
            "kept_epoch": self.kept_epoch,
        }
