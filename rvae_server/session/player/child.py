"""The player process: the engine's :class:`~rvae_server.engine.player.Player` on its own interpreter, sending the
plans the server planned to the MIDI ports it owns, on time.

It is started by :class:`~rvae_server.session.player.proxy.ProcessPlayer` (``multiprocessing``'s spawn: a fresh
interpreter that imports only this module's needs — no model, no torch, no OSC, no web server) and runs:

* the main thread: receives the server's messages (:mod:`rvae_server.session.player.wire`) — plans into two
  tables (:class:`Mirror`: the drums', the melody's), timelines into a
  :class:`~rvae_server.engine.clock.mirror.MirrorClock` — and interrupts the clock when plans change, so the
  player looks again; every fifth of a second it sends back the lateness figures;
* the player thread (real-time priority): the same player and cursor as in the server, waiting on this clock;
* the ports' own threads (note-offs, reconnection) and, as MIDI clock master, the clock sender's.

Following a MIDI clock master, it opens its own :class:`~rvae_server.engine.clock.midi.MidiClockFollower` on the
same input as the server's (a port takes any number of listeners): pulses reach the player without crossing the
server's interpreter. Its log lines go to the server. It ends on ``Q``, on the end of the server's pipe, or with
the server (it is a daemon process).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rvae_server.engine.api import LineSink, NoteSink
from rvae_server.engine.clock.base import Clock
from rvae_server.engine.clock.mirror import MirrorClock
from rvae_server.engine.player import Player
from rvae_server.engine.plans import Plan
from rvae_server.session.player import wire

#: Seconds between two reports of lateness figures to the server.
REPORT_EVERY = 0.2
DEFAULT_CHANNEL = 10


@dataclass
class Mirror:
    """The server's plans as last received: the drum table (a :class:`~rvae_server.engine.player.PlanSource`) and
    the melody's (with its sinks: a :class:`~rvae_server.engine.player.LineSource`). Tables are replaced whole, so
    the player reads them without a lock."""

    line_sinks: list[LineSink] = field(default_factory=list)
    tables: list[dict[tuple[int, int], Plan]] = field(default_factory=lambda: [{}, {}])

    @property
    def plans(self) -> Mapping[tuple[int, int], Plan]:
        return self.tables[wire.DRUMS]

    def request_bar(self, bar_number: int) -> None:
        """The server plans ahead of its own player: nothing to ask."""

    def channels(self) -> list[int]:
        return sorted({DEFAULT_CHANNEL} | {p.channel for p in self.tables[wire.DRUMS].values()})

    def put(self, table: int, item: Plan) -> None:
        self.tables[table] = {**self.tables[table], (item.layer, item.bar_number): item}

    def drop(self, table: int, layer: int, bar_number: int) -> None:
        self.tables[table] = {k: v for k, v in self.tables[table].items() if k != (layer, bar_number)}


class _Lines:
    """The melody's table and sinks, as the player reads them."""

    def __init__(self, mirror: Mirror) -> None:
        self._mirror = mirror

    @property
    def plans(self) -> Mapping[tuple[int, int], Plan]:
        return self._mirror.tables[wire.LINES]

    @property
    def sinks(self) -> Sequence[LineSink]:
        return self._mirror.line_sinks

    def silence(self) -> None:
        channels = sorted({p.channel for p in self.plans.values()} or {1})
        for sink in self.sinks:
            sink.all_notes_off(channels)


class _ToServer(logging.Handler):
    """Log records of this process, to the server (which logs them as its own)."""

    def __init__(self, conn: Any) -> None:
        super().__init__(logging.INFO)
        self._conn = conn

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._conn.send_bytes(wire.log_line(record.levelno, f"player process: {record.getMessage()}"))
        except Exception:
            pass  # the server is gone: nobody to tell


def _open_port(spec: Mapping[str, Any]) -> Any:
    """A MIDI output as ``spec`` says (``target`` port or a virtual one named ``client``); without a backend named,
    JACK when the default backend is unavailable here and a JACK server runs (as ``rvae serve`` does)."""
    from rvae_server.outputs.midiout import open_output
    from rvae_server.system.midiports import MidiUnavailable, jack_running

    args = (spec.get("target"), spec.get("backend"), str(spec.get("client", "R-VAE")))
    kwargs = {"note_length": float(spec.get("note_length", 0.1)), "realtime_priority": spec.get("priority")}
    try:
        return open_output(*args, **kwargs)
    except MidiUnavailable:
        if spec.get("backend") is not None or not jack_running():
            raise
        return open_output(args[0], "jack", args[2], **kwargs)


