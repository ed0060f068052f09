"""Live retraining between sets: a training job in a **separate process**, progress per epoch, and a hot-swap
of the new model at the next bar line for the layers that asked — with the old model kept for instant undo.

Why a process: a training thread in the server would share the GIL with the clock thread (measured: 85–109 ms
p99 lateness); a separate, niced process with one torch thread leaves the clock's core alone. The job
runs :func:`rvae_server.model.training.train_and_save`, which saves atomically and only at the end, so a failed,
cancelled or killed job leaves the saved models and the music untouched — unless it was killed after saving and
before reporting: then the failure says that the model on disk changed, and the new model (which the model watcher
loads too) is installed with undo. Every swap goes through the one owner of model changes
(:class:`~rvae_server.session.modelswap.ModelSwaps`, :attr:`TrainingService.swaps`).

Events go to listeners as plain dicts (the OSC and web layers forward them):
``{"type": "train-started", "job", "name", "clips"}``, ``{"type": "train-progress", "job", "epoch", "epochs",
"train_loss", "val_loss", "seconds", "val_f1"}``, ``{"type": "train-note", "job", "text"}``, ``{"type": "train-done",
"job", "name", "layers", "model", "seconds", "report", ...}``, ``{"type": "train-failed", "job", "error"}``,
``{"type": "train-cancelled", "job"}``.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import multiprocessing
import os
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rvae_server.core.names import ModelName
from rvae_server.engine.api import ControlError
from rvae_server.model.clip_folders import TrainingRefused, resolve_clip_folder
from rvae_server.session.modelswap import ModelHost, ModelSwaps

log = logging.getLogger(__name__)

JobListener = Callable[[dict[str, Any]], None]
DEFAULT_LIVE_EPOCHS: int | None = None  # None: training's default
NICENESS = 10


@dataclass
class _Job:
    id: str
    name: str
    layers: list[int]
    process: multiprocessing.process.BaseProcess
    cancel: Any  # a multiprocessing Event
    events: Any  # a multiprocessing Queue
    cancelled: bool = False
    saved_before: str | None = None  # the weights digest of the model of that name on disk when the job started


def _job_main(
    paths: list[str], name: str, models_dir: str, epochs: int | None, seed: int, cancel: Any, events: Any
) -> None:
    """The training process: nice, one torch thread, train, save, report over ``events``."""
    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    from rvae_server.model.training import train_and_save
    from rvae_server.model.trainingdata import TrainEvent, TrainingCancelled, TrainingError

    def progress(event: TrainEvent) -> None:
        e = event
        events.put(("progress", e.epoch, e.epochs, e.train_loss, e.val_loss, e.seconds, e.val_f1))

    try:
        kwargs: dict[str, Any] = {} if epochs is None else {"epochs": epochs}
        summary = train_and_save(
            paths, name, models_dir, seed=seed, cancel=cancel, progress=progress, threads=1,
            on_note=lambda text: events.put(("note", text)), **kwargs,
        )  # fmt: skip
        events.put(("done", summary.to_json()))
    except TrainingCancelled:
        events.put(("cancelled",))
    except (TrainingError, ValueError, OSError) as err:
        events.put(("failed", str(err)))
    except BaseException as err:  # anything else: still report it, the server must know
        events.put(("failed", f"{type(err).__name__}: {err}"))


class TrainingService:
    """Starts and watches training jobs for a running engine (a :class:`~rvae_server.session.modelswap.ModelHost`,
    such as :class:`~rvae_server.engine.engine.Engine`). One job at a time."""

    def __init__(
        self,
        engine: ModelHost,
        models_dir: str | os.PathLike[str],
        clip_dirs: Sequence[str | os.PathLike[str]] = (),
        *,
        epochs: int | None = DEFAULT_LIVE_EPOCHS,
        seed: int = 0,
        swaps: ModelSwaps | None = None,
    ) -> None:
        self.engine = engine
        self.swaps = swaps if swaps is not None else ModelSwaps(engine)  # the one owner of model changes
        self.models_dir = Path(models_dir)
        self.clip_dirs = [Path(d) for d in clip_dirs]
        self.epochs = epochs
        self.seed = seed
        self._lock = threading.Lock()
        self._job: _Job | None = None
        self._ids = itertools.count(1)
        self._listeners: list[JobListener] = []
        self._ctx = multiprocessing.get_context("spawn")

    def add_listener(self, listener: JobListener) -> None:
        self._listeners.append(listener)

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._job is not None

    def start(self, folder: str, name: ModelName, layers: Sequence[int] = (0,)) -> str:
        """Start training on the clips under ``folder`` (confined to the clip folders) as model ``name``; when
        done the model is swapped in at the next bar line on ``layers`` (0-based). Returns the job id."""
        path = resolve_clip_folder(folder, self.clip_dirs)
        for layer in layers:
            if not 0 <= layer < self.engine.layer_count:
                raise TrainingRefused(f"layer {layer + 1} does not exist (1..{self.engine.layer_count})")
        with self._lock:
            if self._job is not None:
                raise TrainingRefused(f"training job {self._job.id} ({self._job.name!r}) is still running")
            job_id = f"job-{next(self._ids)}"
            cancel = self._ctx.Event()
            events = self._ctx.Queue()
            process = self._ctx.Process(
                target=_job_main,
                args=([str(path)], name, str(self.models_dir), self.epochs, self.seed, cancel, events),
                name=f"rvae-train-{job_id}",
                daemon=True,
            )
            before = self._saved_digest(name)
            process.start()
            self._job = _Job(job_id, name, list(layers), process, cancel, events, saved_before=before)
        threading.Thread(target=self._watch, args=(self._job,), name=f"rvae-train-watch-{job_id}", daemon=True).start()
        log.info("training %r from %s in process %d (%s)", name, path, process.pid, job_id)
        self._emit({"type": "train-started", "job": job_id, "name": name, "clips": str(path)})
        return job_id

    def cancel(self) -> bool:
        """Cancel the running job (True), or say there is none (False). The music and saved models are untouched."""
        with self._lock:
            job = self._job
        if job is None:
            return False
        job.cancelled = True
        job.cancel.set()
        return True

    def undo_model(self, layer: int) -> str:
        """Put back the model a hot-swap replaced on ``layer`` (at the next bar line). Returns its name."""
        return self.swaps.undo(layer)

    def close(self) -> None:
        with self._lock:
            job = self._job
        if job is not None:
            job.cancel.set()
            job.process.join(timeout=5)
            if job.process.is_alive():
                job.process.kill()

    # ------------------------------------------------------------------ internals

    def _emit(self, event: dict[str, Any]) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("training listener failed on %s", event.get("type"))

    def _watch(self, job: _Job) -> None:
        """Forward the job's events; when it ends, load and swap in the new model (never on the clock thread)."""
        outcome: tuple[Any, ...] | None = None
        while outcome is None:
            try:
                item = job.events.get(timeout=0.5)
            except queue.Empty:
                if not job.process.is_alive():
                    code = job.process.exitcode
                    outcome = (
                        ("cancelled",) if job.cancelled else ("failed", f"the training process died (exit code {code})")
                    )
                continue
            kind = item[0]
            if kind == "progress":
                _, epoch, epochs, train_loss, val_loss, seconds, val_f1 = item
                self._emit({
                    "type": "train-progress", "job": job.id, "epoch": epoch, "epochs": epochs,
                    "train_loss": train_loss, "val_loss": val_loss if math.isfinite(val_loss) else None,
                    "seconds": seconds, "val_f1": val_f1 if math.isfinite(val_f1) else None,
                })  # fmt: skip
            elif kind == "note":
                self._emit({"type": "train-note", "job": job.id, "text": item[1]})
            else:
                outcome = item
        job.process.join(timeout=10)
        with self._lock:
            self._job = None
        if outcome[0] == "done":
            self._swap_in(job, outcome[1])
        elif outcome[0] == "cancelled":
            log.info("training %s cancelled; nothing saved", job.id)
            self._emit({"type": "train-cancelled", "job": job.id})
        else:
            self._failed(job, str(outcome[1]))

    def _saved_digest(self, name: str) -> str | None:
        from rvae_server.model.modelfile import ModelFileError, read_meta

        try:
            weights = read_meta(self.models_dir / name).get("weights")
        except ModelFileError:
            return None
        digest = weights.get("sha256") if isinstance(weights, dict) else None
        return digest if isinstance(digest, str) else None

    def _failed(self, job: _Job, error: str) -> None:
        """A job failed. If it saved its model before dying (killed between saving and reporting), say so and
        install that model with undo, as the model watcher would; else the saved models are untouched."""
        from rvae_server.model.inference import LoadedModel

        if self._saved_digest(job.name) in (None, job.saved_before):
            log.error("training %s failed: %s; the music and saved models are untouched", job.id, error)
            self._emit({"type": "train-failed", "job": job.id, "error": error})
            return
        note = f"{error}; but it had saved the model {job.name!r}"
        try:
            self.swaps.offer(job.name, LoadedModel.load(self.models_dir / job.name))
            note += ": it is loaded where it played, and /rvae/undo/model brings back the previous one"
        except (ValueError, OSError) as err:  # ModelFileError, ControlError
            note += f" (it does not load: {err})"
        log.error("training %s failed: %s", job.id, note)
        self._emit({"type": "train-failed", "job": job.id, "error": note})

    def _swap_in(self, job: _Job, summary: dict[str, Any]) -> None:
        from rvae_server.model.inference import LoadedModel
        from rvae_server.model.modelfile import ModelFileError

        try:
            model = LoadedModel.load(summary["model"])
            self.swaps.offer(job.name, model, job.layers)  # a no-op if the watcher installed it already
        except (ModelFileError, ControlError) as err:
            self._emit({"type": "train-failed", "job": job.id, "error": f"the new model does not load: {err}"})
            return
        log.info(
            "trained %r in %.1f s; playing it on layer(s) %s", job.name, summary["seconds"], [x + 1 for x in job.layers]
        )
        keep_clip_bars(model, self.models_dir)
        self._emit({"type": "train-done", "job": job.id, "name": job.name, "layers": list(job.layers), **summary})


def keep_clip_bars(model: Any, models_dir: Path) -> None:
    """Keep the bars of a new model's training clips beside it (``NAME.clips.npz``,
    :func:`rvae_server.model.mapsources.write_clip_bars`), so its map (the page, ``rvae map``) outlives the folder it
    learnt from (an upload folder goes when the server stops). A failure is logged: the model plays all the same."""
    from rvae_server.core.dataset import DatasetError, file_sha256
    from rvae_server.model.mapsources import CLIP_BARS_SUFFIX, recorded_clips, write_clip_bars

    try:
        found = [
            (Path(path), path, Path(path).stem, Path(path).stem)
            for path, sha in recorded_clips(model)
            if Path(path).is_file() and file_sha256(path) == sha
        ]
        if found:
            write_clip_bars(models_dir / f"{model.name}{CLIP_BARS_SUFFIX}", found, colour="clip")
    except (OSError, DatasetError) as err:
        log.warning("could not keep the bars of %r's clips for its map: %s", model.name, err)
