"""Melodic tracks of a standard MIDI file on the drum bars' grid: what a melody layer learns from.

:func:`read_song` parses a file once (:func:`rvae_server.core.smf.parse_smf` with ``melodic=True``) and returns its
drum bars exactly as :func:`rvae_server.core.midifile.read_clip` reads them, plus every melodic **part**: the notes
of one track on one channel (not channel 10) under one General MIDI program. Each note is placed on the same
96-tick grid as the drums (24 ticks a beat, the file's own bar lines through every tempo and meter change, the
same meters read and skipped), so a note's ``bar`` indexes :attr:`Song.clip`'s bars:

* ``tick``: the nearest grid tick of its note-on (a note nearer the next bar line than its bar's last tick
  belongs to the next bar's tick 0, as drum notes do);
* ``length``: from note-on to note-off in grid ticks (at least one); a note-on of velocity 0 is a note-off; a
  note struck again before its note-off ends there; a note never ended ends at the end of its track;
* ``program``: the last program change on its channel at or before the note (0 when there is none).

Notes in skipped meters (3/4, 5/4 …) and notes after the last drum bar are left out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import TICKS
from rvae_server.core.midifile import (  # the drum reader's grid, shared so both land on the same bars
    DRUM_CHANNEL,
    Clip,
    ClipError,
    SkippedBars,
    _clip_from,
    _Events,
    _file_bars,
    _grid_bars,
    _parse,
)

I64 = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Part:
    """The notes of one melodic part, sorted by bar and tick. Arrays of one length, one entry per note."""

    track: int  # 1-based track of the file
    channel: int  # 1..16 (never 10)
    program: int  # General MIDI program 0..127
    bars: I64  # index into the song's drum bars (Song.clip.bars)
    ticks: I64  # 0..95 within that bar
    pitches: I64  # MIDI 0..127
    velocities: I64  # 1..127
    lengths: NDArray[np.float64]  # grid ticks, ≥ 1

    def __len__(self) -> int:
        return int(self.pitches.size)


@dataclass(slots=True)
class Song:
    """A file's drum bars (:class:`~rvae_server.core.midifile.Clip`) and its melodic parts on the same grid."""

    path: Path
    clip: Clip
    parts: list[Part]


def _note_spans(on_ticks: I64, on_keys: I64, off_ticks: I64, off_keys: I64, end: int) -> I64:
    """The note-off tick of every note-on; keys identify (track, channel, pitch). Events of a key are taken in
    time order, note-offs before note-ons at one tick; a note-off ends the oldest open note of its key, a note
    struck again while open ends the open one, and notes still open at the end end at ``end``."""
    n_on = on_ticks.size
    keys = np.concatenate((off_keys, on_keys))
    ticks = np.concatenate((off_ticks, on_ticks))
    kinds = np.concatenate((np.zeros(off_keys.size, dtype=np.int64), np.ones(n_on, dtype=np.int64)))
    which = np.concatenate((np.full(off_keys.size, -1, dtype=np.int64), np.arange(n_on, dtype=np.int64)))
    order = np.lexsort((kinds, ticks, keys))
    ends = np.full(n_on, end, dtype=np.int64)
    current = -1
    open_notes: list[int] = []
    for key, tick, note in zip(keys[order].tolist(), ticks[order].tolist(), which[order].tolist(), strict=True):
        if key != current:
            current, open_notes = key, []
        if note < 0:  # a note-off
            if open_notes:
                ends[open_notes.pop(0)] = tick
        else:
            for held in open_notes:
                ends[held] = tick
            open_notes = [note]
    return ends


@dataclass(frozen=True, slots=True)
class Notes:
    """Every melodic note of a file (all channels but 10) in file order of time: starts and lengths in quarter
    notes from the file's start (lengths ≥ 1/24), pitches, velocities, channels 1..16."""

    starts: NDArray[np.float64]
    lengths: NDArray[np.float64]
    pitches: I64
    velocities: I64
    channels: I64

    def __len__(self) -> int:
        return int(self.pitches.size)


@dataclass(slots=True)
class _Melodic:
    on_ticks: I64
    ends: I64
    pitches: I64
    velocities: I64
    channels: I64  # 0-based
    tracks: I64


def _melodic(ev: _Events) -> _Melodic:
    smf = ev.smf
    assert smf is not None
    mask = ev.note_channels != DRUM_CHANNEL
    on_ticks = ev.note_ticks[mask]
    on_pitch = ev.note_pitches[mask]
    on_chan = ev.note_channels[mask]
    on_track = ev.note_tracks[mask]
    off_keys = (
        np.asarray(smf.off_tracks, dtype=np.int64) * 16 + np.asarray(smf.off_channels, dtype=np.int64)
    ) * 128 + np.asarray(smf.off_pitches, dtype=np.int64)
    on_keys = (on_track * 16 + on_chan) * 128 + on_pitch
    end = max(ev.end, int(on_ticks.max()) + 1) if on_ticks.size else ev.end
    ends = _note_spans(on_ticks, on_keys, np.asarray(smf.off_ticks, dtype=np.int64), off_keys, end)
    return _Melodic(on_ticks, ends, on_pitch, ev.note_velocities[mask], on_chan, on_track)


