"""The player process: the engine's :class:`~rvae_server.engine.player.Player` on its own interpreter, sending the
plans the server planned to the MIDI ports it owns, on time.

It is started by :class:`~rvae_server.session.player.proxy.ProcessPlayer` as ``python -m
rvae_server.session.player.child SPEC`` (a fresh interpreter that imports only what playing needs — no model, no
torch, no OSC, no web server; SPEC is a :class:`~rvae_server.session.player.wire.PlayerSpec` as JSON), talks to the
server over its standard input and output (anything a library prints goes to standard error) and runs:

* the main thread: receives the server's messages (:mod:`rvae_server.session.player.wire`) — plans into two
  tables (:class:`Mirror`: the drums', the melody's), timelines into a
  :class:`~rvae_server.engine.clock.mirror.MirrorClock` — and interrupts the clock when plans change, so the
  player looks again;
* a reporter thread: every :data:`REPORT_EVERY` s the lateness figures go to the server (and, when asked for,
  every drum note played: :class:`PlayedNotes`, for the timing benchmark);
* the player thread (real-time priority): the same player and cursor as in the server, waiting on this clock;
* the ports' own threads (note-offs, reconnection) and, as MIDI clock master, the clock sender's.

Following a MIDI clock master, it opens its own :class:`~rvae_server.engine.clock.midi.MidiClockFollower` on the
same input as the server's (a port takes any number of listeners): pulses reach the player without crossing the
server's interpreter. Its log lines go to the server. It ends on ``Q`` or at the end of its standard input (the
server is gone), silencing its ports.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from rvae_server.engine.api import LineSink, NoteSink
from rvae_server.engine.clock.base import Clock
from rvae_server.engine.clock.mirror import MirrorClock
from rvae_server.engine.plans import Plan
from rvae_server.engine.player import Player
from rvae_server.session.player import wire
from rvae_server.system.realtime import SWITCH_INTERVAL

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
        """The drum channels the plans use — each plan's, and any instrument's own — for all notes off at a stop
        (as the server's engine gives its own player)."""
        used = {DEFAULT_CHANNEL}
        for plan in self.tables[wire.DRUMS].values():
            used.add(plan.channel)
            if plan.channels is not None:
                used.update(int(c) for c in plan.channels)
        return sorted(used)

    def put(self, table: int, item: Plan) -> None:
        self.tables[table] = {**self.tables[table], (item.layer, item.bar_number): item}

    def drop(self, table: int, layer: int, bar_number: int) -> None:
        self.tables[table] = {k: v for k, v in self.tables[table].items() if k != (layer, bar_number)}


class PlayedNotes:
    """A drum sink that keeps what was played: ``(when handed over, when due, status, note, velocity)``."""

    def __init__(self) -> None:
        self.records: list[tuple[float, float, int, int, int]] = []

    def note(self, when: float, layer: int, instrument: int, note: int, velocity: int, channel: int) -> None:
        self.records.append((time.perf_counter(), when, 0x90 | (channel - 1), note, velocity))

    def transport(self, playing: bool) -> None: ...

    def all_notes_off(self, channels: Sequence[int]) -> None: ...


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


class _Out:
    """The pipe to the server, written from any thread of this process, one message at a time."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._lock = threading.Lock()

    def send(self, message: bytes) -> None:
        with self._lock, contextlib.suppress(OSError):  # the server is gone: nobody to tell
            wire.write_frame(self._fd, message)


class _ToServer(logging.Handler):
    """Log records of this process, to the server (which logs them as its own)."""

    def __init__(self, out: _Out) -> None:
        super().__init__(logging.INFO)
        self._out = out

    def emit(self, record: logging.LogRecord) -> None:
        self._out.send(wire.log_line(record.levelno, f"player process: {record.getMessage()}"))


def _open_port(port: wire.PortSpec, priority: int) -> Any:
    """A MIDI output as ``port`` says; without a backend named, JACK when the default backend is unavailable here
    and a JACK server runs (as ``rvae serve`` does)."""
    from rvae_server.outputs.midiout import open_output_or_jack

    rt = priority - 1 if priority > 1 else None  # note-offs: below the player
    return open_output_or_jack(port.target, port.backend, port.client, port.note_length, rt)


def _open(spec: wire.PlayerSpec, report: dict[str, Any]) -> tuple[list[NoteSink], list[LineSink], list[Any]]:
    """The ports ``spec`` names, in :data:`~rvae_server.session.player.wire.ROLES` order (None: not asked for, or
    could not open: ``report`` says which and why)."""
    from rvae_server.outputs.linesinks import MidiLineSink
    from rvae_server.outputs.sinks import MidiSink

    sinks: list[NoteSink] = []
    lines: list[LineSink] = []
    outs: list[Any] = []
    for role, port in zip(wire.ROLES, (spec.drums, spec.melody), strict=True):
        out = None
        if port is not None:
            try:
                out = _open_port(port, spec.priority)
            except Exception as err:  # MidiError, or rtmidi's own errors for a missing backend
                report[role] = {"error": str(err) or type(err).__name__}
            else:
                report[role] = {"name": out.name}
        outs.append(out)
        if out is None or port is None:
            continue
        if role == "drums":
            sinks.append(MidiSink(out, offset=port.offset))
        else:
            lines.append(MidiLineSink(out))
    return sinks, lines, outs


def _clock(follow: wire.FollowSpec | None) -> Clock:
    if follow is None:
        return MirrorClock()
    from rvae_server.engine.clock.midi import MidiClockFollower

    return MidiClockFollower(follow.port, follow.backend, bpm_hint=follow.bpm)


def main(incoming: BinaryIO, outgoing: int, spec: wire.PlayerSpec) -> None:
    """The player process (see the module docstring and :class:`~rvae_server.session.player.wire.PlayerSpec`):
    ``incoming`` the stream from the server, ``outgoing`` the file descriptor to it."""
    sys.setswitchinterval(SWITCH_INTERVAL)  # the player wakes to the GIL within 0.5 ms, not CPython's 5 ms
    out = _Out(outgoing)
    _below_the_player(spec.priority)  # this thread takes the player's GIL for every message
    root = logging.getLogger()
    root.addHandler(_ToServer(out))
    root.setLevel(logging.INFO)
    report: dict[str, Any] = {}
    sinks, line_sinks, outs = _open(spec, report)
    try:
        clock = _clock(spec.follow)
    except Exception as err:
        report["clock"] = {"error": str(err) or type(err).__name__}
        out.send(wire.hello(report))
        return
    mirror = Mirror(line_sinks)
    notes = PlayedNotes() if spec.report_notes else None
    if notes is not None:
        sinks.append(notes)
    player = Player(mirror, _Lines(mirror), clock, sinks, mirror.channels, realtime_priority=spec.priority)
    sender = None
    if spec.send_clock and spec.drums is not None and outs[0] is not None:
        from rvae_server.engine.clock.sender import MidiClockSender

        priority = spec.priority or None
        sender = MidiClockSender(clock, outs[0], realtime_priority=priority, offset=spec.drums.offset)
    # what start-up made lives as long as the process: a full collection walking it took 4-6 ms with the GIL held,
    # the player's late notes of that size (bench_engine's "scheduling" outliers); frozen, ~0 ms
    gc.collect()
    gc.freeze()
    report["process"] = {"frozen": gc.get_freeze_count(), "switch_interval": sys.getswitchinterval()}
    out.send(wire.hello(report))
    player.start()
    done = threading.Event()
    reporter = threading.Thread(
        target=_report, args=(out, player, notes, done, spec.priority), name="player-report", daemon=True
    )
    reporter.start()
    try:
        _serve(incoming, mirror, clock, outs)
    finally:
        done.set()
        reporter.join(timeout=1.0)
        if sender is not None:
            sender.close()
        player.close()
        player.all_notes_off()
        for port in outs:
            if port is not None:
                port.close()
        clock.close()


def _below_the_player(priority: int) -> None:
    """Real-time priority just below the player's for a thread of this process that takes the GIL while the player
    plays: a normal thread preempted by another process while it holds the GIL would hold up the player (priority
    inversion) — measured under 500 OSC messages a second on a loaded machine: the player 73 ms late."""
    if priority > 1:
        from rvae_server.system.realtime import set_realtime_priority

        set_realtime_priority(priority - 1)


def _serve(incoming: BinaryIO, mirror: Mirror, clock: Clock, outs: list[Any]) -> None:
    """Receive until told to quit, or the server is gone."""
    log = logging.getLogger(__name__)
    while True:
        try:
            message = wire.read_frame(incoming)
        except (OSError, wire.WireError) as err:
            log.error("the pipe from the server broke: %s", err)
            return
        if message is None or message == wire.QUIT:
            return
        try:
            _apply(message, mirror, clock, outs)
        except wire.WireError as err:
            log.error("a message from the server could not be read: %s", err)


def _report(out: _Out, player: Player, notes: PlayedNotes | None, done: threading.Event, priority: int) -> None:
    """Every :data:`REPORT_EVERY` s: the lateness figures (and the notes played) since the last report."""
    _below_the_player(priority)
    reported = 0
    while not done.wait(REPORT_EVERY):
        if notes is not None and notes.records:
            records, notes.records = notes.records, []
            out.send(wire.played(records))
        values = player.lateness[reported:]
        if values:
            reported += len(values)
            out.send(wire.lateness(values))
        if reported >= player.max_lateness_records:
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


def run() -> None:
    """``python -m rvae_server.session.player.child SPEC``: the server's standard output is ours alone; what any
    library prints goes to standard error."""
    import os

    outgoing = os.dup(sys.stdout.fileno())
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    main(sys.stdin.buffer, outgoing, wire.PlayerSpec.from_json(sys.argv[1]))


if __name__ == "__main__":
    run()


__all__ = ["Mirror", "main", "run"]
