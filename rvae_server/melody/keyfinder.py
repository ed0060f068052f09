"""Our key detector: 23 cues a musician hears in a melody, weighed by a model fitted on hand-labelled melodies.

For each of the 24 keys, :func:`features` measures (pitch classes relative to the key's tonic; a melody is its
onsets' times and pitches):

* how well its pitch-class counts correlate with three published key profiles (Aarden–Essen, derived from folk
  melodies; Krumhansl–Kessler; Temperley's Kostka–Payne);
* the share of notes in the key's scale, and whether all are (the paper's detector keeps only those keys);
* the mode's signs: minor third against major third, minor sixth against major sixth, the raised seventh in minor;
* the tonic's share, whether the first note is the tonic or in the tonic triad, the last note, the lowest note,
  and the share of tonics among phrase ends (notes followed by a rest of twice the median gap or more);
* the harmony the melody outlines: the triad that best fits the notes of each span of 4 and of 8 beats (weighted
  by duration), and whether the first span's triad is the key's tonic triad (or has its root), whether the last
  one is, and the shares of spans on the tonic, dominant and subdominant.

A key's score is the weighted sum of its cues (:data:`WEIGHTS`); the best score wins. The weights come from a
multinomial logistic regression (:func:`fit_weights`, Newton's method, L2 penalty :data:`PENALTY`) fitted on the
128 hand-labelled melodies of the paper's authors that this project holds (``../shared/data/keys``; the other
half is kept back by whoever checks): ``python scripts/fit_key_detector.py`` refits them and prints the
cross-validation (4 folds and leave-one-out) beside the paper's detector (:mod:`rvae_server.melody.tonika`).

The beat: spans are counted in beats. Lines on the 24-ppqn grid say theirs (24 ticks); for a file the beat is the
file's quarter note unless its notes do not sit on that grid (a file written with a resolution its notes do not
follow): then :func:`estimate_beat` takes twice the most common gap between onsets.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rvae_server.core.melodyfile import read_notes
from rvae_server.melody.keys import KEYS, PROFILES, SCALE_MASKS, Key, key_scores, parse_german_key, same_or_relative
from rvae_server.melody.tonika import detect_key_seed

F64 = NDArray[np.float64]

FEATURES: tuple[str, ...] = (
    "aarden", "krumhansl", "temperley", "sixth", "in_scale", "all_in_scale", "third", "leading", "tonic",
    "first", "first_triad", "last", "lowest", "phrase_ends", "chord1_4", "root1_4", "chord1_8", "root1_8",
    "chord_last_8", "tonic_chords_4", "tonic_chords_8", "dominant_chords_8", "subdominant_chords_8",
)  # fmt: skip
#: Fitted by scripts/fit_key_detector.py on the 128 labelled melodies (penalty PENALTY); see the module docstring.
WEIGHTS: dict[str, float] = {
    "aarden": 1.76066,
    "krumhansl": 1.77627,
    "temperley": 1.81323,
    "sixth": 0.767885,
    "in_scale": 1.71236,
    "all_in_scale": 2.13503,
    "third": 0.0839352,
    "leading": 0.165419,
    "tonic": 0.361606,
    "first": 0.0350697,
    "first_triad": 1.18959,
    "last": -0.466896,
    "lowest": 0.311473,
    "phrase_ends": 0.614542,
    "chord1_4": 0.535069,
    "root1_4": 0.657413,
    "chord1_8": -0.275574,
    "root1_8": 0.701671,
    "chord_last_8": 0.188465,
    "tonic_chords_4": 0.313628,
    "tonic_chords_8": 0.315196,
    "dominant_chords_8": 0.0292197,
    "subdominant_chords_8": 0.0506526,
}
PENALTY = 3e-3

_TONIC = np.array([k.tonic for k in KEYS])
_MINOR = np.array([k.minor for k in KEYS])
_REL = (_TONIC[:, None] + np.arange(12)[None, :]) % 12  # (24, 12): pitch class of each degree of each key
_THIRD = np.where(_MINOR, 3, 4)
_TRIAD = np.zeros((24, 12))  # the 24 triads (root weighted 1.2) and what is not in them
for _k in KEYS:
    _TRIAD[_k.index, [_k.tonic, (_k.tonic + _THIRD[_k.index]) % 12, (_k.tonic + 7) % 12]] = (1.2, 1.0, 1.0)
_OUTSIDE = (_TRIAD == 0).astype(np.float64)


def _chords(times: F64, pcs: NDArray[np.int64], weights: F64, span: float) -> NDArray[np.int64]:
    """The best-fitting triad (0..23) of each span of ``span`` time units that holds notes, in order."""
    segment = np.floor(times / span + 1e-6).astype(np.int64)  # a time on a span's line starts that span
    segment -= segment.min()
    grid = np.bincount(segment * 12 + pcs, weights=weights, minlength=(segment.max() + 1) * 12).reshape(-1, 12)
    grid = grid[grid.sum(axis=1) > 0]
    return np.argmax(grid @ _TRIAD.T - 0.5 * grid @ _OUTSIDE.T, axis=1)


def estimate_beat(times: ArrayLike, nominal: float) -> float:
    """The beat of onsets ``times``: ``nominal`` when the onsets sit on its sixteenth grid (90 % of them), else twice
    the most common gap between onsets (the eighth note of a melody), if that grid fits them better."""
    t = np.asarray(times, dtype=np.float64)
    gaps = np.diff(t)
    gaps = gaps[gaps > 1e-9]
    if t.size < 2 or gaps.size == 0 or nominal <= 0:
        return nominal

    def fit(beat: float) -> float:
        unit = beat / 4
        phase = (t - t[0]) / unit
        return float(np.mean(np.abs(phase - np.round(phase)) < 0.05))

    if fit(nominal) >= 0.9:
        return nominal
    values, counts = np.unique(np.round(gaps, 6), return_counts=True)
    guess = 2.0 * float(values[np.argmax(counts)])
    return guess if fit(guess) > fit(nominal) else nominal


def features(times: ArrayLike, pitches: ArrayLike, beat: float) -> F64:
    """The cues of a melody for each key: ``(24, len(FEATURES))`` (see the module docstring). ``times``: onsets in
    any unit, ``beat`` in the same unit; ``pitches``: MIDI notes, one per onset, in time order."""
    t = np.asarray(times, dtype=np.float64).ravel()
    p = np.asarray(pitches, dtype=np.int64).ravel()
    if p.size == 0 or t.size != p.size:
        raise ValueError("a melody needs notes, with one time per pitch")
    pcs = p % 12
    gaps = np.diff(t, append=t[-1] + beat)
    hist: F64 = np.bincount(pcs, minlength=12).astype(np.float64) / pcs.size
    rel = hist[_REL]  # (24, 12): the histogram from each key's tonic
    sign = np.where(_MINOR, 1.0, -1.0)
    heard = hist > 0
    first, last, lowest = pcs[0], pcs[-1], pcs[int(np.argmin(p))]
    ends = pcs[gaps >= 2 * np.median(gaps)]
    triad = np.stack([_TONIC, (_TONIC + _THIRD) % 12, (_TONIC + 7) % 12], axis=1)
    cues = {name: key_scores(hist, name) for name in PROFILES}  # aarden, krumhansl, temperley
    cues["sixth"] = sign * (rel[:, 8] - rel[:, 9])
    cues["in_scale"] = (SCALE_MASKS * hist[None, :]).sum(axis=1)
    cues["all_in_scale"] = np.asarray((~(heard[None, :] & ~SCALE_MASKS)).all(axis=1), dtype=np.float64)
    cues["third"] = sign * (rel[:, 3] - rel[:, 4])
    cues["leading"] = _MINOR * rel[:, 11]
    cues["tonic"] = rel[:, 0]
    cues["first"] = (first == _TONIC).astype(np.float64)
    cues["first_triad"] = (triad == first).any(axis=1).astype(np.float64)
    cues["last"] = (last == _TONIC).astype(np.float64)
    cues["lowest"] = (lowest == _TONIC).astype(np.float64)
    cues["phrase_ends"] = (np.bincount(ends, minlength=12) / max(1, ends.size))[_TONIC]
    for span in (4, 8):
        chords = _chords(t, pcs, gaps, span * beat)
        share = np.bincount(chords, minlength=24) / chords.size
        roots = np.bincount(chords % 12, minlength=12) / chords.size
        cues[f"chord1_{span}"] = (np.arange(24) == chords[0]).astype(np.float64)
        cues[f"root1_{span}"] = (chords[0] % 12 == _TONIC).astype(np.float64)
        cues[f"tonic_chords_{span}"] = share
        if span == 8:
            cues["chord_last_8"] = (np.arange(24) == chords[-1]).astype(np.float64)
            cues["dominant_chords_8"] = roots[(_TONIC + 7) % 12]
            cues["subdominant_chords_8"] = roots[(_TONIC + 5) % 12]
    return np.stack([cues[name] for name in FEATURES], axis=1)


def _weights() -> F64:
    return np.array([WEIGHTS[name] for name in FEATURES])


def detect(times: ArrayLike, pitches: ArrayLike, beat: float) -> Key:
    """The key of a melody (see the module docstring); raises ``ValueError`` for no notes."""
    scores = features(times, pitches, beat) @ _weights()
    return KEYS[int(np.argmax(scores))]


def detect_key(pitches: ArrayLike, times: ArrayLike | None = None, beat: float | None = None) -> Key:
    """The key of a melody given as pitches in time order, with their onset ``times`` when known (then ``beat`` in
    the same unit, estimated from the onsets when None with a nominal 1: times in quarter notes); without times the
    notes count as evenly spaced eighth notes."""
    p = np.asarray(pitches, dtype=np.int64).ravel()
    if p.size == 0:
        raise ValueError("no notes to detect a key from")
    if times is None:
        return detect(np.arange(p.size) * 0.5, p, 1.0)
    t = np.asarray(times, dtype=np.float64).ravel()
    return detect(t, p, estimate_beat(t, 1.0) if beat is None else beat)


def fit_weights(melodies: list[F64], keys: list[int], penalty: float = PENALTY, steps: int = 50) -> F64:
    """Weights (one per feature) of the multinomial logistic regression of ``keys`` (index 0..23) on the melodies'
    :func:`features`: the mean cross-entropy plus ``penalty`` × the squared weights, minimised by Newton's method."""
    x = np.stack(melodies)  # (N, 24, F)
    y = np.asarray(keys)
    n, _, f = x.shape
    rows = np.arange(n)

    def loss(w: F64) -> float:
        s = x @ w
        top = s.max(axis=1)
        lse = top + np.log(np.exp(s - top[:, None]).sum(axis=1))
        return float((lse - s[rows, y]).mean() + penalty * w @ w)

    w = np.zeros(f)
    for _ in range(steps):
        s = x @ w
        s -= s.max(axis=1, keepdims=True)
        prob = np.exp(s)
        prob /= prob.sum(axis=1, keepdims=True)  # (N, 24)
        mean = np.einsum("nk,nkf->nf", prob, x)  # expected features
        grad = (mean - x[rows, y]).sum(axis=0) / n + 2 * penalty * w
        second = np.einsum("nk,nkf,nkg->fg", prob, x, x) - np.einsum("nf,ng->fg", mean, mean)
        step = np.linalg.solve(second / n + 2 * penalty * np.eye(f), grad)
        size, before = 1.0, loss(w)
        while loss(w - size * step) > before and size > 1e-6:  # backtrack: Newton may overshoot far from the optimum
            size /= 2
        w = w - size * step
        if float(np.abs(size * step).max()) < 1e-9:
            break
    return w


