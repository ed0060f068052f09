"""Ableton Link: tempo, beat and bar phase shared with every peer of the session."""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any

from rvae_server.core.bar import TICKS_PER_BEAT
from rvae_server.engine.clock.base import Clock, Transport, check_bpm

log = logging.getLogger(__name__)


class LinkClock(Clock):
    """Ableton Link (LinkPython-extern, imported lazily): tempo, beat and phase shared with the session.

    ``quantum`` beats (4 = one bar) align the bar phase: ``position = beat * 24`` with Link's beat at
    quantum 4, so ``position % 96 == 0`` falls on the session's bar lines. Start/stop sync is enabled:
    ``start()`` proposes playing to every peer (beat 0 at the session's next bar line), ``stop()`` proposes
    stopping; a peer's start or stop is followed. ``set_bpm`` proposes a tempo to the session.

    Constructing the clock joins the session (``enable``); ``close()`` leaves it. Link's clock (microseconds,
    CLOCK_MONOTONIC_RAW on Linux) is converted to ``perf_counter`` by an offset re-measured every poll.
    """

    def __init__(self, bpm: float = 120.0, quantum: float = 4.0, *, poll: float = 0.01) -> None:
        super().__init__(time.perf_counter)
        import link  # lazy: LinkPython-extern opens sockets only when enabled, but keep import side-effect free

        self._quantum = float(quantum)
        self._link: Any = link.Link(check_bpm(bpm))
        self._link.startStopSyncEnabled = True
        self._offset = 0.0
        self._measure_offset()
        state = self._link.captureAppSessionState()
        self._running = bool(state.isPlaying())
        self._bpm = float(state.tempo())
        self._held = 0.0
        self._peers = 0
        self._poll = poll
        self._stop_event = threading.Event()
        self._link.enabled = True
        self._thread = threading.Thread(target=self._monitor, name="link-monitor", daemon=True)
        self._thread.start()
        log.info("Ableton Link enabled at %.1f BPM, quantum %g", self._bpm, self._quantum)

    def _measure_offset(self) -> None:
        """perf_counter - link seconds, from the tightest of three sandwiched readings."""
        clock = self._link.clock()
        best = (math.inf, 0.0)
        for _ in range(3):
            t1 = time.perf_counter()
            m = clock.micros()
            t2 = time.perf_counter()
            best = min(best, (t2 - t1, (t1 + t2) / 2.0 - m * 1e-6))
        self._offset = best[1]

    def _link_micros(self, t: float) -> int:
        return round((t - self._offset) * 1e6)

    def _monitor(self) -> None:
        while not self._stop_event.wait(self._poll):
            self._measure_offset()
            state = self._link.captureAppSessionState()
            playing = bool(state.isPlaying())
            tempo = float(state.tempo())
            peers = int(self._link.numPeers())
            events: list[Transport] = []
            if playing and not self._running:
                # a start (ours or a peer's): beat 0 at the moment playing started, on the bar phase
                state.requestBeatAtStartPlayingTime(0.0, self._quantum)
                self._link.commitAppSessionState(state)
                state = self._link.captureAppSessionState()
            with self._cond:
                if playing != self._running:
                    if not playing:
                        self._held = state.beatAtTime(self._link_micros(time.perf_counter()), self._quantum) * 24
                    self._running = playing
                    events.append(Transport.START if playing else Transport.STOP)
                    self._bump_locked()
                if abs(tempo - self._bpm) > 1e-3:  # Link carries tempo as micros per beat: ignore rounding
                    self._bpm = tempo
                    events.append(Transport.TEMPO)
                    self._bump_locked()
            if peers != self._peers:
                log.info("Ableton Link: %d peer(s)", peers)
                self._peers = peers
            for event in events:
                if event is Transport.TEMPO:
                    log.info("Ableton Link tempo %.2f BPM", tempo)
                else:
                    log.info("Ableton Link transport %s", event.value)
                self._emit(event, self.position())

    @property
    def peers(self) -> int:
        """Number of other Link peers in the session."""
        return int(self._link.numPeers())

    @property
    def quantum(self) -> float:
        return self._quantum

    @property
    def running(self) -> bool:
        return self._running

    @property
    def bpm(self) -> float:
        return self._bpm

    def set_bpm(self, bpm: float) -> None:
        """Propose ``bpm`` to the session (every peer follows)."""
        bpm = check_bpm(bpm)
        state = self._link.captureAppSessionState()
        state.setTempo(bpm, self._link_micros(time.perf_counter()))
        self._link.commitAppSessionState(state)

    def start(self) -> None:
        """Propose playing to the session; beat 0 falls on the session's next bar line."""
        state = self._link.captureAppSessionState()
        state.setIsPlayingAndRequestBeatAtTime(True, self._link_micros(time.perf_counter()), 0.0, self._quantum)
        self._link.commitAppSessionState(state)

    continue_ = start

    def stop(self) -> None:
        """Propose stopping to the session."""
        state = self._link.captureAppSessionState()
        state.setIsPlaying(False, self._link_micros(time.perf_counter()))
        self._link.commitAppSessionState(state)

    def beat_and_phase(self, t: float | None = None) -> tuple[float, float]:
        """Link's ``(beat, phase)`` at ``t`` (perf_counter s, default now) for the clock's quantum."""
        micros = self._link_micros(time.perf_counter() if t is None else t)
        state = self._link.captureAppSessionState()
        return state.beatAtTime(micros, self._quantum), state.phaseAtTime(micros, self._quantum)

    def position(self) -> float:
        if not self._running:
            return self._held
        return self.beat_and_phase()[0] * TICKS_PER_BEAT

    def time_at(self, position: float) -> float:
        if not self._running:
            return math.inf
        state = self._link.captureAppSessionState()
        return state.timeAtBeat(position / TICKS_PER_BEAT, self._quantum) * 1e-6 + self._offset

    def _deadline_locked(self, position: float) -> float:
        state = self._link.captureAppSessionState()
        return state.timeAtBeat(position / TICKS_PER_BEAT, self._quantum) * 1e-6 + self._offset

    def close(self) -> None:
        self._stop_event.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=1.0)
        self._link.enabled = False
        super().close()