def _open(spec: Mapping[str, Any], report: dict[str, Any]) -> tuple[list[NoteSink], list[LineSink], list[Any]]:
    """The ports ``spec`` names, in :data:`~rvae_server.session.player.wire.ROLES` order (None: not asked for, or
    could not open: ``report`` says which and why)."""
    from rvae_server.outputs.linesinks import MidiLineSink
    from rvae_server.outputs.sinks import MidiSink

    sinks: list[NoteSink] = []
    lines: list[LineSink] = []
    outs: list[Any] = []
    for role in wire.ROLES:
        port = spec.get(role)
        out = None
        if port is not None:
            try:
                out = _open_port(port)
            except Exception as err:  # MidiError, or rtmidi's own errors for a missing backend
                report[role] = {"error": str(err) or type(err).__name__}
            else:
                report[role] = {"name": out.name}
        outs.append(out)
        if out is None:
            continue
        if role == "drums":
            sinks.append(MidiSink(out, offset=float(port.get("offset", 0.0))))
        else:
            lines.append(MidiLineSink(out))
    return sinks, lines, outs


def _clock(spec: Mapping[str, Any]) -> Clock:
    follow = spec.get("follow")
    if follow is None:
        return MirrorClock()
    from rvae_server.engine.clock.midi import MidiClockFollower

    return MidiClockFollower(follow["port"], follow.get("backend"), bpm_hint=float(follow.get("bpm", 120.0)))


def main(conn: Any, spec: dict[str, Any]) -> None:
    """The player process (see the module docstring). ``spec``: ``drums`` and ``melody`` ports (``target``,
    ``client``, ``backend``, ``note_length``, ``offset``, each or None), ``follow`` (a MIDI clock input: ``port``,
    ``backend``, ``bpm``; None: the server's timelines), ``send_clock`` (be the MIDI clock master of the drums'
    port), ``priority`` (the player thread's real-time priority, 0 for none)."""
    root = logging.getLogger()
    root.addHandler(_ToServer(conn))
    root.setLevel(logging.INFO)
    report: dict[str, Any] = {}
    sinks, line_sinks, outs = _open(spec, report)
    try:
        clock = _clock(spec)
    except Exception as err:
        report["clock"] = {"error": str(err)}
        conn.send_bytes(wire.hello(report))
        return
    mirror = Mirror(line_sinks)
    player = Player(mirror, _Lines(mirror), clock, sinks, mirror.channels, realtime_priority=int(spec["priority"]))
    sender = None
    if spec.get("send_clock") and outs[0] is not None:
        from rvae_server.engine.clock.sender import MidiClockSender

        offset = float(spec["drums"].get("offset", 0.0))
        sender = MidiClockSender(clock, outs[0], realtime_priority=spec.get("priority") or None, offset=offset)
    report["pid"] = _pid()
    conn.send_bytes(wire.hello(report))
    player.start()
    try:
        _serve(conn, mirror, clock, player, outs)
    finally:
        if sender is not None:
            sender.close()
        player.close()
        player.all_notes_off()
        for out in outs:
            if out is not None:
                out.close()
        clock.close()


def _pid() -> int:
    import os

    return os.getpid()


def _serve(conn: Any, mirror: Mirror, clock: Clock, player: Player, outs: list[Any]) -> None:
    """Receive until told to quit (or the server is gone); report lateness every :data:`REPORT_EVERY` s."""
    reported = 0
    next_report = time.monotonic() + REPORT_EVERY
    while True:
        if conn.poll(max(0.0, next_report - time.monotonic())):
            try:
                message = conn.recv_bytes()
            except (EOFError, OSError):
                return
            if message == wire.QUIT:
                return
            try:
                _apply(message, mirror, clock, outs)
            except wire.WireError as err:
                logging.getLogger(__name__).error("a message from the server could not be read: %s", err)
        if time.monotonic() >= next_report:
            next_report = time.monotonic() + REPORT_EVERY
            values = player.lateness[reported:]
            if values:
                reported += len(values)
                conn.send_bytes(wire.lateness(values))
            if len(player.lateness) >= player.max_lateness_records:
                player.lateness.clear()
                reported = 0


def _apply(message: bytes, mirror: Mirror, clock: Clock, outs: list[Any]) -> None:
    kind, body = message[:1], message[1:]
    if kind == b"P":
        table, item = wire.read_plan(body)
        mirror.put(table, item)
        clock.interrupt()
    elif kind == b"D":
        mirror.drop(*wire.read_drop(body))
    elif kind == b"T":
        line, event = wire.read_timeline(body)
        if isinstance(clock, MirrorClock):
            clock.follow(line, event)
    elif kind == b"R":
        if not body or body[0] >= len(outs):
            raise wire.WireError(f"raw MIDI for port {body[:1]!r}: this process has {len(outs)} ports")
        out = outs[body[0]]
        if out is not None:
            out.send_raw(list(body[1:]))
    else:
        raise wire.WireError(f"unknown message kind {kind!r}")


__all__ = ["Mirror", "main"]
