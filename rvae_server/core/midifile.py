"""MIDI clips in: standard MIDI files → bars (:mod:`rvae_server.core.bar`).

Reading
-------
* Types 0 and 1, any PPQ. Drum notes are the note-ons on channel 10. A file with no channel-10 notes whose
  notes all sit on one channel is read as drums, with a warning saying so; any other file without channel-10
  notes is an error that names the channels it found.
* Bars follow the file's own bar lines (every time-signature change starts a new bar; tempo changes do not
  move bar lines, which live in MIDI ticks, but each bar reports the tempo at its start).
* The beat of a simple meter is its denominator note; the beat of a compound meter (numerator a multiple of 3
  above 3: 6/8, 9/8, 12/8, 6/4 …) is three of them (the dotted note). A meter of **4 beats** (4/4, 12/8, 4/8 …)
  maps one bar onto one 96-tick bar; a meter of **2 beats** (2/4, 2/2, 6/8 …) maps two consecutive bars onto
  one. Any other meter (3/4, 5/4, 7/8, 9/8 …) is skipped with a reason naming the meter; the rest goes on.
* Each note goes to its nearest tick (24 per beat of the meter) with its microtiming (half-ticks, positive =
  late); a note nearer the next bar line than its own last tick belongs to the next bar's tick 0. Two notes of
  one instrument on one tick keep the louder. A note that rounds onto the bar line where the file ends, in a
  file that ends exactly on a bar line, is a loop's early downbeat: it goes to tick 0 of the first bar.
* A bar with fewer than 2 onsets is listed but marked unused for training.

Writing is :mod:`rvae_server.core.midiwrite`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import (
    N_INSTRUMENTS,
    PITCH_TO_INSTRUMENT,
    TICKS,
    TICKS_PER_BEAT,
    Bar,
)
from rvae_server.core.smf import SMFError, SMFEvents, parse_smf
from rvae_server.core.untrusted import UnsafeFile, is_link_outside, read_regular_stat

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_BARS = 20_000  # per file; a longer file is refused rather than allocated
DRUM_CHANNEL = 9  # MIDI channel 10, zero-based
MIDI_SUFFIXES = (".mid", ".midi")
MIN_USED_ONSETS = 2


class ClipError(Exception):
    """A clip could not be read. ``str(err)`` is one line: ``"<file>: <reason>"``."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__(f"{os.fspath(path)}: {reason}")
        self.path = Path(path)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Meter:
    numerator: int
    denominator: int

    def __str__(self) -> str:
        return f"{self.numerator}/{self.denominator}"

    @property
    def compound(self) -> bool:
        return self.numerator > 3 and self.numerator % 3 == 0

    @property
    def beats(self) -> int:
        """Beats per bar: the numerator in a simple meter, a third of it in a compound one."""
        return self.numerator // 3 if self.compound else self.numerator

    @property
    def beat_quarters(self) -> float:
        """Length of one beat in quarter notes (a dotted note in a compound meter)."""
        return (12.0 if self.compound else 4.0) / self.denominator

    @property
    def bar_quarters(self) -> float:
        return self.numerator * 4.0 / self.denominator

    @property
    def supported(self) -> bool:
        return self.beats in (2, 4)


@dataclass(frozen=True, slots=True)
class ClipBar:
    """One 96-tick bar of a clip."""

    index: int  # 0-based among the clip's 96-tick bars
    source_bar: int  # 1-based number of the file's (first) bar that it comes from
    meter: str
    bpm: float  # beats (24 ticks each) per minute at the bar's start
    bar: Bar

    @property
    def used(self) -> bool:
        """Whether the bar is used for training (at least 2 onsets)."""
        return self.bar.onset_count() >= MIN_USED_ONSETS


@dataclass(frozen=True, slots=True)
class SkippedBars:
    """A run of the file's bars that was not read."""

    first_bar: int  # 1-based, inclusive
    last_bar: int
    meter: str
    reason: str


