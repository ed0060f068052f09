"""Keys: the 24 major and minor keys, their names, parsing, and two key detectors.

Names
-----
A key is printed in English, ``C major`` … ``B minor``, with the usual spelling of its signature (flats for
``F major``, ``Bb major``, ``Eb major``, ``Ab major``, ``Db major`` and ``D minor``, ``G minor``, ``C minor``,
``F minor``, ``Bb minor``, ``Eb minor``; sharps for the others). :func:`parse_key` accepts that and the short
forms everywhere a key is asked for: ``Am``, ``A minor``, ``a min``, ``Eb``, ``E♭ major``, ``F#m``, ``F♯ minor``,
``Gb`` (an enharmonic spelling is the same key), ``CM``/``Cmaj``. A bare letter is major. German names (``a-moll``,
``Es-dur``, ``H-dur``, ``B`` = B flat), as the labelled set writes them, are read by :func:`parse_german_key`.

Detectors
---------
* :func:`detect_key_counts` ranks the keys whose natural scale holds the pitch classes heard (or, when none does,
  the most frequent ones: :func:`_scale_shortlist`) by the correlation of the pitch-class histogram with the
  Krumhansl–Kessler profile rotated to each (Temperley's Kostka–Payne and Aarden–Essen profiles are here too).
  It reads counts only, so it serves whole songs (:mod:`rvae_server.melody.pairs` keys the training pairs with it).
* A melody's key is :func:`rvae_server.melody.keyfinder.detect`, ours (23 cues weighed by a fitted model); the
  paper's detector, ported as published, is :func:`rvae_server.melody.tonika.detect_key_seed`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

_MAJOR_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_MINOR_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B")
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)  # natural minor


@dataclass(frozen=True, slots=True, order=True)
class Key:
    """One of the 24 keys: ``tonic`` pitch class (C = 0 … B = 11) and ``minor``."""

    minor: bool
    tonic: int

    @property
    def index(self) -> int:
        """0..23: the major keys C..B, then the minor keys C..B (the order of :data:`KEYS`)."""
        return self.tonic + 12 * self.minor

    @property
    def name(self) -> str:
        """``"A minor"``, ``"Eb major"``."""
        return f"{self.letter} {'minor' if self.minor else 'major'}"

    @property
    def short(self) -> str:
        """``"Am"``, ``"Eb"``."""
        return self.letter + ("m" if self.minor else "")

    @property
    def letter(self) -> str:
        return (_MINOR_NAMES if self.minor else _MAJOR_NAMES)[self.tonic]

    @property
    def relative(self) -> Key:
        """The relative minor of a major key (A minor for C major), the relative major of a minor key."""
        return Key(False, (self.tonic + 3) % 12) if self.minor else Key(True, (self.tonic + 9) % 12)

    @property
    def scale(self) -> tuple[int, ...]:
        """The pitch classes of its (natural) scale, tonic first."""
        return tuple((self.tonic + s) % 12 for s in (MINOR_SCALE if self.minor else MAJOR_SCALE))

    def transpose(self, semitones: int) -> Key:
        return Key(self.minor, (self.tonic + semitones) % 12)

    def __str__(self) -> str:
        return self.name


#: The 24 keys, index order: C major … B major, C minor … B minor.
KEYS: tuple[Key, ...] = tuple(Key(m, t) for m in (False, True) for t in range(12))
#: ``SCALE_MASKS[key index, pitch class]``: whether the pitch class is in the key's scale.
SCALE_MASKS = np.zeros((24, 12), dtype=bool)
for _k in KEYS:
    SCALE_MASKS[_k.index, list(_k.scale)] = True

_KEY_RE = re.compile(r"^([A-G])\s*(#|♯|sharp|b|♭|flat)?\s*(m|min|minor|maj|major)?$", re.IGNORECASE)
_ACCIDENTAL = {"#": 1, "♯": 1, "sharp": 1, "b": -1, "♭": -1, "flat": -1}
_LETTER = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def parse_key(text: object) -> Key:
    """A key from ``"Am"``, ``"A minor"``, ``"Eb"``, ``"F#m"``, ``"Gb major"`` … (see the module docstring), or from
    its index 0..23. Raises ``ValueError`` naming the accepted forms."""
    if isinstance(text, Key):
        return text
    if isinstance(text, int | np.integer) and not isinstance(text, bool):
        if 0 <= int(text) < 24:
            return KEYS[int(text)]
        raise ValueError(f"key index {text} is out of range 0..23")
    raw = str(text).strip().replace("-", " ")
    match = _KEY_RE.match(raw)
    if not match:
        raise ValueError(
            f"unknown key {text!r}: write a note letter with an optional # or b and m for minor, "
            "like C, Am, Eb, F#m, 'Bb major' or 'G minor'"
        )
    letter, accidental, mode = match.groups()
    tonic = (_LETTER[letter.upper()] + _ACCIDENTAL.get((accidental or "").lower(), 0)) % 12
    minor = mode is not None and mode != "M" and mode.lower() in ("m", "min", "minor")
    return Key(minor, tonic)


_GERMAN = {
    "c": 0, "cis": 1, "des": 1, "d": 2, "dis": 3, "es": 3, "e": 4, "f": 5, "fis": 6, "ges": 6, "g": 7,
    "gis": 8, "as": 8, "a": 9, "ais": 10, "b": 10, "h": 11, "ces": 11,
}  # fmt: skip


def parse_german_key(label: str) -> Key:
    """A German key name as the labelled set writes it: ``F-dur``, ``d-moll``, ``Es-dur``, ``H-dur`` (B),
    ``B-dur`` (B flat), ``fis-moll``; ``-moii`` is read as ``-moll`` (one label has that typo)."""
    text = label.strip().lower().replace("moii", "moll")
    note, _, mode = text.partition("-")
    if note not in _GERMAN or mode not in ("dur", "moll"):
        raise ValueError(f"not a German key name: {label!r} (like 'F-dur', 'd-moll', 'Es-dur', 'fis-moll')")
    return Key(mode == "moll", _GERMAN[note])


# ---------------------------------------------------------------------------------------------- profiles

#: Key profiles (major, minor), C tonic first. Published weights of each pitch class in a key.
PROFILES: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "krumhansl": (
        (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88),
        (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17),
    ),
    "temperley": (
        (0.748, 0.060, 0.488, 0.082, 0.670, 0.460, 0.096, 0.715, 0.104, 0.366, 0.057, 0.400),
        (0.712, 0.084, 0.474, 0.618, 0.049, 0.460, 0.105, 0.747, 0.404, 0.067, 0.133, 0.330),
    ),
    "aarden": (
        (17.7661, 0.145624, 14.9265, 0.160186, 19.8049, 11.3587, 0.291248, 22.062, 0.145624, 8.15494,
         0.232998, 4.95122),
        (18.2648, 0.737619, 14.0499, 16.8599, 0.702494, 14.4362, 0.702494, 18.6161, 4.56621, 1.93186,
         7.37619, 1.75623),
    ),
}  # fmt: skip
DEFAULT_PROFILE = "krumhansl"


def _profile_matrix(name: str) -> NDArray[np.float64]:
    """(24, 12): each key's profile rotated to its tonic, centred and scaled to unit norm (a dot product with a
    centred, unit histogram is then the Pearson correlation)."""
    major, minor = (np.asarray(p, dtype=np.float64) for p in PROFILES[name])
    rows = [np.roll(major, t) for t in range(12)] + [np.roll(minor, t) for t in range(12)]
    m = np.stack(rows)
    m -= m.mean(axis=1, keepdims=True)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    return m


_MATRICES = {name: _profile_matrix(name) for name in PROFILES}


def histogram(pitches: ArrayLike, lengths: ArrayLike | None = None) -> NDArray[np.float64]:
    """The pitch-class histogram (12 values summing to 1; zeros for no notes), each note weighted by its
    length when ``lengths`` are given."""
    p = np.asarray(pitches, dtype=np.int64).ravel()
    if p.size == 0:
        return np.zeros(12)
    w = np.ones(p.size) if lengths is None else np.maximum(np.asarray(lengths, dtype=np.float64).ravel(), 0.0)
    h = np.bincount(p % 12, weights=w, minlength=12).astype(np.float64)
    total = h.sum()
    if total <= 0:
        h = np.bincount(p % 12, minlength=12).astype(np.float64)
        total = h.sum()
    return h / total


def key_scores(hist: ArrayLike, profile: str = DEFAULT_PROFILE) -> NDArray[np.float64]:
    """Correlation of a pitch-class histogram with each of the 24 keys' profiles (index order of :data:`KEYS`)."""
    h = np.asarray(hist, dtype=np.float64)
    centred = h - h.mean()
    norm = float(np.linalg.norm(centred))
    if norm == 0.0:
        return np.zeros(24)
    return _MATRICES[profile] @ (centred / norm)


