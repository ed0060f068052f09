"""Follow mode: the space answers the player. Drum MIDI coming in (a pad controller, a drummer on an e-kit, a clip
in Live) is read into bars on the engine's clock; at each bar line the bar just played is encoded with each
following layer's model and the layer's pad glides to that point (``/rvae/follow 1 [MIN_ONSETS] [GLIDE]``).

Notes are placed by their arrival: the clock position when the message arrives, to the nearest tick (so a
stroke a little before the bar line belongs to the next bar), the rest kept as microtiming. Input pitches map
to instruments by the layers' note maps first (a drum machine's own notes and channels,
:func:`rvae_server.core.notemaps.reader`), then through the instrument table
(:data:`rvae_server.core.bar.PITCH_TO_INSTRUMENT`), any channel;
other pitches are ignored. A bar with fewer onsets than the layer's ``min_onsets`` is not followed (the pad
stays). Only while the transport runs.

:class:`Follower` is the pure part (bytes and positions in, engine calls out) run on its own ``rvae-follow``
thread; :class:`FollowInput` opens the MIDI input port (python-rtmidi; the callback only queues).
"""

from __future__ import annotations

import logging
import math
import queue
import threading
from collections.abc import Sequence
from typing import Any

from rvae_server.core.bar import INSTRUMENT_NAMES, PITCH_TO_INSTRUMENT, TICKS, Bar
from rvae_server.core.notemaps import NoteMap, reader
from rvae_server.engine.api import ControlError, EngineControl, EngineEvent
from rvae_server.surfaces.encoding import encode_bars

log = logging.getLogger(__name__)

#: Bars of incoming notes kept.
KEEP_BARS = 4


class Follower:
    """Incoming drums → bars → the pads of the layers in follow mode (see the module docstring)."""

    def __init__(self, engine: EngineControl) -> None:
        self.engine = engine
        self._bars: dict[int, list[tuple[int, int, float, float]]] = {}
        self._queue: queue.SimpleQueue[tuple[str, Any] | None] = queue.SimpleQueue()
        self._done = -1
        self.followed: list[tuple[int, int, tuple[float, float]]] = []  #: (bar, layer, point) moved to
        self.skipped: list[tuple[int, int, int]] = []  #: (bar, layer, onsets) not followed (too few onsets)
        self.heard: dict[int, Bar] = {}  #: the last bars read from the input, by bar number
        self._reader = self._note_reader()
        self._thread = threading.Thread(target=self._run, name="rvae-follow", daemon=True)
        self._thread.start()
        engine.add_listener(self._on_event)

    # -- in (any thread: only queues)
    def feed(self, message: Sequence[int] | bytes, position: float | None = None) -> None:
        """One incoming MIDI message, at clock ``position`` (default: now)."""
        if len(message) == 3 and message[0] & 0xF0 == 0x90 and message[2] > 0:
            clock = self.engine.clock
            if clock.running:
                self._queue.put(("note", (clock.position() if position is None else position, bytes(message))))

    def _on_event(self, event: EngineEvent) -> None:
        if event.kind == "bar":
            self._queue.put(("bar", int(event.data["bar_number"])))

    # -- the rvae-follow thread
    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            try:
                kind, value = item
                if kind == "note":
                    self._note(*value)
                else:
                    self._bar_line(value)
            except Exception:  # a bug here must never stop the input
                log.exception("follow: %s failed", item[0])

    def _note_reader(self, layers: list[dict[str, Any]] | None = None) -> dict[tuple[int, int], int]:
        """(channel, note) → instrument of the layers' note maps (read again at each bar line, from the snapshot
        ``layers`` the bar line took; else one taken here)."""
        maps = []
        for layer in self.engine.snapshot()["layers"] if layers is None else layers:
            notes, channels = layer.get("notes") or {}, layer.get("channels") or {}
            try:
                note_map = NoteMap(
                    tuple(notes[n] for n in INSTRUMENT_NAMES), tuple(channels[n] for n in INSTRUMENT_NAMES)
                )
            except (KeyError, ValueError):
                continue
            maps.append((note_map, int(layer["channel"])))
        return reader(maps)

    def _note(self, position: float, message: bytes) -> None:
        channel = (message[0] & 0x0F) + 1
        instrument = self._reader.get((channel, message[1]), int(PITCH_TO_INSTRUMENT[message[1]]))
        if instrument < 0:
            return
        tick = round(position)
        bar = math.floor(tick / TICKS)
        microtiming = max(-1.0, min(1.0, (position - tick) * 2.0))
        self._bars.setdefault(bar, []).append((tick - bar * TICKS, instrument, message[2] / 127.0, microtiming))
        for old in [b for b in self._bars if b < bar - KEEP_BARS]:
            del self._bars[old]

    def _bar_line(self, bar_number: int) -> None:
        """Bar ``bar_number`` starts: follow the one before it."""
        if bar_number <= self._done:
            if bar_number < self._done - 1:  # the transport restarted
                self._done = bar_number - 1
                self._bars.clear()
            return
        self._done = bar_number
        notes = self._bars.pop(bar_number - 1, [])
        layers = self.engine.snapshot()["layers"]
        self._reader = self._note_reader(layers)
        if not any(layer["follow"]["on"] for layer in layers):
            return
        bar = Bar.from_notes(notes)
        self.heard = {n: b for n, b in self.heard.items() if n >= bar_number - KEEP_BARS} | {bar_number - 1: bar}
        onsets = bar.onset_count()
        for k, layer in enumerate(layers):
            settings = layer["follow"]
            if not settings["on"]:
                continue
            if onsets < settings["min_onsets"]:
                self.skipped.append((bar_number - 1, k, onsets))
                continue
            try:
                (point,) = encode_bars(self.engine, k, [bar])
                self.engine.glide(k, point[0], point[1], settings["glide_beats"])
            except ControlError as err:
                log.warning("follow: layer %d: %s", k + 1, err)
                continue
            self.followed.append((bar_number - 1, k, point))

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=2.0)


class FollowInput:
    """A MIDI input port feeding a :class:`Follower`: the port whose name contains ``port``, or a virtual input
    ``R-VAE follow:follow in`` (``port`` None). Raises :class:`rvae_server.system.midiports.MidiError`."""

    def __init__(self, follower: Follower, port: str | None, backend: str | None, client_name: str = "R-VAE") -> None:
        from rvae_server.system.midiports import open_input, release_client

        self.follower = follower
        self._release = release_client
        self._rt: Any
        self._rt, self.name = open_input(backend, f"{client_name} follow", port, "follow in", self._on_message)
        log.info("follow: listening for drums on %r", self.name)

    def _on_message(self, event: tuple[list[int], float], data: object = None) -> None:
        self.follower.feed(event[0])

    def close(self) -> None:
        """Close the port and stop the follower. Idempotent."""
        rt, self._rt = self._rt, None
        if rt is None:
            return
        self._release(rt)
        self.follower.close()


__all__ = ["KEEP_BARS", "FollowInput", "Follower"]
