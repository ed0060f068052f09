"""The OSC control surface: one address table, a UDP server on its own thread, feedback from a sender thread.

The address table
    :data:`ADDRESSES` (a tuple of :class:`Entry`: address, argument spec, doc, reply, handler) is the single
    source of the server's handlers, of ``docs/osc.md`` (``python -m rvae_server.osc --markdown``), of the check
    that the Max patch sends only addresses we handle (:func:`handles`) and of the web page
    (:func:`table_as_json`). :data:`FEEDBACK` lists what the server sends back.

    Layer-scoped entries exist as ``/rvae/<verb>`` (layer 1) and ``/rvae/layer/N/<verb>`` (layer N, 1-based);
    global ones (tempo, transport, state, feedback) only as ``/rvae/<verb>``. Bundles are unpacked in order
    and their timetags ignored: every message applies on arrival (a timetag never stalls the server).

Threads
    The ``rvae-osc`` thread receives datagrams (:class:`pythonosc.osc_server.BlockingOSCUDPServer`, one at a
    time, in arrival order), validates and dispatches them; handlers only call the engine's control methods.
    Everything sent back — replies, errors, the current bar, state changes, training progress — goes through a
    bounded queue to the ``rvae-osc-feedback`` thread: engine listeners (called on the planner thread) only
    enqueue, and a full queue drops (counted) rather than blocks.

Feedback routing
    A reply (errors, warnings, ``/rvae/state``, ``/rvae/models``) goes to the message's sender (its source
    address and port) and to every feedback client on the sender's host (a Max patch sends from a random port
    with ``udpsend`` and listens with ``udpreceive`` on a port it registers with ``/rvae/feedback``).
    Broadcasts (bars, state changes, training) go to every feedback client: the configured ones and those
    registered with ``/rvae/feedback`` (at most :data:`MAX_CLIENTS`).

Bad input never stops the music
    Wrong argument types or counts, NaN/inf, unknown addresses, invalid UTF-8, truncated, malformed or
    oversized datagrams each get ``/rvae/error <address> <what was wrong>`` and a log line; out-of-range
    numbers are clamped by the engine and reported as ``/rvae/warning <address> <note>``. Log lines and error
    replies are rate-limited. When the server listens beyond loopback, datagrams from hosts outside ``allow``
    (IP addresses or networks; loopback is always allowed) are dropped and logged (rate-limited).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import math
import os
import queue
import re
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_server import BlockingOSCUDPServer

from rvae_server.bar import INSTRUMENT_NAMES, N_INSTRUMENTS, Bar
from rvae_server.controllers import TARGETS
from rvae_server.engine import ControlError, Engine, EngineEvent
from rvae_server.trainjobs import TrainingRefused, resolve_clip_folder

log = logging.getLogger(__name__)

PREFIX = "/rvae"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9000
#: Layers ``/rvae/layer/N/...`` may name (the daemon allows 1..8 layers).
MAX_LAYERS = 8
#: Largest datagram accepted (bytes); larger ones are refused with an error.
MAX_DATAGRAM = 16384
#: Most messages taken from one datagram (bundles included); bundles nest at most MAX_DEPTH deep.
MAX_MESSAGES = 64
MAX_DEPTH = 8
#: Most feedback clients (configured + registered).
MAX_CLIENTS = 16
#: Feedback queue length; when full, feedback is dropped (and counted), never waited for.
QUEUE_SIZE = 4096
#: State changes are broadcast at most this often (s); an XY drag at 200 Hz sends ~33 updates a second.
STATE_INTERVAL = 0.03
#: Error replies per client: a burst of this many, refilled at this rate (per second).
ERROR_BURST, ERROR_RATE = 50, 50.0
#: Receive buffer asked of the kernel (bytes).
RECEIVE_BUFFER = 1 << 20
#: OSC type tags accepted in incoming messages.
TYPE_TAGS = frozenset("ifdshbTFN[]")

Client = tuple[str, int]


class OscArgError(ValueError):
    """Arguments that do not fit an address's spec; the message says which argument and why."""


# =========================================================================================== training hook


class TrainingService(Protocol):
    """What ``/rvae/train``, ``/rvae/train/cancel`` and ``/rvae/undo/model`` call (implemented elsewhere).

    ``start`` gets a folder already confined to the configured clip folders (an absolute, resolved path), a
    model name checked against :data:`MODEL_NAME`, and 0-based engine layers to hot-swap when done; it returns
    a job id or raises ``ValueError``/``RuntimeError`` with a message for the performer (e.g. a job is already
    running). ``undo_model(layer)`` (0-based) puts back the layer's previous model and returns its name.
    Progress flows back through :meth:`OscServer.train_progress`, :meth:`OscServer.train_done` and
    :meth:`OscServer.train_failed` (thread-safe, never block)."""

    def start(self, folder: str, name: str, layers: list[int]) -> str: ...

    def cancel(self) -> bool: ...

    def undo_model(self, layer: int) -> str: ...


class Learner(Protocol):
    """What ``/rvae/learn`` calls (see :class:`rvae_server.controllers.CCMapper`)."""

    def learn(self, target: str, layer: int = 0) -> None: ...

    def cancel_learn(self) -> bool: ...


