"""The paper's tonality detector, as published (Tikhonov & Yamshchikov's ``tonika_detector``, BSD-3-Clause, "Copyright
(c) 2020, Aleksey Tikhonov"; github.com/altsoph/tonika_detector), ported step for step to compare ours with it.

Its 24 scales (``tones.yaml``: the major and natural-minor scale of each key, in the file's order, which decides
ties) are each kept when every pitch class heard is in the scale; if none holds them all, the most frequent pitch
classes are kept, one fewer at a time (ties in frequency: the one heard first), until some scale holds them. Among
those, heuristic "1135" scores a key: 3 × the count of its tonic + the counts of its third and of its fifth (in
major) or minor sixth (in minor) + the consecutive pairs fifth → tonic, tonic → fifth and tonic → third (pairs of
different notes, in order). The first key of the best score wins.

The published script reads ``msg.note`` for every channel message of the file's first track (note-ons, and
note-offs where the file has them); here it reads the onsets' pitches in time order — what the hand-labelled set
holds (its files have note-ons only) and what a melody's roll gives.
"""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
from numpy.typing import ArrayLike

from rvae_server.melody.keys import Key

#: The keys in tones.yaml's order: C-dur, Des-dur, b-moll, As-dur, f-moll, Es-dur, B-dur, g-moll, F-dur, d-moll,
#: a-moll, G-dur, e-moll, D-dur, h-moll, A-dur, fis-moll, E-dur, H-dur, gis-moll, Fis-dur, dis-moll, c-moll, cis-moll.
YAML_ORDER: tuple[Key, ...] = tuple(
    Key(minor, tonic)
    for minor, tonic in (
        (False, 0), (False, 1), (True, 10), (False, 8), (True, 5), (False, 3), (False, 10), (True, 7), (False, 5),
        (True, 2), (True, 9), (False, 7), (True, 4), (False, 2), (True, 11), (False, 9), (True, 6), (False, 4),
        (False, 11), (True, 8), (False, 6), (True, 3), (True, 0), (True, 1),
    )
)  # fmt: skip


def _shortlist(counts: Counter[int]) -> list[Key]:
    heard = set(counts)
    keys = [k for k in YAML_ORDER if heard <= set(k.scale)]
    current = len(counts) - 1
    while not keys and current > 0:
        common = {pc for pc, _ in counts.most_common(current)}
        keys = [k for k in YAML_ORDER if common <= set(k.scale)]
        current -= 1
    return keys


def detect_key_seed(pitches: ArrayLike) -> Key:
    """The paper's detector on pitches in time order (see the module docstring). Raises ``ValueError`` for none."""
    pcs = [int(p) % 12 for p in np.asarray(pitches).ravel()]
    if not pcs:
        raise ValueError("no notes to detect a key from")
    counts = Counter(pcs)
    pairs: Counter[tuple[int, int]] = Counter((a, b) for a, b in itertools.pairwise(pcs) if a != b)
    best: Key | None = None
    best_score = -1
    for key in _shortlist(counts):
        s = key.scale
        score = 3 * counts[s[0]] + counts[s[2]] + pairs[(s[4], s[0])] + pairs[(s[0], s[4])] + pairs[(s[0], s[2])]
        score += counts[s[5]] if key.minor else counts[s[4]]
        if score > best_score:
            best, best_score = key, score
    if best is None:  # no scale holds even the most frequent pitch class: cannot happen with 24 scales
        raise ValueError("no key holds the notes")
    return best


__all__ = ["YAML_ORDER", "detect_key_seed"]
