"""The plan stream: each layer's planned bar — the notes the server will play, with their positions — sent as
``/rvae/plan`` to the clients that subscribed with ``/rvae/plans`` (a Max for Live device that plays the notes on
its own track, from Live's transport).

A plan is sent whenever it changes (a move of the pad, a mute, a model swap) and when the next bar is planned,
about a bar before its bar line, so a client always holds the bar playing and the next one. One datagram carries
a whole bar of up to :data:`NOTES_PER_DATAGRAM` notes (a bar rarely has more); a busier bar is split into parts
that each say ``part`` of ``parts``. Only what the device plays is sent (:func:`plan_messages`): a channel
outside 1..16 is refused, and a note outside 0..127, a velocity outside 1..127 or a position outside
-0.5..95.5 is left out (the engine never plans one; maxpatch/rvae_sequencer.js refuses a datagram holding one).
Nothing here blocks: the engine's listener only stores the latest plan and tells the sending thread which one
to send."""

from __future__ import annotations

import struct
import threading
from collections.abc import Sequence
from typing import Any

from rvae_server.core.bar import TICKS
from rvae_server.surfaces.osc.spec import PREFIX, Client

#: Notes per ``/rvae/plan`` datagram: 64 notes are 192 arguments, about 1 KB (Max's udpreceive takes it whole).
NOTES_PER_DATAGRAM = 64
#: Most plan subscribers (host, port) at once, and on one host: beyond, a new one is refused (those there stay).
MAX_SUBSCRIBERS = 16
MAX_PER_HOST = 8
#: Plans kept per layer (the bar playing and the next one, plus one spare): what a new subscriber gets first.
KEEP_BARS = 3

#: Positions a note of a bar may have (ticks from its bar line): an early downbeat .. a late last tick.
POSITIONS = (-0.5, TICKS - 0.5)

Note = tuple[float, int, int]  # (position within the bar in ticks, MIDI note, velocity)


def playable(notes: Sequence[Note]) -> list[Note]:
    """The notes a device plays: note 0..127, velocity 1..127, position within :data:`POSITIONS`."""
    lo, hi = POSITIONS
    return [n for n in notes if 0 <= n[1] <= 127 and 1 <= n[2] <= 127 and lo <= n[0] <= hi]


def plan_messages(
    layer: int, bar_number: int, channel: int, notes: Sequence[Note], channels: Sequence[int] | None = None
) -> list[tuple[str, list[Any]]]:
    """The ``/rvae/plan`` datagrams of one bar (``layer`` 0-based here, 1-based sent): ``layer bar channel part
    parts`` then ``position note velocity`` per note, in playing order; only :func:`playable` notes. With
    ``channels`` (each note's channel, when instruments play on channels of their own) the notes go in parts per
    channel, each part's header naming its notes' channel. Raises ``ValueError`` for a channel outside 1..16."""
    chunks = _chunks(channel, notes, channels)
    out: list[tuple[str, list[Any]]] = []
    for part, (chunk_channel, chunk) in enumerate(chunks):
        args: list[Any] = [layer + 1, int(bar_number), int(chunk_channel), part, len(chunks)]
        for position, note, velocity in chunk:
            args += [round(float(position), 4), int(note), int(velocity)]
        out.append((f"{PREFIX}/plan", args))
    return out


def _chunks(channel: int, notes: Sequence[Note], channels: Sequence[int] | None) -> list[tuple[int, list[Note]]]:
    """``(channel, notes)`` of each datagram: at most :data:`NOTES_PER_DATAGRAM` playable notes of one channel
    each. Raises ``ValueError`` for a channel outside 1..16."""
    groups: dict[int, list[Note]] = {}
    for k, note in enumerate(notes):
        ch = int(channel if channels is None else channels[k])
        if not 1 <= ch <= 16:
            raise ValueError(f"a plan's channel must be 1..16, not {ch}")
        if playable([note]):
            groups.setdefault(ch, []).append(note)
    if not 1 <= channel <= 16:
        raise ValueError(f"a plan's channel must be 1..16, not {channel}")
    size = NOTES_PER_DATAGRAM
    chunks = [(ch, group[i : i + size]) for ch, group in groups.items() for i in range(0, len(group), size)]
    return chunks or [(int(channel), [])]


def plan_notes(data: dict[str, Any]) -> Sequence[Note]:
    """The notes of a plan event's data (see :class:`~rvae_server.engine.api.EngineEvent`): given as ``notes``, or
    read from the plan's arrays (on the sending thread, only when someone subscribed)."""
    if "notes" in data:
        return data["notes"]  # type: ignore[no-any-return,unused-ignore]
    plan = data["plan"]
    base = int(data["bar_number"]) * TICKS
    return list(zip((plan.positions - base).tolist(), plan.notes.tolist(), plan.velocities.tolist(), strict=True))


