"""Feedback: the ``/rvae/state/...`` and ``/rvae/bar`` messages, and :class:`Feedback`, the part of the OSC server
that keeps the feedback clients and runs the thread that sends replies and broadcasts to them."""

from __future__ import annotations

import ipaddress
import logging
import math
import queue
import socket
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from rvae_server.core.bar import INSTRUMENT_NAMES, Bar
from rvae_server.engine.api import EngineControl, EngineEvent
from rvae_server.model.trainreport import report_float, report_int
from rvae_server.surfaces.osc.packets import build_message
from rvae_server.surfaces.osc.planstream import PlanStream, plan_channels, plan_datagrams, plan_notes
from rvae_server.surfaces.osc.ratelimit import RateLimitedLog
from rvae_server.surfaces.osc.spec import PREFIX, Client

log = logging.getLogger(__name__)

#: Most feedback clients (configured + registered).
MAX_CLIENTS = 16
#: Feedback queue length; when full, feedback is dropped (and counted), never waited for.
QUEUE_SIZE = 4096
#: State changes are broadcast at most this often (s); an XY drag at 200 Hz sends ~33 updates a second.
STATE_INTERVAL = 0.03
#: Changed plans (``/rvae/plan``) are sent at most this often (s): a pad drag at 200 Hz sends ~100 a second.
PLAN_INTERVAL = 0.01


def state_messages(snapshot: dict[str, Any], layers: Iterable[int] | None) -> list[tuple[str, list[Any]]]:
    """The flat ``/rvae/state/...`` messages of a snapshot: global fields when ``layers`` is None (all layers
    then too), else only those layers (0-based)."""
    out: list[tuple[str, list[Any]]] = []
    layers_given = layers
    if layers is None:
        out.append((f"{PREFIX}/state/bpm", [float(snapshot["bpm"])]))
        out.append((f"{PREFIX}/state/playing", [1 if snapshot["playing"] else 0]))
        out.append((f"{PREFIX}/state/models", list(snapshot["models"])))
        layers = range(len(snapshot["layers"]))
    address = f"{PREFIX}/state/layer"
    for k in layers:
        s = snapshot["layers"][k]
        n = k + 1
        for key in ("x", "y", "threshold", "noise", "timing"):
            out.append((address, [n, key, float(s[key])]))
        out.append((address, [n, "model", str(s["model"])]))
        out.append((address, [n, "velocity", str(s["velocity_mode"]), int(s["fixed_velocity"])]))
        out.append((address, [n, "channel", int(s["channel"])]))
        out.append((address, [n, "enabled", 1 if s["enabled"] else 0]))
        out.append((address, [n, "mutes", *(1 if s["mutes"][name] else 0 for name in INSTRUMENT_NAMES)]))
        if "xy_now" in s:  # motion and shaping (the engine's snapshot holds them for each layer)
            out.append((address, [n, "xy_now", *(float(v) for v in s["xy_now"])]))
            out.append((address, [n, "swing", float(s["swing"]["amount"]), int(s["swing"]["unit"])]))
            out.append((address, [n, "gesture", str(s["gesture"]["state"]), int(s["gesture"]["bars"])]))
            out.append((address, [n, "follow", 1 if s["follow"]["on"] else 0]))
            out.append((address, [n, "presets", *(1 if p else 0 for p in s["presets"])]))
    melody = snapshot.get("melody")
    if melody is not None and layers_given is None:
        out += melody_state_messages(melody)
    return out


def melody_state_messages(melody: dict[str, Any]) -> list[tuple[str, list[Any]]]:
    """``/rvae/state/melody field value`` for each field of the melody layer's state."""
    out: list[tuple[str, list[Any]]] = []
    for key in ("enabled", "layer", "channel", "octave", "scale_lock"):
        value = int(melody[key]) + (1 if key == "layer" else 0)
        out.append((f"{PREFIX}/state/melody", [key, value]))
    out.append((f"{PREFIX}/state/melody", ["key", short_key(str(melody["key"]))]))
    out.append((f"{PREFIX}/state/melody", ["family", str(melody["family"])]))
    for key in ("density", "temperature"):
        out.append((f"{PREFIX}/state/melody", [key, float(melody[key])]))
    return out


def short_key(name: str) -> str:
    """A key's short name, one word for Max menus: ``"A minor"`` → ``"Am"``, ``"Eb major"`` → ``"Eb"``."""
    letter, _, mode = name.partition(" ")
    return letter + ("m" if mode == "minor" else "")


def melody_messages(data: dict[str, Any]) -> list[tuple[str, list[Any]]]:
    """``/rvae/melody bar key family`` and ``/rvae/melody/notes`` of a melody bar that starts."""
    notes = [int(v) for note in data["notes"] for v in note]
    return [
        (f"{PREFIX}/melody", [int(data["bar_number"]), short_key(str(data["key"])), str(data["family"])]),
        (f"{PREFIX}/melody/notes", notes),
    ]