@dataclass(slots=True)
class Clip:
    path: Path
    bars: list[ClipBar]
    meters: list[str] = field(default_factory=list)  # distinct meters in order of appearance
    warnings: list[str] = field(default_factory=list)
    skipped: list[SkippedBars] = field(default_factory=list)
    drum_channel: int = 10  # 1-based channel the drums were read from (another one only when no channel 10)
    drum_tracks: tuple[int, ...] = ()  # 1-based numbers of the tracks holding the drum notes read
    planes: NDArray[np.float32] | None = None  # the bars' planes in one array (len(bars), 3, 96, 9), read-only

    def used_bars(self) -> list[Bar]:
        return [b.bar for b in self.bars if b.used]

    def to_json(self) -> dict[str, object]:
        """The ``rvae clip --json`` object for this clip."""
        return {
            "file": str(self.path),
            "meter": ",".join(self.meters),
            "bars": [
                {
                    "index": b.index,
                    "used": b.used,
                    "onsets": b.bar.onsets_per_instrument(),
                    "source_bar": b.source_bar,
                    "meter": b.meter,
                    "bpm": round(b.bpm, 3),
                }
                for b in self.bars
            ],
            "skipped": [
                {"first_bar": s.first_bar, "last_bar": s.last_bar, "meter": s.meter, "reason": s.reason}
                for s in self.skipped
            ],
            "warnings": list(self.warnings),
            "error": None,
        }


def find_clips(paths: Iterable[str | os.PathLike[str]], refused: list[tuple[Path, str]] | None = None) -> list[Path]:
    """Files named directly, plus every ``.mid``/``.midi`` under the folders named (recursively, sorted).

    A named path that does not exist is returned as is, so reading it reports the error in its place. In a
    folder, a symbolic link leading outside that folder is never returned (nor read): it goes to ``refused``
    with the reason when a list is given. Symbolic links to folders are not followed; folders that cannot be
    listed are left out. The walk keeps its own stack (no recursion), so folders nested thousands deep are
    listed like any others.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for p in sorted(_walk_midi(path), key=lambda q: q.parts):
                if is_link_outside(p, path):
                    if refused is not None:
                        refused.append((p, f"a symbolic link leading outside {path}; not read"))
                    continue
                found.append(p)
        else:
            found.append(path)
    return found


def _walk_midi(root: Path) -> Iterator[Path]:
    """The MIDI-named entries under ``root`` that are not folders, in no order (an explicit stack of folders)."""
    stack = [os.fspath(root)]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    try:
                        is_dir = entry.is_dir()
                        if is_dir and not entry.is_symlink():
                            stack.append(entry.path)
                        elif not is_dir and os.path.splitext(entry.name)[1].lower() in MIDI_SUFFIXES:
                            yield Path(entry.path)
                    except OSError:
                        continue
        except OSError:
            continue


@dataclass(slots=True)
class _Events:
    """The events of a parsed file that matter here, in absolute file ticks."""

    ppq: int
    end: int  # end of the longest track
    note_ticks: NDArray[np.int64]
    note_pitches: NDArray[np.int64]
    note_velocities: NDArray[np.int64]
    note_channels: NDArray[np.int64]
    note_tracks: NDArray[np.int64]
    meters: list[tuple[int, Meter]]
    tempos: list[tuple[int, int]]  # (tick, microseconds per quarter)
    smf: SMFEvents | None = None  # everything parsed, when asked for (melodic tracks: core/melodyfile.py)


def read_bytes(path: Path) -> tuple[bytes, os.stat_result]:
    """The bytes of a MIDI file as the reader takes them — a regular file (never a FIFO or a device) of at most
    :data:`MAX_FILE_BYTES`, read once — and the ``fstat`` of the file read. Raises :class:`ClipError`."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ClipError(path, "no such file") from None
    except OSError as err:
        raise ClipError(path, f"cannot read: {err.strerror or err}") from None
    size = info.st_size
    if stat.S_ISDIR(info.st_mode):
        raise ClipError(path, "is a folder, not a MIDI file")
    if size > MAX_FILE_BYTES:
        raise ClipError(path, f"file is {size / 1e6:.1f} MB; refusing MIDI files over {MAX_FILE_BYTES // 2**20} MB")
    try:
        return read_regular_stat(path, MAX_FILE_BYTES, follow_symlinks=True)  # never a FIFO or a device
    except UnsafeFile as err:
        raise ClipError(path, err.reason) from None
    except OSError as err:
        raise ClipError(path, f"cannot read: {err.strerror or err}") from None