def plan_channels(data: dict[str, Any]) -> Sequence[int] | None:
    """Each note's channel in a plan event's data, or None when the whole bar plays on ``channel``."""
    if "notes" in data:
        return data.get("channels")  # type: ignore[no-any-return,unused-ignore]
    channels = getattr(data["plan"], "channels", None)
    return None if channels is None else channels.tolist()  # type: ignore[no-any-return,unused-ignore]


def datagram_count(data: dict[str, Any]) -> int:
    """How many ``/rvae/plan`` datagrams a plan event's data makes (what a subscriber's reply budget pays)."""
    channels = plan_channels(data)
    count = len(data["notes"]) if "notes" in data else len(data["plan"].positions)
    if channels is None:
        return max(1, -(-count // NOTES_PER_DATAGRAM))
    per = {int(c): list(channels).count(c) for c in set(channels)}
    return max(1, sum(-(-n // NOTES_PER_DATAGRAM) for n in per.values()))


def plan_datagrams(
    layer: int, bar_number: int, channel: int, notes: Sequence[Note], channels: Sequence[int] | None = None
) -> list[bytes]:
    """The bytes of :func:`plan_messages`, packed directly (a bar of 96 notes in ~40 µs instead of python-osc's
    ~1 ms, which the feedback thread would spend holding the GIL on every pad move)."""
    out = []
    address = _pad(f"{PREFIX}/plan".encode())
    for _, args in plan_messages(layer, bar_number, channel, notes, channels):
        count = (len(args) - 5) // 3
        tags = _pad(b",iiiii" + b"fii" * count)
        out.append(address + tags + struct.pack(">5i" + "fii" * count, *args))
    return out


def _pad(text: bytes) -> bytes:
    """An OSC string: NUL-terminated, padded to a multiple of 4 bytes."""
    return text + b"\x00" * (4 - len(text) % 4)


class PlanStream:
    """The latest plans per layer and bar, and who subscribed to which layer's plans (each destination with the
    socket that first asked for it, its owner). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: dict[tuple[int, int], dict[str, Any]] = {}
        self._subscribers: dict[Client, set[int]] = {}
        self._owners: dict[Client, Client | None] = {}

    def store(self, data: dict[str, Any]) -> bool:
        """Keep a plan event's data (see :class:`~rvae_server.engine.api.EngineEvent`); True if a subscriber wants
        its layer."""
        layer, bar = int(data["layer"]), int(data["bar_number"])
        with self._lock:
            self._latest[(layer, bar)] = data
            bars = sorted(b for k, b in self._latest if k == layer)
            for old in bars[:-KEEP_BARS]:
                del self._latest[(layer, old)]
            return any(layer in layers for layers in self._subscribers.values())

    def latest(self, layer: int, bar: int | None = None) -> list[dict[str, Any]]:
        """The kept plans of ``layer`` in bar order (only ``bar`` if given)."""
        with self._lock:
            return [d for (k, b), d in sorted(self._latest.items()) if k == layer and (bar is None or b == bar)]

    def subscribe(self, client: Client, layer: int, on: bool, owner: Client | None = None) -> None:
        """Send ``layer``'s plans to ``client`` (``on``), or stop — asked by the socket ``owner`` (None: the server
        itself). Raises ``ValueError`` naming the reason for a new destination beyond :data:`MAX_PER_HOST` or
        :data:`MAX_SUBSCRIBERS` (those subscribed stay), and for a stop asked by a socket that is neither the
        destination's owner nor the destination itself (as ``/rvae/feedback HOST 0`` removes only the sender's)."""
        with self._lock:
            layers = self._subscribers.get(client)
            if not on:
                if not layers or layer not in layers:
                    return
                if owner is not None and owner not in (self._owners.get(client), client):
                    raise ValueError(
                        f"the plans to {client[0]}:{client[1]} were asked for by another socket; only it (or "
                        f"port {client[1]} itself) may stop them"
                    )
                layers.discard(layer)
                if not layers:
                    del self._subscribers[client]
                    self._owners.pop(client, None)
                return
            if layers is None:
                on_host = sum(1 for c in self._subscribers if c[0] == client[0])
                if on_host >= MAX_PER_HOST or len(self._subscribers) >= MAX_SUBSCRIBERS:
                    raise ValueError(
                        f"too many plan subscribers ({on_host} on {client[0]}, {len(self._subscribers)} in all; at "
                        f"most {MAX_PER_HOST} a host, {MAX_SUBSCRIBERS} in all): stop one first (/rvae/plans 0 PORT)"
                    )
                layers = self._subscribers[client] = set()
                self._owners[client] = owner
            layers.add(layer)

    def subscribers(self, layer: int) -> list[Client]:
        with self._lock:
            return [client for client, layers in self._subscribers.items() if layer in layers]