def bar_messages(layer: int, bar_number: int, model: str, bar: Bar) -> list[tuple[str, list[Any]]]:
    """``/rvae/bar`` and the nine ``/rvae/bar/row`` messages of one bar (layer 0-based here, 1-based sent)."""
    velocities = np.rint(bar.velocities * 127.0).astype(np.int64) * (bar.onsets > 0)
    rows = velocities.T.tolist()  # (9, 96)
    out: list[tuple[str, list[Any]]] = [(f"{PREFIX}/bar", [layer + 1, int(bar_number), model])]
    out += [(f"{PREFIX}/bar/row", [layer + 1, inst, *row]) for inst, row in enumerate(rows)]
    return out


def static_clients(pairs: Iterable[tuple[str, int]]) -> set[Client]:
    """The configured feedback clients as ``(ip, port)``; raises ``ValueError`` for a host that is not an IP address."""
    return {(str(ipaddress.ip_address(h)), int(p)) for h, p in pairs}


class Feedback:
    """The sending part of the OSC surface: feedback clients, and the ``rvae-osc-feedback`` thread that sends
    replies, bars, state changes and training progress from a bounded queue (see the package docstring,
    "Feedback routing"). Producers on any thread only enqueue; a full queue drops and counts.

    :class:`~rvae_server.surfaces.osc.server.OscServer` holds one and hands it what it sends with: ``sock`` (the
    server's bound socket, so replies come from its port) and ``host``/``port`` (the server's own address, where
    feedback never goes). ``clients``: the configured ones (:func:`static_clients`); those feedback may not go to
    are dropped with a warning. Call :meth:`on_engine_event` from the engine's listeners."""

    def __init__(
        self,
        engine: EngineControl,
        sock: socket.socket,
        host: str,
        port: int,
        clients: Iterable[Client],
        ratelog: RateLimitedLog,
    ) -> None:
        self.engine = engine
        self.sock = sock
        self.host = host
        self.port = port
        self.ratelog = ratelog
        self._clients: list[Client] = []
        self._owners: dict[Client, Client | None] = {}  # registered client → the sender that registered it
        self._static_clients: set[Client] = set()
        for client in sorted(clients):
            reason = self.feedback_refusal(client, None)
            if reason is None:
                self._static_clients.add(client)
            else:
                log.warning("OSC: osc-feedback %s:%d ignored: %s", client[0], client[1], reason)
        self._clients_lock = threading.Lock()
        self._queue: queue.Queue[tuple[Any, ...]] = queue.Queue(QUEUE_SIZE)
        self._pending_state: set[int | None] = set()  # state markers queued and not yet read by the sender
        self.dropped_feedback = 0
        self.plans = PlanStream()  # /rvae/plan: the planned bars, to the clients that subscribed
        self._pending_plans: set[tuple[int, int]] = set()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start the ``rvae-osc-feedback`` thread."""
        self._thread = threading.Thread(target=self._send_loop, name="rvae-osc-feedback", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the sender thread (what is queued before the stop is sent first). Never blocks forever."""
        thread = self._thread
        if thread is None:
            return
        while True:  # make room for the quit marker (the sender drains meanwhile)
            try:
                self._queue.put(("quit",), timeout=0.1)
                break
            except queue.Full:
                if not thread.is_alive():
                    break
        thread.join(timeout=2.0)

    # ------------------------------------------------------------------ clients

    def is_own_address(self, client: Client) -> bool:
        """Whether ``client`` is this server's own socket (feedback there would make it talk to itself)."""
        if not self.port or int(client[1]) != self.port:
            return False
        try:
            ip, bound = ipaddress.ip_address(client[0]), ipaddress.ip_address(self.host)
        except ValueError:
            return False
        return ip == bound or ip.is_loopback or bound.is_unspecified

    def feedback_refusal(self, client: Client, owner: Client | None) -> str | None:
        """Why feedback may not go to ``client`` when ``owner`` (None: the configuration) asks, or None."""
        try:
            ip = ipaddress.ip_address(client[0])
        except ValueError:
            return f"{client[0]!r} is not an IP address"
        if not 1 <= int(client[1]) <= 65535:
            return f"port {client[1]} cannot receive feedback"
        if self.is_own_address(client):
            return f"{client[0]}:{client[1]} is this server's own OSC port; feedback there would loop"
        if ip.is_unspecified or ip.is_multicast or str(ip) == "255.255.255.255":
            return f"{client[0]} is not one client's address"
        if owner is not None and ip.is_loopback and not ipaddress.ip_address(owner[0]).is_loopback:
            return "only a client on this machine may register a loopback address"
        return None

    def add_client(self, client: Client, owner: Client | None = None) -> None:
        """Send feedback to ``client`` (registered by ``owner``, the sender asking; None: the server itself).
        Raises ``ValueError`` naming the reason for a destination that is refused (:meth:`feedback_refusal`)."""
        reason = self.feedback_refusal(client, owner)
        if reason is not None:
            raise ValueError(reason)
        with self._clients_lock:
            if client in self._clients or client in self._static_clients:
                return
            self._clients.append(client)
            self._owners[client] = owner
            if len(self._clients) + len(self._static_clients) > MAX_CLIENTS:
                dropped = self._clients.pop(0)
                self._owners.pop(dropped, None)
                log.info("OSC: too many feedback clients; dropped %s:%d", *dropped)
        log.info("OSC: feedback to %s:%d", *client)

    def remove_client(self, host: str, owner: Client | None = None) -> int:
        """Stop feedback to ``host``'s clients — only those ``owner`` registered, when given. Returns how many."""
        with self._clients_lock:
            gone = [c for c in self._clients if c[0] == host and (owner is None or self._owners.get(c) == owner)]
            self._clients = [c for c in self._clients if c not in gone]
            for c in gone:
                self._owners.pop(c, None)
            return len(gone)

    @property
    def clients(self) -> list[Client]:
        with self._clients_lock:
            return sorted(self._static_clients) + list(self._clients)

    # ------------------------------------------------------------------ feedback in (any thread; never blocks)

    def _put(self, item: tuple[Any, ...]) -> None:
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped_feedback += 1
            self.ratelog(logging.WARNING, "OSC: feedback queue full; dropped %d so far", self.dropped_feedback)

    def send_replies(self, client: Client, replies: list[tuple[str, list[Any]]]) -> None:
        """Send ``replies`` to ``client`` and the feedback clients on its host (the server rate-limits first)."""
        self._put(("reply", client, replies))

    def learned(self, target: str, layer: int, channel: int, cc: int) -> None:
        """MIDI learn mapped ``target`` of ``layer`` (1-based) to ``cc`` on ``channel``: ``/rvae/learned``."""
        self._put(("learned", target, layer, channel, cc))

    def on_engine_event(self, event: EngineEvent) -> None:
        """Engine listener (on the planner or a control thread): enqueue only."""
        if event.kind == "plan":
            plan_key = (int(event.data["layer"]), int(event.data["bar_number"]))
            if self.plans.store(event.data) and plan_key not in self._pending_plans:
                self._pending_plans.add(plan_key)  # the sender reads the latest plan of that bar when it sends
                self._put(("plan", *plan_key))
            return
        if not (self._clients or self._static_clients):
            return  # nobody to tell: not even a wake-up of the sender thread
        if event.kind == "bar":
            self._put(("bar", event.data["layer"], event.data["bar_number"], event.data["bar"]))
            return
        if event.kind == "melody":
            for address, args in melody_messages(event.data):
                self._put(("broadcast", address, args))
            return
        key = event.data.get("layer") if event.kind == "state" else None
        if key in self._pending_state:  # already on its way: the sender reads the state when it sends
            return
        self._pending_state.add(key)
        self._put(("state", key))

    def subscribe_plans(self, client: Client, layer: int, on: bool, owner: Client | None = None) -> None:
        """Send (or stop sending) ``layer``'s planned bars to ``client``, as the socket ``owner`` asks; raises
        ``ValueError`` when refused (:meth:`PlanStream.subscribe
        <rvae_server.surfaces.osc.planstream.PlanStream.subscribe>`)."""
        self.plans.subscribe(client, layer, on, owner)

    def send_kept_plans(self, client: Client, plans: Sequence[dict[str, Any]]) -> None:
        """Send ``client`` the plans the engine held for a layer (``engine.planned(layer)``: the bar playing and the
        next one): what a new subscriber gets at once — the very plans the server charged to the asking socket's
        reply budget."""
        self._put(("plans-to", client, list(plans)))

    def train_progress(self, epoch: int, epochs: int, train_loss: float, val_loss: float | None) -> None:
        """Report one finished training epoch to feedback clients (``val_loss`` None → -1)."""
        val = -1.0 if val_loss is None or not math.isfinite(val_loss) else float(val_loss)
        self._put(("broadcast", f"{PREFIX}/train/progress", [int(epoch), int(epochs), float(train_loss), val]))

    def train_report(self, model: str, report: dict[str, Any]) -> None:
        """The training report (:mod:`rvae_server.model.trainreport`): kept epoch, its validation loss and F1, the
        lowest validation loss and its epoch, the clips' F1 through the pad and the warning (-1, 0 or "" when
        unknown)."""

        def num(key: str) -> float:
            value = report_float(report.get(key))
            return value if math.isfinite(value) else -1.0

        def whole(key: str) -> int:
            return report_int(report.get(key))

        args = [str(model), whole("kept_epoch"), whole("epochs"), num("kept_val_loss"), num("kept_val_f1"),
                num("best_val_loss"), whole("best_val_loss_epoch"), num("train_f1"), num("validation_f1"),
                str(report.get("warning") or "")]  # fmt: skip
        self._put(("broadcast", f"{PREFIX}/train/report", args))

    def train_done(self, model: str, layers: Iterable[int]) -> None:
        """Training finished: ``model`` saved and swapped into ``layers`` (0-based)."""
        self._put(("broadcast", f"{PREFIX}/train/done", [str(model), *(int(k) + 1 for k in layers)]))

    def train_failed(self, reason: str) -> None:
        """Training failed or was cancelled; nothing changed."""
        self._put(("broadcast", f"{PREFIX}/train/failed", [str(reason)]))

    # ------------------------------------------------------------------ feedback out (the rvae-osc-feedback thread)

    def _send(self, dest: Client, address: str, args: Sequence[Any]) -> None:
        try:
            self.sock.sendto(build_message(address, args), dest)
        except OSError as err:
            self.ratelog(logging.WARNING, "OSC: cannot send %s to %s:%d: %s", address, dest[0], dest[1], err)
        except Exception as err:  # a value python-osc cannot encode
            self.ratelog(logging.ERROR, "OSC: cannot build %s: %r", address, err)

    def _send_plan(self, data: dict[str, Any], targets: Sequence[Client]) -> None:
        notes, channels = plan_notes(data), plan_channels(data)
        for datagram in plan_datagrams(data["layer"], data["bar_number"], data["channel"], notes, channels):
            for dest in targets:
                try:
                    self.sock.sendto(datagram, dest)
                except OSError as err:
                    self.ratelog(logging.WARNING, "OSC: cannot send /rvae/plan to %s:%d: %s", dest[0], dest[1], err)

    def _reply_targets(self, client: Client) -> list[Client]:
        return [client] + [c for c in self.clients if c[0] == client[0] and c != client]

    def _send_loop(self) -> None:
        dirty: set[int] = set()
        dirty_global = False
        last_state = 0.0
        plans: set[tuple[int, int]] = set()  # plans changed and not yet sent
        last_plans = 0.0
        while True:
            wait = None if not (dirty or dirty_global) else max(0.0, last_state + STATE_INTERVAL - time.monotonic())
            if plans:
                due = max(0.0, last_plans + PLAN_INTERVAL - time.monotonic())
                wait = due if wait is None else min(wait, due)
            try:
                item = self._queue.get(timeout=wait)
            except queue.Empty:
                item = ("flush",)
            kind = item[0]
            try:
                if kind == "quit":
                    return
                if kind == "reply":
                    targets = self._reply_targets(item[1])
                    for address, args in item[2]:
                        for dest in targets:
                            self._send(dest, address, args)
                    continue
                if kind == "plan":
                    self._pending_plans.discard((item[1], item[2]))
                    plans.add((item[1], item[2]))
                if plans and time.monotonic() - last_plans >= PLAN_INTERVAL:
                    for layer, bar in sorted(plans):  # the latest version of each changed plan
                        targets = self.plans.subscribers(layer)
                        for data in self.plans.latest(layer, bar) if targets else ():
                            self._send_plan(data, targets)
                    plans.clear()
                    last_plans = time.monotonic()
                if kind in ("plan", "flush") and not (dirty or dirty_global):
                    continue
                if kind == "plans-to":  # a new subscriber: the plans the engine held when it subscribed
                    for data in item[2]:
                        self._send_plan(data, [item[1]])
                    continue
                clients = self.clients
                if kind == "bar":
                    if clients:
                        _, layer, bar_number, bar = item
                        model = self.engine.state(layer).model
                        for address, args in bar_messages(layer, bar_number, model, bar):
                            for dest in clients:
                                self._send(dest, address, args)
                elif kind == "state":
                    self._pending_state.discard(item[1])
                    if item[1] is None:
                        dirty_global = True
                    else:
                        dirty.add(item[1])
                elif kind == "broadcast":
                    for dest in clients:
                        self._send(dest, item[1], item[2])
                elif kind == "learned":
                    for dest in clients:
                        self._send(dest, f"{PREFIX}/learned", list(item[1:]))
                if (dirty or dirty_global) and time.monotonic() - last_state >= STATE_INTERVAL:
                    if clients:
                        snapshot = self.engine.snapshot()
                        messages = state_messages(snapshot, None if dirty_global else sorted(dirty))
                        for address, args in messages:
                            for dest in clients:
                                self._send(dest, address, args)
                    dirty.clear()
                    dirty_global = False
                    last_state = time.monotonic()
            except Exception:
                self.ratelog(logging.ERROR, "OSC feedback failed on %s", kind)
                log.debug("OSC feedback failure", exc_info=True)
