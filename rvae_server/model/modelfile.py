"""Model files: save and load a rhythm VAE as a folder (finding models: :mod:`rvae_server.model.modeldirs`).

Layout
------
A model named ``NAME`` is the folder ``<models dir>/NAME/`` holding

``weights.safetensors``
    every parameter of :class:`rvae_server.model.network.RhythmVAE` (encoder too, so clips can be mapped back to the
    pad), float16 or float32; loaded as float32. Never a pickle: ``.pt``/``.pkl`` files are refused unread.
``meta.json``
    ``format`` (``"rvae-model"``), ``format_version`` (:data:`FORMAT_VERSION`), ``name``, ``created`` (UTC,
    ISO 8601), ``config`` (:class:`~rvae_server.model.network.ModelConfig`), ``instruments`` (the instrument
    table of :mod:`rvae_server.core.bar`: name, output note, input pitches), ``weights`` (file, dtype, bytes,
    SHA-256), ``training`` (clips with SHA-256 and split, bars, recipe, epochs and the epoch kept, seed, batch
    size, learning rate, threads, seconds, final and per-epoch losses, notes), ``licence`` (data, attribution,
    licence, changes) and, for models trained since issue 10, ``space`` (the pad mapping, calibrated threshold
    and start point: :mod:`rvae_server.model.calibrate`) and ``evaluation`` (:mod:`rvae_server.model.evaluate`).

Atomic replacement
------------------
:func:`save_model` writes both files into a hidden temporary folder ``.NAME.tmp-<pid>-<random>`` in the same
models dir and fsyncs them. A new name is then installed with one ``rename``. An existing model is replaced by
**atomically exchanging** the two folders (Linux ``renameat2(RENAME_EXCHANGE)``), then deleting the old one:
at every instant ``NAME`` is either the complete old model or the complete new one. Where the exchange is not
available (not Linux, or a file system without it) the fallback is rename old → ``.NAME.old-…``, new → ``NAME``,
delete the backup; a crash between those two renames leaves the old model in the backup, and the next
:func:`save_model`, :func:`~rvae_server.model.modeldirs.find_models` (every start, ``rvae models``, the watcher of a
running server) or :func:`~rvae_server.model.modeldirs.resolve_model` puts it back (:func:`tidy`). Hidden folders
are never listed as models; stale temporary folders of dead processes are removed by the same tidying.

Loading (:func:`load_model`) validates the format and version, the config, the instrument table, the weights'
checksum, and every tensor's name, shape and dtype; anything wrong raises :class:`ModelFileError` naming the
file and the cause, and touches nothing. Both files are read only if they are regular files (never through a
symbolic link, never a FIFO or a device), their size read once and bounded
(:func:`rvae_server.core.untrusted.read_regular`); ``meta.json`` is parsed with bounded depth, size and numbers,
and its parts must have their types (``config``, ``weights``, ``training``, ``licence`` objects; ``instruments`` a
list). A model whose config the engine cannot play (not 96 ticks × 9 instruments with a 2-D latent) is refused
with a message saying so.
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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import safetensors
import safetensors.numpy
from numpy.typing import NDArray

from rvae_server.core.bar import INSTRUMENTS, N_INSTRUMENTS, TICKS
from rvae_server.core.names import NAME_RULE, ModelName, is_plain_name
from rvae_server.core.tempdirs import pid_alive
from rvae_server.core.untrusted import BoundsError, Limits, UnsafeFile, loads_json, read_regular
from rvae_server.model.network import ModelConfig, RhythmVAE, expected_tensors
from rvae_server.model.planes import PLAYABLE

FORMAT = "rvae-model"
FORMAT_VERSION = 1
WEIGHTS_FILE = "weights.safetensors"
META_FILE = "meta.json"
README_FILE = "README.md"
MAX_META_BYTES = 16 * 1024 * 1024
MAX_WEIGHTS_BYTES = 512 * 1024 * 1024
PICKLE_SUFFIXES = (".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin", ".joblib")
WEIGHT_DTYPES: dict[str, type[np.floating[Any]]] = {"float16": np.float16, "float32": np.float32}
#: Bounds on a meta.json (a model trained for 10,000 epochs with 5,000 clips stays well inside).
META_LIMITS = Limits(depth=16, values=500_000, string=65_536, int_digits=18)
#: Parts of meta.json and the JSON type each must have when present (``config`` must also be present to load).
META_TYPES: dict[str, type[Any]] = {
    "name": str, "created": str, "config": dict, "instruments": list, "weights": dict, "training": dict,
    "licence": dict,
}  # fmt: skip
MAX_CONFIG_FIELDS = 64


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


# ------------------------------------------------------------------------------------------------- names


def check_model_name(name: str) -> ModelName:
    """``name`` if it is a plain name (:data:`rvae_server.core.names.PLAIN_NAME`, matched whole), else
    :class:`ModelFileError` naming it. :func:`write_model_folder` checks here before it writes ``models_dir/name``;
    names from outside are checked where they enter (:func:`rvae_server.core.names.model_name`)."""
    if not is_plain_name(name):
        shown = name if name.isprintable() and name else repr(name)
        raise ModelFileError(shown, f"invalid model name: use {NAME_RULE}")
    return ModelName(name)


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


_HIDDEN_RE = re.compile(r"^\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<pid>\d+)-[0-9a-f]+$")


def tidy(models_dir: Path, name: str | None = None) -> None:
    """Restore interrupted replacements (of ``name``, or of every model when None) and remove stale temporary
    folders of dead processes. Never raises: what cannot be tidied now is tidied next time."""
    try:
        entries = sorted(models_dir.iterdir())
    except OSError:
        return
    for entry in entries:
        match = _HIDDEN_RE.match(entry.name)
        if match is None or (name is not None and match["name"] != name):
            continue
        pid = int(match["pid"])
        if pid == os.getpid() or pid_alive(pid):
            continue
        target = models_dir / match["name"]
        try:
            if match["kind"] == "old" and not os.path.lexists(target) and is_plain_name(match["name"]):
                os.rename(entry, target)  # a crash between the fallback's two renames: the old model comes back
            elif not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            continue


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
    is not a model is never replaced. The name is checked where the folder is written (:func:`write_model_folder`).
    """
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
    return write_model_folder(parent, name, {WEIGHTS_FILE: weights, META_FILE: meta_bytes})


