"""Where a model's map (:class:`rvae_server.model.spacemap.SpaceMap`) comes from when none is named: a map for every
model, or a sentence saying what is missing. Used by the web page's map (:mod:`rvae_server.web.mapdata`) and by
``rvae map MODEL`` without data.

In order:

1. **the dataset it was trained on** (mined models; ``training.datasets`` in its metadata,
   :func:`~rvae_server.model.spacemap.recorded_dataset`), coloured by style, as before;
2. **a clip-bars file** in its models dir: a dataset file (:mod:`rvae_server.core.dataset`) named
   ``*.clips.npz`` whose ``files`` carry the SHA-256 of the model's training clips (its metadata records them). The
   bundled groove models share ``models/groove.clips.npz`` (made by ``scripts/make_groove_map.py`` from the Groove
   MIDI Dataset and its ``info.csv``: coloured by the clips' style labels); a model trained live gets one of its own
   beside it (``NAME.clips.npz``, :func:`write_clip_bars`) so its map outlives an upload folder;
3. **its training clips where its metadata says they are** (user models: absolute paths, or relative to the clip
   folders given), each file checked against its recorded SHA-256: coloured **per clip**, the clip's name as label.

A model with none of these answers :class:`NoMap` naming what was looked for (``rvae map MODEL CLIPS…`` draws one
from clips named by hand).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rvae_server.core.bar import stack
from rvae_server.core.dataset import (
    DatasetError,
    build_dataset,
    notes_from_planes,
    read_dataset,
    write_dataset,
)
from rvae_server.core.midifile import ClipError, read_bytes, read_clip
from rvae_server.model.inference import LoadedModel
from rvae_server.model.spacemap import SpaceMap, build_map, dataset_map, recorded_dataset

#: The suffix of clip-bars files (a dataset file holding the bars of training clips).
CLIP_BARS_SUFFIX = ".clips.npz"
#: How the source of a map coloured per clip ends (:func:`per_clip`).
PER_CLIP = "training clips"


class NoMap(Exception):
    """No map can be drawn for a model; ``str(err)`` says what is missing (one line, for the performer)."""


def model_map(model: LoadedModel, clip_dirs: Sequence[str | os.PathLike[str]] = ()) -> SpaceMap:
    """The map of ``model``'s training bars from the first source that has them (see the module docstring).
    Raises :class:`NoMap`."""
    if (model.meta.get("training") or {}).get("datasets"):
        try:
            return dataset_map(model, recorded_dataset(model))
        except DatasetError as err:
            raise NoMap(f"no map for model {model.name}: {err.reason}") from None
    clips = recorded_clips(model)
    if not clips:
        raise NoMap(f"no map for model {model.name}: its metadata records neither a dataset nor training clips")
    for path in clip_bars_files(model):
        try:
            space = clip_bars_map(model, path, clips)
        except DatasetError:
            continue
        if space is not None and len(space):
            return space
    space = clip_files_map(model, clips, clip_dirs)
    if len(space):
        return space
    where = ", ".join(str(Path(d)) for d in clip_dirs)
    raise NoMap(
        f"no map for model {model.name}: none of its {len(clips)} training clips is on this machine "
        f"(e.g. {clips[0][0]}{'; looked in ' + where if where else ''}) and no {CLIP_BARS_SUFFIX} file beside it "
        f"holds them; draw one from clips: rvae map {model.name} CLIPS... -o map.png"
    )


def per_clip(space: SpaceMap) -> bool:
    """Whether ``space`` is coloured per clip (a user model's own clips) rather than by style."""
    return space.source.endswith(PER_CLIP)


def recorded_clips(model: LoadedModel) -> list[tuple[str, str]]:
    """``(path, sha256)`` of the training clips the model's metadata records (in its order)."""
    out = []
    for entry in (model.meta.get("training") or {}).get("clips") or []:
        if isinstance(entry, dict) and isinstance(entry.get("path"), str) and isinstance(entry.get("sha256"), str):
            out.append((entry["path"], entry["sha256"]))
    return out


def clip_bars_files(model: LoadedModel) -> list[Path]:
    """The clip-bars files of the model's models dir: its own ``NAME.clips.npz`` first, then the others by name."""
    if model.path is None:
        return []
    folder = model.path.parent
    own = folder / f"{model.name}{CLIP_BARS_SUFFIX}"
    try:
        others = sorted(p for p in folder.glob(f"*{CLIP_BARS_SUFFIX}") if p != own and p.is_file())
    except OSError:
        others = []
    return ([own] if own.is_file() else []) + others


def clip_bars_map(model: LoadedModel, path: Path, clips: Sequence[tuple[str, str]]) -> SpaceMap | None:
    """The map of the bars a clip-bars file holds of ``clips`` (matched by SHA-256), or None if it holds none."""
    dataset = read_dataset(path)
    wanted = {sha for _, sha in clips}
    sha = dataset.text("file_sha256")
    keep_files = np.array([s in wanted for s in sha], dtype=bool)
    if not keep_files.any():
        return None
    a = dataset.arrays
    pattern = dataset.bar_pattern()
    file_of_bar = a["pattern_file"].astype(np.int64)[pattern]
    keep = keep_files[file_of_bar]
    colours = (dataset.meta.get("settings") or {}).get("colour")
    source = f"{path}: {PER_CLIP}" if colours == "clip" else str(path)
    return build_map(
        model, dataset.bars()[keep], a["pattern_style"].astype(np.int64)[pattern][keep], dataset.text("styles"),
        file_of_bar[keep], dataset.text("files"), dataset.bar_source()[keep], source,
    )  # fmt: skip


def clip_files_map(
    model: LoadedModel, clips: Sequence[tuple[str, str]], clip_dirs: Sequence[str | os.PathLike[str]] = ()
) -> SpaceMap:
    """The map of the recorded clips found on disk with their recorded SHA-256 (absolute paths, or relative to the
    models dir or ``clip_dirs``), one colour per clip; an empty map if none is found."""
    roots = [Path(d) for d in clip_dirs]
    if model.path is not None:
        roots.append(model.path.parent)
    bars, style, file, bar = [], [], [], []
    styles: list[str] = []
    files: list[str] = []
    for recorded, sha in clips:
        found = _find(recorded, sha, roots)
        if found is None:
            continue
        path, data = found
        try:
            clip = read_clip(path, data)
        except ClipError:
            continue
        files.append(str(path))
        styles.append(_unique(Path(recorded).stem, styles))
        for b in clip.bars:
            if b.used:
                bars.append(b.bar)
                style.append(len(styles) - 1)
                file.append(len(files) - 1)
                bar.append(b.source_bar)
    if not bars:
        return SpaceMap(model.name, np.zeros((0, 2), np.float32), np.zeros(0, np.int64), [], np.zeros(0, np.int64),
                        [], np.zeros(0, np.int64), "")  # fmt: skip
    source = f"{len(files)} of its {len(clips)} {PER_CLIP}"
    return build_map(model, stack(bars), np.array(style), styles, np.array(file), files, np.array(bar), source)


def _find(recorded: str, sha: str, roots: Iterable[Path]) -> tuple[Path, bytes] | None:
    """The first place the clip recorded as ``recorded`` is, with the bytes whose SHA-256 is ``sha`` (read once, as
    the MIDI reader reads: what is parsed is what was matched); None when it is nowhere."""
    candidates = [Path(recorded)] if Path(recorded).is_absolute() else [r / recorded for r in roots]
    for path in candidates:
        try:
            if path.is_file() and not path.is_symlink():
                data, _ = read_bytes(path)
                if hashlib.sha256(data).hexdigest() == sha:
                    return path, data
        except (OSError, ClipError):
            continue
    return None


def _unique(name: str, taken: list[str]) -> str:
    if name not in taken:
        return name
    k = 2
    while f"{name} ({k})" in taken:
        k += 1
    return f"{name} ({k})"


def write_clip_bars(
    path: str | os.PathLike[str], clips: Sequence[tuple[Path, str, str, str]], colour: str = "style"
) -> int:
    """Write a clip-bars file: ``clips`` as ``(file, name recorded, style, label)``; each file's used bars (at least
    2 onsets, as training uses) with its SHA-256. Unreadable files are left out. ``colour``: ``"style"`` (its maps
    are coloured by style) or ``"clip"`` (each style is one clip: a user model's). Returns the bars written."""
    notes_parts, firsts, lengths, file_index, source_bars = [], [], [], [], []
    styles: list[str] = []
    labels: list[str] = []
    pattern_style, pattern_label = [], []
    names, shas, tracks = [], [], []
    count = 0
    for file_path, recorded, style_name, label in clips:
        try:
            data, _ = read_bytes(Path(file_path))
            clip = read_clip(file_path, data)
        except ClipError:
            continue
        used = [b for b in clip.bars if b.used]
        if not used:
            continue
        names.append(recorded)
        shas.append(hashlib.sha256(data).hexdigest())  # of the bytes parsed
        tracks.append("+".join(str(t) for t in clip.drum_tracks))
        if style_name not in styles:
            styles.append(style_name)
        if label not in labels:
            labels.append(label)
        notes_parts.append(notes_from_planes(stack([b.bar for b in used]), first_bar=count))
        for k, b in enumerate(used):
            firsts.append(count + k)
            lengths.append(1)
            file_index.append(len(names) - 1)
            source_bars.append(b.source_bar)
            pattern_style.append(styles.index(style_name))
            pattern_label.append(labels.index(label))
        count += len(used)
    notes = np.concatenate(notes_parts) if notes_parts else np.zeros((0, 4), np.int64)
    ones: list[int] = [1] * len(firsts)
    patterns: dict[str, Any] = {
        "pattern_first_bar": firsts, "pattern_length": lengths, "pattern_file": file_index,
        "pattern_source_bar": source_bars, "pattern_repeats": ones, "pattern_occurrences": ones,
        "pattern_style": pattern_style, "pattern_label": pattern_label,
    }  # fmt: skip
    texts = {"files": names, "file_sha256": shas, "file_tracks": tracks, "styles": styles, "labels": labels}
    summary = {"files": len(names), "bars": count, "styles": {s: pattern_style.count(i) for i, s in enumerate(styles)}}
    write_dataset(build_dataset(notes, patterns, texts, {"kind": "clip bars", "colour": colour}, summary), path)
    return count


__all__ = [
    "CLIP_BARS_SUFFIX",
    "NoMap",
    "clip_bars_files",
    "clip_bars_map",
    "clip_files_map",
    "model_map",
    "per_clip",
    "recorded_clips",
    "write_clip_bars",
]
