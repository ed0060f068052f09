"""Hardening, round 2 (issue 24, item 6): the plan stream cannot be abused. The plans sent on subscribing go through
the reply rate limit of the socket that asked; subscribers are bounded per host and in all, and those already
there are never crowded out by new ones; ``/rvae/plans 0 PORT`` stops only what the asking socket subscribed (or
the destination itself), as ``/rvae/feedback HOST 0`` does. A real OSC server over UDP on loopback."""

from __future__ import annotations

import socket
import time

from rvae_server.surfaces.osc.planstream import MAX_PER_HOST, MAX_SUBSCRIBERS, NOTES_PER_DATAGRAM, plan_notes
from rvae_server.surfaces.osc.ratelimit import REPLY_BURST, REPLY_RATE
from rvae_server.testing import OscClient


def received(sock: socket.socket, seconds: float) -> int:
    sock.settimeout(0.05)
    count, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            sock.recvfrom(65536)
            count += 1
        except TimeoutError:
            pass
    return count


def plans_arrive(client: OscClient, engine) -> bool:
    client.drain()
    engine.update(0, x=0.8, y=0.3, threshold=0.3)
    engine.update(0, x=0.1, y=0.9)  # a pad move: a new plan for every subscriber of layer 1
    return any(address == "/rvae/plan" for address, _ in client.receive(1.0, quiet=None))


def test_plans_sent_on_subscribing_go_through_the_reply_rate_limit(osc_rig):
    engine, server, client, _ = osc_rig
    engine.update(0, x=0.9, y=0.9, threshold=0.05)  # busy bars: several datagrams a plan
    time.sleep(0.3)
    kept = sum(-(-len(plan_notes(d)) // NOTES_PER_DATAGRAM) for d in engine.planned(0))
    assert kept >= 2
    victim = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    victim.bind(("127.0.0.1", 0))
    port = victim.getsockname()[1]
    start = time.monotonic()
    for _ in range(2000):  # 2000 small requests, from one socket, aimed at another port of this host
        client.send("/rvae/plans", 1, port)
    got = received(victim, 2.0)
    elapsed = time.monotonic() - start
    victim.close()
    changes = 20 * elapsed  # the plans of the bars planned meanwhile (300 BPM: a bar every 0.8 s), generously
    assert got <= REPLY_BURST + REPLY_RATE * elapsed + changes, (got, elapsed, kept)
    assert server.dropped_replies > 0


def test_many_subscribing_ports_never_crowd_out_a_subscriber(osc_rig):
    engine, server, client, _ = osc_rig
    client.send("/rvae/plans", 1)
    assert ("/rvae/plans/subscribed", [1, client.port, 1]) in client.receive(1.0, until="/rvae/plans/subscribed")
    attacker = OscClient(server.port)
    sockets = []
    try:
        for port in range(20000, 21000):  # 1,000 ports from one socket ...
            attacker.send("/rvae/plans", 1, port)
        for _ in range(200):  # ... and 200 sockets subscribing themselves
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind(("127.0.0.1", 0))
            sock.sendto(b"/rvae/plans\x00,i\x00\x00\x00\x00\x00\x01", ("127.0.0.1", server.port))
            sockets.append(sock)
        time.sleep(0.5)
        subscribers = server.feedback.plans.subscribers(0)
        assert client.server[0] == "127.0.0.1" and ("127.0.0.1", client.port) in subscribers
        assert len(subscribers) <= MAX_PER_HOST <= MAX_SUBSCRIBERS
        errors = [args for address, args in attacker.receive(1.0) if address == "/rvae/error"]
        assert errors and "too many" in errors[0][1]
        assert plans_arrive(client, engine)
    finally:
        attacker.close()
        for sock in sockets:
            sock.close()


def test_only_the_socket_that_subscribed_may_stop_the_plans(osc_rig):
    engine, server, client, _ = osc_rig
    device = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # the device's receiving port
    device.bind(("127.0.0.1", 0))
    port = device.getsockname()[1]
    try:
        client.send("/rvae/plans", 1, port)  # the device's sending socket subscribes its receiving port
        client.receive(0.5, until="/rvae/plans/subscribed")
        other = OscClient(server.port)
        try:
            reply = other.ask("/rvae/plans", 0, port, until="/rvae/error")
            assert reply and reply[-1][0] == "/rvae/error" and "another socket" in reply[-1][1][1], reply
        finally:
            other.close()
        assert ("127.0.0.1", port) in server.feedback.plans.subscribers(0)
        received(device, 0.2)
        engine.update(0, x=0.8, y=0.3, threshold=0.3)
        engine.update(0, x=0.1, y=0.9)
        assert received(device, 1.0) > 0  # still streaming
        client.send("/rvae/plans", 0, port)  # the socket that subscribed stops it
        assert ("/rvae/plans/subscribed", [1, port, 0]) in client.receive(1.0, until="/rvae/plans/subscribed")
        assert ("127.0.0.1", port) not in server.feedback.plans.subscribers(0)
    finally:
        device.close()