def write_model_folder(models_dir: str | os.PathLike[str], name: str, files: dict[str, bytes]) -> Path:
    """Write ``files`` (name → bytes; ``meta.json`` among them) as the model folder ``models_dir/name``
    atomically (see the module docstring) and return it. The melody models (:mod:`rvae_server.melody`) are
    written this way too."""
    check_model_name(name)
    parent = Path(models_dir)
    target = parent / name
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tidy(parent, name)
        if target.exists() and not _is_model_folder(target):
            raise ModelFileError(target, "exists and is not a model folder (no meta.json); not replaced")
        tmp = parent / f".{name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
        tmp.mkdir()
    except OSError as err:
        raise ModelFileError(parent, f"cannot write models here: {err.strerror or err}") from err
    try:
        for file_name, data in files.items():
            _write_synced(tmp / file_name, data)
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


def read_meta(folder: Path) -> dict[str, Any]:
    """The validated ``meta.json`` of a model folder (format, version and the types of its parts; see the module
    docstring). Raises :class:`ModelFileError`."""
    path = folder / META_FILE
    if not os.path.lexists(path):
        raise ModelFileError(folder, f"not a model folder: no {META_FILE}")
    try:
        data = loads_json(read_regular(path, MAX_META_BYTES), META_LIMITS)
    except UnsafeFile as err:
        raise ModelFileError(path, err.reason) from None
    except BoundsError as err:
        raise ModelFileError(path, f"{err}: not a model's meta.json" if "UTF-8" in str(err) else str(err)) from None
    except OSError as err:
        raise ModelFileError(path, f"cannot read: {err.strerror or err}") from None
    if not isinstance(data, dict):
        raise ModelFileError(path, "not a model's meta.json (the JSON is not an object)")
    if data.get("format") != FORMAT:
        raise ModelFileError(path, f"not an rvae model (format is {_short(data.get('format'))}, expected {FORMAT!r})")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        newer = isinstance(version, int) and version > FORMAT_VERSION
        hint = "; it was written by a newer rvae" if newer else ""
        raise ModelFileError(
            path, f"format version {_short(version)} is not supported (this rvae reads {FORMAT_VERSION}){hint}"
        )
    for key, kind in META_TYPES.items():
        if key in data and not isinstance(data[key], kind):
            what = "a JSON object" if kind is dict else "a JSON list" if kind is list else "a string"
            raise ModelFileError(path, f"its {key!r} must be {what}, not {type(data[key]).__name__}")
    return data


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_playable(path: Path, config: ModelConfig) -> None:
    """Refuse a config the engine cannot play (see :data:`rvae_server.model.planes.PLAYABLE`), naming what differs."""
    wrong = [f"{key} {getattr(config, key)!r}" for key, want in PLAYABLE.items() if getattr(config, key) != want]
    if wrong:
        raise ModelFileError(
            path,
            f"this rvae cannot play this model: its config has {', '.join(wrong)} "
            f"(the engine plays {TICKS} ticks x {N_INSTRUMENTS} instruments with a 2-D latent)",
        )


