"""Where a rhythm lives on the pad: bars encoded with a layer's model (its encoder's posterior mean, on the pad),
for ``/rvae/encode PATH``, a clip dropped on the web page and the follow mode. Through the engine's control API
only: the pad jumps to the first bar's point (or glides, for the follow mode), and the bars' points show as a
trail on the page."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rvae_server.core.bar import Bar, stack
from rvae_server.core.midifile import ClipError, read_clip
from rvae_server.engine.api import ControlError, EngineControl
from rvae_server.model.clip_folders import TrainingRefused, resolve_clip_folder

#: Bars of one clip encoded (and shown as the trail).
MAX_BARS = 64


def encode_bars(engine: EngineControl, layer: int, bars: Sequence[Bar]) -> list[tuple[float, float]]:
    """The pad points of ``bars`` under the model ``layer`` plays. Raises :class:`ControlError`."""
    name = engine.state(layer).model
    model = engine.models.get(name)
    encode = getattr(model, "encode", None)
    if encode is None:
        raise ControlError(f"model {name!r} has no encoder: it cannot place a rhythm on the pad")
    if not bars:
        raise ControlError("no bar to encode")
    xy = np.asarray(encode(stack(list(bars)[:MAX_BARS])), dtype=np.float64)
    return [(round(float(x), 4), round(float(y), 4)) for x, y in xy]


def clip_bars(path: str | os.PathLike[str], shown_as: str | None = None) -> list[Bar]:
    """The used bars (2 or more onsets) of a MIDI clip. Raises :class:`ControlError` naming the clip."""
    try:
        clip = read_clip(path)
    except ClipError as err:
        raise ControlError(str(err).replace(str(path), shown_as) if shown_as else str(err)) from None
    bars = [b.bar for b in clip.bars if b.used]
    if not bars:
        raise ControlError(f"{shown_as or path}: no bar with 2 or more onsets to place on the pad")
    return bars[:MAX_BARS]


def jump(engine: EngineControl, layer: int, points: Sequence[tuple[float, float]]) -> list[str]:
    """Move the layer's pad to the first point and show them all as its trail."""
    notes = engine.update(layer, x=points[0][0], y=points[0][1])
    engine.set_trail(layer, [list(p) for p in points])
    return notes


def encode_clip(
    engine: EngineControl, layer: int, text: str, clip_dirs: Sequence[str | os.PathLike[str]]
) -> list[tuple[float, float]]:
    """``/rvae/encode PATH``: the clip ``text`` names, confined to the clip folders as training folders are; the
    pad jumps to its first bar, its bars show as a trail. Returns the points."""
    try:
        path = resolve_clip_folder(text, clip_dirs)
    except TrainingRefused as err:
        raise ControlError(str(err).replace("clip folder ", "clip ", 1)) from None
    if not Path(path).is_file():
        raise ControlError(f"{text!r} is not a MIDI file (a folder?)")
    points = encode_bars(engine, layer, clip_bars(path, text))
    jump(engine, layer, points)
    return points


__all__ = ["MAX_BARS", "clip_bars", "encode_bars", "encode_clip", "jump"]