def cross_validate(melodies: list[F64], keys: list[int], folds: int, penalty: float = PENALTY) -> list[int]:
    """The key each melody gets from weights fitted on the other folds (melody ``i`` is in fold ``i % folds``;
    ``folds == len(melodies)``: leave one out)."""
    n = len(melodies)
    found = [0] * n
    x = np.stack(melodies)
    for fold in range(folds):
        test = np.arange(n) % folds == fold
        w = fit_weights(list(x[~test]), [k for k, t in zip(keys, test, strict=True) if not t], penalty)
        for i in np.flatnonzero(test):
            found[i] = int(np.argmax(x[i] @ w))
    return found


def labelled_melodies(folder: str | Path) -> tuple[list[F64], list[int], list[int]]:
    """The hand-labelled set in ``folder`` (``keys.tsv``: file, German key name; ``midi/``): each melody's
    :func:`features`, its key (index) and the key the paper's detector finds."""
    root = Path(folder)
    rows = [r.split("\t") for r in (root / "keys.tsv").read_text(encoding="utf-8").splitlines() if r.strip()]
    x, truth, paper = [], [], []
    for name, label in rows:
        notes = read_notes(root / "midi" / name)
        x.append(features(notes.starts, notes.pitches, estimate_beat(notes.starts, 1.0)))
        truth.append(parse_german_key(label).index)
        paper.append(detect_key_seed(notes.pitches).index)
    return x, truth, paper


