"""Where models live and which one is the default: the model folders (the user's models folder, ``./models`` if
present, then the bundled ``models/``),
the models found in them, a model resolved by name or path. Only metadata is read here; loading is
:func:`rvae_server.model.modelfile.load_model`."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rvae_server
from rvae_server.core import places
from rvae_server.core.names import is_plain_name
from rvae_server.core.untrusted import is_link_outside
from rvae_server.model.modelfile import (
    META_FILE,
    PICKLE_SUFFIXES,
    README_FILE,
    ModelFileError,
    model_folder,
    read_meta,
    tidy,
)
from rvae_server.model.verdict import is_poor


def bundled_models_dir() -> Path:
    """The ``models/`` folder at the project root (beside the ``rvae_server`` package)."""
    return Path(rvae_server.__file__).resolve().parents[1] / "models"


def default_model_dirs() -> list[Path]:
    """Where models are looked for by default: this user's models folder (:func:`rvae_server.core.places.models_dir`:
    ``~/Library/Application Support/rvae/models`` on macOS, ``%LOCALAPPDATA%\\rvae\\models`` on Windows,
    ``~/.local/share/rvae/models`` on Linux), then ``./models`` when the current folder has one, then the bundled
    :func:`bundled_models_dir`. New models are written to the first, whatever folder the command ran from."""
    local = Path.cwd() / "models"
    dirs = [places.models_dir(), *([local] if local.is_dir() else []), bundled_models_dir()]
    out: list[Path] = []
    for d in dirs:
        if all(_same(d, o) is False for o in out):
            out.append(d)
    return out


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One model found in a models dir; ``error`` is set (and the summary fields empty) if its meta.json is bad."""

    name: str
    path: Path
    meta: dict[str, Any] | None
    error: str | None = None
    default: bool = False

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (what ``rvae models --json`` prints)."""
        out: dict[str, Any] = {"name": self.name, "path": str(self.path), "default": self.default}
        if self.error is not None or self.meta is None:
            out["error"] = self.error
            return out
        training = _part(self.meta, "training")
        bars = _part(training, "bars")
        licence = _part(self.meta, "licence")
        clips = training.get("clips")
        out.update(
            created=_scalar(self.meta.get("created")),
            clips=len(clips) if isinstance(clips, list) else 0,
            bars=_count(bars.get("train")) + _count(bars.get("validation")),
            epochs=_scalar(training.get("epochs")),
            seed=_scalar(training.get("seed")),
            beta=_scalar(_part(self.meta, "config").get("beta")),
            train_loss=_scalar(training.get("train_loss")),
            val_loss=_scalar(training.get("val_loss")),
            kept_epoch=_scalar(_part(training, "report").get("kept_epoch", training.get("best_epoch"))),
            val_f1=_scalar(_part(training, "report").get("kept_val_f1")),
            report=_part(training, "report") or None,
            regularizer=_scalar(_part(self.meta, "config").get("regularizer", "vae")),
            pad_pass=_scalar(_part(_part(self.meta, "evaluation"), "random").get("pass")),
            poor=is_poor(_part(self.meta, "evaluation")),
            warnings=[str(w) for w in _part(self.meta, "evaluation").get("warnings") or [] if isinstance(w, str)],
            weights=_scalar(_part(self.meta, "weights").get("dtype")),
            attribution=_scalar(licence.get("attribution")),
        )
        return out


def _part(data: dict[str, Any], key: str) -> dict[str, Any]:
    """``data[key]`` if it is a JSON object, else an empty one (metadata written by anything may hold anything)."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _scalar(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else None


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def link_refusal(entry: Path, models_dir: Path) -> str | None:
    """Why a model folder found in ``models_dir`` is refused for being a link, or None if it is not."""
    if is_link_outside(entry, models_dir):
        return f"a symbolic link leading outside {models_dir}; refused"
    return None