#: Model names accepted from the network (also file names): letters, digits, ``.``, ``_``, ``-``.
MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def confine_folder(folder: str, allowed: Sequence[str | os.PathLike[str]]) -> Path:
    """The existing folder ``folder`` names inside one of the ``allowed`` clip folders, resolved (symlinks
    followed): :func:`rvae_server.trainjobs.resolve_clip_folder` (the one rule for clip folders from the network),
    which must name a folder here. Refusals raise :class:`OscArgError` with its message."""
    try:
        real = resolve_clip_folder(folder, allowed)
    except TrainingRefused as err:
        raise OscArgError(str(err)) from None
    if not real.is_dir():
        raise OscArgError(f"{folder!r} is not a folder")
    return real


# =========================================================================================== the table


@dataclass(frozen=True)
class Arg:
    """One argument: ``kind`` is ``float`` (int or float accepted; NaN/inf refused), ``int`` (an int, or a
    float with no fraction), ``string``, ``bool`` (0/1, T/F), or ``name-or-index`` (a string or an int).
    ``lo``/``hi`` document the range (the engine clamps and reports); ``choices`` restrict strings."""

    name: str
    kind: str
    doc: str
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()
    optional: bool = False

    def convert(self, value: Any) -> Any:
        """The argument as a Python value, or :class:`OscArgError`."""
        kind = self.kind
        if kind in ("float", "int", "bool"):
            if isinstance(value, bool):
                if kind == "bool":
                    return value
                raise OscArgError(f"{self.name} must be a number, not {'T' if value else 'F'}")
            if not isinstance(value, int | float):
                raise OscArgError(f"{self.name} must be a number, not {_describe(value)}")
            number = float(value)
            if not math.isfinite(number):
                raise OscArgError(f"{self.name} must be a finite number, not {number}")
            if kind == "float":
                return number
            if kind == "bool":
                return number != 0.0
            if number != int(number):
                raise OscArgError(f"{self.name} must be a whole number, not {number:g}")
            return int(number)
        if kind == "string":
            if not isinstance(value, str):
                raise OscArgError(f"{self.name} must be a string, not {_describe(value)}")
            if self.choices and value not in self.choices:
                raise OscArgError(f"{self.name} must be one of {', '.join(self.choices)}, not {value!r}")
            return value
        if kind == "name-or-index":
            if isinstance(value, str):
                return value
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise OscArgError(f"{self.name} must be a name or an index, not {_describe(value)}")
            if not math.isfinite(value) or value != int(value):
                raise OscArgError(f"{self.name} index must be a whole number, not {value}")
            return int(value)
        raise AssertionError(kind)

    def spec(self) -> str:
        text = f"{self.name}:{self.kind}"
        if self.choices:
            text = f"{self.name}:{'|'.join(self.choices)}"
        elif self.lo is not None and self.hi is not None:
            text += f" {self.lo:g}..{self.hi:g}"
        return f"[{text}]" if self.optional else text


def _describe(value: Any) -> str:
    if isinstance(value, bytes):
        return f"a blob of {len(value)} bytes"
    if isinstance(value, list):
        return "an array"
    if value is None:
        return "nil"
    return f"{type(value).__name__} {value!r}"[:60]


@dataclass
class Call:
    """One message being handled: its ``address``, ``layer`` (0-based), converted ``args``, the sender
    ``client`` (``None`` for calls not from the network) and the ``replies`` the handler adds."""

    address: str
    layer: int
    args: list[Any]
    client: Client | None
    replies: list[tuple[str, list[Any]]] = field(default_factory=list)

    def reply(self, address: str, *args: Any) -> None:
        self.replies.append((address, list(args)))

    def warn(self, notes: Iterable[str]) -> None:
        for note in notes:
            self.reply(f"{PREFIX}/warning", self.address, note)


Handler = Callable[["OscServer", Call], None]


@dataclass(frozen=True)
class Entry:
    """One incoming address: ``verb`` (after ``/rvae/`` or ``/rvae/layer/N/``), its arguments, what it does
    (``doc``), what it sends back (``reply``), whether it exists per layer, and its handler."""

    verb: str
    args: tuple[Arg, ...]
    doc: str
    handler: Handler
    per_layer: bool = True
    reply: str = ""

    @property
    def address(self) -> str:
        return f"{PREFIX}/{self.verb}"

    @property
    def layer_address(self) -> str | None:
        return f"{PREFIX}/layer/N/{self.verb}" if self.per_layer else None

    def addresses(self, layers: int) -> list[tuple[str, int]]:
        """Concrete ``(address, 0-based layer)`` pairs for a server with ``layers`` layers."""
        out = [(self.address, 0)]
        if self.per_layer:
            out += [(f"{PREFIX}/layer/{n}/{self.verb}", n - 1) for n in range(1, layers + 1)]
        return out

    def convert(self, raw: Sequence[Any]) -> list[Any]:
        required = sum(1 for a in self.args if not a.optional)
        if not required <= len(raw) <= len(self.args):
            want = str(required) if required == len(self.args) else f"{required}..{len(self.args)}"
            spec = " ".join(a.spec() for a in self.args) or "no arguments"
            raise OscArgError(f"takes {want} argument(s) ({spec}), got {len(raw)}")
        return [arg.convert(value) for arg, value in zip(self.args, raw, strict=False)]


