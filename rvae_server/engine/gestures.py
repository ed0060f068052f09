"""Gesture loops and the performer's hand: what :class:`Hands` (a part of the engine) keeps per layer.

``record BARS`` arms a recording that starts at the next bar line (at the start when stopped) and takes the
performer's XY moves, from any surface, for BARS bars; then the loop plays, in sync with the bars it was
recorded on. ``overdub`` on: moves while touching are written into the loop where they happen. While the
performer touches (an explicit touch, or an XY move in the last :data:`RELEASE` seconds), the hand plays; on
release the loop resumes. ``clear`` removes the loop.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from rvae_server.core.bar import TICKS
from rvae_server.engine.api import Clock, ControlError, clamp
from rvae_server.engine.layers import Layers
from rvae_server.engine.motion import MAX_BARS, MIN_BARS, GestureLoop, record_loop

#: Seconds an XY move counts as a touch when no explicit touch is held (the loop resumes after it).
RELEASE = 0.3
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


class Hands:
    """The performer's hand on every layer and the gesture loops recorded from it: a part of the engine that the
    planner reads (:meth:`touching`, :meth:`due`, :meth:`wait`, :meth:`advance`) and the controls change
    (:meth:`gesture`, :meth:`touch`, :meth:`moved`). Every method that changes a layer leaves the re-planning to the
    caller."""

    def __init__(self, layers: Layers, clock: Clock) -> None:
        self._layers = layers
        self._clock = clock
        self.hands: list[Hand] = [Hand() for _ in range(layers.count)]

    def touching(self, k: int) -> bool:
        """True while the performer's hand plays layer ``k`` (a touch, a recent XY move or a recording)."""
        hand = self.hands[k]
        return hand.touched(time.monotonic()) or hand.recording is not None

    def gesture(self, k: int, action: str, value: object = None) -> list[str]:
        """``record`` (``value`` = bars, 1..64), ``overdub`` (``value`` = on), ``clear``."""
        if action not in GESTURE_ACTIONS:
            raise ControlError(f"gesture action must be one of {', '.join(GESTURE_ACTIONS)}, not {action!r}")
        notes: list[str] = []
        with self._layers.lock:
            hand = self.hands[k]
            if action == "record":
                number, note = clamp("bars", 4 if value is None else value, MIN_BARS, MAX_BARS)
                notes += [note] if note else []
                start = None
                if self._clock.running:
                    start = float((math.floor(self._clock.position() / TICKS) + 1) * TICKS)
                state = self._layers.states[k]
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
        return notes

    def touch(self, k: int, on: bool) -> bool:
        """The performer's hand is on the pad (or off it): while on, the hand plays over a gesture loop or a drawn
        path; on release they resume. Returns False when nothing changed."""
        with self._layers.lock:
            hand = self.hands[k]
            if hand.touching == bool(on) and not (not on and hand.implicit):
                return False
            hand.touching = bool(on)
            if not on:
                hand.implicit = False
                self._flush_pen(hand)
        return True

    def moved(self, k: int) -> None:
        """The performer's point of layer ``k`` moved (under the layers' lock): a touch, a move recorded or
        overdubbed."""
        hand = self.hands[k]
        state = self._layers.states[k]
        hand.implicit, hand.until = True, time.monotonic() + RELEASE
        rec = hand.recording
        overdub = hand.overdub and hand.loop is not None
        if rec is None and not overdub:
            return  # (the clock's lock is not taken on every move: only while recording or overdubbing)
        running = self._clock.running
        position = self._clock.position() if running else 0.0
        if rec is not None:
            if rec.start is None or position < rec.start:
                rec.initial = (state.x, state.y)
            elif position < rec.start + rec.bars * TICKS:
                rec.events.append((position, state.x, state.y))
        if overdub and running:
            self._flush_pen(hand, position)
            hand.pen = (position, state.x, state.y)

    def due(self) -> bool:
        """An implicit touch ended: the planner must re-plan (the loop resumes)."""
        now = time.monotonic()
        return any(h.implicit and not h.touching and now >= h.until for h in self.hands)

    def wait(self) -> float:
        """Seconds the planner may sleep before :meth:`due` can turn true."""
        now = time.monotonic()
        waits = [h.until - now for h in self.hands if h.implicit and not h.touching]
        return max(0.001, min([0.5, *waits]))

    def advance(self, bar: int) -> list[int]:
        """At a planning round for ``bar`` (under the layers' lock): start and finish recordings, release implicit
        touches. Returns the layers whose plans must change (a loop begins, a touch ends over a loop)."""
        now = time.monotonic()
        line = float(bar * TICKS)
        changed = []
        clock = self._clock
        for k, hand in enumerate(self.hands):
            rec = hand.recording
            if rec is not None and rec.start is None and clock.running:
                rec.start = line if clock.position() <= line + 1.0 else line + TICKS
            if rec is not None and rec.start is not None and line >= rec.start + rec.bars * TICKS:
                hand.loop = record_loop(rec.bars, rec.start, rec.events, rec.initial)
                hand.recording = None
                changed.append(k)
            elif hand.implicit and not hand.touching and now >= hand.until:
                hand.implicit = False
                self._flush_pen(hand)
                changed.append(k)
            elif hand.pen is not None and clock.running:
                self._flush_pen(hand, clock.position(), keep=True)
        return changed

    def _flush_pen(self, hand: Hand, position: float | None = None, keep: bool = False) -> None:
        """Write the last overdub move into the loop up to ``position`` (default: now)."""
        if hand.pen is None or hand.loop is None:
            hand.pen = None if not keep else hand.pen
            return
        if position is None:
            position = self._clock.position() if self._clock.running else hand.pen[0]
        start, x, y = hand.pen
        hand.loop = hand.loop.written(start, position, x, y)
        hand.pen = (position, x, y) if keep else None


__all__ = ["GESTURE_ACTIONS", "RELEASE", "Hand", "Hands", "Recording"]