def _config(path: Path, raw: object) -> ModelConfig:
    if not isinstance(raw, dict):
        raise ModelFileError(path, "its 'config' must be a JSON object")
    if len(raw) > MAX_CONFIG_FIELDS:
        raise ModelFileError(path, f"its 'config' has {len(raw)} fields (at most {MAX_CONFIG_FIELDS})")
    try:
        config = ModelConfig.from_json(raw)
    except (ValueError, TypeError, OverflowError) as err:
        raise ModelFileError(path, str(err)) from None
    check_playable(path, config)
    return config


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
    folder = model_folder(Path(path))
    meta = read_meta(folder)
    meta_path = folder / META_FILE
    config = _config(meta_path, meta.get("config"))
    _check_instruments(meta_path, meta.get("instruments"))
    info = meta.get("weights")
    dtype = info.get("dtype") if isinstance(info, dict) else None
    if (
        not isinstance(info, dict)
        or info.get("file") != WEIGHTS_FILE
        or not isinstance(dtype, str)
        or (dtype not in WEIGHT_DTYPES)
    ):
        raise ModelFileError(meta_path, f"its 'weights' entry must name {WEIGHTS_FILE} and a dtype float16/float32")
    wpath = folder / WEIGHTS_FILE
    try:
        raw = read_regular(wpath, MAX_WEIGHTS_BYTES)
    except FileNotFoundError:
        raise ModelFileError(wpath, "missing") from None
    except UnsafeFile as err:
        raise ModelFileError(wpath, err.reason) from None
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


def model_folder(path: Path) -> Path:
    if path.suffix.lower() in PICKLE_SUFFIXES:
        raise ModelFileError(path, "pickle-based checkpoints (.pt, .pkl ...) are never loaded; use a model folder")
    if path.is_file():
        if path.name in (WEIGHTS_FILE, META_FILE):
            return path.parent
        raise ModelFileError(path, f"not a model: a model is a folder holding {WEIGHTS_FILE} and {META_FILE}")
    if not path.exists():
        raise ModelFileError(path, "no such model folder")
    return path


__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "META_FILE",
    "WEIGHTS_FILE",
    "ModelData",
    "ModelFileError",
    "check_model_name",
    "check_playable",
    "load_model",
    "save_model",
    "write_model_folder",
]
