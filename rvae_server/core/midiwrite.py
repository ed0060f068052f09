"""MIDI clips out: bars (:mod:`rvae_server.core.bar`) → standard MIDI files.

:func:`write_bars` writes bars as one 4/4 track on channel 10 with the table's output notes, velocities and
microtiming; the file is a loop that ends exactly on its last bar line, so a note played early on the first
downbeat is written just before the end (where it sounds early on the loop's next pass) — and the reader puts
it back on tick 0 of the first bar. Reading back a written file gives the same bars: onsets exactly,
velocities within 1/127, microtiming within the file's resolution (``48 / ppq`` half-ticks).
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence

import mido

from rvae_server.core.atomic import atomic_write_bytes
from rvae_server.core.bar import N_INSTRUMENTS, OUTPUT_NOTES, TICKS, TICKS_PER_BEAT, Bar
from rvae_server.core.midifile import DRUM_CHANNEL
from rvae_server.core.tempo import MAX_FILE_BPM, MIN_FILE_BPM


def bars_to_midi(
    bars: Sequence[Bar],
    bpm: float = 120.0,
    ppq: int = 960,
    *,
    notes: Sequence[int] = OUTPUT_NOTES,
    note_length: float = 3.0,
    track_name: str = "R-VAE drums",
) -> mido.MidiFile:
    """Bars as a type-0 standard MIDI file: 4/4, one tempo, channel 10.

    ``notes`` gives the output note per instrument (default: the table's). ``note_length`` is in ticks of the
    96-tick grid (3 = a 32nd note); a note is cut short before the next stroke of the same note. The file ends
    exactly on its last bar line; an early note on the first downbeat is written just before that end (the file
    is a loop).
    """
    if not (math.isfinite(bpm) and MIN_FILE_BPM <= bpm <= MAX_FILE_BPM):
        raise ValueError(f"bpm must be between {MIN_FILE_BPM:g} and {MAX_FILE_BPM:g}, not {bpm}")
    if len(notes) != N_INSTRUMENTS:
        raise ValueError(f"notes need one entry per instrument ({N_INSTRUMENTS}), not {len(notes)}")
    per_tick = ppq / TICKS_PER_BEAT
    total = round(len(bars) * TICKS * per_tick)
    events: list[tuple[int, int, int, int]] = []  # (file tick, order: 0 off / 1 on, note, velocity)
    strokes: list[tuple[int, int, int]] = []
    for b, bar in enumerate(bars):
        for n in bar.notes():
            at = round((b * TICKS + n.time) * per_tick)
            if at < 0:
                at += total
            velocity = min(127, max(1, round(n.velocity * 127)))
            strokes.append((min(at, total - 1), notes[n.instrument], velocity))
    strokes.sort()
    length = max(1, round(note_length * per_tick))
    next_same: dict[int, int] = {}
    for at, note, velocity in reversed(strokes):
        stop = min(at + length, next_same.get(note, total), total)
        events.append((at, 1, note, velocity))
        events.append((max(stop, at), 0, note, 0))
        next_same[note] = at
    events.sort()

    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name=track_name, time=0))
    track.append(mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0))
    track.append(mido.MetaMessage("set_tempo", tempo=round(60_000_000 / bpm), time=0))
    now = 0
    for at, on, note, velocity in events:
        kind = "note_on" if on else "note_off"
        track.append(mido.Message(kind, channel=DRUM_CHANNEL, note=note, velocity=velocity, time=at - now))
        now = at
    track.append(mido.MetaMessage("end_of_track", time=total - now))
    midi = mido.MidiFile(type=0, ticks_per_beat=ppq)
    midi.tracks.append(track)
    return midi


def write_bars(
    path: str | os.PathLike[str],
    bars: Sequence[Bar],
    bpm: float = 120.0,
    ppq: int = 960,
    *,
    notes: Sequence[int] = OUTPUT_NOTES,
    note_length: float = 3.0,
) -> None:
    """Write bars to a standard MIDI file atomically (see :func:`bars_to_midi` for the options)."""
    midi = bars_to_midi(bars, bpm, ppq, notes=notes, note_length=note_length)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    atomic_write_bytes(path, buffer.getvalue())
