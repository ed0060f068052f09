"""Gesture loops and the performer's hand: what :class:`HandControls` (a part of the engine, see
:mod:`rvae_server.engine.performing`) keeps per layer.

``record BARS`` arms a recording that starts at the next bar line (at the start when stopped) and takes the
performer's XY moves, from any surface, for BARS bars; then the loop plays, in sync with the bars it was
recorded on. ``overdub`` on: moves while touching are written into the loop where they happen. While the
performer touches (an explicit touch, or an XY move in the last :data:`RELEASE` seconds), the hand plays; on
release the loop resumes. ``clear`` removes the loop.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

from rvae_server.core.bar import TICKS
from rvae_server.engine.api import Clock, ControlError, EngineEvent, LayerState, clamp
from rvae_server.engine.motion import MAX_BARS, MIN_BARS, GestureLoop, record_loop

#: Seconds an XY move counts as a touch when no explicit touch is held (the loop resumes after it).
RELEASE = 0.3
#: Points of an encoded clip's trail shown on the page.
MAX_TRAIL = 64
GESTURE_ACTIONS = ("record", "overdub", "clear")


@dataclass
class Recording:
    """A gesture being recorded: from position ``start`` (None until the transport runs) for ``bars`` bars."""

    bars: int
    start: float | None
    initial: tuple[float, float]
    events: list[tuple[float, float, float]] = field(default_factory=list)


@dataclass
class Hand:
    """The performer's hand on one layer: touch, and the gesture loop recorded from it."""

    touching: bool = False  # an explicit touch (page pointer, Kaoss Pad touch, /rvae/touch)
    until: float = 0.0  # monotonic time an implicit touch (an XY move) lasts until
    implicit: bool = False  # an implicit touch is on and not yet released
    loop: GestureLoop | None = None
    recording: Recording | None = None
    overdub: bool = False
    pen: tuple[float, float, float] | None = None  # the last overdub move (position, x, y)

    def touched(self, now: float) -> bool:
        return self.touching or (self.implicit and now < self.until)


