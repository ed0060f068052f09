"""Capture: every note the player sends, kept in an always-on ring buffer, written to a standard MIDI file on
request — the last N bars (retroactively), or from a start to a stop — one track per layer, with the tempo and
the meter (:mod:`rvae_server.core.notewrite`).

:class:`CaptureSink` is a :class:`~rvae_server.engine.api.NoteSink` beside the MIDI and audio sinks, so it
records exactly what was sent (layer, note, velocity, channel; 12 bytes a note, the ring made once:
:mod:`rvae_server.outputs.notestore`) and where (the clock position of the note's
ideal time). Positions go on one continuous timeline: a restart of the transport (or a jump) continues at the
next bar line after the last note, so "the last 8 bars" spans a stop and start as it was heard.

:class:`Capture` is the service the surfaces use (OSC ``/rvae/capture/...``, the web page, ``rvae capture``):
files go to one folder (``serve --capture-dir``) under a plain name (:data:`rvae_server.core.names.PLAIN_NAME`,
no ``..``, not a name Windows keeps for a device: :func:`rvae_server.core.names.is_reserved_name`; ``.mid``
added), never elsewhere; an existing file is never replaced, not even by captures of one name made at once
(``-2``, ``-3`` … are added: :func:`rvae_server.core.atomic.atomic_write_new`). A take from start to stop that
cannot be written (a full disk) is kept: the next stop writes it.
"""

from __future__ import annotations

import io
import math
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rvae_server.core.atomic import atomic_write_new
from rvae_server.core.bar import TICKS, TICKS_PER_BEAT
from rvae_server.core.names import NAME_RULE, RESERVED_RULE, is_plain_name, is_reserved_name
from rvae_server.core.notewrite import TimedNote, notes_to_midi
from rvae_server.engine.api import ClockView
from rvae_server.outputs.notestore import NoteStore

#: Notes the ring buffer keeps (about 40 minutes of two busy layers).
MAX_NOTES = 200_000
#: Most bars one capture may hold.
MAX_BARS = 512
#: Takes kept when a stop cannot write them (a full disk), for a later stop.
MAX_UNSAVED = 8
#: Most notes a capture from start to stop keeps (12 bytes each: :mod:`rvae_server.outputs.notestore`).
MAX_RECORDED = 10 * MAX_NOTES


class CaptureError(ValueError):
    """A capture that cannot be written; the message says why."""


@dataclass(frozen=True)
class Take:
    """Notes of a capture, positions from its first bar line; ``tempos`` as ``(position, bpm)``."""

    notes: list[TimedNote]
    tempos: list[tuple[float, float]]
    bars: int
    layers: int


