"""The server's side of the player process: start it, feed it, hear it, and bring it back if it dies.

:class:`ProcessPlayer` starts :mod:`rvae_server.session.player.child` in a fresh interpreter and is a
:class:`~rvae_server.engine.plans.PlanSink` of the engine: after every planning round it is handed the drum plans
(the melody's after each of its rounds) and sends the plans that are new — by identity: plans are immutable —
and drops the ones gone. It forwards the clock's timeline on every transport event (on the thread that caused
it) and whenever its prediction moves by more than :data:`DRIFT` (a Link session's tempo; checked every
:data:`REFRESH` s). Sending never blocks a planner: messages wait in an outbox (the latest per bar) that is
written at once when the pipe has room, else by the proxy's sender thread.

What the process says comes back on its own thread: lateness figures (:attr:`ProcessPlayer.lateness`), log
lines (logged here), and its end: a process that dies while the server runs is reported and started again with
the same ports, timeline and plans (:data:`MAX_RESTARTS` a minute at most).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import select
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping

from rvae_server.core.bar import TICKS
from rvae_server.engine.clock.base import Clock, Transport
from rvae_server.engine.clock.mirror import Timeline, timeline_of
from rvae_server.engine.plans import Plan
from rvae_server.engine.player import MAX_LATENESS_RECORDS
from rvae_server.session.player import wire

log = logging.getLogger(__name__)

#: Seconds the process has to say hello (spawning an interpreter and opening ports).
HELLO_TIMEOUT = 20.0
#: Seconds between two looks at the clock's prediction; a move of more than DRIFT seconds is sent.
REFRESH = 0.05
DRIFT = 0.0001
#: Restarts of a dying process allowed in a minute; past that it stays down (reported).
MAX_RESTARTS = 5
#: Messages up to this size are written at once when the pipe says it has room (a pipe takes that much whole).
ATOMIC = 4096


class PlayerStartError(RuntimeError):
    """The player process could not start (the message says why)."""


class ProcessPlayer:
    """The player process, as the server sees it (see the module docstring). ``clock`` is the server's clock;
    ``spec`` what the process opens (:class:`~rvae_server.session.player.wire.PlayerSpec`)."""

    def __init__(self, clock: Clock, spec: wire.PlayerSpec) -> None:
        self._clock = clock
        self.spec = spec
        self.names: dict[str, str] = {}  # role → the port's name, once open
        self.errors: dict[str, str] = {}  # role → why it could not open
        self.process: dict[str, float] = {}  # how the process runs: objects frozen at start, its switch interval
        self.lateness: list[float] = []  # seconds late of each note the process sent
        self.played: list[tuple[float, float, int, int, int]] = []  # with spec.report_notes: each drum note played
        self.restarts = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._write = threading.Lock()
        self._outbox: OrderedDict[tuple[int, int, int], bytes] = OrderedDict()  # (table, layer, bar) → message
        self._raw: list[bytes] = []
        self._outbox_cond = threading.Condition()
        self._tables: list[dict[tuple[int, int], Plan]] = [{}, {}]  # what the process was sent
        self._line: Timeline | None = None
        self._closing = threading.Event()
        self._restart_times: list[float] = []
        self._threads: list[threading.Thread] = []

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> ProcessPlayer:
        """Start the process and wait for its hello. Raises :class:`PlayerStartError` when it does not come."""
        self._spawn()
        if self.spec.follow is None:
            self._clock.on_transport(self._on_transport)
        for target, name in ((self._send_loop, "player-proxy-send"), (self._refresh_loop, "player-proxy-clock")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def _spawn(self) -> None:
        command = [sys.executable, "-m", "rvae_server.session.player.child", self.spec.to_json()]
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        assert process.stdout is not None
        self._process = process
        hello: list[bytes | None] = []
        reader = threading.Thread(target=self._hello, args=(process, hello), daemon=True)
        reader.start()
        reader.join(HELLO_TIMEOUT)
        if not hello:
            process.kill()
            raise PlayerStartError(f"the player process said nothing in {HELLO_TIMEOUT:g} s")
        message = hello[0]
        if message is None or message[:1] != b"H":
            process.wait(timeout=2.0)
            raise PlayerStartError(f"the player process ended at start (exit code {process.returncode})")
        report = json.loads(message[1:])
        self.names = {role: v["name"] for role, v in report.items() if isinstance(v, dict) and "name" in v}
        self.errors = {role: v["error"] for role, v in report.items() if isinstance(v, dict) and "error" in v}
        self.process = dict(report.get("process") or {})
        if "clock" in self.errors:
            raise PlayerStartError(f"the player process cannot follow the clock: {self.errors['clock']}")
        listener = threading.Thread(target=self._listen, args=(process,), name="player-proxy-listen", daemon=True)
        listener.start()
        self._threads.append(listener)

    def _hello(self, process: subprocess.Popen[bytes], into: list[bytes | None]) -> None:
        """Read until the process's hello (logging what it says before it), into ``into``."""
        while True:
            message = self._read(process)
            if message is None or message[:1] != b"W":
                into.append(message)
                return
            self._log(message[1:])

    @staticmethod
    def _read(process: subprocess.Popen[bytes]) -> bytes | None:
        try:
            return wire.read_frame(process.stdout)  # type: ignore[arg-type]
        except (OSError, wire.WireError):
            return None

    @staticmethod
    def _log(body: bytes) -> None:
        level, text = wire.read_log(body)
        log.log(level, "%s", text)

    def close(self) -> None:
        """Tell the process to stop (it silences its ports), wait for it, then end the proxy's threads."""
        if self._closing.is_set():
            return
        self._closing.set()
        with self._outbox_cond:
            self._outbox_cond.notify_all()
        process = self._process
        if process is not None:
            with self._write, contextlib.suppress(OSError, ValueError):
                wire.write_frame(self._fd(process), wire.QUIT)
            try:
                process.wait(timeout=3.0)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=1.0)
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=1.0)

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @staticmethod
    def _fd(process: subprocess.Popen[bytes]) -> int:
        assert process.stdin is not None
        return process.stdin.fileno()

    @property
    def pid(self) -> int | None:
        return None if self._process is None else int(self._process.pid)

    # ------------------------------------------------------------------ what the engine hands on (any thread)

    def plans(self, table: int, plans: Mapping[tuple[int, int], Plan]) -> None:
        """The table's plans after a planning round: the new ones go to the process, the ones gone are dropped."""
        with self._outbox_cond:
            sent = self._tables[table]
            for key, item in plans.items():
                if sent.get(key) is not item:
                    self._outbox[(table, *key)] = wire.plan(table, item)
            for key in sent.keys() - plans.keys():
                self._outbox[(table, *key)] = wire.drop(table, *key)
            self._tables[table] = dict(plans)
            self._outbox_cond.notify()
        self._flush(block=False)

    def raw(self, role: str, data: bytes) -> None:
        """Raw MIDI bytes (a program change) to the process's ``role`` port, in order with the plans."""
        with self._outbox_cond:
            self._raw.append(wire.raw(wire.ROLES.index(role), data))
            self._outbox_cond.notify()
        self._flush(block=False)

    # ------------------------------------------------------------------ the clock's timeline

    def _on_transport(self, event: Transport, position: float) -> None:
        self._send_timeline(event)

    def _send_timeline(self, event: Transport | None = None) -> None:
        line = timeline_of(self._clock)
        self._line = line
        self._send_now(wire.timeline(line, event))

    def _refresh_loop(self) -> None:
        """Forward the timeline when it moved (Link's tempo, a clock that drifts); at once after a (re)start."""
        if self.spec.follow is not None:
            return
        self._send_timeline()
        while not self._closing.wait(REFRESH):
            old, line = self._line, timeline_of(self._clock)
            if old is None or _moved(old, line):
                self._line = line
                self._send_now(wire.timeline(line))

    # ------------------------------------------------------------------ writing

    def _send_now(self, message: bytes) -> None:
        with self._outbox_cond:
            self._raw.append(message)
            self._outbox_cond.notify()
        self._flush(block=False)

    def _flush(self, block: bool) -> None:
        """Write what waits in the outbox, in order. ``block=False`` (a planner's thread): only if the writing lock
        is free and the pipe has room for each message whole; the sender thread writes the rest."""
        if not self._write.acquire(blocking=block):
            return
        try:
            while True:
                with self._outbox_cond:
                    if self._raw:
                        message = self._raw[0]
                    elif self._outbox:
                        message = next(iter(self._outbox.values()))
                    else:
                        return
                    if not block and not self._room(len(message)):
                        return
                    if self._raw and self._raw[0] is message:
                        self._raw.pop(0)
                    else:
                        self._outbox.popitem(last=False)
                try:
                    assert self._process is not None
                    wire.write_frame(self._fd(self._process), message)
                except (OSError, ValueError):
                    return  # the process is gone: the listener restarts it and everything is sent again
        finally:
            self._write.release()

    def _room(self, size: int) -> bool:
        if size + 4 > ATOMIC or sys.platform == "win32" or self._process is None:
            return False
        try:
            return bool(select.select([], [self._fd(self._process)], [], 0)[1])
        except (OSError, ValueError):
            return False

    def _send_loop(self) -> None:
        while not self._closing.is_set():
            with self._outbox_cond:
                while not self._closing.is_set() and not (self._raw or self._outbox):
                    self._outbox_cond.wait(0.5)
            if not self._closing.is_set():
                self._flush(block=True)

    # ------------------------------------------------------------------ listening, restarting

    def _listen(self, process: subprocess.Popen[bytes]) -> None:
        while True:
            message = self._read(process)
            if message is None:
                break
            kind, body = message[:1], message[1:]
            if kind == b"L":
                if len(self.lateness) < MAX_LATENESS_RECORDS:
                    self.lateness.extend(wire.read_lateness(body))
            elif kind == b"W":
                self._log(body)
            elif kind == b"N" and len(self.played) < MAX_LATENESS_RECORDS:
                self.played.extend(wire.read_played(body))
        try:
            process.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            process.kill()
        if self._closing.is_set():
            return
        log.error("the player process ended (exit code %s): no MIDI out until it is back", process.returncode)
        self._restart()

    def _restart(self) -> None:
        now = time.monotonic()
        self._restart_times = [t for t in self._restart_times if now - t < 60.0] + [now]
        if len(self._restart_times) > MAX_RESTARTS:
            log.error("the player process died %d times in a minute: left down", len(self._restart_times))
            return
        with self._outbox_cond:  # everything is sent again to the new process
            tables = self._tables
            self._tables = [{}, {}]
            self._outbox.clear()
            self._raw.clear()
        try:
            self._spawn()
        except PlayerStartError as err:
            log.error("the player process could not start again: %s", err)
            return
        self.restarts += 1
        if self.spec.follow is None:
            self._send_timeline()
        for table, plans in enumerate(tables):
            self.plans(table, plans)
        log.warning("the player process is back (pid %s): MIDI out %s", self.pid, ", ".join(self.names.values()))


def _moved(old: Timeline, new: Timeline) -> bool:
    """True when ``new`` says something other than ``old`` (transport, or a prediction DRIFT s apart a bar on)."""
    if (old.generation, old.running) != (new.generation, new.running):
        return True
    if not new.running:
        return not math.isclose(old.held, new.held, abs_tol=1e-6)
    probe = new.pos0 + TICKS
    return abs(old.time_at(probe) - new.time_at(probe)) > DRIFT


__all__ = ["DRIFT", "REFRESH", "PlayerStartError", "ProcessPlayer"]
