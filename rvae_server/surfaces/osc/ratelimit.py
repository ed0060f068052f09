"""Rate limits for what the network can make the server do: log lines, error replies and replies per client."""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any

#: Error replies per client: a burst of this many, refilled at this rate (per second).
ERROR_BURST, ERROR_RATE = 50, 50.0
#: Reply datagrams per client (``/rvae/state`` answers ~24 for 2 layers): a burst, and a rate per second.
REPLY_BURST, REPLY_RATE = 512, 256.0


class RateLimitedLog:
    """At most ``burst`` lines per ``window`` seconds per logger; the rest are counted and summarised."""

    def __init__(self, logger: logging.Logger, burst: int = 20, window: float = 10.0) -> None:
        self.logger = logger
        self.burst = burst
        self.window = window
        self._start = -math.inf
        self._count = 0
        self._suppressed = 0
        self._lock = threading.Lock()

    def __call__(self, level: int, msg: str, *args: Any) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._start >= self.window:
                if self._suppressed:
                    self.logger.warning(
                        "(%d similar log lines suppressed in the last %.0f s)", self._suppressed, self.window
                    )
                self._start, self._count, self._suppressed = now, 0, 0
            if self._count >= self.burst:
                self._suppressed += 1
                return
            self._count += 1
        self.logger.log(level, msg, *args)


class TokenBucket:
    """What a client may still get: a burst of ``burst`` (default :data:`ERROR_BURST` error replies), refilled at
    ``rate`` per second (default :data:`ERROR_RATE`)."""

    __slots__ = ("burst", "last", "rate", "tokens")

    def __init__(self, burst: float = ERROR_BURST, rate: float = ERROR_RATE) -> None:
        self.burst = float(burst)
        self.rate = float(rate)
        self.tokens = self.burst
        self.last = time.monotonic()

    def take(self, n: float = 1.0) -> bool:
        """Take ``n`` tokens if there are that many (True), else none (False)."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= n:
            self.tokens -= n
            return True
        return False
