"""The notes of ``/rvae/capture/clip`` as ``/rvae/clip`` datagrams, for the Max for Live device's clip writer
(``maxpatch/rvae_clip.js``): the last bars a layer played, to become a new Live clip."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rvae_server.surfaces.osc.planstream import NOTES_PER_DATAGRAM
from rvae_server.surfaces.osc.spec import PREFIX

#: Notes per ``/rvae/clip`` datagram: the plan stream's (about 1 KB).
CLIP_NOTES_PER_DATAGRAM = NOTES_PER_DATAGRAM


def clip_messages(layer: int, bars: int, notes: Sequence[tuple[float, int, int]]) -> list[tuple[str, list[Any]]]:
    """The ``/rvae/clip`` datagrams (``layer`` 0-based here, 1-based sent): ``layer bars part parts`` then
    ``position note velocity`` per note; one datagram when there is no note."""
    size = CLIP_NOTES_PER_DATAGRAM
    parts = max(1, -(-len(notes) // size))
    out: list[tuple[str, list[Any]]] = []
    for part in range(parts):
        args: list[Any] = [layer + 1, int(bars), part, parts]
        for position, note, velocity in notes[part * size : (part + 1) * size]:
            args += [round(float(position), 4), int(note), int(velocity)]
        out.append((f"{PREFIX}/clip", args))
    return out


__all__ = ["CLIP_NOTES_PER_DATAGRAM", "clip_messages"]
