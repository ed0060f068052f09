"""Hardening, OSC (issue 11, items 9-10): feedback can never point the server at its own port, a remote client
cannot aim it at loopback, port 0 removes only what the sender registered, replies are rate-limited per client
(no 148x amplification), and what comes from the network is escaped before it is logged. A real UDP client."""

from __future__ import annotations

import logging
import socket
import threading
import time

from rvae_server.surfaces.osc.packets import build_message
from rvae_server.testing import OscClient
from tests.test_osc import errors, wait_for


def test_feedback_never_points_the_server_at_its_own_port(osc_rig):
    _, server, client, _ = osc_rig
    for host in ("127.0.0.1", "127.0.0.2"):
        got = client.ask("/rvae/feedback", host, server.port, until="/rvae/error")
        assert errors(got) and "own" in errors(got)[0][1], got
    assert server.clients == []
    server.handled = 0
    client.send("/rvae/state")  # (a legitimate request still works)
    assert wait_for(lambda: server.handled == 1)


def test_a_datagram_from_the_servers_own_address_is_dropped(osc_rig):
    """Even if the server's own feedback reached it (e.g. a configured client), it never answers itself."""
    _, server, _, _ = osc_rig
    before = server.errors
    server.handle_datagram(build_message("/rvae/state/layer", [1, "x", 0.5]), ("127.0.0.1", server.port))
    assert server.errors == before and server.feedback._queue.qsize() == 0


def test_port_0_removes_only_what_this_sender_registered(osc_rig):
    _, server, client, _ = osc_rig
    other = OscClient(server.port)  # another application on this machine (the Max patch, say)
    try:
        other.ask("/rvae/feedback", until="/rvae/state/json")
        client.ask("/rvae/feedback", until="/rvae/state/json")
        assert len(server.clients) == 2
        got = client.ask("/rvae/feedback", "127.0.0.1", 0, until="/rvae/feedback/removed")
        assert ("/rvae/feedback/removed", ["127.0.0.1", 1]) in got
        assert server.clients == [("127.0.0.1", other.port)]
    finally:
        other.close()


def test_a_remote_client_cannot_aim_feedback_at_loopback(osc_rig):
    _, server, _, _ = osc_rig
    server._allow = [__import__("ipaddress").ip_network("10.9.8.0/24")]
    replies = server.call("/rvae/feedback", ["127.0.0.1", 5353], ("10.9.8.7", 40000))
    assert replies and replies[0][0] == "/rvae/error" and "loopback" in replies[0][1][1], replies
    assert server.clients == []


def test_replies_are_rate_limited_per_client(osc_rig):
    """One 16-byte /rvae/state asks for ~24 datagrams: a flood of them must not be answered in full."""
    _, server, _, _ = osc_rig
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE: count what the server sends, not drops
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.5)
    received: list[int] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                data, _ = sock.recvfrom(65536)
            except TimeoutError:
                continue
            received.append(len(data))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    request = build_message("/rvae/state", [])
    per_request = len(server.call("/rvae/state", [], None))
    try:
        for _ in range(200):
            sock.sendto(request, ("127.0.0.1", server.port))
        wait_for(lambda: server.handled >= 200, 10)
        time.sleep(1.0)  # let what was sent arrive
    finally:
        stop.set()
        reader.join(2)
        sock.close()
    assert per_request >= 20
    full = 200 * per_request
    assert 0 < len(received) < full / 2, (len(received), full)
    assert getattr(server, "dropped_replies", 0) > 0


def test_network_text_is_escaped_before_it_is_logged(osc_rig, caplog):
    _, server, client, _ = osc_rig
    caplog.set_level(logging.INFO)
    forged = "/rvae/x\nINFO rvae_server: model 'evil' loaded\x1b[2J\x1b[31m"
    client.send(forged, 0.5)
    client.raw(build_message("/rvae/\x1b]0;title\x07", []))
    client.send("/rvae/model", "a\nforged")
    assert wait_for(lambda: server.errors >= 3)
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("rvae_server.surfaces.osc")]
    assert lines, caplog.records
    assert not [line for line in lines if "\n" in line or "\x1b" in line or "\x07" in line], lines
    assert any("\\x0aINFO rvae_server" in line for line in lines), lines
