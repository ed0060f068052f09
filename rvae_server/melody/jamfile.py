"""Drums and a melody line to one standard MIDI file (``rvae jam``): type 1, the drum track of
:func:`rvae_server.core.midiwrite.bars_to_midi` on channel 10 and a melody track on its own channel."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence

import mido

from rvae_server.core.atomic import atomic_write_bytes
from rvae_server.core.bar import TICKS, TICKS_PER_BEAT, Bar
from rvae_server.core.midiwrite import bars_to_midi
from rvae_server.melody.line import Line


def jam_to_midi(
    bars: Sequence[Bar], lines: Sequence[Line], bpm: float = 120.0, *, channel: int = 1, program: int = 33,
    ppq: int = 960,
) -> mido.MidiFile:  # fmt: skip
    """Drum bars and one line per bar (as many lines as bars) as a type-1 file; the melody on ``channel``
    (1..16, not 10) with General MIDI ``program``."""
    if len(lines) != len(bars):
        raise ValueError(f"one line per bar: {len(bars)} bars, {len(lines)} lines")
    if not 1 <= channel <= 16 or channel == 10:
        raise ValueError(f"the melody's channel is 1..16 but not 10 (the drums'), not {channel}")
    midi = bars_to_midi(bars, bpm, ppq)
    midi.type = 1
    per_tick = ppq / TICKS_PER_BEAT
    total = round(len(bars) * TICKS * per_tick)
    events: list[tuple[int, int, int, int]] = []  # (file tick, 0 off / 1 on, note, velocity)
    for b, line in enumerate(lines):
        for tick, pitch, length, velocity in line.notes():
            start = round((b * TICKS + tick) * per_tick)
            stop = min(round((b * TICKS + tick + length) * per_tick), total)
            events.append((start, 1, pitch, velocity))
            events.append((max(stop, start + 1), 0, pitch, 0))
    events.sort()
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name="R-VAE melody", time=0))
    track.append(mido.Message("program_change", channel=channel - 1, program=program, time=0))
    now = 0
    for at, on, note, velocity in events:
        kind = "note_on" if on else "note_off"
        track.append(mido.Message(kind, channel=channel - 1, note=note, velocity=velocity, time=at - now))
        now = at
    track.append(mido.MetaMessage("end_of_track", time=max(0, total - now)))
    midi.tracks.append(track)
    return midi


def write_jam(
    path: str | os.PathLike[str], bars: Sequence[Bar], lines: Sequence[Line], bpm: float = 120.0, *,
    channel: int = 1, program: int = 33,
) -> None:  # fmt: skip
    """Write :func:`jam_to_midi` atomically."""
    buffer = io.BytesIO()
    jam_to_midi(bars, lines, bpm, channel=channel, program=program).save(file=buffer)
    atomic_write_bytes(path, buffer.getvalue())


__all__ = ["jam_to_midi", "write_jam"]
