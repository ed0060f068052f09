"""Your drum machine's notes: the output note and MIDI channel of each instrument, and presets for common machines.

A layer plays each instrument on its note (``LayerState.notes``) and channel (``LayerState.channels``: 0 = the
layer's own channel, ``layer-channels``; 1..16 = that channel). The input keeps reading them: the follow input reads a
note by the layers' note maps first (:func:`reader`: channel and note), then by the instrument table's input pitches
(:data:`rvae_server.core.bar.INSTRUMENTS`), which are unchanged.

Presets (:data:`PRESETS`):

``gm``
    General MIDI drums on the layer's channel: the instrument table's notes (36 kick, 38 snare, 42/46 hats,
    45/48/50 toms, 49 crash, 51 ride). Also the layout of Ableton's Core Library drum kits.
``drumrack``
    An Ableton Drum Rack of your own samples on its first nine pads, C1 … G#1 (36 … 44), in the instrument
    table's order, on the layer's channel.
``tr8s``
    Roland TR-8S default notes on the layer's channel: BD 36, SD 38, LT 43, MT 47, HT 50, CH 42, OH 46, CC 49,
    RC 51.
``digitakt``
    Elektron Digitakt, one channel a voice (tracks 1–8 on channels 1–8, note 60 = the sample unpitched): kick 1,
    snare 2, low/mid/high tom 3/4/5, crash 6, closed hat 7, open hat 8; the ride shares the crash's track 6.
``syntakt``
    Elektron Syntakt, one channel a voice (tracks 1–12 on channels 1–12, note 60): kick 1, snare 2, low/mid/high
    tom 6/7/8, closed hat 9, open hat 10, crash 11, ride 12.

A note map is written ``PRESET`` or ``INSTRUMENT=NOTE[/CHANNEL]`` entries, a preset first (``--note-map``, the
``note-map`` config key: ``note-map = ["digitakt", "ride=60/12"]``); see :func:`parse_note_map`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rvae_server.core.bar import INSTRUMENT_NAMES, N_INSTRUMENTS, OUTPUT_NOTES, instrument_index

#: A channel of 0 in a note map: the layer's own channel.
LAYER_CHANNEL = 0


@dataclass(frozen=True, slots=True)
class NoteMap:
    """Each instrument's output note (0..127) and channel (0 = the layer's, else 1..16), in instrument order."""

    notes: tuple[int, ...] = OUTPUT_NOTES
    channels: tuple[int, ...] = (LAYER_CHANNEL,) * N_INSTRUMENTS

    def __post_init__(self) -> None:
        if len(self.notes) != N_INSTRUMENTS or len(self.channels) != N_INSTRUMENTS:
            raise ValueError(f"a note map has {N_INSTRUMENTS} notes and channels")
        for note in self.notes:
            if isinstance(note, bool) or not isinstance(note, int) or not 0 <= note <= 127:
                raise ValueError(f"note {note!r} is not a MIDI note 0..127")
        for channel in self.channels:
            if isinstance(channel, bool) or not isinstance(channel, int) or not 0 <= channel <= 16:
                raise ValueError(f"channel {channel!r} is not 0 (the layer's) or a MIDI channel 1..16")

    def with_entry(self, instrument: str | int, note: int, channel: int | None = None) -> NoteMap:
        """This map with one instrument's note (and channel, unless None) changed."""
        k = instrument_index(instrument)
        notes = list(self.notes)
        channels = list(self.channels)
        notes[k] = note
        if channel is not None:
            channels[k] = channel
        return NoteMap(tuple(notes), tuple(channels))

    def to_dict(self) -> dict[str, list[int]]:
        """``{instrument: [note, channel]}`` (channel 0: the layer's)."""
        return {n: [self.notes[k], self.channels[k]] for k, n in enumerate(INSTRUMENT_NAMES)}


