"""Model files: save and load a rhythm VAE as a folder, find models, resolve a model by name or path.

Layout
------
A model named ``NAME`` is the folder ``<models dir>/NAME/`` holding

``weights.safetensors``
    every parameter of :class:`rvae_server.model.RhythmVAE` (encoder too, so clips can be mapped back to the
    pad), float16 or float32; loaded as float32. Never a pickle: ``.pt``/``.pkl`` files are refused unread.
``meta.json``
    ``format`` (``"rvae-model"``), ``format_version`` (:data:`FORMAT_VERSION`), ``name``, ``created`` (UTC,
    ISO 8601), ``config`` (:class:`~rvae_server.model.ModelConfig`), ``instruments`` (the instrument table of
    :mod:`rvae_server.bar`: name, output note, input pitches), ``weights`` (file, dtype, bytes, SHA-256),
    ``training`` (clips with SHA-256 and split, bars, recipe, epochs and the epoch kept, seed, batch size,
    learning rate, threads, seconds, final and per-epoch losses, notes), ``licence`` (data, attribution,
    licence, changes) and, for models trained since issue 10, ``space`` (the pad mapping, calibrated threshold
    and start point: :mod:`rvae_server.calibrate`) and ``evaluation`` (:mod:`rvae_server.evaluate`).

Atomic replacement
------------------
:func:`save_model` writes both files into a hidden temporary folder ``.NAME.tmp-<pid>-<random>`` in the same
models dir and fsyncs them. A new name is then installed with one ``rename``. An existing model is replaced by
**atomically exchanging** the two folders (Linux ``renameat2(RENAME_EXCHANGE)``), then deleting the old one:
at every instant ``NAME`` is either the complete old model or the complete new one. Where the exchange is not
available (not Linux, or a file system without it) the fallback is rename old → ``.NAME.old-…``, new → ``NAME``,
delete the backup; a crash between those two renames leaves the old model in the backup, and the next
:func:`save_model`, :func:`find_models` or :func:`resolve_model` puts it back. Hidden folders are never listed
as models; stale temporary folders of dead processes are removed by the next save of that name.

Loading (:func:`load_model`) validates the format and version, the config, the instrument table, the weights'
checksum, and every tensor's name, shape and dtype; anything wrong raises :class:`ModelFileError` naming the
file and the cause, and touches nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import json
import os
import re
import secrets
import shutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import safetensors
import safetensors.numpy
from numpy.typing import NDArray

import rvae_server
from rvae_server.bar import INSTRUMENTS
from rvae_server.model import ModelConfig, RhythmVAE, expected_tensors

FORMAT = "rvae-model"
FORMAT_VERSION = 1
WEIGHTS_FILE = "weights.safetensors"
META_FILE = "meta.json"
README_FILE = "README.md"
MAX_META_BYTES = 16 * 1024 * 1024
MAX_WEIGHTS_BYTES = 512 * 1024 * 1024
PICKLE_SUFFIXES = (".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin", ".joblib")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
WEIGHT_DTYPES: dict[str, type[np.floating[Any]]] = {"float16": np.float16, "float32": np.float32}


class ModelFileError(Exception):
    """A model could not be found, read or written. ``str(err)`` is one line: ``"<file>: <cause>"``."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__(f"{os.fspath(path)}: {reason}")
        self.path = Path(path)
        self.reason = reason


@dataclass(slots=True)
class ModelData:
    """A validated model read from disk: the config, float32 parameters by name, and the metadata."""

    path: Path
    config: ModelConfig
    tensors: dict[str, NDArray[np.float32]]
    meta: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.meta.get("name") or self.path.name)

    def to_module(self) -> RhythmVAE:
        """A :class:`RhythmVAE` (eval mode) holding these weights."""
        import torch

        model = RhythmVAE(self.config)
        model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in self.tensors.items()}, strict=True)
        model.eval()
        return model


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
        training = self.meta.get("training") or {}
        bars = training.get("bars") or {}
        licence = self.meta.get("licence") or {}
        out.update(
            created=self.meta.get("created"),
            clips=len(training.get("clips") or []),
            bars=(bars.get("train") or 0) + (bars.get("validation") or 0),
            epochs=training.get("epochs"),
            seed=training.get("seed"),
            beta=(self.meta.get("config") or {}).get("beta"),
            train_loss=training.get("train_loss"),
            val_loss=training.get("val_loss"),
            regularizer=(self.meta.get("config") or {}).get("regularizer", "vae"),
            pad_pass=((self.meta.get("evaluation") or {}).get("random") or {}).get("pass"),
            poor=(self.meta.get("evaluation") or {}).get("poor"),
            weights=(self.meta.get("weights") or {}).get("dtype"),
            attribution=licence.get("attribution"),
        )
        return out


