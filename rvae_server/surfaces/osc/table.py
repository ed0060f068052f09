"""The address table: every incoming address with its arguments, what it does and its handler, and every
address the server sends. The single source of the server's dispatch, ``docs/osc.md``, the web page's controls
and the Max patch's check (:func:`handles`)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from rvae_server.core.bar import INSTRUMENT_NAMES, N_INSTRUMENTS
from rvae_server.core.tempo import MAX_BPM, MIN_BPM
from rvae_server.engine.api import MELODY_FAMILIES, RANGES
from rvae_server.surfaces.osc import handlers as h
from rvae_server.surfaces.osc.motion_table import MOTION_ADDRESSES, MOTION_FEEDBACK
from rvae_server.surfaces.osc.output_table import OUTPUT_ADDRESSES, OUTPUT_FEEDBACK
from rvae_server.surfaces.osc.spec import DEFAULT_HOST, DEFAULT_PORT, MAX_LAYERS, PREFIX, Arg, Entry, Feedback
from rvae_server.surfaces.targets import TARGETS


def _f(name: str, doc: str, lo: float = 0.0, hi: float = 1.0) -> Arg:
    return Arg(name, "float", doc, lo, hi)


def _layer(setting: str, name: str, doc: str, kind: str = "float", optional: bool = False) -> Arg:
    """An argument that sets a layer setting, documented with the engine's range for it (:data:`RANGES`)."""
    lo, hi = RANGES[setting]
    return Arg(name, kind, doc, lo, hi, optional=optional)


_V01 = "0..1; outside is clamped and reported"
_LEARNABLE = (*TARGETS, "cancel")