class CaptureSink:
    """A note sink that keeps what was sent (see the module docstring). ``layers``: the engine's layer count."""

    def __init__(self, clock: ClockView, layers: int, max_notes: int = MAX_NOTES) -> None:
        self.clock = clock
        self.layers = layers
        self._lock = threading.Lock()
        self._notes = NoteStore(max_notes, ring=True)  # made once: a long run never grows it
        self._tempos: deque[tuple[float, float]] = deque(maxlen=10_000)
        self._offset = 0.0  # continuous position - clock position
        self._last_raw: float | None = None
        self._last = -math.inf  # the latest continuous position recorded
        self._new_segment = True
        self._recording: NoteStore | None = None
        self._recording_tempos: list[tuple[float, float]] = []
        self._recording_start = 0.0

    # -- NoteSink (the player thread: a few microseconds, no I/O)
    def note(self, when: float, layer: int, instrument: int, note: int, velocity: int, channel: int) -> None:
        clock = self.clock
        bpm = clock.bpm
        per_second = bpm * TICKS_PER_BEAT / 60.0
        guess = clock.position() - (time.perf_counter() - when) * per_second
        at = clock.time_at(guess)  # one step back onto the clock's own timeline: the position ``when`` was sent for
        raw = round(guess + (when - at) * per_second if math.isfinite(at) else guess, 6)
        with self._lock:
            if self._new_segment or (self._last_raw is not None and raw < self._last_raw - 1.0):
                line = 0.0 if self._last == -math.inf else (math.floor((self._last + 0.5) / TICKS) + 1) * TICKS
                self._offset = line - math.floor((raw + 0.5) / TICKS) * TICKS
                self._new_segment = False
            self._last_raw = raw
            position = raw + self._offset
            self._last = max(self._last, position)
            if not self._tempos or self._tempos[-1][1] != bpm:
                self._tempos.append((position, bpm))
                if self._recording is not None:
                    self._recording_tempos.append((position, bpm))
            self._notes.add(position, layer, note, velocity, channel)
            if self._recording is not None:
                self._recording.add(position, layer, note, velocity, channel)  # (at most MAX_RECORDED)

    def transport(self, playing: bool) -> None:
        if playing:
            with self._lock:
                self._new_segment = True

    def all_notes_off(self, channels: Sequence[int]) -> None:
        """Nothing to silence."""

    def __repr__(self) -> str:
        return "CaptureSink()"

    # -- reading (any thread)
    def now(self) -> float:
        """The continuous position of now (while playing), else just after the last note."""
        with self._lock:
            if self.clock.running and not self._new_segment and self._last_raw is not None:
                return self.clock.position() + self._offset
            return self._last + 0.5 if self._last > -math.inf else 0.0

    def last_bars(self, bars: int) -> Take:
        """The last ``bars`` whole bars played (while playing: up to the bar line before now)."""
        if not 1 <= bars <= MAX_BARS:
            raise CaptureError(f"bars must be 1..{MAX_BARS}, not {bars}")
        now = self.now()
        end = math.floor(now / TICKS) + (0 if self.clock.running else 1)
        with self._lock:
            oldest, tempos = self._notes.oldest(), list(self._tempos)
        if oldest is None:
            raise CaptureError("nothing has been played yet")
        start = max(end - bars, math.floor((oldest + 0.5) / TICKS))
        lo = start * TICKS - 0.5 - TICKS  # (a bar of slack: notes are kept in the order they were sent)
        most = 4096
        while True:  # copy the newest notes, more until the copy reaches back before the bars wanted
            with self._lock:
                tail, kept = self._notes.newest(most), len(self._notes)
            if most >= kept or (tail.oldest() or 0.0) < lo:
                break
            most *= 4
        notes = [n for n in tail.notes() if n.position >= lo]  # (off the lock: the player never waits for it)
        return self._take(notes, tempos, start, max(end, start + 1))

    def start_recording(self) -> None:
        """Record from the next bar line on (in addition to the ring buffer), until :meth:`stop_recording`."""
        with self._lock:
            self._recording, self._recording_tempos = NoteStore(MAX_RECORDED, ring=False), []
        self._recording_start = float(math.ceil(self.now() / TICKS) * TICKS)

    def stop_recording(self) -> Take:
        with self._lock:
            recorded, tempos, self._recording = self._recording, self._recording_tempos, None
        if recorded is None:
            raise CaptureError("no capture is running (/rvae/capture/start first)")
        notes = recorded.notes()
        if not notes:
            raise CaptureError("nothing was played while capturing")
        start = math.floor(max(self._recording_start, notes[0].position + 0.5) / TICKS)
        end = math.floor((notes[-1].position + 0.5) / TICKS) + 1
        return self._take(notes, tempos or [(notes[0].position, self.clock.bpm)], start, end)

    @property
    def recording(self) -> bool:
        return self._recording is not None

    def _take(self, notes: list[TimedNote], tempos: list[tuple[float, float]], start: int, end: int) -> Take:
        lo, hi = start * TICKS - 0.5, end * TICKS - 0.5
        picked = [n._replace(position=n.position - start * TICKS) for n in notes if lo <= n.position < hi]
        before = [t for t in tempos if t[0] < lo]
        at_start = before[-1][1] if before else (tempos[0][1] if tempos else self.clock.bpm)
        changes = [(max(0.0, p - start * TICKS), b) for p, b in tempos if lo <= p < hi and b != at_start]
        return Take(picked, [(0.0, at_start), *changes], end - start, self.layers)