@dataclass(frozen=True)
class Feedback:
    """One address the server sends."""

    address: str
    args: tuple[Arg, ...]
    doc: str


# ------------------------------------------------------------------------------------------- handlers


def _set(field_name: str) -> Handler:
    def handler(server: OscServer, call: Call) -> None:
        call.warn(server.engine.update(call.layer, **{field_name: call.args[0]}))

    return handler


def _xy(server: OscServer, call: Call) -> None:
    call.warn(server.engine.update(call.layer, x=call.args[0], y=call.args[1]))


def _mute(server: OscServer, call: Call) -> None:
    call.warn(server.engine.set_mute(call.layer, call.args[0], call.args[1]))


def _model(server: OscServer, call: Call) -> None:
    server.engine.update(call.layer, model=call.args[0])


def _enable(server: OscServer, call: Call) -> None:
    server.engine.update(call.layer, enabled=call.args[0])


def _velocity(server: OscServer, call: Call) -> None:
    changes: dict[str, Any] = {"velocity_mode": call.args[0]}
    if len(call.args) > 1:
        changes["fixed_velocity"] = call.args[1]
    call.warn(server.engine.update(call.layer, **changes))


def _bpm(server: OscServer, call: Call) -> None:
    call.warn(server.engine.set_bpm(call.args[0]))


def _play(server: OscServer, call: Call) -> None:
    if not server.engine.clock.running:
        server.engine.play()


def _stop(server: OscServer, call: Call) -> None:
    server.engine.stop()


def _state(server: OscServer, call: Call) -> None:
    snapshot = server.engine.snapshot()
    call.reply(f"{PREFIX}/state/json", json.dumps(snapshot, separators=(",", ":")))
    call.replies.extend(state_messages(snapshot, None))


def _models(server: OscServer, call: Call) -> None:
    call.reply(f"{PREFIX}/models", *sorted(server.engine.models))


def _train(server: OscServer, call: Call) -> None:
    if server.training is None:
        raise OscArgError("training is not available in this server")
    folder = confine_folder(call.args[0], server.clip_dirs)
    name = call.args[1]
    if not MODEL_NAME.fullmatch(name):
        raise OscArgError(f"model name {name!r}: use 1..64 letters, digits, '.', '_' or '-' (first a letter/digit)")
    try:
        job = server.training.start(str(folder), name, [call.layer])
    except (ValueError, RuntimeError, OSError) as err:
        raise OscArgError(str(err)) from None
    call.reply(f"{PREFIX}/train/started", str(job), name, call.layer + 1)


def _train_cancel(server: OscServer, call: Call) -> None:
    if server.training is None:
        raise OscArgError("training is not available in this server")
    cancelled = server.training.cancel()
    call.reply(f"{PREFIX}/train/cancelled", 1 if cancelled else 0)


def _undo_model(server: OscServer, call: Call) -> None:
    if server.training is None:
        raise OscArgError("training is not available in this server (nothing to undo)")
    try:
        name = server.training.undo_model(call.layer)
    except (ValueError, RuntimeError) as err:
        raise OscArgError(str(err)) from None
    call.reply(f"{PREFIX}/undone", call.layer + 1, str(name))


def _learn(server: OscServer, call: Call) -> None:
    if server.learner is None:
        raise OscArgError("no MIDI controller input is open on this server (controller-in)")
    target = call.args[0]
    if target in ("cancel", "none"):
        call.reply(f"{PREFIX}/learn/cancelled", 1 if server.learner.cancel_learn() else 0)
        return
    try:
        server.learner.learn(target, call.layer)
    except ValueError as err:
        raise OscArgError(str(err)) from None
    call.reply(f"{PREFIX}/learn/armed", target, call.layer + 1)


def _feedback(server: OscServer, call: Call) -> None:
    if len(call.args) == 1:
        raise OscArgError("give host and port, or no arguments (feedback to this sender's address)")
    if not call.args:
        if call.client is None:
            raise OscArgError("no sender address to send feedback to")
        dest = call.client
    else:
        host, port = call.args
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            raise OscArgError(f"host must be an IP address (no names are looked up), not {host!r}") from None
        if not 0 <= port <= 65535:
            raise OscArgError(f"port must be 0..65535, not {port}")
        sender = call.client[0] if call.client else None
        if str(ip) != sender and not server.allowed(str(ip)):
            raise OscArgError(f"feedback only to this sender's host or an allowed host, not {host}")
        dest = (str(ip), port)
        if port == 0:
            removed = server.remove_client(dest[0])
            call.reply(f"{PREFIX}/feedback/removed", dest[0], removed)
            return
    server.add_client(dest)
    call.reply(f"{PREFIX}/feedback/added", dest[0], dest[1])
    _state(server, call)


def _f(name: str, doc: str, lo: float = 0.0, hi: float = 1.0) -> Arg:
    return Arg(name, "float", doc, lo, hi)


_V01 = "0..1; outside is clamped and reported"
_LEARNABLE = (*TARGETS, "cancel")