# ------------------------------------------------------------------------------------------------ locations


def bundled_models_dir() -> Path:
    """The ``models/`` folder at the project root (beside the ``rvae_server`` package)."""
    return Path(rvae_server.__file__).resolve().parents[1] / "models"


def default_model_dirs() -> list[Path]:
    """Where models are looked for by default: ``./models`` (current directory) first, then the bundled
    :func:`bundled_models_dir`. New models are written to the first."""
    dirs = [Path.cwd() / "models", bundled_models_dir()]
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


def check_model_name(name: str) -> str:
    """A model name: 1–64 of letters, digits, ``.``, ``_``, ``-``, starting with a letter or digit."""
    if not NAME_RE.match(name):
        raise ModelFileError(
            name or "''",
            "invalid model name: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    return name


# --------------------------------------------------------------------------------------------------- saving


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "xb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with ``renameat2(RENAME_EXCHANGE)``; False if the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (38, 22, 95):  # ENOSYS, EINVAL (flag unsupported by the file system), EOPNOTSUPP
        return False
    raise OSError(err, os.strerror(err), os.fspath(b))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _hidden_pid(entry: Path) -> int | None:
    match = re.search(r"-(\d+)-[0-9a-f]+$", entry.name)
    return int(match.group(1)) if match else None


def _tidy(models_dir: Path, name: str) -> None:
    """Restore an interrupted replacement of ``name`` and remove stale temporary folders of dead processes."""
    target = models_dir / name
    try:
        entries = list(models_dir.iterdir())
    except OSError:
        return
    for entry in sorted(entries):
        pid = _hidden_pid(entry)
        if pid is None or pid == os.getpid() or _pid_alive(pid):
            continue
        if entry.name.startswith(f".{name}.old-") and not target.exists():
            os.rename(entry, target)
        elif entry.name.startswith((f".{name}.tmp-", f".{name}.old-")):
            shutil.rmtree(entry, ignore_errors=True)


def _is_model_folder(path: Path) -> bool:
    return path.is_dir() and (path / META_FILE).is_file()


def save_model(
    model: RhythmVAE,
    meta: dict[str, Any],
    models_dir: str | os.PathLike[str],
    name: str,
    *,
    dtype: str = "float16",
) -> Path:
    """Write ``model`` as ``models_dir/name`` atomically (see the module docstring) and return that folder.

    ``meta`` supplies the ``training`` and ``licence`` parts (and anything else to keep); the format fields,
    config, instrument table and weights description are filled in here. An existing folder of that name that
    is not a model is never replaced.
    """
    check_model_name(name)
    if dtype not in WEIGHT_DTYPES:
        raise ModelFileError(name, f"weights dtype must be one of {', '.join(WEIGHT_DTYPES)}, not {dtype!r}")
    parent = Path(models_dir)
    target = parent / name
    tensors: dict[str, NDArray[Any]] = {}
    for key, value in model.state_dict().items():
        arr = value.detach().cpu().float().numpy().astype(WEIGHT_DTYPES[dtype])
        if not np.isfinite(arr).all():
            raise ModelFileError(target / WEIGHTS_FILE, f"tensor {key} is not finite in {dtype}; nothing written")
        tensors[key] = np.ascontiguousarray(arr)
    weights = safetensors.numpy.save(tensors, metadata={"format": f"{FORMAT}/{FORMAT_VERSION}"})  # one key: same bytes
    full: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": model.config.to_json(),
        "instruments": [{"name": i.name, "note": i.note, "pitches": list(i.pitches)} for i in INSTRUMENTS],
        "weights": {
            "file": WEIGHTS_FILE,
            "dtype": dtype,
            "bytes": len(weights),
            "sha256": hashlib.sha256(weights).hexdigest(),
        },
    }
    for key, value in meta.items():
        full.setdefault(key, value)
    meta_bytes = (json.dumps(full, indent=1, allow_nan=False) + "\n").encode()

    try:
        parent.mkdir(parents=True, exist_ok=True)
        _tidy(parent, name)
        if target.exists() and not _is_model_folder(target):
            raise ModelFileError(target, "exists and is not a model folder (no meta.json); not replaced")
        tmp = parent / f".{name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
        tmp.mkdir()
    except OSError as err:
        raise ModelFileError(parent, f"cannot write models here: {err.strerror or err}") from err
    try:
        _write_synced(tmp / WEIGHTS_FILE, weights)
        _write_synced(tmp / META_FILE, meta_bytes)
        _fsync_dir(tmp)
        _install(tmp, target)
        _fsync_dir(parent)
    except OSError as err:
        raise ModelFileError(target, f"cannot write the model: {err.strerror or err}") from err
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _install(tmp: Path, target: Path) -> None:
    """Put the complete folder ``tmp`` in place of ``target``; afterwards ``tmp`` holds the old model (or nothing)."""
    if not target.exists():
        try:
            os.rename(tmp, target)
            return
        except OSError:
            if not target.exists():
                raise
    if _exchange(tmp, target):
        return  # tmp now holds the old model; the caller deletes it
    backup = target.parent / f".{target.name}.old-{os.getpid()}-{secrets.token_hex(4)}"
    os.rename(target, backup)
    try:
        os.rename(tmp, target)
    except BaseException:
        os.rename(backup, target)
        raise
    shutil.rmtree(backup, ignore_errors=True)