class Capture:
    """The capture service (see the module docstring): a :class:`CaptureSink` and the folder files go to."""

    def __init__(self, sink: CaptureSink, folder: str | Path) -> None:
        self.sink = sink
        self.folder = Path(folder).expanduser()
        self._lock = threading.Lock()
        self._unsaved: list[Take] = []  # stopped takes that could not be written, oldest first (stops write them)

    def _place(self, name: str) -> tuple[Path, str]:
        """The capture folder (made if missing, resolved) and the file stem ``name`` gives; raises
        :class:`CaptureError` for a name that is not plain, is a Windows device name or leads elsewhere."""
        stem = name[:-4] if name.lower().endswith(".mid") else name
        if not is_plain_name(stem) or ".." in stem:
            raise CaptureError(f"capture name {name!r}: use {NAME_RULE}")
        if is_reserved_name(stem):
            raise CaptureError(f"capture name {name!r} is {RESERVED_RULE}: no file on Windows can have it")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise CaptureError(f"cannot make the capture folder {self.folder}: {err.strerror or err}") from None
        root = self.folder.resolve()
        if (root / f"{stem}.mid").resolve().parent != root:
            raise CaptureError(f"capture name {name!r} leads outside the capture folder")
        return root, stem

    def path_for(self, name: str) -> Path:
        """The file ``name`` gives inside the capture folder: the first name not taken now (:meth:`write` takes
        the next one if another capture took it meanwhile)."""
        root, stem = self._place(name)
        target = root / f"{stem}.mid"
        k = 2
        while target.exists():
            target = root / f"{stem}-{k}.mid"
            k += 1
        return target

    def write(self, take: Take, name: str) -> tuple[str, int]:
        """Write ``take`` to a new file of ``name`` (``-2``, ``-3`` … when taken, even by a capture written at the
        same moment); returns its path and note count."""
        root, stem = self._place(name)
        midi = notes_to_midi(take.notes, [f"layer {k + 1}" for k in range(take.layers)], take.tempos,
                             length=take.bars * TICKS)  # fmt: skip
        buffer = io.BytesIO()
        midi.save(file=buffer)
        try:
            path = atomic_write_new(root, stem, ".mid", buffer.getvalue())
        except OSError as err:
            raise CaptureError(f"cannot write {root / stem}.mid: {err.strerror or err}") from None
        return str(path), len(take.notes)

    def last(self, bars: int, name: str) -> tuple[str, int]:
        """Write the last ``bars`` bars played to ``<folder>/<name>.mid``; returns the path and the note count."""
        self._place(name)  # a bad name is refused before anything else
        return self.write(self.sink.last_bars(bars), name)

    def last_notes(self, bars: int, layer: int) -> tuple[int, list[tuple[float, int, int]]]:
        """The last ``bars`` bars one layer (0-based) played, for a Live clip (``/rvae/capture/clip``): the bars they
        span and each note as ``(position in ticks from the first bar line, note, velocity)``, microtiming in."""
        take = self.sink.last_bars(bars)
        return take.bars, [(n.position, n.note, n.velocity) for n in take.notes if n.part == layer]

    def start(self) -> None:
        self.sink.start_recording()

    def stop(self, name: str) -> tuple[str, int]:
        """Stop the capture running and write its take; with none running, write the oldest take a stop could not
        write (a full disk), if one is kept. A take that cannot be written is kept (at most :data:`MAX_UNSAVED`)
        for a later stop: none is lost while the disk is full."""
        self._place(name)
        with self._lock:
            recorded = self.sink.recording or not self._unsaved
            take = self.sink.stop_recording() if recorded else self._unsaved[0]
            try:
                written = self.write(take, name)
            except CaptureError as err:
                if recorded:
                    self._unsaved = [*self._unsaved, take][-MAX_UNSAVED:]
                kept = len(self._unsaved)
                raise CaptureError(f"{err}; the take is kept ({kept} kept): stop again to write it") from None
            if not recorded:
                self._unsaved.pop(0)
            return written


__all__ = ["MAX_BARS", "MAX_NOTES", "MAX_RECORDED", "Capture", "CaptureError", "CaptureSink", "Take"]