def _parse(path: Path, melodic: bool = False, data: bytes | None = None) -> _Events:
    if data is None:
        data = read_bytes(path)[0]
    if not data:
        raise ClipError(path, "empty file")
    if not data.startswith(b"MThd"):
        raise ClipError(path, "not a MIDI file (it does not start with 'MThd')")
    try:
        smf = parse_smf(data, melodic=melodic)
    except SMFError as err:
        raise ClipError(path, f"corrupt MIDI file: {err}") from None
    if smf.format == 2:
        raise ClipError(path, "MIDI file type 2 (independent sequences) is not supported; use type 0 or 1")
    meters = [(t, Meter(n, d)) for t, n, d in smf.time_signatures]
    tempos = [(t, v) for t, v in smf.tempos if v > 0]
    meters.sort(key=lambda m: m[0])
    tempos.sort(key=lambda t: t[0])
    return _Events(
        ppq=smf.division,
        end=smf.end,
        note_ticks=np.asarray(smf.note_ticks, dtype=np.int64),
        note_pitches=np.asarray(smf.note_pitches, dtype=np.int64),
        note_velocities=np.asarray(smf.note_velocities, dtype=np.int64),
        note_channels=np.asarray(smf.note_channels, dtype=np.int64),
        note_tracks=np.asarray(smf.note_tracks, dtype=np.int64),
        meters=meters,
        tempos=tempos,
        smf=smf if melodic else None,
    )


def _drum_notes(path: Path, ev: _Events, warnings: list[str]) -> NDArray[np.bool_]:
    """Mask of the notes that are drums (channel 10, or the only channel in use)."""
    if ev.note_ticks.size == 0:
        raise ClipError(path, "no notes in the file")
    drums: NDArray[np.bool_] = ev.note_channels == DRUM_CHANNEL
    if drums.any():
        return drums
    used = sorted({int(c) + 1 for c in np.unique(ev.note_channels)})
    if len(used) == 1:
        warnings.append(f"no notes on channel 10; reading channel {used[0]} as drums (all notes are on it)")
        return np.ones_like(drums)
    raise ClipError(
        path,
        f"no drum notes on channel 10, and notes on channels {', '.join(map(str, used))}: cannot tell which are drums",
    )


@dataclass(slots=True)
class _FileBar:
    start: int  # file ticks
    length: int  # file ticks (shorter than the meter's when a time-signature change cuts the bar)
    meter: Meter
    number: int  # 1-based


def _file_bars(path: Path, ev: _Events, last_note: int) -> list[_FileBar]:
    """The file's bar lines up to the end of the track or the bar holding the last note, whichever is later."""
    changes = [(t, m) for t, m in ev.meters]
    if not changes or changes[0][0] > 0:
        changes.insert(0, (0, Meter(4, 4)))
    # the last change at one tick wins
    dedup: list[tuple[int, Meter]] = []
    for t, m in changes:
        if dedup and dedup[-1][0] == t:
            dedup[-1] = (t, m)
        else:
            dedup.append((t, m))
    limit = max(ev.end, last_note + 1)
    bars: list[_FileBar] = []
    start = 0
    k = 0
    while start < limit:
        while k + 1 < len(dedup) and dedup[k + 1][0] <= start:
            k += 1
        meter = dedup[k][1]
        if meter.numerator <= 0:
            raise ClipError(path, f"invalid time signature {meter} at tick {dedup[k][0]}")
        length = max(1, round(meter.bar_quarters * ev.ppq))
        if k + 1 < len(dedup) and dedup[k + 1][0] < start + length:
            length = dedup[k + 1][0] - start
        bars.append(_FileBar(start, length, meter, len(bars) + 1))
        if len(bars) > MAX_BARS:
            raise ClipError(path, f"the file spans more than {MAX_BARS} bars; refusing it")
        start += length
    return bars


