"""Timed notes kept compactly, for the capture (:mod:`rvae_server.outputs.capture`): 12 bytes a note (its position
in an ``array('d')``, its part, note, velocity and channel in a ``bytearray``) instead of a tuple and a float
(~110 bytes), so that the always-on ring buffer of 200,000 notes takes 2.4 MB, allocated once when it is made,
and never grows while the server plays (a long run's memory stays flat). A capture of the last bars copies only
the newest notes it needs (:meth:`NoteStore.newest`) and makes notes of those alone.

:class:`NoteStore` is either a **ring** (``ring=True``: ``capacity`` slots made at once, the oldest note replaced
when full) or a **growing** store that takes at most ``capacity`` notes (a capture from start to stop). Adding a
note is a handful of item assignments (the player thread calls it); reading gives
:class:`~rvae_server.core.notewrite.TimedNote` s, oldest first. Not thread-safe: the caller holds its lock.
"""

from __future__ import annotations

from array import array

from rvae_server.core.notewrite import TimedNote


class NoteStore:
    """Notes as 12 bytes each (see the module docstring). Parts, notes, velocities and channels are 0..255."""

    __slots__ = ("_data", "_positions", "_start", "capacity", "count", "ring")

    def __init__(self, capacity: int, *, ring: bool) -> None:
        self.capacity = capacity
        self.ring = ring
        self._positions = array("d", bytes(8 * capacity)) if ring else array("d")
        self._data = bytearray(4 * capacity) if ring else bytearray()
        self._start = 0  # (ring) the slot of the oldest note
        self.count = 0

    def __len__(self) -> int:
        return self.count

    def add(self, position: float, part: int, note: int, velocity: int, channel: int) -> bool:
        """Keep a note (a full ring replaces its oldest); False when a growing store is full (nothing kept)."""
        if not self.ring:
            if self.count >= self.capacity:
                return False
            self._positions.append(position)
            self._data += bytes((part, note, velocity, channel))
            self.count += 1
            return True
        if self.count < self.capacity:
            slot = (self._start + self.count) % self.capacity
            self.count += 1
        else:
            slot = self._start
            self._start = (self._start + 1) % self.capacity
        self._positions[slot] = position
        k = 4 * slot
        self._data[k : k + 4] = bytes((part, note, velocity, channel))
        return True

    def oldest(self) -> float | None:
        """The position of the oldest note kept (None: none)."""
        return self._positions[self._start] if self.count else None

    def newest(self, most: int) -> NoteStore:
        """A growing store holding a copy of the newest ``most`` notes (slices of the buffers: quick enough to
        take under the caller's lock, where making :class:`TimedNote` s of them with :meth:`notes` is not)."""
        n = min(most, self.count)
        first = (self._start + self.count - n) % max(1, self.capacity) if self.ring else self.count - n
        out = NoteStore(n, ring=False)
        out.count = n
        if first + n <= len(self._positions):
            out._positions = self._positions[first : first + n]
            out._data = self._data[4 * first : 4 * (first + n)]
        else:  # (a ring's newest notes wrap around its end)
            wrap = first + n - len(self._positions)
            out._positions = self._positions[first:] + self._positions[:wrap]
            out._data = self._data[4 * first :] + self._data[: 4 * wrap]
        return out

    def notes(self) -> list[TimedNote]:
        """Every note kept, oldest first."""
        out = []
        data, positions, capacity = self._data, self._positions, max(1, self.capacity)
        for i in range(self.count):
            slot = (self._start + i) % capacity if self.ring else i
            k = 4 * slot
            out.append(TimedNote(positions[slot], data[k], data[k + 1], data[k + 2], data[k + 3]))
        return out

    def clear(self) -> None:
        """Forget every note (a ring keeps its slots)."""
        self._start = self.count = 0
        if not self.ring:
            self._positions, self._data = array("d"), bytearray()


__all__ = ["NoteStore"]
