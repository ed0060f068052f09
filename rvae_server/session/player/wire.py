"""What the server and its player process say to each other: small binary messages, no pickle.

Server → player process: a clock's :class:`~rvae_server.engine.clock.mirror.Timeline` (``T``), a plan of a bar of
a table (``P``: table 0 the drums, 1 the melody's lines; the notes as fixed 17-byte records), a plan dropped
(``D``), raw MIDI bytes for one of its ports (``R``: a program change), and quit (``Q``).
Player process → server: its hello (``H``: the ports it opened or could not, as JSON), lateness figures (``L``:
float64 seconds) and log lines (``W``: level and text).

Every decoder checks what it reads and raises :class:`WireError` naming what was wrong.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np

from rvae_server.core.bar import Bar
from rvae_server.engine.clock.base import Transport
from rvae_server.engine.clock.mirror import Timeline
from rvae_server.engine.plans import Plan

#: One note of a plan: absolute position (ticks), length (ticks; lines only), tick in the bar, instrument (or the
#: line's pitch), MIDI note and velocity.
NOTE = np.dtype(
    [("pos", "<f8"), ("len", "<f4"), ("tick", "<i2"), ("inst", "u1"), ("note", "u1"), ("vel", "u1")]
)
_TIMELINE = struct.Struct("<q?dddddb")
_PLAN = struct.Struct("<BiiBB?I")  # table, layer, bar, channel, model-name length, has lengths, notes
_DROP = struct.Struct("<Bii")
_EVENTS = list(Transport)
#: The tables: the drum plans, the melody's lines.
DRUMS, LINES = 0, 1
#: The player process's ports, by their number in ``R`` messages.
ROLES = ("drums", "melody")


class WireError(ValueError):
    """A message that cannot be read."""


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
    if n and (notes["note"].max() > 127 or not (1 <= notes["vel"].min() and notes["vel"].max() <= 127)):
        raise WireError("plan notes must be 0..127 with velocities 1..127")
    item = Plan(
        layer, bar_number, Bar.empty(), notes["pos"].astype(np.float64), notes["tick"].astype(np.int64),
        notes["inst"].astype(np.int64), notes["note"].astype(np.int64), notes["vel"].astype(np.int64), channel,
        model, lengths=notes["len"].astype(np.float64) if has_lengths else None,
    )  # fmt: skip
    return table, item


def read_drop(body: bytes) -> tuple[int, int, int]:
    if len(body) != _DROP.size:
        raise WireError(f"drop of {len(body)} bytes (expected {_DROP.size})")
    table, layer, bar_number = _DROP.unpack(body)
    return table, layer, bar_number


def read_log(body: bytes) -> tuple[int, str]:
    if len(body) < 2:
        raise WireError("log line without a level")
    return struct.unpack_from("<H", body)[0], body[2:].decode("utf-8", "replace")


__all__ = [
    "DRUMS",
    "LINES",
    "NOTE",
    "QUIT",
    "ROLES",
    "WireError",
    "drop",
    "hello",
    "lateness",
    "log_line",
    "plan",
    "raw",
    "read_drop",
    "read_log",
    "read_plan",
    "read_timeline",
    "timeline",
]
