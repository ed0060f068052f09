"""Adapters from the engine's :class:`~rvae_server.engine.engine.NoteSink` to the real outputs (MIDI port, built-in
audio). They do no work of their own on the player thread beyond the output's send."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rvae_server.outputs.audio import AudioOutput
    from rvae_server.outputs.midiout import MidiOut


#: A note due less than this far ahead (s) is sent at once rather than scheduled.
SCHEDULE_AHEAD = 0.0003


class MidiSink:
    """Notes to a MIDI output (note-off after the output's note length). ``offset`` (s; the output's latency
    offset, negative = earlier) moves every note: the engine wakes early enough for the earliest offset of its
    sinks (see ``Engine``), and a note due later than that is handed to the output's own scheduler."""

    def __init__(self, out: MidiOut, offset: float = 0.0) -> None:
        self.out = out
        self.offset = float(offset)

    def note(self, when: float, layer: int, instrument: int, note: int, velocity: int, channel: int) -> None:
        due = when + self.offset
        if due - time.perf_counter() > SCHEDULE_AHEAD:
            self.out.send_note_at(due, note, velocity, channel)
        else:
            self.out.send_note(note, velocity, channel, due)

    def transport(self, playing: bool) -> None:
        """Clock bytes (Start/Stop/0xF8) are the clock sender's job, not the notes'."""

    def all_notes_off(self, channels: Sequence[int]) -> None:
        self.out.all_notes_off(channels)

    def __repr__(self) -> str:
        shift = f", {self.offset * 1000:+g} ms" if self.offset else ""
        return f"MidiSink({self.out.name!r}{shift})"


class AudioSink:
    """Notes to the built-in drum kit; the output places each at its exact sample."""

    def __init__(self, out: AudioOutput) -> None:
        self.out = out
        self.notes = 0  #: notes handed to the kit

    def note(self, when: float, layer: int, instrument: int, note: int, velocity: int, channel: int) -> None:
        self.out.note(when, instrument, velocity / 127.0)
        self.notes += 1

    def transport(self, playing: bool) -> None:
        if not playing:
            self.out.all_notes_off()

    def all_notes_off(self, channels: Sequence[int]) -> None:
        self.out.all_notes_off()

    def __repr__(self) -> str:
        return "AudioSink()"