def cv_table(x: list[F64], truth: list[int], paper: list[int], folds: int) -> list[str]:
    """Lines of a cross-validation report: per fold (or, leaving one out, in all), ours and the paper's detector,
    exact and same-or-relative."""
    found = cross_validate(x, truth, folds)
    lines = []
    for fold in range(folds) if folds <= 8 else [None]:
        idx = [i for i in range(len(truth)) if fold is None or i % folds == fold]
        rate = {
            name: (np.mean([keys[i] == truth[i] for i in idx]) * 100,
                   np.mean([same_or_relative(KEYS[keys[i]], KEYS[truth[i]]) for i in idx]) * 100)
            for name, keys in (("ours", found), ("paper", paper))
        }  # fmt: skip
        label = f"fold {fold + 1}/{folds}" if fold is not None else f"leave-one-out ({folds} folds)"
        lines.append(f"{label:<26}{len(idx):4d} melodies   ours {rate['ours'][0]:5.1f}% exact {rate['ours'][1]:5.1f}% "
                     f"same-or-relative   paper's {rate['paper'][0]:5.1f}% / {rate['paper'][1]:5.1f}%")  # fmt: skip
    if folds <= 8:
        exact = np.mean([f == t for f, t in zip(found, truth, strict=True)]) * 100
        theirs = np.mean([p == t for p, t in zip(paper, truth, strict=True)]) * 100
        lines.append(f"{f'{folds} folds in all':<26}{len(truth):4d} melodies   ours {exact:5.1f}% exact"
                     f"{'':<26}paper's {theirs:5.1f}%")  # fmt: skip
    return lines


__all__ = [
    "FEATURES",
    "PENALTY",
    "WEIGHTS",
    "cross_validate",
    "cv_table",
    "detect",
    "detect_key",
    "estimate_beat",
    "features",
    "fit_weights",
    "labelled_melodies",
]
