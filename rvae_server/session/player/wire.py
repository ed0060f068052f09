"""What the server and its player process say to each other: small binary messages, no pickle.

Server → player process: a clock's :class:`~rvae_server.engine.clock.mirror.Timeline` (``T``), a plan of a bar of
a table (``P``: table 0 the drums, 1 the melody's lines; the notes as fixed 17-byte records), a plan dropped
(``D``), raw MIDI bytes for one of its ports (``R``: a program change), and quit (``Q``).
Player process → server: its hello (``H``: the ports it opened or could not, as JSON), lateness figures (``L``:
float64 seconds) and log lines (``W``: level and text).

Messages travel as frames (:func:`write_frame`, :func:`read_frame`: a 4-byte length, then the message) over the
process's standard input and output. Every decoder checks what it reads and raises :class:`WireError` naming what
was wrong.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import asdict, dataclass
from typing import Any, BinaryIO

import numpy as np

from rvae_server.core.bar import Bar
from rvae_server.engine.clock.base import Transport
from rvae_server.engine.clock.mirror import Timeline
from rvae_server.engine.plans import DRUM_PLANS as DRUMS
from rvae_server.engine.plans import LINE_PLANS as LINES
from rvae_server.engine.plans import Plan

#: One note of a plan: absolute position (ticks), length (ticks; lines only), tick in the bar, instrument (or the
#: line's pitch), MIDI note, velocity and channel (0: the plan's).
NOTE = np.dtype(
    [("pos", "<f8"), ("len", "<f4"), ("tick", "<i2"), ("inst", "u1"), ("note", "u1"), ("vel", "u1"), ("chan", "u1")]
)
_TIMELINE = struct.Struct("<q?dddddb")
_PLAN = struct.Struct("<BiiBB?I")  # table, layer, bar, channel, model-name length, has lengths, notes
_DROP = struct.Struct("<Bii")
_EVENTS = list(Transport)
#: The tables (``DRUMS``, ``LINES``) are the engine's :data:`~rvae_server.engine.plans.DRUM_PLANS` and ``LINE_PLANS``.
#: The player process's ports, by their number in ``R`` messages.
ROLES = ("drums", "melody")


class WireError(ValueError):
    """A message that cannot be read."""


@dataclass(frozen=True)
class PortSpec:
    """A MIDI output the player process opens: the port whose name contains ``target``, or (None) a virtual port
    named ``client``; ``backend`` as ``rvae serve --midi-backend`` (None: the default, JACK when that is unavailable
    and a JACK server runs); ``note_length`` (s); ``offset`` (s, the output's latency offset)."""

    target: str | None = None
    client: str = "R-VAE"
    backend: str | None = None
    note_length: float = 0.1
    offset: float = 0.0


@dataclass(frozen=True)
class FollowSpec:
    """A MIDI clock master to follow from an input port (``port`` a part of its name)."""

    port: str
    backend: str | None = None
    bpm: float = 120.0


@dataclass(frozen=True)
class PlayerSpec:
    """What the player process opens and does: its ``drums`` and ``melody`` ports, the clock it follows
    (``follow``; None: the server's timelines), whether it is the MIDI clock master of the drums' port
    (``send_clock``), and the real-time priority of its threads (0: none)."""

    drums: PortSpec | None = None
    melody: PortSpec | None = None
    follow: FollowSpec | None = None
    send_clock: bool = False
    priority: int = 0
    report_notes: bool = False  # send back every drum note played (when sent, when due, the MIDI note-on)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @staticmethod
    def from_json(text: str) -> PlayerSpec:
        data = json.loads(text)
        try:
            drums, melody = (PortSpec(**data[k]) if data.get(k) else None for k in ("drums", "melody"))
            follow = FollowSpec(**data["follow"]) if data.get("follow") else None
            flags = bool(data["send_clock"]), int(data["priority"]), bool(data["report_notes"])
            return PlayerSpec(drums, melody, follow, *flags)
        except (KeyError, TypeError, ValueError) as err:
            raise WireError(f"player spec: {err}") from None


_FRAME = struct.Struct("<I")
#: The largest message read (a plan holds at most 96 x 9 notes).
MAX_FRAME = 1 << 20


def write_frame(fd: int, message: bytes) -> None:
    """One message to a pipe, in one write when it fits in one (a pipe takes up to 4096 bytes whole)."""
    data = _FRAME.pack(len(message)) + message
    while data:
        data = data[os.write(fd, data) :]


def read_frame(stream: BinaryIO) -> bytes | None:
    """The next message, or None at the end of the stream."""
    head = stream.read(_FRAME.size)
    if len(head) < _FRAME.size:
        return None
    (n,) = _FRAME.unpack(head)
    if n > MAX_FRAME:
        raise WireError(f"a frame of {n} bytes (at most {MAX_FRAME})")
    body = stream.read(n)
    return body if len(body) == n else None


def timeline(line: Timeline, event: Transport | None = None) -> bytes:
    code = -1 if event is None else _EVENTS.index(event)
    return b"T" + _TIMELINE.pack(line.generation, line.running, line.t0, line.pos0, line.tps, line.held, line.bpm, code)


def plan(table: int, item: Plan) -> bytes:
    n = item.positions.size
    notes = np.empty(n, dtype=NOTE)
    notes["pos"] = item.positions
    notes["len"] = item.lengths if item.lengths is not None else 0.0
    notes["tick"] = item.ticks
    notes["inst"] = item.instruments
    notes["note"] = item.notes
    notes["vel"] = item.velocities
    notes["chan"] = item.channels if item.channels is not None else 0
    model = item.model.encode("utf-8")[:255]
    head = _PLAN.pack(table, item.layer, item.bar_number, item.channel, len(model), item.lengths is not None, n)
    return b"P" + head + model + notes.tobytes()


def drop(table: int, layer: int, bar_number: int) -> bytes:
    return b"D" + _DROP.pack(table, layer, bar_number)


def raw(port: int, data: bytes) -> bytes:
    return b"R" + bytes([port]) + data


QUIT = b"Q"


def hello(data: dict[str, Any]) -> bytes:
    return b"H" + json.dumps(data).encode("utf-8")


def lateness(values: list[float]) -> bytes:
    return b"L" + np.asarray(values, dtype="<f8").tobytes()


#: A drum note played: when it was handed to the port, when it was due (perf_counter s), and its note-on.
PLAYED = np.dtype([("sent", "<f8"), ("when", "<f8"), ("status", "u1"), ("note", "u1"), ("vel", "u1")])


def played(records: list[tuple[float, float, int, int, int]]) -> bytes:
    return b"N" + np.array(records, dtype=PLAYED).tobytes()


def read_played(body: bytes) -> list[tuple[float, float, int, int, int]]:
    if len(body) % PLAYED.itemsize:
        raise WireError(f"played notes of {len(body)} bytes (not whole records)")
    return [tuple(r) for r in np.frombuffer(body, dtype=PLAYED).tolist()]


def log_line(level: int, text: str) -> bytes:
    return b"W" + struct.pack("<H", level) + text.encode("utf-8", "replace")


# ------------------------------------------------------------------------------------------------ reading


def read_timeline(body: bytes) -> tuple[Timeline, Transport | None]:
    if len(body) != _TIMELINE.size:
        raise WireError(f"timeline of {len(body)} bytes (expected {_TIMELINE.size})")
    generation, running, t0, pos0, tps, held, bpm, code = _TIMELINE.unpack(body)
    if not -1 <= code < len(_EVENTS):
        raise WireError(f"unknown transport event {code}")
    return Timeline(generation, running, t0, pos0, tps, held, bpm), None if code < 0 else _EVENTS[code]


def read_plan(body: bytes) -> tuple[int, Plan]:
    if len(body) < _PLAN.size:
        raise WireError(f"plan header of {len(body)} bytes (expected {_PLAN.size})")
    table, layer, bar_number, channel, name_length, has_lengths, n = _PLAN.unpack_from(body)
    start = _PLAN.size + name_length
    if table not in (DRUMS, LINES) or not 1 <= channel <= 16 or len(body) != start + n * NOTE.itemsize:
        raise WireError(f"plan of table {table}, channel {channel}, {n} notes in {len(body)} bytes")
    model = body[_PLAN.size : start].decode("utf-8", "replace")
    notes = np.frombuffer(body, dtype=NOTE, count=n, offset=start)
    if n and not (np.isfinite(notes["pos"]).all() and np.all(np.diff(notes["pos"]) >= 0)):
        raise WireError("plan positions must be finite and in playing order")
    if n and (notes["note"].max() > 127 or notes["vel"].min() < 1 or notes["vel"].max() > 127):
        raise WireError("plan notes must be 0..127 with velocities 1..127")
    if n and notes["chan"].max() > 16:
        raise WireError("a note's channel must be 1..16 (0: the plan's)")
    own = notes["chan"].astype(np.int64)
    item = Plan(
        layer, bar_number, Bar.empty(), notes["pos"].astype(np.float64), notes["tick"].astype(np.int64),
        notes["inst"].astype(np.int64), notes["note"].astype(np.int64), notes["vel"].astype(np.int64), channel,
        model, lengths=notes["len"].astype(np.float64) if has_lengths else None,
        channels=np.where(own > 0, own, channel) if own.any() else None,
    )  # fmt: skip
    return table, item


def read_drop(body: bytes) -> tuple[int, int, int]:
    if len(body) != _DROP.size:
        raise WireError(f"drop of {len(body)} bytes (expected {_DROP.size})")
    table, layer, bar_number = _DROP.unpack(body)
    return table, layer, bar_number


def read_lateness(body: bytes) -> list[float]:
    if len(body) % 8:
        raise WireError(f"lateness figures of {len(body)} bytes (not whole float64s)")
    values: list[float] = np.frombuffer(body, dtype="<f8").tolist()
    return values


def read_log(body: bytes) -> tuple[int, str]:
    if len(body) < 2:
        raise WireError("log line without a level")
    return struct.unpack_from("<H", body)[0], body[2:].decode("utf-8", "replace")


__all__ = [
    "DRUMS",
    "LINES",
    "NOTE",
    "PLAYED",
    "QUIT",
    "ROLES",
    "FollowSpec",
    "PlayerSpec",
    "PortSpec",
    "WireError",
    "drop",
    "hello",
    "lateness",
    "log_line",
    "plan",
    "played",
    "raw",
    "read_drop",
    "read_frame",
    "read_lateness",
    "read_log",
    "read_plan",
    "read_played",
    "read_timeline",
    "timeline",
    "write_frame",
]
