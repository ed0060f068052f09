"""What plays where, still: the five drum groups a pad point's decoded bar is summed into, and the rule that turns a
grid of decoded bars into a picture — each point's size its onsets, its colour the mix of its groups (as the map of
Mutable Instruments' Grids reads). The web page's pad draws it by default (``static/js/pad.js``, with the groups
and colours from ``static/js/rules.js``, generated from here) and ``rvae map MODEL --pad out.png`` writes it
(:mod:`rvae_server.mining.mapfigure`).

The onsets of a point are the page's: instrument ``k`` is struck at tick ``t`` when the probability byte
``round(p * 255)`` is at least ``ceil(threshold * 255)``, ``threshold`` being the layer's (0.5 is the model's own
calibrated default), muted instruments left out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import INSTRUMENT_NAMES, N_INSTRUMENTS


@dataclass(frozen=True, slots=True)
class DrumGroup:
    """One group of the picture: its name, its instruments (names of the instrument table) and its colour."""

    name: str
    instruments: tuple[str, ...]
    colour: tuple[int, int, int]  # RGB 0..255

    @property
    def hex(self) -> str:
        return "#{:02x}{:02x}{:02x}".format(*self.colour)


#: The groups, in the order of the picture's legend; every instrument is in exactly one.
GROUPS: tuple[DrumGroup, ...] = (
    DrumGroup("kick", ("kick",), (255, 77, 94)),
    DrumGroup("snare", ("snare",), (255, 196, 40)),
    DrumGroup("hats", ("closed-hat", "open-hat"), (77, 163, 255)),
    DrumGroup("toms", ("low-tom", "mid-tom", "high-tom"), (61, 220, 132)),
    DrumGroup("cymbals", ("crash", "ride"), (205, 120, 255)),
)
#: The group of each instrument, in instrument order.
GROUP_OF: tuple[int, ...] = tuple(
    next(g for g, group in enumerate(GROUPS) if name in group.instruments) for name in INSTRUMENT_NAMES
)
#: The colour of a point that plays nothing.
SILENT = (58, 62, 72)


def onset_cut(threshold: float) -> int:
    """The smallest probability byte that is an onset at ``threshold`` (the page's rule)."""
    return math.ceil(threshold * 255 - 1e-6)


def group_counts(
    probs: NDArray[np.floating], threshold: float = 0.5, mutes: Sequence[bool] | None = None
) -> NDArray[np.int64]:
    """Onsets of each group ``(P, len(GROUPS))`` for decoded probabilities ``(P, 96, 9)``."""
    data = np.rint(np.nan_to_num(np.asarray(probs, dtype=np.float64)) * 255.0)
    on = data >= onset_cut(threshold)
    per_instrument = on.sum(axis=1)  # (P, 9)
    if mutes is not None:
        per_instrument[:, np.asarray(mutes, dtype=bool)[:N_INSTRUMENTS]] = 0
    counts = np.zeros((len(per_instrument), len(GROUPS)), dtype=np.int64)
    for k, g in enumerate(GROUP_OF):
        counts[:, g] += per_instrument[:, k]
    return counts


def mix_colours(counts: NDArray[np.integer]) -> NDArray[np.uint8]:
    """The colour of each point ``(P, 3)``: its groups' colours weighted by their onsets; :data:`SILENT` where it
    plays nothing."""
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum(axis=1, keepdims=True)
    palette = np.array([g.colour for g in GROUPS], dtype=np.float64)
    mixed = (counts @ palette) / np.maximum(total, 1.0)
    mixed[total[:, 0] == 0] = SILENT
    out: NDArray[np.uint8] = np.rint(mixed).astype(np.uint8)
    return out


def point_sizes(counts: NDArray[np.integer]) -> NDArray[np.float64]:
    """Each point's size in ``[0, 1]`` (1 = the busiest point of the grid): the square root of its onsets over the
    most onsets, so a dot's area goes with its onsets."""
    total = np.asarray(counts).sum(axis=1).astype(np.float64)
    top = float(total.max()) if len(total) else 0.0
    sizes: NDArray[np.float64] = np.sqrt(total / top) if top > 0 else np.zeros_like(total)
    return sizes


__all__ = ["GROUPS", "GROUP_OF", "SILENT", "DrumGroup", "group_counts", "mix_colours", "onset_cut", "point_sizes"]
