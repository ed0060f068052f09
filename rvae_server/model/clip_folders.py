"""The one rule for clip folders named from the network (OSC, the web page): confined to the folders the performer
configured, no ``..``, no symlinks leading outside; a path the system refuses (a part over 255 bytes) is a
refusal naming why, like the others."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path


class TrainingRefused(ValueError):
    """A training request that cannot start (a job is running, a folder outside the clip folders …)."""


def resolve_clip_folder(text: str, allowed: Sequence[str | os.PathLike[str]]) -> Path:
    """The folder (or file) ``text`` names, confined to the ``allowed`` clip folders: a relative path is taken
    inside the first allowed folder that has it; an absolute one must lie inside one of them. ``..`` parts and
    symlinks that lead outside are refused. Raises :class:`TrainingRefused` naming what was wrong."""
    if not allowed:
        raise TrainingRefused("no clip folders are configured on this server (serve --clip-dir DIR)")
    if not text or "\x00" in text:
        raise TrainingRefused("the clip folder name is empty or holds a NUL byte")
    raw = Path(text)
    if ".." in raw.parts:
        raise TrainingRefused(f"clip folder {text!r} may not contain '..'")
    roots = [Path(a).resolve() for a in allowed]
    candidates = [raw] if raw.is_absolute() else [root / raw for root in roots]
    for candidate in candidates:
        try:
            real = candidate.resolve()
            exists = real.exists()
        except OSError as err:  # a name part over 255 bytes, a path too long, a loop of links ...
            raise TrainingRefused(f"clip folder {text[:80]!r}: {err.strerror or err}") from None
        inside = any(real == root or root in real.parents for root in roots)
        if exists and inside:
            return real
        if exists and not inside:
            raise TrainingRefused(f"clip folder {text!r} lies outside the clip folders {', '.join(map(str, roots))}")
    raise TrainingRefused(f"no folder {text!r} in the clip folders {', '.join(map(str, roots))}")