# -------------------------------------------------------------------------------------------------- loading


def _read_meta(folder: Path) -> dict[str, Any]:
    path = folder / META_FILE
    if not path.is_file():
        raise ModelFileError(folder, f"not a model folder: no {META_FILE}")
    try:
        size = path.stat().st_size
        if size > MAX_META_BYTES:
            raise ModelFileError(path, f"too large for model metadata ({size} bytes)")
        data = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise ModelFileError(path, "not UTF-8 text: not a model's meta.json") from None
    except json.JSONDecodeError as err:
        raise ModelFileError(path, f"invalid JSON (line {err.lineno}, column {err.colno}: {err.msg})") from None
    except OSError as err:
        raise ModelFileError(path, f"cannot read: {err.strerror or err}") from None
    if not isinstance(data, dict):
        raise ModelFileError(path, "not a model's meta.json (the JSON is not an object)")
    if data.get("format") != FORMAT:
        raise ModelFileError(path, f"not an rvae model (format is {data.get('format')!r}, expected {FORMAT!r})")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        newer = isinstance(version, int) and version > FORMAT_VERSION
        hint = "; it was written by a newer rvae" if newer else ""
        raise ModelFileError(
            path, f"format version {version!r} is not supported (this rvae reads {FORMAT_VERSION}){hint}"
        )
    return data


def _check_instruments(path: Path, table: object) -> None:
    names = [i.name for i in INSTRUMENTS]
    if not isinstance(table, list) or [t.get("name") if isinstance(t, dict) else None for t in table] != names:
        raise ModelFileError(path, f"its instrument table differs from this rvae's ({', '.join(names)})")


def _refuse_pickle(path: Path, head: bytes) -> None:
    if head[:1] == b"\x80" or head[:2] == b"PK":
        raise ModelFileError(
            path, "is a pickle or torch checkpoint, not safetensors; refused (pickles are never loaded)"
        )


def load_model(path: str | os.PathLike[str]) -> ModelData:
    """Read and validate the model folder ``path`` (or its ``meta.json``/``weights.safetensors``)."""
    folder = _model_folder(Path(path))
    meta = _read_meta(folder)
    meta_path = folder / META_FILE
    try:
        config = ModelConfig.from_json(meta.get("config"))
    except ValueError as err:
        raise ModelFileError(meta_path, str(err)) from None
    _check_instruments(meta_path, meta.get("instruments"))
    info = meta.get("weights")
    if not isinstance(info, dict) or info.get("file") != WEIGHTS_FILE or info.get("dtype") not in WEIGHT_DTYPES:
        raise ModelFileError(meta_path, f"its 'weights' entry must name {WEIGHTS_FILE} and a dtype float16/float32")
    wpath = folder / WEIGHTS_FILE
    try:
        size = wpath.stat().st_size
        if size > MAX_WEIGHTS_BYTES:
            raise ModelFileError(wpath, f"too large ({size} bytes)")
        raw = wpath.read_bytes()
    except FileNotFoundError:
        raise ModelFileError(wpath, "missing") from None
    except OSError as err:
        raise ModelFileError(wpath, f"cannot read: {err.strerror or err}") from None
    _refuse_pickle(wpath, raw[:8])
    if hashlib.sha256(raw).hexdigest() != info.get("sha256"):
        raise ModelFileError(wpath, f"damaged: its SHA-256 differs from the one in {META_FILE} ({len(raw)} bytes)")
    try:
        loaded = safetensors.numpy.load(raw)
    except (safetensors.SafetensorError, ValueError, TypeError, OverflowError) as err:
        raise ModelFileError(wpath, f"not a valid safetensors file ({err})") from None
    tensors = _check_tensors(wpath, loaded, config, WEIGHT_DTYPES[info["dtype"]])
    return ModelData(folder, config, tensors, meta)


