"""The models in memory: loading every model of the model folders at start, and a watcher that loads models
saved later (``rvae train`` run beside a live server, or a copied folder) without touching the clock.

A model that fails to load is skipped and reported; the ones already playing are never replaced by a broken
file (model files are written atomically, and a load is complete before it is handed to the engine).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from rvae_server.model.inference import LoadedModel
from rvae_server.model.modeldirs import default_model_dirs, find_models
from rvae_server.model.modelfile import META_FILE, ModelFileError, load_model

log = logging.getLogger(__name__)


class NoModels(RuntimeError):
    """No usable model, or the one asked for is not among them; the message says which and where."""


def search_dirs(extra: Sequence[str | os.PathLike[str]] | None) -> list[Path]:
    """The extra model folders first, then ``./models`` and the bundled ``models/``."""
    return [*(Path(d) for d in extra or ()), *default_model_dirs()]


def load_models(
    dirs: Sequence[str | os.PathLike[str]] | None, wanted: str | None
) -> tuple[dict[str, LoadedModel], str, list[str]]:
    """Load every model found in ``search_dirs(dirs)``. Returns the models by name (the first folder wins a name
    clash), the default model's name (``wanted``, else the one a models README names, else the first) and the
    problems met (a model that fails to load is skipped and reported). Raises :class:`NoModels`."""
    search = search_dirs(dirs)
    models: dict[str, LoadedModel] = {}
    problems: list[str] = []
    default: str | None = None
    for info in find_models(search):
        if info.name in models:
            continue
        if info.error is not None:
            problems.append(f"model {info.name!r} at {info.path} skipped: {info.error}")
            continue
        try:
            models[info.name] = LoadedModel.from_data(load_model(info.path))
        except ModelFileError as err:
            problems.append(f"model {info.name!r} skipped: {err}")
            continue
        if info.default and default is None:
            default = info.name
    if not models:
        where = ", ".join(str(d) for d in search)
        raise NoModels(f"no usable model in {where}: train one with `rvae train CLIPS --name NAME`")
    if wanted is not None:
        if wanted not in models:
            raise NoModels(f"model {wanted!r} is not among the loaded models: {', '.join(sorted(models))}")
        default = wanted
    return models, default or next(iter(models)), problems


class ModelWatcher:
    """Polls the model folders (every ``interval`` s, on its own thread) and hands models that are new, or whose
    ``meta.json`` changed, to ``on_model(name, model)``. Loading happens on this thread, never the clock's."""

    def __init__(
        self,
        dirs: Sequence[str | os.PathLike[str]],
        on_model: Callable[[str, LoadedModel], None],
        *,
        interval: float = 2.0,
    ) -> None:
        self.dirs = [Path(d) for d in dirs]
        self.on_model = on_model
        self.interval = interval
        self._seen: dict[Path, float] = self._scan()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rvae-model-watcher", daemon=True)

    def start(self) -> ModelWatcher:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2 * self.interval)

    def _scan(self) -> dict[Path, float]:
        seen: dict[Path, float] = {}
        for d in self.dirs:
            try:
                entries = list(d.iterdir())
            except OSError:
                continue
            for entry in entries:
                if entry.name.startswith("."):
                    continue  # temporary folders of a save in progress
                try:
                    seen[entry] = (entry / META_FILE).stat().st_mtime
                except OSError:
                    continue
        return seen

    def check(self) -> list[str]:
        """One poll: load what is new or changed; returns the names handed on."""
        loaded: list[str] = []
        current = self._scan()
        for folder, mtime in current.items():
            if self._seen.get(folder) == mtime:
                continue
            try:
                model = LoadedModel.from_data(load_model(folder))
            except ModelFileError as err:
                log.error("new model at %s not loaded: %s", folder, err)
                continue
            name = folder.name  # the folder names a model, as in load_models (its metadata may say otherwise)
            log.info("model %r appeared in %s: loaded", name, folder.parent)
            self.on_model(name, model)
            loaded.append(name)
        self._seen = current
        return loaded

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception:  # the watcher must never take the server down
                log.exception("model watcher poll failed")