def read_notes(path: str | os.PathLike[str]) -> Notes:
    """Every melodic note of a file (what the key detector reads). Raises
    :class:`~rvae_server.core.midifile.ClipError` when the file cannot be read or holds no melodic note."""
    path = Path(path)
    ev = _parse(path, melodic=True)
    m = _melodic(ev)
    if m.on_ticks.size == 0:
        raise ClipError(path, "no melodic notes (every note is on the drum channel 10)")
    order = np.argsort(m.on_ticks, kind="stable")
    ppq = float(ev.ppq)
    return Notes(
        starts=m.on_ticks[order] / ppq,
        lengths=np.maximum((m.ends - m.on_ticks)[order] / ppq, 1.0 / 24.0),
        pitches=m.pitches[order],
        velocities=m.velocities[order],
        channels=m.channels[order] + 1,
    )


def read_song(path: str | os.PathLike[str]) -> Song:
    """Read a file's drum bars and melodic parts. Raises :class:`~rvae_server.core.midifile.ClipError` (one line
    naming the file and the cause) when the file cannot be read or holds no drums."""
    path = Path(path)
    ev = _parse(path, melodic=True)
    clip = _clip_from(path, ev)
    if clip.drum_channel != DRUM_CHANNEL + 1:  # its only channel was read as drums
        return Song(path, clip, [])
    m = _melodic(ev)
    if m.on_ticks.size == 0:
        return Song(path, clip, [])
    on_ticks, ends, on_pitch, on_vel, on_chan, on_track = (
        m.on_ticks, m.ends, m.pitches, m.velocities, m.channels, m.tracks
    )  # fmt: skip
    smf = ev.smf
    assert smf is not None

    last = max(int(ends.max()), int(ev.note_ticks.max()))
    skipped: list[SkippedBars] = []
    grid = _grid_bars(_file_bars(path, ev, last), ev.ppq, skipped)
    starts = np.asarray([g.start for g in grid], dtype=np.int64)
    stops = np.asarray([g.end for g in grid], dtype=np.int64)
    scales = np.asarray([g.scale for g in grid], dtype=np.float64)
    clip_index = np.cumsum(scales > 0) - 1  # grid bar → index among the read (supported) bars

    idx = np.searchsorted(starts, on_ticks, side="right") - 1
    safe = np.where(scales[idx] > 0, scales[idx], 1.0)
    pos = (on_ticks - starts[idx]) / safe
    tick = np.floor(pos + 0.5).astype(np.int64)
    bar_ticks = np.minimum(np.round((stops[idx] - starts[idx]) / safe).astype(np.int64), TICKS)
    over = tick >= bar_ticks
    nxt = np.minimum(idx + 1, len(grid) - 1)
    move = over & (idx + 1 < len(grid)) & (starts[nxt] == stops[idx]) & (scales[nxt] > 0)
    idx = np.where(move, nxt, idx)
    tick = np.where(move, 0, np.minimum(tick, bar_ticks - 1))
    tick = np.clip(tick, 0, TICKS - 1)
    lengths = np.maximum((ends - on_ticks) / safe, 1.0)
    bars = clip_index[idx]
    keep = (scales[idx] > 0) & (bars < len(clip.bars))

    programs = sorted(smf.programs)
    program = np.zeros(on_ticks.size, dtype=np.int64)
    for channel in np.unique(on_chan):
        changes = [(t, p) for t, c, p in programs if c == channel]
        if not changes:
            continue
        times = np.asarray([t for t, _ in changes], dtype=np.int64)
        values = np.asarray([p for _, p in changes], dtype=np.int64)
        mine = on_chan == channel
        at = np.searchsorted(times, on_ticks[mine], side="right") - 1
        program[mine] = np.where(at >= 0, values[np.maximum(at, 0)], 0)

    parts: list[Part] = []
    group = (on_track * 16 + on_chan) * 128 + program
    for g in np.unique(group[keep]):
        sel = np.nonzero(keep & (group == g))[0]
        order = sel[np.lexsort((on_pitch[sel], tick[sel], bars[sel]))]
        parts.append(
            Part(
                track=int(on_track[order[0]]),
                channel=int(on_chan[order[0]]) + 1,
                program=int(program[order[0]]),
                bars=bars[order].astype(np.int64),
                ticks=tick[order].astype(np.int64),
                pitches=on_pitch[order].astype(np.int64),
                velocities=on_vel[order].astype(np.int64),
                lengths=lengths[order].astype(np.float64),
            )
        )
    return Song(path, clip, parts)


__all__ = ["ClipError", "Notes", "Part", "Song", "read_notes", "read_song"]
