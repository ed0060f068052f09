"""The address-table entries of motion, shaping, presets, follow mode, placing clips and capture (issue 13), kept
apart from :mod:`rvae_server.surfaces.osc.table`, which lists them at the end of its ADDRESSES and FEEDBACK."""

from __future__ import annotations

from rvae_server.core.bar import INSTRUMENT_NAMES, N_INSTRUMENTS
from rvae_server.engine.api import (
    DENSITY_RANGE,
    LFO_SHAPES,
    LFO_TARGETS,
    MAX_SWING,
    MIN_SWING,
    PATH_SHAPES,
    PRESET_SLOTS,
    SWING_UNITS,
)
from rvae_server.surfaces.osc import handlers as h
from rvae_server.surfaces.osc.spec import PREFIX, Arg, Entry, Feedback


def _f(name: str, doc: str, lo: float = 0.0, hi: float = 1.0) -> Arg:
    return Arg(name, "float", doc, lo, hi)


_V01 = "0..1; outside is clamped and reported"
_RATE = "bars per cycle (1/16..64), or a text: 1/8, 1/8d (dotted), 1/8t (triplet), 3b (beats)"

MOTION_ADDRESSES: tuple[Entry, ...] = (
    *(
        Entry(
            f"lfo/{target}",
            (
                Arg("shape", "string", "the waveform, or off", choices=(*LFO_SHAPES, "off")),
                Arg("rate", "number-or-string", _RATE, optional=True),
                Arg("depth", "float", "peak offset (pad units for x, y); clamped", 0.0, 1.0, optional=True),
                Arg("phase", "float", "in cycles, 0..1", 0.0, 1.0, optional=True),
            ),
            f"An LFO on {target}, locked to the bar position (restarting the transport restarts it); its centre is "
            "the performer's value. Missing values keep the LFO's own (a new one: 1 bar, depth 0.2).",
            h.lfo(target),
        )
        for target in LFO_TARGETS
    ),
    Entry(
        "path",
        (
            Arg("shape", "string", "circle, figure-eight, the drawn path, or off", choices=(*PATH_SHAPES, "off")),
            Arg("bars", "int", "one trip every N bars", 1, 64, optional=True),
            Arg("size", "float", "radius (circle, eight), pad units", 0.0, 0.5, optional=True),
            Arg("points", "string", "drawn: 'x,y x,y ...' in 0..1 (default: the path drawn before)", optional=True),
        ),
        "Move the point along a path (circle and eight around the performer's point; drawn: where drawn).",
        h.path,
    ),
    Entry(
        "touch",
        (Arg("on", "bool", "1 = the hand is on the pad"),),
        "The hand on the pad: while on, the performer's point plays over a gesture loop or a drawn path (an XY "
        "move counts as a touch for 0.3 s).",
        h.touch,
    ),
    Entry(
        "gesture/record",
        (Arg("bars", "int", "loop length", 1, 64, optional=True),),
        "Record the XY moves (from any surface) for N bars from the next bar line, then loop them in sync.",
        h.gesture("record"),
    ),
    Entry(
        "gesture/overdub",
        (Arg("on", "bool", "1 = moves are written into the loop", optional=True),),
        "Overdub the gesture loop (no argument: toggle).",
        h.gesture("overdub"),
    ),
    Entry("gesture/clear", (), "Remove the gesture loop.", h.gesture("clear")),
    Entry(
        "swing",
        (
            Arg("percent", "float", "50 = straight … 75; clamped", MIN_SWING, MAX_SWING),
            Arg("unit", "int", "8 (eighths) or 16 (sixteenths)", *SWING_UNITS, optional=True),
        ),
        "Swing (Roger Linn style), applied after decoding.",
        h.swing,
    ),
    Entry(
        "density",
        (
            Arg("instrument", "name-or-index", f"{', '.join(INSTRUMENT_NAMES)} or 0..{N_INSTRUMENTS - 1}"),
            Arg("v", "float", "threshold offset: + denser, - sparser; clamped", *DENSITY_RANGE),
        ),
        "One instrument's density (its threshold is threshold - v).",
        h.density,
    ),
    Entry(
        "preset/store",
        (Arg("slot", "int", "preset slot", 1, PRESET_SLOTS),),
        "Keep XY, threshold, noise, mutes, densities, swing and motion in a slot.",
        h.preset_store,
        reply="/rvae/preset/stored layer slot",
    ),
    Entry(
        "preset/recall",
        (
            Arg("slot", "int", "preset slot", 1, PRESET_SLOTS),
            Arg("time", "float", "morph time (default: /rvae/preset/morph); 0 = at once", 0, 256, optional=True),
            Arg("unit", "string", "", choices=("beats", "bars"), optional=True),
        ),
        "Recall a preset: every value glides there in sync over the morph time.",
        h.preset_recall,
    ),
    Entry(
        "preset/morph",
        (Arg("time", "float", "default morph time", 0, 256), Arg("unit", "string", "", choices=("beats", "bars"))),
        "The layer's default morph time for recalls.",
        h.preset_morph,
    ),
    Entry(
        "follow",
        (
            Arg("on", "bool", "1 = follow the drums coming in"),
            Arg("min_onsets", "int", "a bar needs this many onsets to be followed", 1, 64, optional=True),
            Arg("glide", "float", "beats the pad takes to get there", 0, 256, optional=True),
        ),
        "Follow mode: at each bar line the last bar of drums played into the follow input is encoded and the pad "
        "glides there.",
        h.follow,
    ),
    Entry(
        "glide",
        (_f("x", _V01), _f("y", _V01), Arg("beats", "float", "glide time", 0, 256, optional=True)),
        "Glide the performer's point to x y over beats (at once when stopped).",
        h.glide,
    ),
    Entry(
        "encode",
        (Arg("path", "string", "a MIDI clip inside a configured clip folder (relative, or absolute inside)"),),
        "Place a clip on the pad: the pad jumps to its first bar's point; its bars show as a trail on the page.",
        h.encode,
        reply="/rvae/encoded layer x y bars",
    ),
    Entry(
        "capture/last",
        (
            Arg("bars", "int", "how many bars back", 1, 512),
            Arg("name", "string", "file name in the capture folder: letters, digits, . _ - (.mid added)"),
        ),
        "Write the last BARS bars played (all layers, as sent, with tempo and meter) to DIR/NAME.mid.",
        h.capture_last,
        per_layer=False,
        reply="/rvae/captured path notes",
    ),
    Entry(
        "capture/start",
        (),
        "Capture from the next bar line until /rvae/capture/stop.",
        h.capture_start,
        per_layer=False,
        reply="/rvae/capture/started 1",
    ),
    Entry(
        "capture/stop",
        (Arg("name", "string", "file name in the capture folder (.mid added)"),),
        "Stop capturing and write the file.",
        h.capture_stop,
        per_layer=False,
        reply="/rvae/captured path notes",
    ),
)

MOTION_FEEDBACK: tuple[Feedback, ...] = (
    Feedback(
        f"{PREFIX}/encoded",
        (Arg("layer", "int", "1-based"), Arg("x", "float", ""), Arg("y", "float", ""), Arg("bars", "int", "")),
        "A clip was placed on the pad: its first bar's point (the pad jumped there) and how many bars (the trail).",
    ),
    Feedback(
        f"{PREFIX}/captured",
        (Arg("path", "string", "the file written"), Arg("notes", "int", "notes in it")),
        "A capture was written.",
    ),
    Feedback(f"{PREFIX}/capture/started", (Arg("on", "int", "1"),), "Capturing from the next bar line."),
    Feedback(
        f"{PREFIX}/preset/stored", (Arg("layer", "int", "1-based"), Arg("slot", "int", "")), "A preset was stored."
    ),
)
