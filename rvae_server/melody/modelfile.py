"""Melody model files: save, find and load a melody network as a folder, like the drum models.

A melody model named ``NAME`` is the folder ``<models dir>/melody/NAME/`` (a ``melody`` folder beside the drum
models, so the drum model lists never see it) holding ``weights.safetensors`` (float16 or float32, never a
pickle) and ``meta.json``: ``format`` (``"rvae-melody"``), ``format_version``, ``name``, ``created``, ``kind``
(``"melody"``: ours; ``"seed"``: the seed paper's baseline, kept for the benchmark), ``config``, ``weights``
(file, dtype, bytes, SHA-256), ``training`` (songs and split, pairs, epochs, seed, losses), ``licence``
(the sources of the training data, each with its repository, licence and credit) and ``drum_encoder`` (the drum
model whose encoder gave the training pairs' latent points, stored in the weights as ``drum_encoder.*``, float32:
:mod:`rvae_server.melody.drumencoder`).

Folders are written atomically by :func:`rvae_server.model.modelfile.write_model_folder`; loading validates
the format, the kind and config, the checksum and every tensor's name, shape and dtype, and raises
:class:`~rvae_server.model.modelfile.ModelFileError` naming the file and the cause.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import safetensors
import safetensors.numpy
import torch
from numpy.typing import NDArray

from rvae_server.core.names import is_plain_name
from rvae_server.melody.drumencoder import PREFIX, DrumEncoder
from rvae_server.melody.generate import MelodyModel
from rvae_server.melody.network import MelodyConfig, MelodyNet, SeedConfig, SeedNet, expected_tensors
from rvae_server.model.modeldirs import bundled_models_dir
from rvae_server.model.modelfile import (
    META_FILE,
    WEIGHT_DTYPES,
    WEIGHTS_FILE,
    ModelFileError,
    model_folder,
    write_model_folder,
)

FORMAT = "rvae-melody"
FORMAT_VERSION = 1
SUBDIR = "melody"
DEFAULT_NAME = "default"
MAX_BYTES = 256 * 1024 * 1024
KINDS = ("melody", "seed")


def melody_dirs(extra: list[str | os.PathLike[str]] | None = None) -> list[Path]:
    """Where melody models are looked for: the extra dirs given, ``./models/melody``, the bundled
    ``models/melody``."""
    out = [Path(d) for d in extra or ()]
    for d in (Path.cwd() / "models" / SUBDIR, bundled_models_dir() / SUBDIR):
        if all(d.resolve() != o.resolve() for o in out):
            out.append(d)
    return out


def _build(kind: str, config: object) -> torch.nn.Module:
    if kind == "melody":
        return MelodyNet(MelodyConfig.from_json(config))
    if kind == "seed":
        return SeedNet(SeedConfig.from_json(config))
    raise ValueError(f"unknown melody model kind {kind!r} (known: {', '.join(KINDS)})")


def save_melody_model(
    module: MelodyNet | SeedNet,
    meta: dict[str, Any],
    models_dir: str | os.PathLike[str],
    name: str,
    *,
    dtype: str = "float16",
    drum_encoder: DrumEncoder | None = None,
) -> Path:
    """Write ``module`` as ``models_dir/name`` atomically; ``meta`` supplies ``training`` and ``licence``.
    ``drum_encoder``: the encoder that gave the training pairs' latent points (stored beside the network, float32,
    so the layer encodes the drums it plays with the same one; see :mod:`rvae_server.melody.drumencoder`)."""
    if dtype not in WEIGHT_DTYPES:
        raise ModelFileError(name, f"weights dtype must be one of {', '.join(WEIGHT_DTYPES)}, not {dtype!r}")
    kind = "melody" if isinstance(module, MelodyNet) else "seed"
    tensors: dict[str, NDArray[Any]] = {}
    for key, value in module.state_dict().items():
        arr = value.detach().cpu().float().numpy().astype(WEIGHT_DTYPES[dtype])
        if not np.isfinite(arr).all():
            raise ModelFileError(Path(models_dir) / name, f"tensor {key} is not finite in {dtype}; nothing written")
        tensors[key] = np.ascontiguousarray(arr)
    if drum_encoder is not None:
        tensors.update({PREFIX + k: np.ascontiguousarray(v, dtype=np.float32) for k, v in drum_encoder.tensors.items()})
    weights = safetensors.numpy.save(tensors, metadata={"format": f"{FORMAT}/{FORMAT_VERSION}"})
    full: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "kind": kind,
        "config": module.config.to_json(),
        "weights": {"file": WEIGHTS_FILE, "dtype": dtype, "bytes": len(weights),
                    "sha256": hashlib.sha256(weights).hexdigest()},
    }  # fmt: skip
    if drum_encoder is not None:
        full["drum_encoder"] = {"model": drum_encoder.source, "leaky_slope": drum_encoder.slope}
    for key, value in meta.items():
        full.setdefault(key, value)
    meta_bytes = (json.dumps(full, indent=1, allow_nan=False) + "\n").encode()
    return write_model_folder(models_dir, name, {WEIGHTS_FILE: weights, META_FILE: meta_bytes})


@dataclass(slots=True)
class MelodyModelData:
    """A validated melody model read from disk."""

    path: Path
    kind: str
    config: MelodyConfig | SeedConfig
    tensors: dict[str, NDArray[np.float32]]
    meta: dict[str, Any]
    drum_encoder: DrumEncoder | None = None

    def to_module(self) -> torch.nn.Module:
        module = MelodyNet(self.config) if self.kind == "melody" else SeedNet(self.config)  # type: ignore[arg-type]
        module.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in self.tensors.items()}, strict=True)
        module.eval()
        return module


def _read_json(path: Path) -> dict[str, Any]:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ModelFileError(path, "too large for model metadata")
        data = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise ModelFileError(path.parent, f"not a model folder: no {META_FILE}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelFileError(path, f"not a melody model's meta.json ({err})") from None
    except OSError as err:
        raise ModelFileError(path, f"cannot read: {err.strerror or err}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else None
        raise ModelFileError(path, f"not a melody model (format is {found!r}, expected {FORMAT!r})")
    if data.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(path, f"format version {data.get('format_version')!r} is not supported ({FORMAT_VERSION})")
    return data


def load_melody_model(path: str | os.PathLike[str]) -> MelodyModelData:
    """Read and validate the melody model folder ``path``."""
    folder = model_folder(Path(path))
    meta_path = folder / META_FILE
    meta = _read_json(meta_path)
    kind = meta.get("kind")
    try:
        module = _build(str(kind), meta.get("config"))
    except ValueError as err:
        raise ModelFileError(meta_path, str(err)) from None
    info = meta.get("weights")
    if not isinstance(info, dict) or info.get("file") != WEIGHTS_FILE or info.get("dtype") not in WEIGHT_DTYPES:
        raise ModelFileError(meta_path, f"its 'weights' entry must name {WEIGHTS_FILE} and a dtype float16/float32")
    wpath = folder / WEIGHTS_FILE
    try:
        if wpath.stat().st_size > MAX_BYTES:
            raise ModelFileError(wpath, "too large")
        raw = wpath.read_bytes()
    except FileNotFoundError:
        raise ModelFileError(wpath, "missing") from None
    except OSError as err:
        raise ModelFileError(wpath, f"cannot read: {err.strerror or err}") from None
    if raw[:1] == b"\x80" or raw[:2] == b"PK":
        raise ModelFileError(wpath, "is a pickle or torch checkpoint, not safetensors; refused (never loaded)")
    if hashlib.sha256(raw).hexdigest() != info.get("sha256"):
        raise ModelFileError(wpath, f"damaged: its SHA-256 differs from the one in {META_FILE}")
    try:
        loaded = safetensors.numpy.load(raw)
    except (safetensors.SafetensorError, ValueError, TypeError, OverflowError) as err:
        raise ModelFileError(wpath, f"not a valid safetensors file ({err})") from None
    expected = expected_tensors(module)
    encoder_info = meta.get("drum_encoder")
    stored = {k: tuple(v.shape) for k, v in loaded.items() if k.startswith(PREFIX)}
    if encoder_info is not None or stored:
        slope = encoder_info.get("leaky_slope") if isinstance(encoder_info, dict) else None
        problem = DrumEncoder.check_shapes(stored)
        if problem is None and not (isinstance(slope, int | float) and 0.0 <= slope < 1.0):
            problem = "its 'drum_encoder' entry must give the encoder's leaky_slope (0..1)"
        if problem is not None:
            raise ModelFileError(wpath, problem)
        expected.update(stored)
    if set(loaded) != set(expected):
        raise ModelFileError(wpath, "its tensors do not match the model config")
    tensors: dict[str, NDArray[np.float32]] = {}
    for key, shape in expected.items():
        arr = loaded[key]
        dtype = np.float32 if key.startswith(PREFIX) else WEIGHT_DTYPES[info["dtype"]]
        if arr.dtype != dtype or tuple(arr.shape) != shape:
            raise ModelFileError(wpath, f"tensor {key} is {arr.dtype} {tuple(arr.shape)}, expected {shape}")
        f32 = arr.astype(np.float32)
        if not np.isfinite(f32).all():
            raise ModelFileError(wpath, f"tensor {key} holds NaN or infinite values")
        tensors[key] = f32
    network = {k: v for k, v in tensors.items() if not k.startswith(PREFIX)}
    encoder = None
    if isinstance(encoder_info, dict):
        encoder = DrumEncoder(
            {k[len(PREFIX) :]: v for k, v in tensors.items() if k.startswith(PREFIX)},
            float(encoder_info["leaky_slope"]),
            str(encoder_info.get("model", "")),
        )
    return MelodyModelData(folder, str(kind), module.config, network, meta, encoder)  # type: ignore[arg-type]


def resolve_melody_model(name_or_path: str | os.PathLike[str], dirs: list[Path] | None = None) -> Path:
    """The folder of a melody model given by name (looked up in :func:`melody_dirs`) or by path."""
    text = os.fspath(name_or_path)
    search = melody_dirs() if dirs is None else dirs
    if "/" not in text and os.sep not in text and is_plain_name(text):
        for d in search:
            if (d / text).is_dir():
                return d / text
    path = Path(text)
    if path.exists():
        return model_folder(path)
    where = ", ".join(str(d) for d in search)
    raise ModelFileError(text, f"no melody model of this name or path (looked in {where})")


def load_melody(name_or_path: str | os.PathLike[str] = DEFAULT_NAME, dirs: list[Path] | None = None) -> MelodyModel:
    """A melody model (ours) ready to play. Raises :class:`ModelFileError`."""
    data = load_melody_model(resolve_melody_model(name_or_path, dirs))
    if data.kind != "melody":
        raise ModelFileError(data.path, f"is a {data.kind!r} model (the seed's baseline), not one the layer plays")
    module = data.to_module()
    assert isinstance(module, MelodyNet)
    return MelodyModel(module, data.meta, str(data.meta.get("name") or data.path.name), data.drum_encoder)


__all__ = [
    "DEFAULT_NAME",
    "FORMAT",
    "MelodyModelData",
    "load_melody",
    "load_melody_model",
    "melody_dirs",
    "resolve_melody_model",
    "save_melody_model",
]