class HandControls:
    """The gesture-loop and touch controls, mixed into the engine through
    :class:`~rvae_server.engine.performing.PerformanceControls`."""

    # provided by the engine
    _lock: threading.RLock
    _wake: threading.Condition
    _states: list[LayerState]
    _threads: list[threading.Thread]
    _version: int
    _layer_versions: list[int]
    clock: Clock

    def _layer(self, layer: int) -> int:
        raise NotImplementedError

    def _plan_now(self) -> None:
        raise NotImplementedError

    def _emit(self, event: EngineEvent) -> None:
        raise NotImplementedError

    _hands: list[Hand]

    def gesture(self, layer: int, action: str, value: object = None) -> list[str]:
        """``record`` (``value`` = bars, 1..64), ``overdub`` (``value`` = on), ``clear``."""
        k = self._layer(layer)
        if action not in GESTURE_ACTIONS:
            raise ControlError(f"gesture action must be one of {', '.join(GESTURE_ACTIONS)}, not {action!r}")
        notes: list[str] = []
        with self._wake:
            hand = self._hands[k]
            if action == "record":
                number, note = clamp("bars", 4 if value is None else value, MIN_BARS, MAX_BARS)
                notes += [note] if note else []
                start = None
                if self.clock.running:
                    start = float((math.floor(self.clock.position() / TICKS) + 1) * TICKS)
                state = self._states[k]
                hand.recording = Recording(round(number), start, (state.x, state.y))
                hand.overdub, hand.pen = False, None
            elif action == "overdub":
                on = bool(value) if value is not None else not hand.overdub
                if not on:
                    self._flush_pen(hand)
                hand.overdub, hand.pen = on, None
            else:
                hand.loop = hand.recording = hand.pen = None
                hand.overdub = False
        self._bump(k)
        return notes

    def touch(self, layer: int, on: bool) -> None:
        """The performer's hand is on the pad (or off it): while on, the hand plays over a gesture loop or a
        drawn path; on release they resume."""
        k = self._layer(layer)
        with self._wake:
            hand = self._hands[k]
            if hand.touching == bool(on) and not (not on and hand.implicit):
                return
            hand.touching = bool(on)
            if not on:
                hand.implicit = False
                self._flush_pen(hand)
        self._bump(k)

    def _hand_moved(self, k: int) -> None:
        """The performer's point of layer ``k`` moved (under the lock): a touch, a move recorded or overdubbed."""
        hand = self._hands[k]
        state = self._states[k]
        hand.implicit, hand.until = True, time.monotonic() + RELEASE
        rec = hand.recording
        overdub = hand.overdub and hand.loop is not None
        if rec is None and not overdub:
            return  # (the clock's lock is not taken on every move: only while recording or overdubbing)
        running = self.clock.running
        position = self.clock.position() if running else 0.0
        if rec is not None:
            if rec.start is None or position < rec.start:
                rec.initial = (state.x, state.y)
            elif position < rec.start + rec.bars * TICKS:
                rec.events.append((position, state.x, state.y))
        if overdub and running:
            self._flush_pen(hand, position)
            hand.pen = (position, state.x, state.y)

    def _coalescing(self) -> bool:
        """True while changes wait to be planned together (see the performing mixin's ``_coalescing``)."""
        return False

    def _perf_due(self) -> bool:
        """An implicit touch ended: the planner must re-plan (the loop resumes)."""
        now = time.monotonic()
        return any(h.implicit and not h.touching and now >= h.until for h in self._hands)

    def _perf_wait(self) -> float:
        """Seconds the planner may sleep before :meth:`_perf_due` can turn true."""
        now = time.monotonic()
        waits = [h.until - now for h in self._hands if h.implicit and not h.touching]
        return max(0.001, min([0.5, *waits]))

    def _flush_pen(self, hand: Hand, position: float | None = None, keep: bool = False) -> None:
        """Write the last overdub move into the loop up to ``position`` (default: now)."""
        if hand.pen is None or hand.loop is None:
            hand.pen = None if not keep else hand.pen
            return
        if position is None:
            position = self.clock.position() if self.clock.running else hand.pen[0]
        start, x, y = hand.pen
        hand.loop = hand.loop.written(start, position, x, y)
        hand.pen = (position, x, y) if keep else None

    def _bump(self, k: int) -> None:
        """After a change of layer ``k`` under the lock: re-plan now (as :meth:`Engine.update`) and tell listeners."""
        with self._wake:
            self._version += 1
            self._layer_versions[k] += 1
            inline = bool(self._threads) and not self._coalescing()
            if not inline:
                self._wake.notify_all()
        if inline:
            self._plan_now()
        self._emit(EngineEvent("state", {"layer": k}))

    def _advance_hands(self, bar: int) -> list[int]:
        """At a planning round for ``bar``: start and finish recordings, release implicit touches. Returns the layers
        whose plans must change (a loop begins, a touch ends over a loop)."""
        now = time.monotonic()
        line = float(bar * TICKS)
        changed = []
        for k, hand in enumerate(self._hands):
            rec = hand.recording
            if rec is not None and rec.start is None and self.clock.running:
                rec.start = line if self.clock.position() <= line + 1.0 else line + TICKS
            if rec is not None and rec.start is not None and line >= rec.start + rec.bars * TICKS:
                hand.loop = record_loop(rec.bars, rec.start, rec.events, rec.initial)
                hand.recording = None
                changed.append(k)
            elif hand.implicit and not hand.touching and now >= hand.until:
                hand.implicit = False
                self._flush_pen(hand)
                changed.append(k)
            elif hand.pen is not None and self.clock.running:
                self._flush_pen(hand, self.clock.position(), keep=True)
        return changed


__all__ = ["GESTURE_ACTIONS", "RELEASE", "Hand", "HandControls", "Recording"]
