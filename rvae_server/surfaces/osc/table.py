"""The address table: every incoming address with its arguments, what it does and its handler, and every
address the server sends. The single source of the server's dispatch, ``docs/osc.md``, the web page's controls
and the Max patch's check (:func:`handles`)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from rvae_server.core.bar import INSTRUMENT_NAMES, N_INSTRUMENTS
from rvae_server.engine.api import LFO_SHAPES, LFO_TARGETS, PATH_SHAPES
from rvae_server.surfaces.controllers import TARGETS
from rvae_server.surfaces.osc import handlers as h
from rvae_server.surfaces.osc.spec import DEFAULT_HOST, DEFAULT_PORT, MAX_LAYERS, PREFIX, Arg, Entry, Feedback


def _f(name: str, doc: str, lo: float = 0.0, hi: float = 1.0) -> Arg:
    return Arg(name, "float", doc, lo, hi)


_V01 = "0..1; outside is clamped and reported"
_RATE = "bars per cycle (1/16..64), or a text: 1/8, 1/8d (dotted), 1/8t (triplet), 3b (beats)"
_LEARNABLE = (*TARGETS, "cancel")

#: The incoming address table (see the module docstring).
ADDRESSES: tuple[Entry, ...] = (
    Entry("xy", (_f("x", _V01), _f("y", _V01)), "Move the XY pad: (0,0) ↦ latent (-3,-3), (1,1) ↦ (3,3).", h.xy),
    Entry("x", (_f("v", _V01),), "Pad X alone.", h.set("x")),
    Entry("y", (_f("v", _V01),), "Pad Y alone.", h.set("y")),
    Entry("threshold", (_f("v", _V01),), "Onset probability threshold: higher = sparser.", h.set("threshold")),
    Entry("noise", (_f("v", _V01),), "Random latent wander per bar (0 = none).", h.set("noise")),
    Entry(
        "mute",
        (
            Arg("instrument", "name-or-index", f"{', '.join(INSTRUMENT_NAMES)} or 0..{N_INSTRUMENTS - 1}"),
            Arg("on", "bool", "1 = muted, 0 = playing"),
        ),
        "Mute or unmute one instrument (from the next tick).",
        h.mute,
    ),
    Entry("model", (Arg("name", "string", "a loaded model's name"),), "Switch model at the next bar line.", h.model),
    Entry(
        "enable", (Arg("on", "bool", "1 = the layer plays"),), "Turn a layer on or off (layer 1 starts on).", h.enable
    ),
    Entry(
        "velocity",
        (
            Arg("mode", "string", "model: as decoded; fixed: every note at v", choices=("model", "fixed")),
            Arg("v", "int", "fixed velocity", 1, 127, optional=True),
        ),
        "Velocity mode.",
        h.velocity,
    ),
    Entry(
        "timing", (_f("amount", "0 = on the grid, 1 = microtiming as decoded"),), "Microtiming amount.", h.set("timing")
    ),
    Entry(
        "channel", (Arg("channel", "int", "MIDI channel", 1, 16),), "The layer's MIDI output channel.", h.set("channel")
    ),
    Entry("bpm", (_f("v", "beats per minute; clamped", 20, 400),), "Tempo (internal clock).", h.bpm, per_layer=False),
    Entry("play", (), "Start the transport from bar 1 (ignored while playing).", h.play, per_layer=False),
    Entry("stop", (), "Stop the transport (all notes off).", h.stop, per_layer=False),
    Entry(
        "state",
        (),
        "Ask for the whole state.",
        h.state,
        per_layer=False,
        reply="/rvae/state/json, then the /rvae/state/... messages below",
    ),
    Entry("models", (), "Ask for the loaded models.", h.models, per_layer=False, reply="/rvae/models name..."),
    Entry(
        "train",
        (
            Arg("folder", "string", "a folder inside a configured clip folder (relative, or absolute inside)"),
            Arg("name", "string", "the new model's name: letters, digits, . _ -"),
        ),
        "Train a model on the folder's clips in a separate process; hot-swapped into this layer when done.",
        h.train,
        reply="/rvae/train/started job name layer; later /rvae/train/progress, /rvae/train/done or /failed",
    ),
    Entry(
        "train/cancel",
        (),
        "Cancel the running training job.",
        h.train_cancel,
        per_layer=False,
        reply="/rvae/train/cancelled 0|1",
    ),
    Entry(
        "undo/model",
        (),
        "Put back the model this layer played before the last hot swap.",
        h.undo_model,
        reply="/rvae/undone layer name",
    ),
    Entry(
        "learn",
        (Arg("param", "string", "the parameter to map; cancel stops learning", choices=_LEARNABLE),),
        "MIDI learn: the next MIDI Control Change that arrives is mapped to this parameter of this layer.",
        h.learn,
        reply="/rvae/learn/armed param layer; when mapped, /rvae/learned to feedback clients",
    ),
    Entry(
        "feedback",
        (
            Arg("host", "string", "IP address: the sender's own, or an allowed one", optional=True),
            Arg("port", "int", "UDP port; 0 removes the host's registration", 0, 65535, optional=True),
        ),
        "Register a feedback client (no arguments: the sender's own address and port).",
        h.feedback,
        per_layer=False,
        reply="/rvae/feedback/added host port, then the whole state",
    ),
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
            Arg("percent", "float", "50 = straight … 75; clamped", 50, 75),
            Arg("unit", "int", "8 (eighths) or 16 (sixteenths)", 8, 16, optional=True),
        ),
        "Swing (Roger Linn style), applied after decoding.",
        h.swing,
    ),
    Entry(
        "density",
        (
            Arg("instrument", "name-or-index", f"{', '.join(INSTRUMENT_NAMES)} or 0..{N_INSTRUMENTS - 1}"),
            Arg("v", "float", "threshold offset: + denser, - sparser; clamped", -0.5, 0.5),
        ),
        "One instrument's density (its threshold is threshold - v).",
        h.density,
    ),
    Entry(
        "preset/store",
        (Arg("slot", "int", "preset slot", 1, 16),),
        "Keep XY, threshold, noise, mutes, densities, swing and motion in a slot.",
        h.preset_store,
        reply="/rvae/preset/stored layer slot",
    ),
    Entry(
        "preset/recall",
        (
            Arg("slot", "int", "preset slot", 1, 16),
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

_ROW = Arg("velocities", "int", "96 ints, one per tick: 0 = no onset, else MIDI velocity 1..127", 0, 127)
#: What the server sends (to the sender, or to feedback clients; see the module docstring).
FEEDBACK: tuple[Feedback, ...] = (
    Feedback(
        f"{PREFIX}/error",
        (Arg("address", "string", ""), Arg("what", "string", "")),
        "A message could not be used (address is '' when the datagram could not be parsed).",
    ),
    Feedback(
        f"{PREFIX}/warning",
        (Arg("address", "string", ""), Arg("what", "string", "")),
        "A value was clamped (or similar); it was applied.",
    ),
    Feedback(
        f"{PREFIX}/bar",
        (Arg("layer", "int", "1-based"), Arg("bar", "int", "bar number since start"), Arg("model", "string", "")),
        "A bar starts on a layer; 9 /rvae/bar/row messages follow (Max: route, then draw each row).",
    ),
    Feedback(
        f"{PREFIX}/bar/row",
        (
            Arg("layer", "int", "1-based"),
            Arg("instrument", "int", f"0..{N_INSTRUMENTS - 1} ({', '.join(INSTRUMENT_NAMES)})"),
            _ROW,
        ),
        "One instrument's row of the bar that starts.",
    ),
    Feedback(f"{PREFIX}/state/json", (Arg("json", "string", "Engine.snapshot() as JSON"),), "The whole state."),
    Feedback(f"{PREFIX}/state/bpm", (Arg("bpm", "float", ""),), "Tempo."),
    Feedback(f"{PREFIX}/state/playing", (Arg("on", "int", "0|1"),), "Transport."),
    Feedback(f"{PREFIX}/state/models", (Arg("names", "string", "each loaded model"),), "Loaded models."),
    Feedback(
        f"{PREFIX}/state/layer",
        (Arg("layer", "int", "1-based"), Arg("field", "string", ""), Arg("value", "any", "")),
        "One layer field: x, y, threshold, noise, timing (float), model (string), velocity (mode, fixed), "
        "channel, enabled (int), mutes (9 ints, 1 = muted), xy_now (x y: the point as played), swing (percent, "
        "unit), gesture (state, bars), follow (on), presets (16 ints, 1 = stored).",
    ),
    Feedback(
        f"{PREFIX}/train/progress",
        (
            Arg("epoch", "int", "1-based"),
            Arg("epochs", "int", ""),
            Arg("train_loss", "float", ""),
            Arg("val_loss", "float", "NaN-free; -1 when there is no validation set"),
        ),
        "One training epoch finished.",
    ),
    Feedback(
        f"{PREFIX}/train/done",
        (Arg("model", "string", ""), Arg("layers", "int", "1-based, each")),
        "Training finished; the model is saved and hot-swapped into the layers at their next bar line.",
    ),
    Feedback(
        f"{PREFIX}/train/failed", (Arg("reason", "string", ""),), "Training failed or was cancelled; nothing changed."
    ),
    Feedback(
        f"{PREFIX}/learned",
        (Arg("param", "string", ""), Arg("layer", "int", ""), Arg("channel", "int", ""), Arg("cc", "int", "")),
        "MIDI learn mapped a control.",
    ),
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

_BY_VERB: dict[str, Entry] = {entry.verb: entry for entry in ADDRESSES}
_LAYER_ADDRESS = re.compile(rf"{PREFIX}/layer/([1-9][0-9]?)/(.+)")


def lookup(address: str) -> tuple[Entry, int] | None:
    """The table entry and 0-based layer an address names (layers up to :data:`MAX_LAYERS`), or None."""
    if address.startswith(f"{PREFIX}/layer/"):
        match = _LAYER_ADDRESS.fullmatch(address)
        if match is None:
            return None
        layer = int(match.group(1))
        entry = _BY_VERB.get(match.group(2))
        if entry is None or not entry.per_layer or not 1 <= layer <= MAX_LAYERS:
            return None
        return entry, layer - 1
    if address.startswith(f"{PREFIX}/"):
        entry = _BY_VERB.get(address[len(PREFIX) + 1 :])
        return None if entry is None else (entry, 0)
    return None


def handles(address: str) -> bool:
    """True if the server handles messages sent to ``address`` (an exact address, e.g. ``/rvae/layer/2/xy``)."""
    return lookup(address) is not None


def _empty(value: Any) -> bool:
    """An unset argument field (a bound of 0.0 is set: ``0.0 in (False,)`` is true, hence no ``in`` test)."""
    return value is None or value is False or (isinstance(value, tuple | str) and len(value) == 0)


def table_as_dict() -> dict[str, Any]:
    def arg(a: Arg) -> dict[str, Any]:
        return {k: v for k, v in vars(a).items() if not _empty(v) or k in ("name", "kind")} | {
            "optional": a.optional,
            "choices": list(a.choices),
        }

    return {
        "prefix": PREFIX,
        "max_layers": MAX_LAYERS,
        "addresses": [
            {
                "address": e.address,
                "layer_address": e.layer_address,
                "args": [arg(a) for a in e.args],
                "doc": e.doc,
                "reply": e.reply,
            }
            for e in ADDRESSES
        ],
        "feedback": [{"address": f.address, "args": [arg(a) for a in f.args], "doc": f.doc} for f in FEEDBACK],
    }


def table_as_json() -> str:
    """The address table as JSON (incoming addresses with argument specs, and the feedback addresses)."""
    return json.dumps(table_as_dict(), indent=1, ensure_ascii=False)


def table_as_markdown() -> str:
    """``docs/osc.md``: generated from the table; a test checks the committed file equals this text."""
    lines = [
        "# OSC address table",
        "",
        "<!-- generated by `python -m rvae_server.surfaces.osc --markdown > docs/osc.md`; do not edit -->",
        "",
        f"The server listens on UDP {DEFAULT_HOST}:{DEFAULT_PORT} by default (`--osc-port`, `--osc-host`, "
        "`--osc-allow`). Addresses marked *per layer* also exist as `/rvae/layer/N/...` (N = 1.."
        f"{MAX_LAYERS}, up to the server's layer count); `/rvae/...` is layer 1. Numbers may be sent as int or "
        "float. Bundles are applied in order on arrival; their timetags are ignored.",
        "",
        "Replies go to the sender's address and to the feedback clients registered from the sender's host; "
        "broadcasts (bars, state changes, training) go to every feedback client (`/rvae/feedback`).",
        "",
        "## Incoming",
        "",
        "| Address | Arguments | Per layer | What it does | Reply |",
        "|---|---|---|---|---|",
    ]

    def args_text(args: Sequence[Arg]) -> str:
        return "<br>".join(f"`{a.spec()}` {a.doc}".strip() for a in args).replace("|", "\\|") or "—"

    for e in ADDRESSES:
        lines.append(
            f"| `{e.address}` | {args_text(e.args)} | {'yes' if e.per_layer else 'no'} | {e.doc} | "
            f"{(e.reply or '—').replace('|', chr(92) + '|')} |"
        )
    lines += ["", "## Sent by the server", "", "| Address | Arguments | Meaning |", "|---|---|---|"]
    for f in FEEDBACK:
        lines.append(f"| `{f.address}` | {args_text(f.args)} | {f.doc} |")
    lines += [
        "",
        "## Drawing the bar in Max",
        "",
        "At each bar start the server sends `/rvae/bar layer bar model`, then nine `/rvae/bar/row layer "
        "instrument v0 ... v95` (0 = no onset, else MIDI velocity). In Max: `[udpreceive 9001]` → "
        "`[route /rvae/bar/row]` → `[route 1]` (layer) → `[route 0 1 2 3 4 5 6 7 8]` (instrument) → each "
        "row a 96-element list for `[multislider]`, `[jit.fill]` or `[zl]`.",
        "",
    ]
    return "\n".join(lines)