@dataclass(slots=True)
class _GridBar:
    start: int  # file ticks of its bar line
    end: int  # file ticks of the next bar line
    scale: float  # file ticks per grid tick
    meter: Meter
    number: int  # 1-based number of its (first) file bar


def _grid_bars(bars: list[_FileBar], ppq: int, skipped: list[SkippedBars]) -> list[_GridBar]:
    grid: list[_GridBar] = []
    i = 0
    while i < len(bars):
        fb = bars[i]
        meter = fb.meter
        scale = meter.beat_quarters * ppq / TICKS_PER_BEAT
        if meter.beats == 4:
            grid.append(_GridBar(fb.start, fb.start + fb.length, scale, meter, fb.number))
            i += 1
        elif meter.beats == 2:
            nxt = bars[i + 1] if i + 1 < len(bars) else None
            if nxt is not None and nxt.meter == meter and nxt.start == fb.start + fb.length:
                grid.append(_GridBar(fb.start, nxt.start + nxt.length, scale, meter, fb.number))
                i += 2
            else:  # a lone bar of a two-beat meter fills the first half of a 96-tick bar
                grid.append(_GridBar(fb.start, fb.start + fb.length, scale, meter, fb.number))
                i += 1
        else:
            j = i
            while j + 1 < len(bars) and bars[j + 1].meter == meter:
                j += 1
            kind = "compound" if meter.compound else "simple"
            reason = (
                f"meter {meter} ({kind}, {meter.beats} beats a bar) is not supported: "
                "only meters of 4 beats (4/4, 12/8) or 2 beats (2/4, 6/8) map onto a 96-tick bar"
            )
            skipped.append(SkippedBars(fb.number, bars[j].number, str(meter), reason))
            grid.append(_GridBar(fb.start, bars[j].start + bars[j].length, 0.0, meter, fb.number))  # placeholder
            i = j + 1
    return grid


def _tempo_at(tempos: list[tuple[int, int]], tick: int) -> int:
    current = 500_000
    for t, tempo in tempos:
        if t > tick:
            break
        current = tempo
    return current


def read_clip(path: str | os.PathLike[str], data: bytes | None = None) -> Clip:
    """Read one MIDI file into 96-tick bars. Raises :class:`ClipError` (one line naming file and cause). ``data``:
    the file's bytes when they were read already (:func:`read_bytes`), so that what is parsed is what was read."""
    path = Path(path)
    return _clip_from(path, _parse(path, data=data))


