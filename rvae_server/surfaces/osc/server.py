"""The OSC server: a UDP socket on the ``rvae-osc`` thread that validates datagrams and dispatches their messages
through the address table, with an allow-list for hosts beyond loopback; feedback goes out through its
:class:`~rvae_server.surfaces.osc.feedback.Feedback` part (:attr:`OscServer.feedback`, handed the bound socket).
Replies are rate-limited per client host (a small request never buys a flood:
:data:`~rvae_server.surfaces.osc.ratelimit.REPLY_BURST` datagrams, then
:data:`~rvae_server.surfaces.osc.ratelimit.REPLY_RATE` a second), a datagram from the server's own address is
dropped (it never talks to itself), and text from the network is escaped before it is logged."""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import sys
import threading
from collections.abc import Iterable
from typing import Any

from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_server import BlockingOSCUDPServer

from rvae_server.core.untrusted import printable
from rvae_server.engine.api import ControlError, EngineControl
from rvae_server.surfaces.osc.feedback import Feedback, static_clients
from rvae_server.surfaces.osc.packets import PacketError, parse_packet
from rvae_server.surfaces.osc.planstream import datagram_count
from rvae_server.surfaces.osc.ratelimit import REPLY_BURST, REPLY_RATE, RateLimitedLog, TokenBucket
from rvae_server.surfaces.osc.spec import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    PREFIX,
    Call,
    CaptureService,
    Client,
    Learner,
    OscArgError,
    TrainingService,
)
from rvae_server.surfaces.osc.table import lookup

log = logging.getLogger(__name__)

#: Largest datagram accepted (bytes); larger ones are refused with an error.
MAX_DATAGRAM = 16384
#: Receive buffer asked of the kernel (bytes).
RECEIVE_BUFFER = 1 << 20


