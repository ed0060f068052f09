"""The melody layer's outputs (:class:`rvae_server.engine.api.LineSink`): its own MIDI port and channel,
and the built-in synth. Like the drum sinks they only hand each note on; lengths are in seconds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rvae_server.outputs.audio import AudioOutput
    from rvae_server.outputs.midiout import MidiOut


class MidiLineSink:
    """A melody line to a MIDI output: note-on now, note-off after the note's length; program changes."""

    def __init__(self, out: MidiOut) -> None:
        self.out = out

    def line_note(self, when: float, note: int, velocity: int, seconds: float, channel: int) -> None:
        self.out.send_note(note, velocity, channel, when, length=max(seconds, 0.005))

    def program(self, channel: int, program: int) -> None:
        self.out.send_raw([0xC0 | (channel - 1), program & 0x7F])

    def transport(self, playing: bool) -> None:
        """Clock bytes are the clock sender's job."""

    def all_notes_off(self, channels: Sequence[int]) -> None:
        self.out.all_notes_off(channels)

    def __repr__(self) -> str:
        return f"MidiLineSink({self.out.name!r})"


class AudioLineSink:
    """A melody line to the built-in synth (an :class:`~rvae_server.outputs.audio.AudioOutput` opened with
    ``tones=True``)."""

    def __init__(self, out: AudioOutput) -> None:
        self.out = out
        self.notes = 0  #: notes handed to the synth

    def line_note(self, when: float, note: int, velocity: int, seconds: float, channel: int) -> None:
        self.out.tone(when, note, velocity / 127.0, seconds)
        self.notes += 1

    def program(self, channel: int, program: int) -> None:
        """The built-in synth has one voice."""

    def transport(self, playing: bool) -> None:
        if not playing:
            self.out.all_notes_off()

    def all_notes_off(self, channels: Sequence[int]) -> None:
        self.out.tones_off()

    def __repr__(self) -> str:
        return "AudioLineSink()"