#: The incoming address table (see the module docstring).
ADDRESSES: tuple[Entry, ...] = (
    Entry(
        "xy",
        (_layer("x", "x", _V01), _layer("y", "y", _V01)),
        "Move the XY pad (0..1 each; the model's own pad fits its clips).",
        h.xy,
    ),
    Entry("x", (_layer("x", "v", _V01),), "Pad X alone.", h.set("x")),
    Entry("y", (_layer("y", "v", _V01),), "Pad Y alone.", h.set("y")),
    Entry(
        "threshold",
        (_layer("threshold", "v", _V01),),
        "Onset probability threshold: higher = sparser.",
        h.set("threshold"),
    ),
    Entry("noise", (_layer("noise", "v", _V01),), "Random latent wander per bar (0 = none).", h.set("noise")),
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
            _layer("fixed_velocity", "v", "fixed velocity", "int", optional=True),
        ),
        "Velocity mode.",
        h.velocity,
    ),
    Entry(
        "timing",
        (_layer("timing", "amount", "0 = on the grid, 1 = microtiming as decoded"),),
        "Microtiming amount.",
        h.set("timing"),
    ),
    Entry(
        "channel",
        (_layer("channel", "channel", "MIDI channel", "int"),),
        "The layer's MIDI output channel.",
        h.set("channel"),
    ),
    Entry(
        "bpm",
        (_f("v", "beats per minute; clamped", MIN_BPM, MAX_BPM),),
        "Tempo (internal clock).",
        h.bpm,
        per_layer=False,
    ),
    Entry(
        "play",
        (),
        "Start the transport from bar 1 (ignored while playing). Under a MIDI clock the master owns the transport: "
        "a /rvae/warning says so.",
        h.play,
        per_layer=False,
    ),
    Entry("stop", (), "Stop the transport (all notes off); under a MIDI clock, a warning.", h.stop, per_layer=False),
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
        "Put back the model this layer played before its last model change (by hand, by training, a hot swap); "
        "again for the one before (16 deep).",
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
            Arg("port", "int", "UDP port; 0 removes what this sender registered for the host", 0, 65535, optional=True),
        ),
        "Register a feedback client (no arguments: the sender's own address and port). Never the server's own "
        "port; a loopback address only from a client on this machine.",
        h.feedback,
        per_layer=False,
        reply="/rvae/feedback/added host port, then the whole state",
    ),
    # the melody layer (a bass or melody line generated for the drums of the layer it follows)
    Entry(
        "melody/enable",
        (Arg("on", "bool", "1 = the melody plays"),),
        "Turn the melody layer on or off.",
        h.melody("enabled"),
        per_layer=False,
    ),
    Entry(
        "melody/key",
        (Arg("key", "string", "C, Am, Eb, F#m, 'G major', 'Bb minor' …"),),
        "The melody's key (heard from the first bar line at least half a bar away).",
        h.melody("key"),
        per_layer=False,
    ),
    Entry(
        "melody/scale-lock",
        (Arg("on", "bool", "1 = only the key's scale notes"),),
        "Scale lock: the melody keeps to the key's scale (natural minor in minor keys).",
        h.melody("scale_lock"),
        per_layer=False,
    ),
    Entry(
        "melody/family",
        (Arg("family", "string", "instrument family", choices=MELODY_FAMILIES),),
        "Instrument family the melody is generated for (its octave follows; a program change is sent).",
        h.melody("family"),
        per_layer=False,
    ),
    Entry(
        "melody/octave",
        (Arg("octave", "int", "octave of the key's tonic (C4 = 60)", 0, 8),),
        "Octave of the melody.",
        h.melody("octave"),
        per_layer=False,
    ),
    Entry(
        "melody/density",
        (_f("v", "0 = sparse, 0.5 = as the model plays, 1 = busy"),),
        "How many notes the melody plays.",
        h.melody("density"),
        per_layer=False,
    ),
    Entry(
        "melody/temperature",
        (_f("v", "0.05 = safe … 3 = wild; 1 = as learnt", 0.05, 3.0),),
        "How adventurous the melody is.",
        h.melody("temperature"),
        per_layer=False,
    ),
    Entry(
        "melody/layer",
        (Arg("layer", "int", "1-based drum layer", 1, MAX_LAYERS),),
        "The drum layer the melody follows.",
        h.melody_layer,
        per_layer=False,
    ),
    Entry(
        "melody/channel",
        (Arg("channel", "int", "MIDI channel", 1, 16),),
        "The melody's MIDI channel (on its own port).",
        h.melody("channel"),
        per_layer=False,
    ),
    Entry(
        "plans",
        (
            Arg("on", "bool", "1 = send this layer's planned bars, 0 = stop"),
            Arg("port", "int", "UDP port on the sender's host (default: the sender's port)", 1, 65535, optional=True),
        ),
        "Subscribe to the layer's planned bars (/rvae/plan): sent at once, on every change, and each next bar about "
        "a bar before its bar line. For a client that plays the notes itself (the Max for Live device). At most 8 "
        "ports a host and 16 in all (a new one beyond is refused; those subscribed stay); the plans sent at once "
        "count against the asking socket's reply rate; 0 stops only what the asking socket subscribed (or the port "
        "itself asks), as /rvae/feedback HOST 0 does.",
        h.plans,
        reply="/rvae/plans/subscribed layer port 0|1, then the plans kept (the bar playing and the next one)",
    ),
    *MOTION_ADDRESSES,  # motion, shaping, presets, follow, encode, capture (motion_table.py)
    *OUTPUT_ADDRESSES,  # note maps, the last bars for a Live clip (output_table.py)
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
        f"{PREFIX}/train/report",
        (
            Arg("model", "string", ""),
            Arg("kept_epoch", "int", "the epoch whose weights were kept"),
            Arg("epochs", "int", ""),
            Arg("val_loss", "float", "the kept epoch's; -1 when there is no validation set"),
            Arg("val_f1", "float", "the kept epoch's validation onset F1 (±1 tick); -1 when none"),
            Arg("best_val_loss", "float", "the lowest validation loss; -1 when none"),
            Arg("best_val_loss_epoch", "int", "its epoch; 0 when none"),
            Arg("train_f1", "float", "training clips through the pad (±1 tick); -1 when unknown"),
            Arg("validation_f1", "float", "held-out clips through the pad (±1 tick); -1 when unknown"),
            Arg("warning", "string", "a plain sentence when held-out clips come back far worse; empty otherwise"),
        ),
        "The honest training report, sent just before /rvae/train/done.",
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
        f"{PREFIX}/melody",
        (
            Arg("bar", "int", "bar number since start"),
            Arg("key", "string", "short: Am, Eb"),
            Arg("family", "string", ""),
        ),
        "A melody bar starts; /rvae/melody/notes follows.",
    ),
    Feedback(
        f"{PREFIX}/melody/notes",
        (Arg("notes", "int", "4 ints per note: tick 0..95, MIDI pitch, length in ticks, velocity"),),
        "The notes of the melody bar that starts (none: no arguments).",
    ),
    Feedback(
        f"{PREFIX}/state/melody",
        (Arg("field", "string", ""), Arg("value", "any", "")),
        "One melody layer field: enabled, layer (1-based), channel, octave, scale_lock (int), key (short: Am, Eb), "
        "family (string), density, temperature (float).",
    ),
    Feedback(
        f"{PREFIX}/plan",
        (
            Arg("layer", "int", "1-based"),
            Arg("bar", "int", "the server's bar number since start"),
            Arg("channel", "int", "the MIDI channel of this datagram's notes (the layer's, or an instrument's own)"),
            Arg("part", "int", "0-based; a bar of more than 64 notes, or on several channels, comes in parts"),
            Arg("parts", "int", "how many datagrams this bar takes (1 for up to 64 notes)"),
            Arg(
                "notes",
                "float int int",
                "per note: position in the bar (ticks at 24 ppqn, microtiming included), "
                "MIDI note, velocity 1..127; in playing order",
            ),
        ),
        "One layer's planned bar (to /rvae/plans subscribers): whenever it changes, and the next bar about a bar "
        "before its bar line. Positions run from -0.5 (an early downbeat) to 95.5 (96 ticks a bar, 4 beats).",
    ),
    *MOTION_FEEDBACK,
    *OUTPUT_FEEDBACK,
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
        "## Playing the planned bar on the client (`/rvae/plans`, `/rvae/plan`)",
        "",
        "A client that plays the notes itself (the Max for Live device, on its own track and Live's transport) "
        "sends `/rvae/plans 1 PORT` (per layer: `/rvae/layer/N/plans 1 PORT`). The server answers "
        "`/rvae/plans/subscribed layer port 1` and sends the plans it holds (the bar playing and the next one), "
        "then a new `/rvae/plan` whenever a plan changes (a pad move is heard from the next tick) and each next "
        "bar about a bar before its bar line. One datagram a bar: `/rvae/plan layer bar channel part parts` and "
        "then `position note velocity` per note — e.g. `/rvae/plan 1 17 10 0 1 0.0 36 101 5.8 42 64 12.25 38 "
        "97 ...`. A position is in ticks (24 ppqn, 96 a bar) from the bar line, microtiming and the layer's "
        "timing amount included (note time = bar line + position); it runs from -0.5 (a downbeat played early, "
        "before the bar line) to 95.5. A bar of more than 64 notes comes in `parts` datagrams (`part` 0, 1, ...) "
        "that together make the bar (and one part per channel when instruments play on channels of their own, "
        "`/rvae/note`: each part's `channel` is its notes'); the client uses a bar once all its parts arrived. "
        "`bar` counts the server's "
        "bars; a client following another transport plays the newest plan for the bar playing and moves to the "
        "next plan at its own bar line (`maxpatch/rvae_sequencer.js` does exactly that). `/rvae/plans 0 PORT` "
        "stops the stream.",
        "",
    ]
    return "\n".join(lines)
