"""The paper's filters as code and as a metric: the rules a generated melody must pass.

The seed (Tikhonov & Yamshchikov, §3.5) rejects a generated 4-bar loop, judged as **64 sixteenth-note steps**,
when any of these holds (rule names as reported):

============  =====================================================================
rule          the loop is rejected when …
============  =====================================================================
few_steps     notes sound on ≤ 3 of the 64 steps
long_pause    a pause is longer than 16 steps (a bar)
close_notes   two notes a tone or a semitone apart sound at once
wide_range    its range is wider than 2 octaves (24 semitones)
few_pitches   it has fewer than 3 distinct pitches
cluster       4 or more notes sound at once
one_pitch     one pitch makes more than 3/4 of its notes
off_key       the key detector finds another key than asked: ours (:mod:`rvae_server.melody.keyfinder`) or
              the paper's (:mod:`rvae_server.melody.tonika`), or either (``detector="ours"|"paper"|"both"``)
============  =====================================================================

:func:`judge` applies them to a roll (``(steps, 128)`` of sounding notes) and the onsets' pitches (and steps)
in time order; :func:`judge_lines` to bars of lines, put on the 64-step grid the way an independent reader would
(:func:`rvae_server.melody.grid.strict_roll`: every note on the step nearest its onset, none merged, so two notes
starting within one step sound together there): fewer than 4 bars are judged as the loop they play (repeated
to 4 bars). :class:`PassRates` counts verdicts: the pass rate per rule and in all, for the benchmark.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rvae_server.melody.grid import strict_roll
from rvae_server.melody.keyfinder import detect_key
from rvae_server.melody.keys import Key
from rvae_server.melody.line import Line
from rvae_server.melody.tonika import detect_key_seed

DETECTORS = ("ours", "paper", "both")
RULES: tuple[str, ...] = (
    "few_steps", "long_pause", "close_notes", "wide_range", "few_pitches", "cluster", "one_pitch", "off_key",
)  # fmt: skip
LOOP_BARS = 4


@dataclass(frozen=True, slots=True)
class Verdict:
    """The rules a melody failed (in :data:`RULES` order); it passes when there are none."""

    failed: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failed


def _longest_run(mask: NDArray[np.bool_] | np.bool_) -> int:
    """Length of the longest run of True."""
    flat = np.asarray(mask, dtype=bool).ravel()
    if not flat.any():
        return 0
    padded = np.concatenate(([False], flat, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return int((edges[1::2] - edges[::2]).max())


def judge(
    roll: NDArray[np.bool_],
    onset_pitches: ArrayLike,
    key: Key,
    onset_steps: ArrayLike | None = None,
    detector: str = "ours",
) -> Verdict:
    """Judge a melody: ``roll`` ``(steps, 128)`` bool of sounding notes, ``onset_pitches`` the pitch of every note
    in time order (``onset_steps`` their steps, when known: our detector reads the beat from them), ``key`` the
    key asked for, ``detector`` the key detector of the last rule (``"both"``: neither may find another key)."""
    roll = np.asarray(roll, dtype=bool)
    pitches = np.asarray(onset_pitches, dtype=np.int64).ravel()
    sounding = np.asarray(roll.any(axis=1), dtype=bool)
    at_once = roll.sum(axis=1)
    heard = np.flatnonzero(roll.any(axis=0))
    failed: list[str] = []
    if int(sounding.sum()) <= 3:
        failed.append("few_steps")
    if _longest_run(~sounding) > 16:
        failed.append("long_pause")
    if (roll[:, 1:] & roll[:, :-1]).any() or (roll[:, 2:] & roll[:, :-2]).any():
        failed.append("close_notes")
    if heard.size and int(heard[-1] - heard[0]) > 24:
        failed.append("wide_range")
    if np.unique(pitches).size < 3:
        failed.append("few_pitches")
    if (at_once >= 4).any():
        failed.append("cluster")
    if pitches.size and np.bincount(pitches).max() > 0.75 * pitches.size:
        failed.append("one_pitch")
    if pitches.size == 0 or not _in_key(pitches, onset_steps, detector, key):
        failed.append("off_key")
    return Verdict(tuple(failed))


def _in_key(pitches: NDArray[np.int64], steps: ArrayLike | None, detector: str, key: Key) -> bool:
    if detector in ("paper", "both") and detect_key_seed(pitches) != key:
        return False
    if detector == "paper":
        return True
    return detect_key(pitches, steps, 4.0) == key  # 4 sixteenth steps a beat (unused without steps)


def loop_of(lines: Sequence[Line]) -> list[Line]:
    """Bars of lines as the 4-bar loop they play: fewer bars repeat until there are 4 (more are kept)."""
    if not lines:
        raise ValueError("no bars to judge")
    out = list(lines)
    while len(out) < LOOP_BARS:
        out.append(lines[len(out) % len(lines)])
    return out


def judge_lines(lines: Sequence[Line], key: Key, detector: str = "ours") -> Verdict:
    """Judge consecutive bars of lines (see :func:`loop_of`) for ``key``, on the judge's 64-step roll."""
    roll, steps, pitches = strict_roll(loop_of(lines))
    return judge(roll, pitches, key, steps, detector)


def roll_notes(roll: NDArray[np.bool_]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The onset steps and pitches, in time order, of a roll whose notes are runs of sounding steps (a baseline's
    output): a note starts where a pitch begins to sound."""
    r = np.asarray(roll, dtype=bool)
    starts = r & ~np.vstack([np.zeros((1, r.shape[1]), dtype=bool), r[:-1]])
    steps, pitches = np.nonzero(starts)
    order = np.argsort(steps, kind="stable")
    return steps[order].astype(np.int64), pitches[order].astype(np.int64)


def roll_onsets(roll: NDArray[np.bool_]) -> NDArray[np.int64]:
    """The onset pitches of :func:`roll_notes`."""
    return roll_notes(roll)[1]


@dataclass(slots=True)
class PassRates:
    """Counts of verdicts: :meth:`add` each, then :meth:`rates` (share passing each rule, and all of them)."""

    total: int = 0
    passed: int = 0
    failures: dict[str, int] = field(default_factory=lambda: {r: 0 for r in RULES})

    def add(self, verdict: Verdict) -> None:
        self.total += 1
        self.passed += verdict.passed
        for rule in verdict.failed:
            self.failures[rule] += 1

    def extend(self, verdicts: Iterable[Verdict]) -> PassRates:
        for v in verdicts:
            self.add(v)
        return self

    def rates(self) -> dict[str, float]:
        n = max(self.total, 1)
        out = {rule: 1.0 - self.failures[rule] / n for rule in RULES}
        out["all"] = self.passed / n
        return out


__all__ = [
    "DETECTORS",
    "LOOP_BARS",
    "RULES",
    "PassRates",
    "Verdict",
    "judge",
    "judge_lines",
    "loop_of",
    "roll_notes",
    "roll_onsets",
]