def _scale_shortlist(counts: NDArray[np.floating] | NDArray[np.integer]) -> list[Key]:
    """The keys whose natural scale holds every pitch class heard (``counts``: 12 weights) or, when none does,
    the most frequent ones (dropping the rarest until some key holds them); the seed detector's first step."""
    c = np.asarray(counts)
    by_count = sorted(np.nonzero(c)[0].tolist(), key=lambda pc: (-c[pc], pc))
    for keep in range(len(by_count), 0, -1):
        holds = SCALE_MASKS[:, by_count[:keep]].all(axis=1)
        if holds.any():
            return [KEYS[i] for i in np.flatnonzero(holds)]
    return list(KEYS)


def detect_key_counts(counts: ArrayLike, *, profile: str = DEFAULT_PROFILE) -> Key:
    """The key of a pitch-class histogram (12 non-negative weights, not all zero): among the keys whose scale holds
    the pitch classes heard, the best correlation with the key profile (see the module docstring)."""
    h = np.asarray(counts, dtype=np.float64)
    if h.shape != (12,) or not (h >= 0).all() or h.sum() <= 0:
        raise ValueError("a pitch-class histogram has 12 non-negative weights, not all zero")
    scores = key_scores(h / h.sum(), profile)
    return max(_scale_shortlist(h), key=lambda k: (scores[k.index], -k.index))


def same_or_relative(a: Key, b: Key) -> bool:
    """Whether two keys are the same or relative major/minor (the same scale)."""
    return a == b or a.relative == b


__all__ = [
    "DEFAULT_PROFILE",
    "KEYS",
    "MAJOR_SCALE",
    "MINOR_SCALE",
    "PROFILES",
    "SCALE_MASKS",
    "Key",
    "detect_key_counts",
    "histogram",
    "key_scores",
    "parse_german_key",
    "parse_key",
    "same_or_relative",
]
