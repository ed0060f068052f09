"""Adapters from the engine's :class:`~rvae_server.engine.engine.NoteSink` to the real outputs (MIDI port, built-in
audio). They do no work of their own on the player thread beyond the output's send."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rvae_server.outputs.audio import AudioOutput
    from rvae_server.outputs.midiout import MidiOut


class MidiSink:
    """Notes to a MIDI output (note-off after the output's note length)."""

    def __init__(self, out: MidiOut) -> None:
        self.out = out

    def note(self, when: float, layer: int, instrument: int, note: int, velocity: int, channel: int) -> None:
        self.out.send_note(note, velocity, channel, when)

    def transport(self, playing: bool) -> None:
        """Clock bytes (Start/Stop/0xF8) are the clock sender's job, not the notes'."""

    def all_notes_off(self, channels: Sequence[int]) -> None:
        self.out.all_notes_off(channels)

    def __repr__(self) -> str:
        return f"MidiSink({self.out.name!r})"


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
