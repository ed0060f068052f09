"""The bar format and the instrument table: the one definition every other module derives from.

A **bar** is 4 beats x 24 ticks = 96 ticks (24 ppqn, one tick = one MIDI clock pulse) x 9 instruments,
held as three planes of shape ``(TICKS, N_INSTRUMENTS)`` = ``(96, 9)``, indexed ``[tick, instrument]``:

``onsets``
    1 where the instrument is struck on that tick, else 0.
``velocities``
    loudness of the stroke in (0, 1] (MIDI velocity / 127); 0 where there is no onset.
``microtiming``
    offset of the played note from its tick in [-1, 1), in units of **half a tick**:
    ``note time = tick + microtiming / 2`` ticks. **Positive = late**, negative = early (R-VAE's
    convention; GrooVAE's is the opposite). 0 where there is no onset.

24 ticks per beat hold the straight grid (sixteenths 6 ticks apart) and the triplet grid (eighth triplets
8 ticks apart, sixteenth triplets 4 apart) alike; in a compound meter (12/8, 6/8) the beat is the dotted
quarter, so its eighths fall 8 ticks apart.

A batch of bars is an array ``(N, 3, 96, 9)`` float32 with planes in the order of :data:`PLANES`; this is
what the model reads and writes (``3 x 864`` values a bar).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.peaks import MIN_VELOCITY as MIN_VELOCITY  # the softest onset a decoded bar plays
from rvae_server.core.peaks import played_planes

TICKS_PER_BEAT = 24
BEATS_PER_BAR = 4
TICKS = TICKS_PER_BEAT * BEATS_PER_BAR  # 96
PLANES = ("onsets", "velocities", "microtiming")


@dataclass(frozen=True, slots=True)
class Instrument:
    """One row of the instrument table."""

    name: str  # short name used for mutes, the CLI, OSC, the Max patch and the web page
    note: int  # default output note (General MIDI drum map)
    pitches: tuple[int, ...]  # input pitches that map to this instrument (Magenta's reduced drum map)


#: The instrument table, in model order. Input pitches follow Magenta's reduced drum map and keep the
#: Groove MIDI hi-hat edge pitches 22 (closed) and 26 (open).
INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument("kick", 36, (36, 35)),
    Instrument("snare", 38, (38, 27, 28, 31, 32, 33, 34, 37, 39, 40, 56, 65, 66, 75, 85)),
    Instrument("closed-hat", 42, (42, 44, 54, 68, 69, 70, 71, 73, 78, 80, 22)),
    Instrument("open-hat", 46, (46, 67, 72, 74, 79, 81, 26)),
    Instrument("low-tom", 45, (45, 29, 41, 43, 61, 64, 84)),
    Instrument("mid-tom", 48, (48, 47, 60, 63, 77, 86, 87)),
    Instrument("high-tom", 50, (50, 30, 62, 76, 83)),
    Instrument("crash", 49, (49, 52, 55, 57, 58)),
    Instrument("ride", 51, (51, 53, 59, 82)),
)
N_INSTRUMENTS = len(INSTRUMENTS)
INSTRUMENT_NAMES: tuple[str, ...] = tuple(i.name for i in INSTRUMENTS)
OUTPUT_NOTES: tuple[int, ...] = tuple(i.note for i in INSTRUMENTS)
CELLS = TICKS * N_INSTRUMENTS  # 864


def _pitch_lookup() -> NDArray[np.int8]:
    table = np.full(128, -1, dtype=np.int8)
    for index, instrument in enumerate(INSTRUMENTS):
        for pitch in instrument.pitches:
            if table[pitch] != -1:
                raise AssertionError(f"pitch {pitch} is listed for two instruments")
            table[pitch] = index
    return table


#: ``PITCH_TO_INSTRUMENT[pitch]`` is the instrument index of a MIDI pitch, or -1 for pitches not in the table.
PITCH_TO_INSTRUMENT: NDArray[np.int8] = _pitch_lookup()
PITCH_TO_INSTRUMENT.flags.writeable = False


def instrument_index(key: str | int) -> int:
    """The index of an instrument given by name (``"kick"``) or index (``0``..``8``, or its string).

    Raises ``ValueError`` naming the valid choices.
    """
    if isinstance(key, int) and not isinstance(key, bool):
        if 0 <= key < N_INSTRUMENTS:
            return key
        raise ValueError(f"instrument index {key} is out of range 0..{N_INSTRUMENTS - 1}")
    text = str(key).strip().lower()
    if text.isdigit():
        return instrument_index(int(text))
    try:
        return INSTRUMENT_NAMES.index(text)
    except ValueError:
        raise ValueError(
            f"unknown instrument {key!r}: choose one of {', '.join(INSTRUMENT_NAMES)} or 0..{N_INSTRUMENTS - 1}"
        ) from None


def parse_instruments(text: str) -> tuple[int, ...]:
    """Parse a comma-separated list of instrument names or indices (``"kick,snare"``) into sorted indices."""
    parts = [p for p in (s.strip() for s in text.split(",")) if p]
    return tuple(sorted({instrument_index(p) for p in parts}))


class Note(NamedTuple):
    """One struck cell of a bar, in playing order."""

    tick: int
    instrument: int
    velocity: float  # (0, 1]
    microtiming: float  # [-1, 1), half-ticks, positive = late

    @property
    def time(self) -> float:
        """When the note sounds, in ticks from the bar line (may be slightly below 0 or above 95)."""
        return self.tick + self.microtiming / 2.0


@dataclass(frozen=True, slots=True, eq=False)
class Bar:
    """One bar: three ``(96, 9)`` float32 planes. Construct with :meth:`empty`, :meth:`from_planes` or
    :meth:`from_notes`; the planes are read-only so a bar can be shared between threads."""

    onsets: NDArray[np.float32]
    velocities: NDArray[np.float32]
    microtiming: NDArray[np.float32]

    @staticmethod
    def empty() -> Bar:
        return Bar.from_planes(np.zeros((3, TICKS, N_INSTRUMENTS), dtype=np.float32))

    @staticmethod
    def from_planes(planes: NDArray[np.floating]) -> Bar:
        """Build a bar from an array ``(3, 96, 9)``. Velocity and microtiming are zeroed off the onsets."""
        arr = np.asarray(planes, dtype=np.float32)
        if arr.shape != (3, TICKS, N_INSTRUMENTS):
            raise ValueError(f"a bar's planes have shape (3, {TICKS}, {N_INSTRUMENTS}), not {arr.shape}")
        if not np.isfinite(arr).all():
            raise ValueError("a bar's planes must be finite (found NaN or inf)")
        onsets = (arr[0] > 0.5).astype(np.float32)
        velocities = np.clip(arr[1], 1.0 / 127.0, 1.0) * onsets
        microtiming = np.clip(arr[2], -1.0, 1.0) * onsets
        for plane in (onsets, velocities, microtiming):
            plane.flags.writeable = False
        return Bar(onsets, velocities.astype(np.float32), microtiming.astype(np.float32))

    @staticmethod
    def from_valid_planes(planes: NDArray[np.float32]) -> Bar:
        """Wrap an array ``(3, 96, 9)`` float32 that already keeps the bar's invariants (0/1 onsets, velocity in
        (0, 1] and microtiming in [-1, 1) on onsets, zeros elsewhere) without copying or checking it. The array
        is made read-only. For readers that build planes themselves; everyone else uses :meth:`from_planes`."""
        planes.flags.writeable = False
        return Bar(planes[0], planes[1], planes[2])

    @staticmethod
    def from_decoded(planes: NDArray[np.float32], onsets: NDArray[np.bool_], peaks: bool = False) -> Bar:
        """A bar from a decoder's planes ``(3, 96, 9)`` (probability, velocity, microtiming) and the onsets
        chosen from them ``(96, 9)``: velocity clamped to ``[MIN_VELOCITY, 1]`` (MIDI 1–127), microtiming to
        ``[-1, 1]``, both zero off the onsets; with ``peaks`` only the chosen onsets that are peaks
        (:func:`rvae_server.core.peaks.pick`; a trained model's decoded planes hold only peaks already,
        :class:`rvae_server.model.inference.LoadedModel`). The thresholding rules live with their callers."""
        return Bar.from_valid_planes(played_planes(planes, onsets, peaks))

    @staticmethod
    def from_notes(notes: Iterable[tuple[int, int, float, float]]) -> Bar:
        """Build a bar from ``(tick, instrument, velocity, microtiming)`` tuples; a later note on the same
        cell replaces an earlier one only if it is louder."""
        planes = np.zeros((3, TICKS, N_INSTRUMENTS), dtype=np.float32)
        for tick, inst, vel, mt in notes:
            if not (0 <= tick < TICKS and 0 <= inst < N_INSTRUMENTS):
                raise ValueError(f"note at tick {tick}, instrument {inst} is outside the bar")
            if planes[0, tick, inst] and planes[1, tick, inst] >= vel:
                continue
            planes[:, tick, inst] = (1.0, vel, mt)
        return Bar.from_planes(planes)

    def planes(self) -> NDArray[np.float32]:
        """The bar as a new array ``(3, 96, 9)``."""
        return np.stack((self.onsets, self.velocities, self.microtiming))

    def onset_count(self) -> int:
        return int(self.onsets.sum())

    def onsets_per_instrument(self) -> dict[str, int]:
        counts = self.onsets.sum(axis=0)
        return {name: int(c) for name, c in zip(INSTRUMENT_NAMES, counts, strict=True)}

    def notes(self) -> list[Note]:
        """The struck cells in the order they sound (by time, then instrument)."""
        ticks, insts = np.nonzero(self.onsets)
        notes = [
            Note(int(t), int(i), float(self.velocities[t, i]), float(self.microtiming[t, i]))
            for t, i in zip(ticks, insts, strict=True)
        ]
        notes.sort(key=lambda n: (n.time, n.instrument))
        return notes

    def muted(self, mutes: Sequence[bool]) -> Bar:
        """This bar with the instruments whose entry in ``mutes`` is true silenced."""
        keep = ~np.asarray(mutes, dtype=bool)
        if keep.shape != (N_INSTRUMENTS,):
            raise ValueError(f"mutes have {N_INSTRUMENTS} entries, not {keep.shape}")
        return Bar.from_planes(self.planes() * keep[None, None, :])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Bar):
            return NotImplemented
        return bool(
            np.array_equal(self.onsets, other.onsets)
            and np.array_equal(self.velocities, other.velocities)
            and np.array_equal(self.microtiming, other.microtiming)
        )

    __hash__ = None  # type: ignore[assignment]


def stack(bars: Iterable[Bar]) -> NDArray[np.float32]:
    """Bars as one array ``(N, 3, 96, 9)`` (the model's batch layout)."""
    planes = [b.planes() for b in bars]
    if not planes:
        return np.zeros((0, 3, TICKS, N_INSTRUMENTS), dtype=np.float32)
    return np.stack(planes)


def unstack(batch: NDArray[np.floating]) -> Iterator[Bar]:
    """The inverse of :func:`stack`."""
    for planes in batch:
        yield Bar.from_planes(planes)
