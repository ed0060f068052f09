"""What the web page needs of a training service: start a retrain on a folder of clips, cancel it, and hear its
progress. The service (a separate process per job, issue 5) is attached to :func:`rvae_server.web.start_web`
as ``training=``; without one the page says "training not available".

Threads: ``start`` and ``cancel`` are called from a worker thread of the web server (never its event loop), so
they may block briefly. Listeners may be called on any thread; the web server hands the update to its loop.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

#: The kinds of :class:`TrainingUpdate`.
KINDS = ("started", "epoch", "note", "done", "failed", "cancelled")


@dataclass(frozen=True, slots=True)
class TrainingUpdate:
    """One piece of progress of a training job.

    ``kind``: ``"started"``; ``"epoch"`` (after each epoch: ``epoch`` 1-based of ``epochs``, ``train_loss`` and
    ``val_loss`` per bar, ``val_loss`` NaN without a validation set); ``"note"`` (``message``: a clip skipped…);
    ``"done"`` (``model``: the new model's name, already loaded into the engine, and swapped in for the layers
    that asked); ``"failed"`` (``message`` says why) or ``"cancelled"``. Nothing is saved unless ``done``.
    """

    kind: str
    job: str
    epoch: int = 0
    epochs: int = 0
    train_loss: float = math.nan
    val_loss: float = math.nan
    model: str | None = None
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``"type": "training"``); non-finite losses become ``null``."""

        def finite(v: float) -> float | None:
            return round(float(v), 6) if math.isfinite(v) else None

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
        }


TrainingListener = Callable[[TrainingUpdate], None]


class TrainingService(Protocol):
    """A retraining service the web page drives."""

    def start(self, folder: Path, name: str, layers: Sequence[int]) -> str:
        """Train a model called ``name`` (already checked by :func:`rvae_server.modelfile.check_model_name`) from
        the ``.mid``/``.midi`` files in ``folder``; when done, load it and swap it in at the next bar line for the
        0-based ``layers``. Returns a job id at once (training runs elsewhere). Raises ``ValueError`` or
        ``RuntimeError`` (a job already running, no clips…) with a one-line message the page shows."""
        ...

    def cancel(self) -> bool:
        """Cancel the running job, if any (True if there was one). Nothing is saved; the music is untouched."""
        ...

    def add_listener(self, listener: TrainingListener) -> None:
        """Call ``listener`` with every :class:`TrainingUpdate` (on any thread)."""
        ...