def _check_tensors(
    path: Path, loaded: dict[str, NDArray[Any]], config: ModelConfig, dtype: type[np.floating[Any]]
) -> dict[str, NDArray[np.float32]]:
    expected = expected_tensors(config)
    missing = sorted(set(expected) - set(loaded))
    extra = sorted(set(loaded) - set(expected))
    if missing or extra:
        parts = [f"missing {', '.join(missing)}"] if missing else []
        parts += [f"unexpected {', '.join(extra)}"] if extra else []
        raise ModelFileError(path, f"tensors do not match the model config: {'; '.join(parts)}")
    out: dict[str, NDArray[np.float32]] = {}
    for key, shape in expected.items():
        arr = loaded[key]
        if arr.dtype != dtype:
            raise ModelFileError(path, f"tensor {key} has dtype {arr.dtype}, meta.json says {np.dtype(dtype).name}")
        if tuple(arr.shape) != shape:
            raise ModelFileError(path, f"tensor {key} has shape {tuple(arr.shape)}, expected {shape}")
        f32 = arr.astype(np.float32)
        if not np.isfinite(f32).all():
            raise ModelFileError(path, f"tensor {key} holds NaN or infinite values")
        out[key] = f32
    return out


def _model_folder(path: Path) -> Path:
    if path.suffix.lower() in PICKLE_SUFFIXES:
        raise ModelFileError(path, "pickle-based checkpoints (.pt, .pkl ...) are never loaded; use a model folder")
    if path.is_file():
        if path.name in (WEIGHTS_FILE, META_FILE):
            return path.parent
        raise ModelFileError(path, f"not a model: a model is a folder holding {WEIGHTS_FILE} and {META_FILE}")
    if not path.exists():
        raise ModelFileError(path, "no such model folder")
    return path


# -------------------------------------------------------------------------------------------------- finding


def default_model_name(models_dir: str | os.PathLike[str]) -> str | None:
    """The name on the ``Default model: NAME`` line of ``models_dir/README.md`` (backticks allowed), if any."""
    try:
        text = (Path(models_dir) / README_FILE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    match = re.search(r"^\s*default model:\s*`?([A-Za-z0-9][A-Za-z0-9._-]*)`?", text, re.IGNORECASE | re.MULTILINE)
    return match.group(1) if match else None


def find_models(dirs: Iterable[str | os.PathLike[str]] | None = None) -> list[ModelInfo]:
    """Every model folder in ``dirs`` (default :func:`default_model_dirs`), in dir order then by name. Only the
    metadata is read (weights are checked by :func:`load_model`). A folder with a bad ``meta.json`` is listed
    with ``error`` set. ``default`` marks the model :func:`default_model` would pick."""
    found: list[ModelInfo] = []
    for raw in default_model_dirs() if dirs is None else dirs:
        d = Path(raw)
        if not d.is_dir():
            continue
        try:
            entries = sorted(p for p in d.iterdir() if not p.name.startswith(".") and p.is_dir())
        except OSError:
            continue
        for entry in entries:
            if not (entry / META_FILE).exists():
                continue
            try:
                found.append(ModelInfo(entry.name, entry, _read_meta(entry)))
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
    return good[0] if good else None


def default_model(dirs: Iterable[str | os.PathLike[str]] | None = None) -> ModelInfo | None:
    """The model to load when none is named: the one a models dir's README names (first dir that names an
    existing model), else the first model found; ``None`` if there is none."""
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
    if not looks_like_path and NAME_RE.match(text):
        for d in search:
            candidate = d / text
            if not candidate.exists() and d.is_dir():
                _tidy(d, text)
            if candidate.is_dir():
                return candidate
    path = Path(text)
    if looks_like_path or path.exists():
        return _model_folder(path)
    names = sorted({m.name for m in find_models(search) if m.error is None})
    where = ", ".join(str(d) for d in search) or "no models dir"
    available = f"available: {', '.join(names)}" if names else "no models found"
    raise ModelFileError(text, f"no model of this name in {where} ({available})")


__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "META_FILE",
    "WEIGHTS_FILE",
    "ModelData",
    "ModelFileError",
    "ModelInfo",
    "bundled_models_dir",
    "check_model_name",
    "default_model",
    "default_model_dirs",
    "default_model_name",
    "find_models",
    "load_model",
    "resolve_model",
    "save_model",
]
