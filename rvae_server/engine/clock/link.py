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


#: A start of the session seen later than this after it happened (s) is a session found playing: the clock starts
#: at the session's next bar line rather than at the bar the start fell on.
STALE_START = 0.25
#: What joining a session does while its transport is not known to be playing (see :class:`LinkClock`).
JOIN_MODES = ("play", "wait")


class LinkClock(Clock):
    """Ableton Link (LinkPython-extern, imported lazily): tempo, beat and phase shared with the session.

    ``quantum`` beats (4 = one bar) align the bar phase: position 0 is a bar line of the session, so
    ``position % 96 == 0`` falls on the session's bar lines (``position = beat * 24 - origin``, ``origin`` a whole
    number of bars). ``set_bpm`` proposes a tempo to the session.

    Start/stop sync (``start_stop_sync``, on by default) shares the transport: ``start()`` proposes playing to
    every peer (beat 0 at the session's next bar line), ``stop()`` proposes stopping; a peer's start or stop is
    followed. A start seen as it happens plays from the bar it falls on; a session found already playing is
    joined **in phase at its next bar line** (position 0 there, negative before it, so nothing plays mid-bar).

    Joining (``join``): Link tells a newcomer the session's tempo and phase but not whether its transport runs
    (it shares start/stop only as they happen). With ``join="play"`` (the default) the clock starts playing, in
    phase, at the next bar line of the session it joins, without proposing anything to the session; the next
    start or stop of any peer is then followed as usual. ``join="wait"`` waits for a peer's start.

    Constructing the clock joins the session (``enable``); ``close()`` leaves it. Link's clock (microseconds,
    CLOCK_MONOTONIC_RAW on Linux) is converted to ``perf_counter`` by an offset re-measured every poll.
    """

    def __init__(
        self,
        bpm: float = 120.0,
        quantum: float = 4.0,
        *,
        poll: float = 0.01,
        start_stop_sync: bool = True,
        join: str = "play",
    ) -> None:
        super().__init__(time.perf_counter)
        import link  # lazy: LinkPython-extern opens sockets only when enabled, but keep import side-effect free

        if join not in JOIN_MODES:
            raise ValueError(f"link join must be one of {', '.join(JOIN_MODES)}, not {join!r}")
        self._quantum = float(quantum)
        self._link: Any = link.Link(check_bpm(bpm))
        self._link.startStopSyncEnabled = bool(start_stop_sync)
        self._start_stop_sync = bool(start_stop_sync)
        self._join = join
        self._offset = 0.0
        self._measure_offset()
        state = self._link.captureAppSessionState()
        self._running = bool(state.isPlaying())
        self._bpm = float(state.tempo())
        self._held = 0.0
        self._origin = 0.0  # ticks: position = beat * 24 - origin
        self._local_since: int | None = None  # playing on joining: the start/stop state time it overrides
        self.joined_at: float | None = None  # perf_counter time of the last join-start (for tests, benchmarks)
        self._peers = 0
        self._poll = poll
        self._stop_event = threading.Event()
        self._link.enabled = True
        self._thread = threading.Thread(target=self._monitor, name="link-monitor", daemon=True)
        self._thread.start()
        log.info(
            "Ableton Link enabled at %.1f BPM, quantum %g, start/stop sync %s, on joining a session: %s",
            self._bpm,
            self._quantum,
            "on" if start_stop_sync else "off",
            "play from its next bar line" if join == "play" else "wait for a start",
        )

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
            now = time.perf_counter()
            micros = self._link_micros(now)
            events: list[Transport] = []
            since = int(state.timeForIsPlaying())
            joined = peers > 0 and self._peers == 0
            if self._local_since is not None:
                if since == self._local_since:
                    playing = True  # playing since we joined: until a peer starts or stops
                else:
                    self._local_since = None  # a peer started or stopped: follow the session again
            elif joined and not playing and self._join == "play" and self._start_stop_sync:
                self._local_since, playing = since, True
                self.joined_at = now
            with self._cond:
                if playing != self._running:
                    beat = state.beatAtTime(micros, self._quantum)
                    if playing:
                        self._origin = self._origin_for(state, beat, since, micros)
                    else:
                        self._held = beat * TICKS_PER_BEAT - self._origin
                    self._running = playing
                    events.append(Transport.START if playing else Transport.STOP)
                    self._bump_locked()
                if abs(tempo - self._bpm) > 1e-3:  # Link carries tempo as micros per beat: ignore rounding
                    self._bpm = tempo
                    events.append(Transport.TEMPO)
                    self._bump_locked()
            if peers != self._peers:
                log.info("Ableton Link: %d peer(s)", peers)
                if joined and self._local_since is not None:
                    log.info("Ableton Link: joined a session; playing in phase from its next bar line")
                self._peers = peers
            for event in events:
                if event is Transport.TEMPO:
                    log.info("Ableton Link tempo %.2f BPM", tempo)
                else:
                    log.info("Ableton Link transport %s", event.value)
                self._emit(event, self.position())

    def _origin_for(self, state: Any, beat: float, since: int, micros: int) -> float:
        """Where position 0 goes when playing starts: the bar line the session's start fell on when the start is
        seen as it happens (beat 0 for a start proposed here), else the session's next bar line (a session found
        playing, or joined). A whole number of bars, so bar lines stay the session's."""
        bar = TICKS_PER_BEAT * self._quantum
        if since > 0 and (micros - since) * 1e-6 < STALE_START and self._local_since is None:
            start = float(state.beatAtTime(since, self._quantum)) * TICKS_PER_BEAT
            return math.ceil(start / bar - 0.5 / bar) * bar  # a start proposed here: beat 0, the next bar line
        return math.ceil(beat * TICKS_PER_BEAT / bar - 1e-9) * bar

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

    @property
    def origin(self) -> float:
        """The session beat (× 24, in ticks) at which position 0 lies: a whole number of bars."""
        return self._origin

    def beat_and_phase(self, t: float | None = None) -> tuple[float, float]:
        """Link's ``(beat, phase)`` at ``t`` (perf_counter s, default now) for the clock's quantum."""
        micros = self._link_micros(time.perf_counter() if t is None else t)
        state = self._link.captureAppSessionState()
        return state.beatAtTime(micros, self._quantum), state.phaseAtTime(micros, self._quantum)

    def position(self) -> float:
        if not self._running:
            return self._held
        return self.beat_and_phase()[0] * TICKS_PER_BEAT - self._origin

    def time_at(self, position: float) -> float:
        if not self._running:
            return math.inf
        return self._deadline_locked(position)

    def _deadline_locked(self, position: float) -> float:
        state = self._link.captureAppSessionState()
        beat = (position + self._origin) / TICKS_PER_BEAT
        return float(state.timeAtBeat(beat, self._quantum)) * 1e-6 + self._offset

    def close(self) -> None:
        self._stop_event.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=1.0)
        self._link.enabled = False
        super().close()
