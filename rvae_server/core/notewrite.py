"""Timed notes out: notes at positions in 24-ppqn ticks → a standard MIDI file, one track per part (layer).

:func:`write_notes` writes a type-1 file: a first track with the tempo map and the meter, then one track per
part (its name, its notes on their own channels). Positions are ticks of the 96-tick bar from the file's start
(a bar line); each is written at ``round(position * ppq / 24)`` file ticks, so with the default 960 ppq a note
lands within 1/80 of a tick (a 1/1920 beat) of where it was played. A note a little early on the first
downbeat (negative position) is written at 0. Notes last ``note_length`` ticks, cut short before the next
stroke of the same note on the same channel and track. Written atomically.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence
from typing import NamedTuple

import mido

from rvae_server.core.atomic import atomic_write_bytes
from rvae_server.core.bar import TICKS_PER_BEAT
from rvae_server.core.tempo import MAX_FILE_BPM, MIN_FILE_BPM


class TimedNote(NamedTuple):
    """One note as played: ``position`` in ticks (24 ppqn) from the file's start, ``part`` (track index, 0-based),
    MIDI ``note`` and ``velocity`` (1..127), ``channel`` (1..16)."""

    position: float
    part: int
    note: int
    velocity: int
    channel: int


def notes_to_midi(
    notes: Sequence[TimedNote],
    parts: Sequence[str],
    tempos: Sequence[tuple[float, float]] = ((0.0, 120.0),),
    *,
    length: float | None = None,
    meter: tuple[int, int] = (4, 4),
    ppq: int = 960,
    note_length: float = 3.0,
) -> mido.MidiFile:
    """A type-1 file: a conductor track (meter, ``tempos`` as ``(position, bpm)``), then one track per name in
    ``parts``. ``length`` (ticks) is where the file ends (at least its last note-off)."""
    if not parts:
        raise ValueError("at least one part (track)")
    per_tick = ppq / TICKS_PER_BEAT
    for position, bpm in tempos:
        if not (math.isfinite(bpm) and MIN_FILE_BPM <= bpm <= MAX_FILE_BPM and math.isfinite(position)):
            raise ValueError(f"tempo {bpm} BPM at {position} is not usable")
    end = 0 if length is None else max(0, round(length * per_tick))
    tracks: list[list[tuple[int, int, mido.Message]]] = [[] for _ in parts]
    strokes: list[tuple[int, int, int, int, int]] = []  # (file tick, part, channel, note, velocity)
    for n in notes:
        if not 0 <= n.part < len(parts):
            raise ValueError(f"note of part {n.part}: there are parts 0..{len(parts) - 1}")
        if not (0 <= n.note <= 127 and 1 <= n.velocity <= 127 and 1 <= n.channel <= 16):
            raise ValueError(f"note {n.note} velocity {n.velocity} channel {n.channel} is not a MIDI note")
        strokes.append((max(0, round(n.position * per_tick)), n.part, n.channel - 1, n.note, n.velocity))
    strokes.sort()
    span = max(1, round(note_length * per_tick))
    following: dict[tuple[int, int, int], int] = {}
    for at, part, channel, note, velocity in reversed(strokes):
        key = (part, channel, note)
        stop = max(at + 1, min(at + span, following.get(key, at + span)))
        tracks[part].append((at, 1, mido.Message("note_on", channel=channel, note=note, velocity=velocity)))
        tracks[part].append((stop, 0, mido.Message("note_off", channel=channel, note=note, velocity=0)))
        following[key] = at
        end = max(end, stop)
    midi = mido.MidiFile(type=1, ticks_per_beat=ppq)
    conductor = mido.MidiTrack()
    conductor.append(mido.MetaMessage("track_name", name="tempo and meter", time=0))
    conductor.append(mido.MetaMessage("time_signature", numerator=meter[0], denominator=meter[1], time=0))
    now = 0
    for position, bpm in sorted(tempos):
        at = max(0, round(position * per_tick))
        conductor.append(mido.MetaMessage("set_tempo", tempo=round(60_000_000 / bpm), time=at - now))
        now = at
    conductor.append(mido.MetaMessage("end_of_track", time=max(0, end - now)))
    midi.tracks.append(conductor)
    for name, events in zip(parts, tracks, strict=True):
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name=name, time=0))
        now = 0
        for at, _, message in sorted(events, key=lambda e: (e[0], e[1])):
            track.append(message.copy(time=at - now))
            now = at
        track.append(mido.MetaMessage("end_of_track", time=max(0, end - now)))
        midi.tracks.append(track)
    return midi


def write_notes(
    path: str | os.PathLike[str],
    notes: Sequence[TimedNote],
    parts: Sequence[str],
    tempos: Sequence[tuple[float, float]] = ((0.0, 120.0),),
    **options: object,
) -> None:
    """Write :func:`notes_to_midi` to ``path`` atomically."""
    midi = notes_to_midi(notes, parts, tempos, **options)  # type: ignore[arg-type]
    buffer = io.BytesIO()
    midi.save(file=buffer)
    atomic_write_bytes(path, buffer.getvalue())


__all__ = ["TimedNote", "notes_to_midi", "write_notes"]
