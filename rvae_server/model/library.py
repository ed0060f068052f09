"""The models in memory: loading every model of the model folders at start, and a watcher that loads models
saved later (``rvae train`` run beside a live server, or a copied folder) without touching the clock.

A model that fails to load is skipped and reported; the ones already playing are never replaced by a broken
file (model files are written atomically, and a load is complete before it is handed to the engine). Each folder
is loaded on its own: whatever one holds (hostile metadata, a link leading outside, a FIFO) never stops the others.
The watcher looks at both files of a folder (a folder written in two steps is loaded once complete) and hands what
it loads to one owner (``on_model``: the running server's :class:`~rvae_server.session.modelswap.ModelSwaps`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from rvae_server.core.untrusted import printable
from rvae_server.model.inference import LoadedModel
from rvae_server.model.modeldirs import default_model_dirs, find_models, link_refusal
from rvae_server.model.modelfile import META_FILE, WEIGHTS_FILE, ModelFileError, load_model, tidy

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
    why: dict[str, str] = {}  # the first problem of each name
    default: str | None = None
    for info in find_models(search):
        if info.name in models:
            continue
        if info.error is not None:
            problems.append(f"model {info.name!r} at {info.path} skipped: {info.error}")
            why.setdefault(info.name, problems[-1])
            continue
        try:
            models[info.name] = LoadedModel.from_data(load_model(info.path))
        except ModelFileError as err:
            problems.append(f"model {info.name!r} skipped: {err}")
            why.setdefault(info.name, problems[-1])
            continue
        except Exception as err:  # whatever one folder holds, the others still load
            problems.append(f"model {info.name!r} skipped: {info.path}: {type(err).__name__}: {printable(err)}")
            why.setdefault(info.name, problems[-1])
            continue
        if info.default and default is None:
            default = info.name
    if wanted is not None and wanted not in models and wanted in why:
        raise NoModels(f"model {wanted!r} cannot be used: {why[wanted]}")
    if not models:
        where = ", ".join(str(d) for d in search)
        raise NoModels(f"no usable model in {where}: train one with `rvae train CLIPS --name NAME`")
    if wanted is not None:
        if wanted not in models:
            raise NoModels(f"model {wanted!r} is not among the loaded models: {', '.join(sorted(models))}")
        default = wanted
    return models, default or next(iter(models)), problems


#: What the watcher knows of a model folder: (mtime ns, size) of meta.json and of the weights (None: missing).
Signature = tuple[tuple[int, int] | None, tuple[int, int] | None]


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


class ModelWatcher:
    """Polls the model folders (every ``interval`` s, on its own thread) and hands models that are new, or whose
    files changed, to ``on_model(name, model)``. Loading happens on this thread, never the clock's.

    A folder is looked at again only when one of its two files changes (so a folder written in two steps, meta
    first, is loaded once its weights are complete); a folder that fails is logged once per change and never
    stops the others; links leading outside a models dir are ignored; interrupted replacements are restored."""

    def __init__(
        self,
        dirs: Sequence[str | os.PathLike[str]],
        on_model: Callable[[str, LoadedModel], object],
        *,
        interval: float = 2.0,
    ) -> None:
        self.dirs = [Path(d) for d in dirs]
        self.on_model = on_model
        self.interval = interval
        self._seen: dict[Path, Signature] = self._scan()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rvae-model-watcher", daemon=True)

    def start(self) -> ModelWatcher:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2 * self.interval)

    def _scan(self) -> dict[Path, Signature]:
        seen: dict[Path, Signature] = {}
        for d in self.dirs:
            tidy(d)
            try:
                entries = list(d.iterdir())
            except OSError:
                continue
            for entry in entries:
                if entry.name.startswith(".") or link_refusal(entry, d) is not None:
                    continue  # temporary folders of a save in progress; links leading outside
                meta = _stat(entry / META_FILE)
                if meta is not None:
                    seen[entry] = (meta, _stat(entry / WEIGHTS_FILE))
        return seen

    def check(self) -> list[str]:
        """One poll: load what is new or changed; returns the names handed on. Thread-safe."""
        with self._lock:
            loaded: list[str] = []
            current = self._scan()
            for folder, signature in current.items():
                if self._seen.get(folder) == signature:
                    continue
                self._seen[folder] = signature  # whatever happens, not again until a file changes
                name = folder.name  # the folder names a model, as in load_models (its metadata may say otherwise)
                try:
                    model = LoadedModel.from_data(load_model(folder))
                    self.on_model(name, model)
                except ModelFileError as err:
                    log.error("model at %s not loaded: %s", printable(folder, 300), printable(err, 500))
                    continue
                except Exception as err:  # one folder never stops the others, nor the watcher
                    log.error("model at %s not loaded: %s: %s", printable(folder, 300), type(err).__name__,
                              printable(err, 500))  # fmt: skip
                    continue
                log.info("model %r appeared in %s: loaded", name, folder.parent)
                loaded.append(name)
            for gone in set(self._seen) - set(current):
                del self._seen[gone]
            return loaded

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception:  # the watcher must never take the server down
                log.exception("model watcher poll failed")
