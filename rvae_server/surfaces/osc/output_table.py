"""The address-table entries of what goes out and where (issue 25): each instrument's output note and channel (a
drum machine's note map and its presets) and the last bars played sent to a Live clip (the Max for Live device),
kept apart from :mod:`rvae_server.surfaces.osc.table`, which lists them at the end of its ADDRESSES and FEEDBACK.

``/rvae/clip`` (the reply to ``/rvae/capture/clip``) is built by
:func:`rvae_server.surfaces.osc.clipsend.clip_messages`."""

from __future__ import annotations

from rvae_server.core.bar import INSTRUMENT_NAMES, N_INSTRUMENTS
from rvae_server.core.notemaps import PRESETS
from rvae_server.surfaces.osc import handlers as h
from rvae_server.surfaces.osc.spec import PREFIX, Arg, Entry, Feedback

OUTPUT_ADDRESSES: tuple[Entry, ...] = (
    Entry(
        "note",
        (
            Arg("instrument", "name-or-index", f"{', '.join(INSTRUMENT_NAMES)} or 0..{N_INSTRUMENTS - 1}"),
            Arg("note", "int", "the MIDI note it plays", 0, 127),
            Arg("channel", "int", "its MIDI channel; 0 = the layer's channel", 0, 16, optional=True),
        ),
        "Your drum machine's notes: the note (and channel) one instrument plays on MIDI out, the capture and a Live "
        "clip (from the next tick; saved with the state). The instrument table still reads the notes in.",
        h.note,
    ),
    Entry(
        "notes",
        (Arg("preset", "string", "a note map", choices=tuple(PRESETS)),),
        "Every instrument's note and channel from a preset: gm (General MIDI), drumrack (a Drum Rack's first 9 pads), "
        "tr8s (Roland TR-8S), digitakt and syntakt (Elektron, a channel a voice).",
        h.notes,
    ),
    Entry(
        "capture/clip",
        (Arg("bars", "int", "how many bars back", 1, 512),),
        "The last BARS bars this layer played (the capture's ring buffer), for a new Live clip: the Max for Live "
        "device writes them into a clip on its track.",
        h.capture_clip,
        reply="/rvae/clip layer bars part parts position note velocity...",
    ),
)

OUTPUT_FEEDBACK: tuple[Feedback, ...] = (
    Feedback(
        f"{PREFIX}/clip",
        (
            Arg("layer", "int", "1-based"),
            Arg("bars", "int", "the clip's length in bars (4 beats each)"),
            Arg("part", "int", "0-based; more than 64 notes come in parts"),
            Arg("parts", "int", "how many datagrams the clip takes"),
            Arg(
                "notes",
                "float",
                "3 values per note: position in ticks (24 a beat) from the clip's start, microtiming included "
                "(an early first downbeat is just below 0), MIDI note, velocity 1..127",
            ),
        ),
        "The notes of /rvae/capture/clip, as played (the note map applied).",
    ),
)


__all__ = ["OUTPUT_ADDRESSES", "OUTPUT_FEEDBACK"]