def default_model_name(models_dir: str | os.PathLike[str]) -> str | None:
    """The name on the ``Default model: NAME`` line of ``models_dir/README.md`` (backticks allowed), if any and if
    it is a plain name (:func:`rvae_server.core.names.is_plain_name`)."""
    try:
        text = (Path(models_dir) / README_FILE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    match = re.search(r"^\s*default model:\s*`?([^\s`]+)`?", text, re.IGNORECASE | re.MULTILINE)
    return match.group(1) if match and is_plain_name(match.group(1)) else None


def find_models(dirs: Iterable[str | os.PathLike[str]] | None = None) -> list[ModelInfo]:
    """Every model folder in ``dirs`` (default :func:`default_model_dirs`), in dir order then by name. Only the
    metadata is read (weights are checked by :func:`~rvae_server.model.modelfile.load_model`). A folder with a bad
    ``meta.json`` is listed with ``error`` set. ``default`` marks the model :func:`default_model` would pick."""
    found: list[ModelInfo] = []
    for raw in default_model_dirs() if dirs is None else dirs:
        d = Path(raw)
        if not d.is_dir():
            continue
        tidy(d)  # an interrupted replacement comes back before anything is listed
        try:
            entries = sorted(p for p in d.iterdir() if not p.name.startswith(".") and p.is_dir())
        except OSError:
            continue
        for entry in entries:
            refused = link_refusal(entry, d)
            if refused is not None:
                found.append(ModelInfo(entry.name, entry, None, refused))
                continue
            if not os.path.lexists(entry / META_FILE):
                continue
            try:
                found.append(ModelInfo(entry.name, entry, read_meta(entry)))
            except ModelFileError as err:
                found.append(ModelInfo(entry.name, entry, None, err.reason))
    chosen = _pick_default(found, dirs)
    return [ModelInfo(m.name, m.path, m.meta, m.error, m is chosen) for m in found]


def _pick_default(found: Sequence[ModelInfo], dirs: Iterable[str | os.PathLike[str]] | None) -> ModelInfo | None:
    good = [m for m in found if m.error is None]
    for raw in default_model_dirs() if dirs is None else dirs:
        wanted = default_model_name(raw)
        for m in good:
            if wanted is not None and m.name == wanted and _same(m.path.parent, Path(raw)):
                return m
    playing = [m for m in good if not plays_poorly(m.meta)]  # a model flagged by its evaluation is no default
    return playing[0] if playing else (good[0] if good else None)


def plays_poorly(meta: dict[str, Any] | None) -> bool:
    """Whether a model's stored evaluation (``meta.json``'s ``evaluation``, :mod:`rvae_server.model.evaluate`) calls
    its space poor, by today's rule (:func:`rvae_server.model.verdict.is_poor`, not the flag stored with it)."""
    return isinstance(meta, dict) and is_poor(_part(meta, "evaluation"))


def default_model(dirs: Iterable[str | os.PathLike[str]] | None = None) -> ModelInfo | None:
    """The model to load when none is named: the one a models dir's README names (first dir that names an
    existing model), else the first model found that its evaluation does not flag as playing poorly (else the
    first found); ``None`` if there is none."""
    for m in find_models(dirs):
        if m.default:
            return m
    return None


def resolve_model(name_or_path: str | os.PathLike[str], dirs: Iterable[str | os.PathLike[str]] | None = None) -> Path:
    """The folder of a model given by name (looked up in ``dirs`` in order, default :func:`default_model_dirs`)
    or by path (anything with a path separator, or an existing file or folder). Does not load it."""
    text = os.fspath(name_or_path)
    search = [Path(d) for d in (default_model_dirs() if dirs is None else dirs)]
    looks_like_path = os.sep in text or "/" in text or Path(text).suffix.lower() in PICKLE_SUFFIXES
    if not looks_like_path and is_plain_name(text):
        for d in search:
            candidate = d / text
            if not candidate.exists() and d.is_dir():
                tidy(d, text)
            if candidate.is_dir():
                refused = link_refusal(candidate, d)
                if refused is not None:
                    raise ModelFileError(candidate, refused)
                return candidate
    path = Path(text)
    if looks_like_path or path.exists():
        return model_folder(path)
    names = sorted({m.name for m in find_models(search) if m.error is None})
    where = ", ".join(str(d) for d in search) or "no models dir"
    available = f"available: {', '.join(names)}" if names else "no models found"
    raise ModelFileError(text, f"no model of this name in {where} ({available})")


__all__ = [
    "ModelInfo",
    "bundled_models_dir",
    "default_model",
    "default_model_dirs",
    "default_model_name",
    "find_models",
    "link_refusal",
    "resolve_model",
]