class _UDPServer(BlockingOSCUDPServer):
    """python-osc's blocking server with our own datagram handling (validation, errors, allow-list)."""

    max_packet_size = 65536  # read whole datagrams, so an oversized one is seen (and refused) whole

    def __init__(self, address: tuple[str, int], dispatcher: Dispatcher, owner: OscServer) -> None:
        self.owner = owner
        super().__init__(address, dispatcher)

    def server_bind(self) -> None:
        # room for a burst of datagrams while the thread is busy (the kernel drops what does not fit)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        super().server_bind()

    def verify_request(self, request: Any, client_address: Any) -> bool:
        return self.owner.accept_from(client_address)

    def finish_request(self, request: Any, client_address: Any) -> None:
        self.owner.handle_datagram(request[0], client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.owner.ratelog(
            logging.ERROR, "OSC: unexpected error on a datagram from %s: %s", printable(client_address),
            printable(sys.exc_info()[1]),
        )  # fmt: skip


class OscServer:
    """The OSC control surface of one engine (:class:`~rvae_server.engine.api.EngineControl`). Use :func:`start_osc`.

    ``host``/``port`` (port 0: any free port; :attr:`port` is the bound one), ``allow`` (IPs or networks
    accepted besides loopback), ``clip_dirs`` (where ``/rvae/train`` may read), ``training`` and ``learner``
    (optional hooks; attach later with :meth:`attach_training` / :meth:`attach_learner`), ``feedback_clients``
    (``(ip, port)`` pairs that always get feedback).

    Its parts: the UDP socket (the ``rvae-osc`` thread receives on it) and :attr:`feedback`
    (:class:`~rvae_server.surfaces.osc.feedback.Feedback`: the feedback clients and the ``rvae-osc-feedback``
    thread, sending from the same socket). The handlers of the address table get the server itself
    (:class:`~rvae_server.surfaces.osc.spec.Host`); what they ask of the feedback clients is passed on."""

    def __init__(
        self,
        engine: EngineControl,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        allow: Iterable[str] = (),
        clip_dirs: Iterable[str | os.PathLike[str]] = (),
        training: TrainingService | None = None,
        learner: Learner | None = None,
        feedback_clients: Iterable[Client] = (),
    ) -> None:
        self.engine = engine
        self.ratelog = RateLimitedLog(log)
        self.training = training
        self.learner = learner
        self.capture: CaptureService | None = None  #: the capture service (attach with :meth:`attach_capture`)
        self.clip_dirs: list[str | os.PathLike[str]] = list(clip_dirs)
        self._allow = [ipaddress.ip_network(a.strip(), strict=False) for a in allow]
        configured = static_clients(feedback_clients)  # a bad address raises before the port is bound
        self._buckets: dict[str, TokenBucket] = {}
        self._reply_buckets: dict[str, TokenBucket] = {}
        self.dropped_replies = 0  #: reply datagrams not sent (a client asking faster than the reply rate)
        self.dropped_datagrams = 0
        self.errors = 0  #: error replies produced
        self.handled = 0  #: messages applied
        self._udp = _UDPServer((host, port), Dispatcher(), self)
        self.host = host
        self.port: int = self._udp.server_address[1]
        self.feedback = Feedback(engine, self._udp.socket, host, self.port, configured, self.ratelog)
        if not self._allow and not ipaddress.ip_address(host).is_loopback:
            log.warning(
                "OSC on %s:%d accepts only loopback clients: list the pad's address in osc-allow", host, self.port
            )
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        engine.add_listener(self.feedback.on_engine_event)
        if learner is not None:
            self._listen_learner(learner)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> OscServer:
        self._thread = threading.Thread(target=self._serve, name="rvae-osc", daemon=True)
        self._thread.start()
        self.feedback.start()
        log.info("OSC: listening on udp %s:%d", self.host, self.port)
        return self

    def _serve(self) -> None:
        self._udp.serve_forever(poll_interval=0.2)

    def close(self) -> None:
        """Stop both threads and close the socket. Idempotent."""
        if self._closed.is_set():
            return
        self._closed.set()
        if self._thread is not None:
            self._udp.shutdown()  # nothing more is received, so nothing more is replied
            self._thread.join(timeout=2.0)
        self.feedback.close()
        self._udp.server_close()

    def attach_training(self, service: TrainingService | None) -> None:
        self.training = service

    def attach_capture(self, service: CaptureService | None) -> None:
        self.capture = service

    def attach_learner(self, learner: Learner | None) -> None:
        self.learner = learner
        if learner is not None:
            self._listen_learner(learner)

    def _listen_learner(self, learner: Learner) -> None:
        add = getattr(learner, "add_listener", None)
        if add is not None:
            add(lambda b: self.feedback.learned(b.target, b.layer + 1, b.channel, b.cc))

    # ------------------------------------------------------------------ feedback (what the handlers and the daemon use)

    @property
    def clients(self) -> list[Client]:
        """The feedback clients: the configured ones, then those registered with ``/rvae/feedback``."""
        return self.feedback.clients

    def add_client(self, client: Client, owner: Client | None = None) -> None:
        """See :meth:`Feedback.add_client <rvae_server.surfaces.osc.feedback.Feedback.add_client>`."""
        self.feedback.add_client(client, owner)

    def remove_client(self, host: str, owner: Client | None = None) -> int:
        """See :meth:`Feedback.remove_client <rvae_server.surfaces.osc.feedback.Feedback.remove_client>`."""
        return self.feedback.remove_client(host, owner)

    def subscribe_plans(self, client: Client, layer: int, on: bool, owner: Client | None = None) -> None:
        """Subscribe ``client`` to ``layer``'s plans (or stop), as ``owner`` asks (:meth:`Feedback.subscribe_plans
        <rvae_server.surfaces.osc.feedback.Feedback.subscribe_plans>`; ``ValueError`` when refused). On
        subscribing, the plans kept so far go out at once, paid from ``owner``'s reply budget like any reply (none
        left: the next plan is the first it gets)."""
        self.feedback.subscribe_plans(client, layer, on, owner)
        if on:
            kept = self.engine.planned(layer)
            if owner is None or self._within_reply_rate(owner, sum(datagram_count(data) for data in kept)):
                self.feedback.send_kept_plans(client, kept)

    def train_progress(self, epoch: int, epochs: int, train_loss: float, val_loss: float | None) -> None:
        """Report one finished training epoch to feedback clients (``val_loss`` None → -1). Any thread."""
        self.feedback.train_progress(epoch, epochs, train_loss, val_loss)

    def train_report(self, model: str, report: dict[str, Any]) -> None:
        """The finished training's report (``/rvae/train/report``; see
        :meth:`Feedback.train_report <rvae_server.surfaces.osc.feedback.Feedback.train_report>`). Any thread."""
        self.feedback.train_report(model, report)

    def train_done(self, model: str, layers: Iterable[int]) -> None:
        """Training finished: ``model`` saved and swapped into ``layers`` (0-based). Any thread."""
        self.feedback.train_done(model, layers)

    def train_failed(self, reason: str) -> None:
        """Training failed or was cancelled; nothing changed. Any thread."""
        self.feedback.train_failed(reason)

    @property
    def dropped_feedback(self) -> int:
        """Feedback datagrams dropped because the sender's queue was full."""
        return self.feedback.dropped_feedback

    # ------------------------------------------------------------------ clients

    def allowed(self, host: str) -> bool:
        """True for loopback and for hosts in the allow-list."""
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return False
        return ip.is_loopback or any(ip in net for net in self._allow)

    def accept_from(self, client: Any) -> bool:
        if isinstance(client, tuple) and self.allowed(str(client[0])):
            return True
        self.dropped_datagrams += 1
        self.ratelog(logging.WARNING, "OSC: dropped a datagram from %s (not in osc-allow)", printable(client))
        return False

    # ------------------------------------------------------------------ receiving (the rvae-osc thread)

    def handle_datagram(self, data: bytes, client: Client) -> None:
        """Validate one datagram and apply its messages in order; every problem gets an error reply."""
        if self.feedback.is_own_address(client):  # its own feedback come back: never answered (no loop)
            self.dropped_datagrams += 1
            return
        if len(data) > MAX_DATAGRAM:
            self._error(client, "", f"datagram of {len(data)} bytes is larger than the {MAX_DATAGRAM} accepted")
            return
        try:
            messages = parse_packet(data)
        except PacketError as err:
            self._error(client, err.address, str(err))
            return
        except RecursionError:
            self._error(client, "", "bundles nested too deep")
            return
        for message in messages:
            replies = self.call(message.address, list(message.params), client)
            if replies:
                self._reply(client, replies)

    def call(self, address: str, args: list[Any], client: Client | None = None) -> list[tuple[str, list[Any]]]:
        """Handle one message as if it had arrived (any thread; the web page may use this too) and return the
        replies. Errors come back as ``/rvae/error`` replies and are logged (rate-limited)."""
        found = lookup(address)
        if found is None or found[1] >= self.engine.layer_count:
            if found is not None:
                reason = f"layer {found[1] + 1} does not exist (this server has {self.engine.layer_count})"
            else:
                reason = "unknown address" + (
                    " (OSC patterns are not supported)" if any(c in address for c in "*?[{") else ""
                )
            return self._error_reply(client, address, reason)
        entry, layer = found
        try:
            call = Call(address, layer, entry.convert(args), client)
            entry.handler(self, call)
        except (OscArgError, ControlError) as err:
            return self._error_reply(client, address, str(err))
        except OSError as err:  # what the system refused (a file name too long ...): its reason, not a bug
            return self._error_reply(client, address, f"{err.strerror or type(err).__name__}")
        except Exception as err:  # a handler's bug must never stop the server
            self.ratelog(logging.ERROR, "OSC %s: handler failed: %s", printable(address), printable(repr(err)))
            return self._error_reply(client, address, f"internal error: {type(err).__name__}")
        self.handled += 1
        return call.replies

    def _reply(self, client: Client, replies: list[tuple[str, list[Any]]]) -> None:
        """Queue replies to ``client``, within its reply rate (the rest are dropped and counted)."""
        if self._within_reply_rate(client, len(replies)):
            self.feedback.send_replies(client, replies)

    def _within_reply_rate(self, client: Client, count: int) -> bool:
        """Take ``count`` datagrams from ``client``'s reply budget (True), or count them dropped (False). A host on
        the network has one budget for all its ports; on loopback each sending socket has its own (a local fuzzer
        or a busy patch does not starve the other applications on the machine)."""
        key = f"{client[0]}:{client[1]}" if ipaddress.ip_address(client[0]).is_loopback else client[0]
        bucket = self._reply_buckets.get(key)
        if bucket is None:
            if len(self._reply_buckets) > 256:
                self._reply_buckets.clear()
            bucket = self._reply_buckets[key] = TokenBucket(REPLY_BURST, REPLY_RATE)
        if not bucket.take(count):
            self.dropped_replies += count
            self.ratelog(logging.WARNING, "OSC: %s asks faster than replies are sent; %d replies dropped so far",
                         _who(client), self.dropped_replies)  # fmt: skip
            return False
        return True

    def _error_reply(self, client: Client | None, address: str, reason: str) -> list[tuple[str, list[Any]]]:
        self.errors += 1
        self.ratelog(
            logging.WARNING, "OSC %s from %s: %s", printable(address) or "(unparsed datagram)", _who(client),
            printable(reason, 400),
        )  # fmt: skip
        if client is not None:
            bucket = self._buckets.get(client[0])
            if bucket is None:
                if len(self._buckets) > 256:
                    self._buckets.clear()
                bucket = self._buckets[client[0]] = TokenBucket()
            if not bucket.take():
                return []
        return [(f"{PREFIX}/error", [_printable(address), reason])]

    def _error(self, client: Client, address: str, reason: str) -> None:
        replies = self._error_reply(client, address, reason)
        if replies:
            self._reply(client, replies)


def _who(client: Client | None) -> str:
    return "local call" if client is None else f"{client[0]}:{client[1]}"


def _printable(text: str) -> str:
    return text[:200]


def start_osc(
    engine: EngineControl,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    allow: Iterable[str] = (),
    clip_dirs: Iterable[str | os.PathLike[str]] = (),
    training: TrainingService | None = None,
    learner: Learner | None = None,
    feedback_clients: Iterable[Client] = (),
) -> OscServer:
    """Bind and start the OSC server (see :class:`OscServer`). Raises ``OSError`` if the port is taken and
    ``ValueError`` for an ``allow`` entry or feedback client that is not an IP address/network."""
    return OscServer(
        engine,
        host=host,
        port=port,
        allow=allow,
        clip_dirs=clip_dirs,
        training=training,
        learner=learner,
        feedback_clients=feedback_clients,
    ).start()