#: The incoming address table (see the module docstring).
ADDRESSES: tuple[Entry, ...] = (
    Entry(
        "xy", (_f("x", _V01), _f("y", _V01)), "Move the XY pad (0..1 each; the model's own pad fits its clips).", _xy
    ),
    Entry("x", (_f("v", _V01),), "Pad X alone.", _set("x")),
    Entry("y", (_f("v", _V01),), "Pad Y alone.", _set("y")),
    Entry("threshold", (_f("v", _V01),), "Onset probability threshold: higher = sparser.", _set("threshold")),
    Entry("noise", (_f("v", _V01),), "Random latent wander per bar (0 = none).", _set("noise")),
    Entry(
        "mute",
        (
            Arg("instrument", "name-or-index", f"{', '.join(INSTRUMENT_NAMES)} or 0..{N_INSTRUMENTS - 1}"),
            Arg("on", "bool", "1 = muted, 0 = playing"),
        ),
        "Mute or unmute one instrument (from the next tick).",
        _mute,
    ),
    Entry("model", (Arg("name", "string", "a loaded model's name"),), "Switch model at the next bar line.", _model),
    Entry(
        "enable", (Arg("on", "bool", "1 = the layer plays"),), "Turn a layer on or off (layer 1 starts on).", _enable
    ),
    Entry(
        "velocity",
        (
            Arg("mode", "string", "model: as decoded; fixed: every note at v", choices=("model", "fixed")),
            Arg("v", "int", "fixed velocity", 1, 127, optional=True),
        ),
        "Velocity mode.",
        _velocity,
    ),
    Entry(
        "timing", (_f("amount", "0 = on the grid, 1 = microtiming as decoded"),), "Microtiming amount.", _set("timing")
    ),
    Entry(
        "channel", (Arg("channel", "int", "MIDI channel", 1, 16),), "The layer's MIDI output channel.", _set("channel")
    ),
    Entry("bpm", (_f("v", "beats per minute; clamped", 20, 400),), "Tempo (internal clock).", _bpm, per_layer=False),
    Entry("play", (), "Start the transport from bar 1 (ignored while playing).", _play, per_layer=False),
    Entry("stop", (), "Stop the transport (all notes off).", _stop, per_layer=False),
    Entry(
        "state",
        (),
        "Ask for the whole state.",
        _state,
        per_layer=False,
        reply="/rvae/state/json, then the /rvae/state/... messages below",
    ),
    Entry("models", (), "Ask for the loaded models.", _models, per_layer=False, reply="/rvae/models name..."),
    Entry(
        "train",
        (
            Arg("folder", "string", "a folder inside a configured clip folder (relative, or absolute inside)"),
            Arg("name", "string", "the new model's name: letters, digits, . _ -"),
        ),
        "Train a model on the folder's clips in a separate process; hot-swapped into this layer when done.",
        _train,
        reply="/rvae/train/started job name layer; later /rvae/train/progress, /rvae/train/done or /failed",
    ),
    Entry(
        "train/cancel",
        (),
        "Cancel the running training job.",
        _train_cancel,
        per_layer=False,
        reply="/rvae/train/cancelled 0|1",
    ),
    Entry(
        "undo/model",
        (),
        "Put back the model this layer played before the last hot swap.",
        _undo_model,
        reply="/rvae/undone layer name",
    ),
    Entry(
        "learn",
        (Arg("param", "string", "the parameter to map; cancel stops learning", choices=_LEARNABLE),),
        "MIDI learn: the next MIDI Control Change that arrives is mapped to this parameter of this layer.",
        _learn,
        reply="/rvae/learn/armed param layer; when mapped, /rvae/learned to feedback clients",
    ),
    Entry(
        "feedback",
        (
            Arg("host", "string", "IP address: the sender's own, or an allowed one", optional=True),
            Arg("port", "int", "UDP port; 0 removes the host's registration", 0, 65535, optional=True),
        ),
        "Register a feedback client (no arguments: the sender's own address and port).",
        _feedback,
        per_layer=False,
        reply="/rvae/feedback/added host port, then the whole state",
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
        "channel, enabled (int), mutes (9 ints, 1 = muted).",
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
        "<!-- generated by `python -m rvae_server.osc --markdown > docs/osc.md`; do not edit -->",
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


def state_messages(snapshot: dict[str, Any], layers: Iterable[int] | None) -> list[tuple[str, list[Any]]]:
    """The flat ``/rvae/state/...`` messages of a snapshot: global fields when ``layers`` is None (all layers
    then too), else only those layers (0-based)."""
    out: list[tuple[str, list[Any]]] = []
    if layers is None:
        out.append((f"{PREFIX}/state/bpm", [float(snapshot["bpm"])]))
        out.append((f"{PREFIX}/state/playing", [1 if snapshot["playing"] else 0]))
        out.append((f"{PREFIX}/state/models", list(snapshot["models"])))
        layers = range(len(snapshot["layers"]))
    address = f"{PREFIX}/state/layer"
    for k in layers:
        s = snapshot["layers"][k]
        n = k + 1
        for key in ("x", "y", "threshold", "noise", "timing"):
            out.append((address, [n, key, float(s[key])]))
        out.append((address, [n, "model", str(s["model"])]))
        out.append((address, [n, "velocity", str(s["velocity_mode"]), int(s["fixed_velocity"])]))
        out.append((address, [n, "channel", int(s["channel"])]))
        out.append((address, [n, "enabled", 1 if s["enabled"] else 0]))
        out.append((address, [n, "mutes", *(1 if s["mutes"][name] else 0 for name in INSTRUMENT_NAMES)]))
    return out


def bar_messages(layer: int, bar_number: int, model: str, bar: Bar) -> list[tuple[str, list[Any]]]:
    """``/rvae/bar`` and the nine ``/rvae/bar/row`` messages of one bar (layer 0-based here, 1-based sent)."""
    velocities = np.rint(bar.velocities * 127.0).astype(np.int64) * (bar.onsets > 0)
    rows = velocities.T.tolist()  # (9, 96)
    out: list[tuple[str, list[Any]]] = [(f"{PREFIX}/bar", [layer + 1, int(bar_number), model])]
    out += [(f"{PREFIX}/bar/row", [layer + 1, inst, *row]) for inst, row in enumerate(rows)]
    return out


def build_message(address: str, args: Sequence[Any]) -> bytes:
    """One OSC message's bytes (ints as ``i``, floats as ``f``, strings as ``s``)."""
    builder = OscMessageBuilder(address=address)
    for value in args:
        if isinstance(value, bool):
            builder.add_arg(int(value), OscMessageBuilder.ARG_TYPE_INT)
        elif isinstance(value, int):
            builder.add_arg(value, OscMessageBuilder.ARG_TYPE_INT)
        elif isinstance(value, float):
            builder.add_arg(value, OscMessageBuilder.ARG_TYPE_FLOAT)
        else:
            builder.add_arg(str(value), OscMessageBuilder.ARG_TYPE_STRING)
    return builder.build().dgram


# =========================================================================================== parsing


class PacketError(ValueError):
    """A datagram that cannot be parsed; ``address`` is the message address if one could be read."""

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(reason)
        self.address = address


def _read_string(data: bytes, start: int) -> tuple[str, int]:
    end = data.find(b"\x00", start)
    if end < 0:
        raise PacketError("", "an OSC string is not terminated (truncated datagram?)")
    try:
        text = data[start:end].decode("utf-8")
    except UnicodeDecodeError as err:
        raise PacketError("", f"a string is not valid UTF-8 ({err.reason} at byte {start + err.start})") from None
    return text, (end + 4) & ~3


def parse_packet(data: bytes) -> list[OscMessage]:
    """The messages of a datagram, bundles unpacked in order. Raises :class:`PacketError`."""
    messages: list[OscMessage] = []
    _parse_into(data, messages, 0)
    return messages


def _parse_into(data: bytes, messages: list[OscMessage], depth: int) -> None:
    if data.startswith(b"#bundle\x00"):
        if depth >= MAX_DEPTH:
            raise PacketError("", f"bundles nested deeper than {MAX_DEPTH}")
        if len(data) < 16:
            raise PacketError("", "bundle without a timetag (truncated datagram)")
        index = 16
        while index < len(data):
            if index + 4 > len(data):
                raise PacketError("", "bundle element size is truncated")
            (size,) = struct.unpack_from(">i", data, index)
            index += 4
            if size <= 0 or size % 4 or index + size > len(data):
                raise PacketError("", f"bundle element size {size} does not fit the datagram")
            _parse_into(data[index : index + size], messages, depth + 1)
            index += size
        return
    if not data.startswith(b"/"):
        raise PacketError("", "not an OSC message or bundle (must start with '/' or '#bundle')")
    address, index = _read_string(data, 0)
    if len(data) % 4:
        raise PacketError(address, f"message of {len(data)} bytes is not a multiple of 4 (truncated datagram?)")
    if index > len(data):
        raise PacketError(address, "address string is not padded to 4 bytes (truncated datagram?)")
    if index < len(data):
        try:
            tags, _ = _read_string(data, index)
        except PacketError as err:
            raise PacketError(address, str(err)) from None
        if not tags.startswith(","):
            raise PacketError(address, "type tag string must start with ','")
        bad = set(tags[1:]) - TYPE_TAGS
        if bad:
            raise PacketError(address, f"unsupported OSC type tag(s) {''.join(sorted(bad))!r}")
        _check_arguments(data, address, tags[1:], (index + len(tags) + 4) & ~3)
    if len(messages) >= MAX_MESSAGES:
        raise PacketError(address, f"more than {MAX_MESSAGES} messages in one datagram")
    try:
        message = OscMessage(data)
    except UnicodeDecodeError as err:
        raise PacketError(address, f"a string argument is not valid UTF-8 ({err.reason})") from None
    except Exception as err:  # pythonosc's ParseError, struct.error, IndexError, OverflowError...
        raise PacketError(address, f"malformed arguments ({_reason(err)})") from None
    messages.append(message)


def _check_arguments(data: bytes, address: str, tags: str, index: int) -> None:
    """Walk the argument bytes the type tags announce: they must fill the message exactly (python-osc would
    zero-pad a truncated number instead of refusing it)."""
    for tag in tags:
        if tag in "if":
            index += 4
        elif tag in "dh":
            index += 8
        elif tag == "s":
            try:
                _, index = _read_string(data, index)
            except PacketError as err:
                raise PacketError(address, str(err)) from None
        elif tag == "b":
            if index + 4 > len(data):
                break
            (size,) = struct.unpack_from(">i", data, index)
            if size < 0:
                raise PacketError(address, f"blob size {size} is negative")
            index += 4 + ((size + 3) & ~3)
        if index > len(data):
            break
    if index != len(data):
        raise PacketError(
            address, f"arguments take {index} bytes but the message has {len(data)} (truncated datagram?)"
        )


def _reason(err: BaseException) -> str:
    text = " ".join(str(a) for a in err.args if not isinstance(a, BaseException)) or type(err).__name__
    return text[:120]


# =========================================================================================== rate limits


class RateLimitedLog:
    """At most ``burst`` lines per ``window`` seconds per logger; the rest are counted and summarised."""

    def __init__(self, logger: logging.Logger, burst: int = 20, window: float = 10.0) -> None:
        self.logger = logger
        self.burst = burst
        self.window = window
        self._start = -math.inf
        self._count = 0
        self._suppressed = 0
        self._lock = threading.Lock()

    def __call__(self, level: int, msg: str, *args: Any) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._start >= self.window:
                if self._suppressed:
                    self.logger.warning(
                        "(%d similar log lines suppressed in the last %.0f s)", self._suppressed, self.window
                    )
                self._start, self._count, self._suppressed = now, 0, 0
            if self._count >= self.burst:
                self._suppressed += 1
                return
            self._count += 1
        self.logger.log(level, msg, *args)


class _Bucket:
    __slots__ = ("last", "tokens")

    def __init__(self) -> None:
        self.tokens = float(ERROR_BURST)
        self.last = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(float(ERROR_BURST), self.tokens + (now - self.last) * ERROR_RATE)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


# =========================================================================================== the server


class _UDPServer(BlockingOSCUDPServer):
    """python-osc's blocking server with our own datagram handling (validation, errors, allow-list)."""

    max_packet_size = 65536  # read whole datagrams, so an oversized one is seen (and refused) whole

    def __init__(self, address: tuple[str, int], dispatcher: Dispatcher, owner: OscServer) -> None:
        self.owner = owner
        super().__init__(address, dispatcher)

    def server_bind(self) -> None:
        # room for a burst of datagrams while the thread is busy (the kernel drops what does not fit)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        super().server_bind()

    def verify_request(self, request: Any, client_address: Any) -> bool:
        return self.owner.accept_from(client_address)

    def finish_request(self, request: Any, client_address: Any) -> None:
        self.owner.handle_datagram(request[0], client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.owner.ratelog(
            logging.ERROR, "OSC: unexpected error on a datagram from %s: %s", client_address, sys.exc_info()[1]
        )


class OscServer:
    """The OSC control surface of one :class:`~rvae_server.engine.Engine`. Use :func:`start_osc`.

    ``host``/``port`` (port 0: any free port; :attr:`port` is the bound one), ``allow`` (IPs or networks
    accepted besides loopback), ``clip_dirs`` (where ``/rvae/train`` may read), ``training`` and ``learner``
    (optional hooks; attach later with :meth:`attach_training` / :meth:`attach_learner`), ``feedback_clients``
    (``(ip, port)`` pairs that always get feedback)."""

    def __init__(
        self,
        engine: Engine,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        allow: Iterable[str] = (),
        clip_dirs: Iterable[str | os.PathLike[str]] = (),
        training: TrainingService | None = None,
        learner: Learner | None = None,
        feedback_clients: Iterable[Client] = (),
    ) -> None:
        self.engine = engine
        self.training = training
        self.learner = learner
        self.clip_dirs: list[str | os.PathLike[str]] = list(clip_dirs)
        self._allow = [ipaddress.ip_network(a.strip(), strict=False) for a in allow]
        self.ratelog = RateLimitedLog(log)
        self.dispatcher = Dispatcher(strict_timing=False)
        for entry in ADDRESSES:  # python-osc's own dispatch reaches the same table (tests, embedding)
            for address, _ in entry.addresses(engine.layer_count):
                self.dispatcher.map(address, self._dispatched, needs_reply_address=True)
        self._clients: list[Client] = []
        self._static_clients = {(str(ipaddress.ip_address(h)), int(p)) for h, p in feedback_clients}
        self._clients_lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}
        self._queue: queue.Queue[tuple[Any, ...]] = queue.Queue(QUEUE_SIZE)
        self._pending_state: set[int | None] = set()  # state markers queued and not yet read by the sender
        self.dropped_feedback = 0
        self.dropped_datagrams = 0
        self.errors = 0  #: error replies produced
        self.handled = 0  #: messages applied
        self._udp = _UDPServer((host, port), self.dispatcher, self)
        self.host = host
        self.port: int = self._udp.server_address[1]
        if not self._allow and not ipaddress.ip_address(host).is_loopback:
            log.warning(
                "OSC on %s:%d accepts only loopback clients: list the pad's address in osc-allow", host, self.port
            )
        self._closed = threading.Event()
        self._threads: list[threading.Thread] = []
        engine.add_listener(self._on_engine_event)
        if learner is not None:
            self._listen_learner(learner)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> OscServer:
        for target, name in ((self._serve, "rvae-osc"), (self._send_loop, "rvae-osc-feedback")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info("OSC: listening on udp %s:%d", self.host, self.port)
        return self

    def _serve(self) -> None:
        self._udp.serve_forever(poll_interval=0.2)

    def close(self) -> None:
        """Stop both threads and close the socket. Idempotent."""
        if self._closed.is_set():
            return
        self._closed.set()
        if self._threads:
            self._udp.shutdown()
            while True:  # make room for the quit marker (the sender drains meanwhile; never blocks forever)
                try:
                    self._queue.put(("quit",), timeout=0.1)
                    break
                except queue.Full:
                    if not self._threads[-1].is_alive():
                        break
        for thread in self._threads:
            thread.join(timeout=2.0)
        self._udp.server_close()

    def attach_training(self, service: TrainingService | None) -> None:
        self.training = service

    def attach_learner(self, learner: Learner | None) -> None:
        self.learner = learner
        if learner is not None:
            self._listen_learner(learner)

    def _listen_learner(self, learner: Learner) -> None:
        add = getattr(learner, "add_listener", None)
        if add is not None:
            add(lambda b: self._put(("learned", b.target, b.layer + 1, b.channel, b.cc)))

    # ------------------------------------------------------------------ clients

    def allowed(self, host: str) -> bool:
        """True for loopback and for hosts in the allow-list."""
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return False
        return ip.is_loopback or any(ip in net for net in self._allow)

    def accept_from(self, client: Any) -> bool:
        if isinstance(client, tuple) and self.allowed(str(client[0])):
            return True
        self.dropped_datagrams += 1
        self.ratelog(logging.WARNING, "OSC: dropped a datagram from %s (not in osc-allow)", client)
        return False

    def add_client(self, client: Client) -> None:
        with self._clients_lock:
            if client in self._clients or client in self._static_clients:
                return
            self._clients.append(client)
            if len(self._clients) + len(self._static_clients) > MAX_CLIENTS:
                dropped = self._clients.pop(0)
                log.info("OSC: too many feedback clients; dropped %s:%d", *dropped)
        log.info("OSC: feedback to %s:%d", *client)

    def remove_client(self, host: str) -> int:
        with self._clients_lock:
            before = len(self._clients)
            self._clients = [c for c in self._clients if c[0] != host]
            return before - len(self._clients)

    @property
    def clients(self) -> list[Client]:
        with self._clients_lock:
            return sorted(self._static_clients) + list(self._clients)

    # ------------------------------------------------------------------ receiving (the rvae-osc thread)

    def handle_datagram(self, data: bytes, client: Client) -> None:
        """Validate one datagram and apply its messages in order; every problem gets an error reply."""
        if len(data) > MAX_DATAGRAM:
            self._error(client, "", f"datagram of {len(data)} bytes is larger than the {MAX_DATAGRAM} accepted")
            return
        try:
            messages = parse_packet(data)
        except PacketError as err:
            self._error(client, err.address, str(err))
            return
        except RecursionError:
            self._error(client, "", "bundles nested too deep")
            return
        for message in messages:
            replies = self.call(message.address, list(message.params), client)
            if replies:
                self._put(("reply", client, replies))

    def call(self, address: str, args: list[Any], client: Client | None = None) -> list[tuple[str, list[Any]]]:
        """Handle one message as if it had arrived (any thread; the web page may use this too) and return the
        replies. Errors come back as ``/rvae/error`` replies and are logged (rate-limited)."""
        found = lookup(address)
        if found is None or found[1] >= self.engine.layer_count:
            if found is not None:
                reason = f"layer {found[1] + 1} does not exist (this server has {self.engine.layer_count})"
            else:
                reason = "unknown address" + (
                    " (OSC patterns are not supported)" if any(c in address for c in "*?[{") else ""
                )
            return self._error_reply(client, address, reason)
        entry, layer = found
        try:
            call = Call(address, layer, entry.convert(args), client)
            entry.handler(self, call)
        except (OscArgError, ControlError) as err:
            return self._error_reply(client, address, str(err))
        except Exception as err:  # a handler's bug must never stop the server
            self.ratelog(logging.ERROR, "OSC %s: handler failed: %r", address, err)
            return self._error_reply(client, address, f"internal error: {type(err).__name__}")
        self.handled += 1
        return call.replies

    def _dispatched(self, client: Client, address: str, *args: Any) -> None:
        """Entry point for :attr:`dispatcher` (python-osc's dispatch); the server itself uses :meth:`call`."""
        replies = self.call(address, list(args), client)
        if replies:
            self._put(("reply", client, replies))

    def _error_reply(self, client: Client | None, address: str, reason: str) -> list[tuple[str, list[Any]]]:
        self.errors += 1
        self.ratelog(logging.WARNING, "OSC %s from %s: %s", address or "(unparsed datagram)", _who(client), reason)
        if client is not None:
            bucket = self._buckets.get(client[0])
            if bucket is None:
                if len(self._buckets) > 256:
                    self._buckets.clear()
                bucket = self._buckets[client[0]] = _Bucket()
            if not bucket.take():
                return []
        return [(f"{PREFIX}/error", [_printable(address), reason])]

    def _error(self, client: Client, address: str, reason: str) -> None:
        replies = self._error_reply(client, address, reason)
        if replies:
            self._put(("reply", client, replies))

    # ------------------------------------------------------------------ feedback in (any thread; never blocks)

    def _put(self, item: tuple[Any, ...]) -> None:
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped_feedback += 1
            self.ratelog(logging.WARNING, "OSC: feedback queue full; dropped %d so far", self.dropped_feedback)

    def _on_engine_event(self, event: EngineEvent) -> None:
        """Engine listener (on the planner or a control thread): enqueue only."""
        if not (self._clients or self._static_clients):
            return  # nobody to tell: not even a wake-up of the sender thread
        if event.kind == "bar":
            self._put(("bar", event.data["layer"], event.data["bar_number"], event.data["bar"]))
            return
        key = event.data.get("layer") if event.kind == "state" else None
        if key in self._pending_state:  # already on its way: the sender reads the state when it sends
            return
        self._pending_state.add(key)
        self._put(("state", key))

    def train_progress(self, epoch: int, epochs: int, train_loss: float, val_loss: float | None) -> None:
        """Report one finished training epoch to feedback clients (``val_loss`` None → -1)."""
        val = -1.0 if val_loss is None or not math.isfinite(val_loss) else float(val_loss)
        self._put(("broadcast", f"{PREFIX}/train/progress", [int(epoch), int(epochs), float(train_loss), val]))

    def train_done(self, model: str, layers: Iterable[int]) -> None:
        """Training finished: ``model`` saved and swapped into ``layers`` (0-based)."""
        self._put(("broadcast", f"{PREFIX}/train/done", [str(model), *(int(k) + 1 for k in layers)]))

    def train_failed(self, reason: str) -> None:
        """Training failed or was cancelled; nothing changed."""
        self._put(("broadcast", f"{PREFIX}/train/failed", [str(reason)]))

    # ------------------------------------------------------------------ feedback out (the rvae-osc-feedback thread)

    def _send(self, dest: Client, address: str, args: Sequence[Any]) -> None:
        try:
            self._udp.socket.sendto(build_message(address, args), dest)
        except OSError as err:
            self.ratelog(logging.WARNING, "OSC: cannot send %s to %s:%d: %s", address, dest[0], dest[1], err)
        except Exception as err:  # a value python-osc cannot encode
            self.ratelog(logging.ERROR, "OSC: cannot build %s: %r", address, err)

    def _reply_targets(self, client: Client) -> list[Client]:
        return [client] + [c for c in self.clients if c[0] == client[0] and c != client]

    def _send_loop(self) -> None:
        dirty: set[int] = set()
        dirty_global = False
        last_state = 0.0
        while True:
            wait = None if not (dirty or dirty_global) else max(0.0, last_state + STATE_INTERVAL - time.monotonic())
            try:
                item = self._queue.get(timeout=wait)
            except queue.Empty:
                item = ("flush",)
            kind = item[0]
            try:
                if kind == "quit":
                    return
                if kind == "reply":
                    targets = self._reply_targets(item[1])
                    for address, args in item[2]:
                        for dest in targets:
                            self._send(dest, address, args)
                    continue
                clients = self.clients
                if kind == "bar":
                    if clients:
                        _, layer, bar_number, bar = item
                        model = self.engine.state(layer).model
                        for address, args in bar_messages(layer, bar_number, model, bar):
                            for dest in clients:
                                self._send(dest, address, args)
                elif kind == "state":
                    self._pending_state.discard(item[1])
                    if item[1] is None:
                        dirty_global = True
                    else:
                        dirty.add(item[1])
                elif kind == "broadcast":
                    for dest in clients:
                        self._send(dest, item[1], item[2])
                elif kind == "learned":
                    for dest in clients:
                        self._send(dest, f"{PREFIX}/learned", list(item[1:]))
                if (dirty or dirty_global) and time.monotonic() - last_state >= STATE_INTERVAL:
                    if clients:
                        snapshot = self.engine.snapshot()
                        messages = state_messages(snapshot, None if dirty_global else sorted(dirty))
                        for address, args in messages:
                            for dest in clients:
                                self._send(dest, address, args)
                    dirty.clear()
                    dirty_global = False
                    last_state = time.monotonic()
            except Exception:
                self.ratelog(logging.ERROR, "OSC feedback failed on %s", kind)
                log.debug("OSC feedback failure", exc_info=True)


def _who(client: Client | None) -> str:
    return "local call" if client is None else f"{client[0]}:{client[1]}"


def _printable(text: str) -> str:
    return text[:200]


def start_osc(
    engine: Engine,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    allow: Iterable[str] = (),
    clip_dirs: Iterable[str | os.PathLike[str]] = (),
    training: TrainingService | None = None,
    learner: Learner | None = None,
    feedback_clients: Iterable[Client] = (),
) -> OscServer:
    """Bind and start the OSC server (see :class:`OscServer`). Raises ``OSError`` if the port is taken and
    ``ValueError`` for an ``allow`` entry or feedback client that is not an IP address/network."""
    return OscServer(
        engine,
        host=host,
        port=port,
        allow=allow,
        clip_dirs=clip_dirs,
        training=training,
        learner=learner,
        feedback_clients=feedback_clients,
    ).start()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rvae_server.osc", description="Print the OSC address table.")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--markdown", action="store_true", help="docs/osc.md")
    group.add_argument("--json", action="store_true", help="the table as JSON (for the web page)")
    args = parser.parse_args(argv)
    sys.stdout.write(table_as_markdown() if args.markdown else table_as_json() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
