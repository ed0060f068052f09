"""MIDI output (python-rtmidi; backends named as in mido) with note-off scheduling and fault recovery.

Ports
    :func:`open_output` opens a **virtual output port** named after ``client_name`` (``R-VAE``) by default (its
    :attr:`MidiOut.name` is the name other applications see: ``R-VAE:R-VAE`` on JACK, ``R-VAE-01:R-VAE`` when the
    name was taken), or connects to an existing port chosen by a case-insensitive substring of its name (an exact
    name wins; an ambiguous choice raises :class:`~rvae_server.system.midiports.MidiPortError` listing the
    candidates; no match lists the available ports). :func:`~rvae_server.system.midiports.list_ports` lists
    inputs and outputs for ``rvae ports``.

Backends
    Chosen, and ports picked, by :mod:`rvae_server.system.midiports`.

Hot path
    :meth:`MidiOut.send_note` / :meth:`MidiOut.send_raw` hand lists of ints straight to rtmidi's
    ``send_message`` (no mido message objects or validation: see ``benchmarks/bench_clock.py``) under a
    lock, since several threads send (engine, clock sender, note-offs). Note-offs are due at
    ``when + note_length``; a small heap is serviced by the output's own **note-off thread**, which sleeps on
    a condition variable until the earliest one: the clock thread only pushes onto the heap (microseconds,
    never blocks on a wait) and the note-off thread does no spinning, so it never competes for the GIL
    for long. Note-offs are not sample-critical; their lateness is that of a condition wait (~0.1 ms).

Faults
    A port that disappears (the JACK server stops, the port we connect to closes) is logged once as an
    error; sending becomes a no-op and a **monitor thread** checks about once a second (never on the clock
    thread) whether it has come back, then reconnects and logs it. Reconnecting creates a new rtmidi client,
    which holds the GIL for tens of milliseconds once; that glitch happens only on recovery.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rvae_server.system.midiports import (
    MidiError,
    MidiUnavailable,
    is_jack,
    jack_running,
    jack_server_stamp,
    leak_client,
    new_client,
    ports_seen,
    release_client,
    resolve_backend,
    seen_as,
    select_port,
)

log = logging.getLogger(__name__)

#: How often the monitor thread checks a lost port (s).
CHECK_INTERVAL = 1.0
#: Default note length (s) before the scheduled note-off.
NOTE_LENGTH = 0.1


# -- the output -------------------------------------------------------------------------------------------
@dataclass(order=True)
class _NoteOff:
    due: float
    token: int
    channel: int = 0
    note: int = 0
    velocity: int = 0  # > 0: a note-on scheduled by send_note_at (its note-off follows as usual)


class MidiOut:
    """An open MIDI output. Create with :func:`open_output`. All methods are thread-safe.

    ``name`` is the port's name (the virtual port's, or the connected port's); ``connected`` is False
    while the port is lost. ``note_length`` (s) is the time from a note-on to its scheduled note-off."""

    def __init__(
        self, api: int, target: str | None, client_name: str, note_length: float, realtime_priority: int | None = None
    ) -> None:
        self._api = api
        self._priority = realtime_priority
        self._target = target
        self._client_name = client_name
        self.note_length = float(note_length)
        self._send_lock = threading.Lock()
        self._rt: Any = None
        self._jack = False
        self._stamp: tuple[int, int] | None = None
        self.name = ""
        self._lost_reason = ""
        self._closed = threading.Event()
        self.errors = 0  #: send failures so far
        # note-off heap
        self._heap: list[_NoteOff] = []
        self._active: dict[tuple[int, int], int] = {}
        self._token = 0
        self._cond = threading.Condition(threading.Lock())
        self._connect(first=True)
        self._noteoff_thread = threading.Thread(target=self._noteoff_loop, name="midi-note-offs", daemon=True)
        self._noteoff_thread.start()
        self._monitor_thread = threading.Thread(target=self._monitor_loop, name="midi-out-monitor", daemon=True)
        self._monitor_thread.start()

    # -- connection ----------------------------------------------------------------------------------------
    def _connect(self, first: bool = False) -> None:
        before = ports_seen(self._api, "output") if self._target is None else []
        rt = new_client("output", self._api, self._client_name)
        try:
            if self._target is None:
                rt.open_virtual_port(self._client_name)
                # the name other applications see (JACK renames a client whose name is taken: R-VAE-01:R-VAE)
                name = seen_as(self._api, "output", self._client_name, before) or self._client_name
            else:
                index, name = select_port(rt.get_ports(), self._target, "output")
                rt.open_port(index, self._client_name)
            jack = is_jack(rt)
            stamp = jack_server_stamp() if jack else None
        except BaseException:
            release_client(rt)
            raise
        if not first:
            log.warning("MIDI output %r is back: reconnected", name)
        with self._send_lock:
            self._rt, self._jack, self._stamp, self.name = rt, jack, stamp, name
        self._lost_reason = ""

    def _lose(self, reason: str, server_restarted: bool = False) -> None:
        with self._send_lock:
            rt, self._rt = self._rt, None
        if not self._lost_reason:
            log.error("MIDI output %r lost (%s): notes are dropped until it returns", self.name, reason)
        self._lost_reason = reason
        if rt is None:
            return
        if server_restarted:
            leak_client(rt)  # closing a client of a dead-and-restarted JACK server crashes libjack
        else:
            release_client(rt)  # a JACK server that is gone (not yet back) can be closed safely

    @property
    def connected(self) -> bool:
        return self._rt is not None

    def _check(self) -> None:
        """One monitor step: notice a lost port, or reconnect a returned one."""
        rt = self._rt
        if rt is not None:
            if self._jack and self._stamp is not None:
                stamp = jack_server_stamp()
                if stamp != self._stamp:
                    self._lose(
                        "the JACK server stopped" if stamp is None else "the JACK server restarted", stamp is not None
                    )
                    return
            if self._target is not None:
                try:
                    ports = rt.get_ports()
                except Exception as err:
                    self._lose(f"cannot list ports: {err}")
                    return
                if self.name not in ports:
                    self._lose(f"port {self.name!r} closed")
            return
        # lost: try to come back (at most once per CHECK_INTERVAL)
        if self._jack and jack_server_stamp() is None:
            return
        try:
            self._connect()
        except MidiError as err:
            log.debug("MIDI output still lost: %s", err)

    def _monitor_loop(self) -> None:
        while not self._closed.wait(CHECK_INTERVAL):
            try:
                self._check()
            except Exception:
                log.exception("MIDI output monitor")

    # -- sending -------------------------------------------------------------------------------------------
    def send_raw(self, data: Sequence[int]) -> None:
        """Send one MIDI message given as bytes/ints (e.g. ``[0xF8]``) at once. A no-op while lost."""
        with self._send_lock:
            rt = self._rt
            if rt is None:
                return
            try:
                rt.send_message(data)
            except Exception as err:
                self.errors += 1
                if self.errors == 1 or self.errors % 1000 == 0:
                    log.error("MIDI send to %r failed (%d so far): %s", self.name, self.errors, err)

    def send_note(
        self, note: int, velocity: int, channel: int = 10, when: float | None = None, length: float | None = None
    ) -> None:
        """Note-on now (``note`` 0..127, ``velocity`` 1..127, ``channel`` 1..16); its note-off is scheduled
        at ``when + length`` (``when`` = the note's ideal ``perf_counter`` time, default now; ``length`` in
        seconds, default the output's ``note_length``). A note still sounding on the same channel is ended
        first."""
        if not (0 <= note <= 127 and 1 <= velocity <= 127 and 1 <= channel <= 16):
            raise ValueError(f"bad note {note}, velocity {velocity} or channel {channel}")
        ch = channel - 1
        key = (ch, note)
        with self._cond:
            self._token += 1
            token = self._token
            retrigger = key in self._active
            self._active[key] = token
            heapq.heappush(
                self._heap,
                _NoteOff(
                    (time.perf_counter() if when is None else when) + (self.note_length if length is None else length),
                    token,
                    ch,
                    note,
                ),
            )
            first = self._heap[0].token == token
        if retrigger:
            self.send_raw([0x80 | ch, note, 0])
        self.send_raw([0x90 | ch, note, velocity])
        if first:
            with self._cond:
                self._cond.notify()

    def send_note_at(self, when: float, note: int, velocity: int, channel: int = 10) -> None:
        """Note-on at ``perf_counter`` time ``when`` (in the future), sent by the note-off thread (a condition wait:
        ~0.1 ms late); used for an output whose latency offset is later than the player's schedule."""
        if not (0 <= note <= 127 and 1 <= velocity <= 127 and 1 <= channel <= 16):
            raise ValueError(f"bad note {note}, velocity {velocity} or channel {channel}")
        with self._cond:
            self._token += 1
            heapq.heappush(self._heap, _NoteOff(when, self._token, channel - 1, note, velocity))
            if self._heap[0].token == self._token:
                self._cond.notify()

    def _noteoff_loop(self) -> None:
        if self._priority is not None:
            # a thread that takes the GIL during playback must not be preempted while holding it (the clock
            # thread would wait for it): real-time priority too, below the clock thread's
            from rvae_server.system.realtime import set_realtime_priority

            set_realtime_priority(self._priority)
        cond = self._cond
        while not self._closed.is_set():
            due: list[tuple[int, int]] = []
            ons: list[_NoteOff] = []
            with cond:
                now = time.perf_counter()
                while self._heap and self._heap[0].due <= now:
                    item = heapq.heappop(self._heap)
                    key = (item.channel, item.note)
                    if item.velocity:
                        ons.append(item)
                    elif self._active.get(key) == item.token:
                        del self._active[key]
                        due.append(key)
                if not due and not ons:
                    cond.wait(self._heap[0].due - now if self._heap else 0.5)
                    continue
            for ch, note in due:
                self.send_raw([0x80 | ch, note, 0])
            for item in ons:
                self.send_note(item.note, item.velocity, item.channel + 1, item.due)

    def all_notes_off(self, channels: Iterable[int] | None = None) -> None:
        """Explicit note-offs for every note still on in ``channels`` (1..16; default all), then
        CC 123 (All Notes Off) on each of those channels."""
        chans = sorted({c - 1 for c in channels} if channels is not None else set(range(16)))
        with self._cond:
            keys = [k for k in self._active if k[0] in chans]
            for k in keys:
                del self._active[k]
        for ch, note in keys:
            self.send_raw([0x80 | ch, note, 0])
        for ch in chans:
            self.send_raw([0xB0 | ch, 123, 0])

    def sounding(self) -> list[tuple[int, int]]:
        """``(channel 1..16, note)`` of the notes whose note-off is still pending."""
        with self._cond:
            return sorted((ch + 1, note) for ch, note in self._active)

    def close(self) -> None:
        """Send pending note-offs, stop the threads and close the port."""
        if self._closed.is_set():
            return
        with self._cond:
            keys = list(self._active)
            self._active.clear()
            self._heap.clear()
            self._closed.set()
            self._cond.notify_all()
        for ch, note in keys:
            self.send_raw([0x80 | ch, note, 0])
        for thread in (self._noteoff_thread, self._monitor_thread):
            if thread is not threading.current_thread():
                thread.join(timeout=2.0)
        with self._send_lock:
            rt, self._rt = self._rt, None
        if rt is not None:
            if self._jack and self._stamp is not None and jack_server_stamp() not in (None, self._stamp):
                leak_client(rt)
            else:
                release_client(rt)

    def __enter__(self) -> MidiOut:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_output(
    port: str | None = None,
    backend: str | None = None,
    client_name: str = "R-VAE",
    note_length: float = NOTE_LENGTH,
    realtime_priority: int | None = None,
) -> MidiOut:
    """Open a MIDI output: a virtual port named ``client_name`` (``port=None``), or the existing output
    port whose name contains ``port``. ``backend``: see the module docstring. ``realtime_priority``: give
    the note-off thread SCHED_FIFO at that priority (see :func:`rvae_server.system.realtime.set_realtime_priority`).
    Raises :class:`MidiError` (:class:`~rvae_server.system.midiports.MidiUnavailable`,
    :class:`~rvae_server.system.midiports.MidiPortError`) with a message for the performer."""
    out = MidiOut(resolve_backend(backend), port, client_name, note_length, realtime_priority)
    log.info("MIDI out: %s port %r", "virtual" if port is None else "connected to", out.name)
    return out


def open_output_or_jack(
    port: str | None,
    backend: str | None,
    client_name: str,
    note_length: float = NOTE_LENGTH,
    realtime_priority: int | None = None,
    going_through_jack: Callable[[MidiUnavailable], None] | None = None,
) -> MidiOut:
    """:func:`open_output`; with no ``backend`` named, through JACK when the default backend is unavailable here
    and a JACK server runs (as ``rvae serve`` and its player process do): ``going_through_jack`` is told why,
    before JACK is tried."""
    try:
        return open_output(port, backend, client_name, note_length, realtime_priority)
    except MidiUnavailable as err:
        if backend is not None or not jack_running():
            raise
        if going_through_jack is not None:
            going_through_jack(err)
    return open_output(port, "jack", client_name, note_length, realtime_priority)