def _clip_from(path: Path, ev: _Events) -> Clip:
    """The drum bars of a parsed file (:func:`read_clip`; :mod:`rvae_server.core.melodyfile` reads the rest)."""
    warnings: list[str] = []
    drums = _drum_notes(path, ev, warnings)
    ticks = ev.note_ticks[drums]
    pitches = ev.note_pitches[drums]
    velocities = ev.note_velocities[drums]
    channel = int(ev.note_channels[drums][0]) + 1
    tracks = tuple(int(t) for t in np.unique(ev.note_tracks[drums]))

    instruments = PITCH_TO_INSTRUMENT[pitches].astype(np.int64)
    unknown = instruments < 0
    if unknown.any():
        odd = sorted({int(p) for p in pitches[unknown]})
        warnings.append(f"{int(unknown.sum())} notes of pitches not in the drum map ignored: {odd}")
        ticks, instruments, velocities = ticks[~unknown], instruments[~unknown], velocities[~unknown]
    if ticks.size == 0:
        raise ClipError(path, "no notes of the drum map (kick, snare, hats, toms, cymbals) in the file")

    skipped: list[SkippedBars] = []
    file_bars = _file_bars(path, ev, int(ticks.max()))
    grid = _grid_bars(file_bars, ev.ppq, skipped)
    starts = np.asarray([g.start for g in grid], dtype=np.int64)
    ends = np.asarray([g.end for g in grid], dtype=np.int64)
    scales = np.asarray([g.scale for g in grid], dtype=np.float64)

    idx = np.searchsorted(starts, ticks, side="right") - 1
    safe_scale = np.where(scales[idx] > 0, scales[idx], 1.0)
    pos = (ticks - starts[idx]) / safe_scale
    tick = np.floor(pos + 0.5).astype(np.int64)
    # a note rounding onto its bar's closing bar line belongs to tick 0 of the bar that follows it
    bar_ticks = np.round((ends[idx] - starts[idx]) / safe_scale).astype(np.int64)
    over = (tick >= np.minimum(bar_ticks, TICKS)) & (scales[idx] > 0)
    if over.any():
        nxt = idx + 1
        has_next = nxt < len(grid)
        nxt_c = np.minimum(nxt, len(grid) - 1)
        contiguous = has_next & (starts[nxt_c] == ends[idx])
        loop = ~has_next & (ends[idx] == ev.end) & (scales[0] > 0)
        move = over & contiguous
        wrap = over & loop
        idx = np.where(move, nxt_c, np.where(wrap, 0, idx))
        new_scale = np.where(scales[idx] > 0, scales[idx], 1.0)
        origin = np.where(wrap, ev.end, starts[idx])
        pos = np.where(move | wrap, (ticks - origin) / new_scale, pos)
        tick = np.where(move | wrap, 0, tick)
        stuck = over & ~move & ~wrap  # past a cut bar's end with nowhere to go: clamp to its last tick
        tick = np.where(stuck, np.minimum(bar_ticks, TICKS) - 1, tick)
    tick = np.clip(tick, 0, TICKS - 1)
    microtiming = np.clip((pos - tick) * 2.0, -1.0, 1.0 - 1e-6)

    keep = scales[idx] > 0  # notes in skipped meters go with their bars
    idx, tick, instruments, velocities, microtiming = (
        idx[keep],
        tick[keep],
        instruments[keep],
        velocities[keep],
        microtiming[keep],
    )

    planes = np.zeros((len(grid), 3, TICKS, N_INSTRUMENTS), dtype=np.float32)
    if idx.size:
        cell = (idx * TICKS + tick) * N_INSTRUMENTS + instruments
        order = np.lexsort((velocities, cell))  # by cell, loudest last
        last = np.ones(order.size, dtype=bool)
        last[:-1] = cell[order][1:] != cell[order][:-1]
        chosen = order[last]
        b, t, i = idx[chosen], tick[chosen], instruments[chosen]
        planes[b, 0, t, i] = 1.0
        planes[b, 1, t, i] = velocities[chosen] / 127.0
        planes[b, 2, t, i] = microtiming[chosen]

    meters: list[str] = []
    bars: list[ClipBar] = []
    for g, bar_planes in zip(grid, planes, strict=True):
        name = str(g.meter)
        if name not in meters:
            meters.append(name)
        if g.scale <= 0:
            continue
        qpm = 60_000_000 / _tempo_at(ev.tempos, g.start)
        bpm = qpm / g.meter.beat_quarters
        bars.append(ClipBar(len(bars), g.number, name, bpm, Bar.from_valid_planes(bar_planes)))
    for s in skipped:
        warnings.append(f"bars {s.first_bar}-{s.last_bar} skipped: {s.reason}")
    kept = np.asarray([g.scale > 0 for g in grid], dtype=bool)
    all_planes = planes if kept.all() else planes[kept]
    all_planes.flags.writeable = False
    return Clip(path, bars, meters, warnings, skipped, channel, tracks, all_planes)


__all__ = [
    "Clip",
    "ClipBar",
    "ClipError",
    "Meter",
    "SkippedBars",
    "find_clips",
    "read_bytes",
    "read_clip",
]