def reader(maps: Iterable[tuple[NoteMap, int]]) -> dict[tuple[int, int], int]:
    """``(channel, note) → instrument`` for notes played with ``maps`` (each with its layer's channel), so an input
    reads a drum machine's notes back as the instruments they stand for (a Digitakt's note 60 on channel 3 is a
    low tom); notes no map plays are read by the instrument table."""
    out: dict[tuple[int, int], int] = {}
    for note_map, layer_channel in maps:
        for k, (note, channel) in enumerate(zip(note_map.notes, note_map.channels, strict=True)):
            out.setdefault((channel or layer_channel, note), k)
    return out


def _chromatic(first: int) -> tuple[int, ...]:
    return tuple(range(first, first + N_INSTRUMENTS))


#: The presets (see the module docstring), instrument order: kick, snare, closed-hat, open-hat, low-tom, mid-tom,
#: high-tom, crash, ride.
PRESETS: dict[str, NoteMap] = {
    "gm": NoteMap(),
    "drumrack": NoteMap(_chromatic(36)),
    "tr8s": NoteMap((36, 38, 42, 46, 43, 47, 50, 49, 51)),
    "digitakt": NoteMap((60,) * N_INSTRUMENTS, (1, 2, 7, 8, 3, 4, 5, 6, 6)),
    "syntakt": NoteMap((60,) * N_INSTRUMENTS, (1, 2, 9, 10, 6, 7, 8, 11, 12)),
}
#: What each preset is, for menus.
PRESET_TITLES: dict[str, str] = {
    "gm": "General MIDI",
    "drumrack": "Ableton Drum Rack (first 9 pads)",
    "tr8s": "Roland TR-8S",
    "digitakt": "Elektron Digitakt (a channel a voice)",
    "syntakt": "Elektron Syntakt (a channel a voice)",
}


def preset(name: str) -> NoteMap:
    """A preset by name (case-insensitive; ``tr-8s`` and ``drum-rack`` too). Raises ``ValueError``."""
    key = name.strip().lower().replace("-", "").replace("_", "").replace(" ", "")
    if key not in PRESETS:
        raise ValueError(f"unknown note map {name!r}: choose one of {', '.join(PRESETS)}")
    return PRESETS[key]


def parse_entry(text: str) -> tuple[int, int, int | None]:
    """``"snare=38"`` or ``"snare=38/2"`` → (instrument index, note, channel or None). Raises ``ValueError``."""
    name, sep, value = text.partition("=")
    if not sep:
        raise ValueError(f"note map entry {text!r}: write INSTRUMENT=NOTE or INSTRUMENT=NOTE/CHANNEL")
    k = instrument_index(name.strip())
    note_text, _, channel_text = value.strip().partition("/")
    try:
        note = int(note_text)
        channel = int(channel_text) if channel_text else None
    except ValueError:
        raise ValueError(f"note map entry {text!r}: the note and channel are whole numbers") from None
    NoteMap().with_entry(k, note, channel)  # checks the ranges
    return k, note, channel


def parse_note_map(entries: Iterable[str]) -> NoteMap:
    """A note map from entries: a preset name (first), then ``INSTRUMENT=NOTE[/CHANNEL]`` changes (commas may
    separate several in one entry). Starts from ``gm``. Raises ``ValueError`` naming the bad entry."""
    current = PRESETS["gm"]
    parts = [p.strip() for e in entries for p in str(e).split(",") if p.strip()]
    for k, part in enumerate(parts):
        if "=" not in part:
            if k:
                raise ValueError(f"note map {part!r}: a preset comes first, then INSTRUMENT=NOTE[/CHANNEL] entries")
            current = preset(part)
            continue
        index, note, channel = parse_entry(part)
        current = current.with_entry(index, note, channel)
    return current


__all__ = [
    "LAYER_CHANNEL",
    "PRESETS",
    "PRESET_TITLES",
    "NoteMap",
    "parse_entry",
    "parse_note_map",
    "preset",
    "reader",
]
