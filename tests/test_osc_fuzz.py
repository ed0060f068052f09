"""Thousands of random and mutated datagrams at a running server (loopback only) while the engine plays: the
server must keep answering ``/rvae/state``, never hit an internal error, and the player must keep time (a loose
bound here; ``benchmarks/bench_osc.py`` measures the figures)."""

from __future__ import annotations

import logging
import random
import socket
import struct
import sys
import time

import numpy as np
import pytest
from pythonosc.osc_message import OscMessage

from rvae_server.engine.clock import InternalClock
from rvae_server.engine.engine import Engine
from rvae_server.surfaces.osc.packets import build_message
from rvae_server.surfaces.osc.server import MAX_DATAGRAM, start_osc
from rvae_server.surfaces.osc.table import ADDRESSES
from rvae_server.testing import Recorder, SyntheticModel

DATAGRAMS = 6000
TIME_LIMIT = 20.0
#: Addresses the fuzzer does not send intact: they would stop the music the test measures.
SPARED = {"/rvae/stop", "/rvae/play", "/rvae/bpm"}

VALUES = [
    0, 1, -1, 7, 2**31 - 1, -(2**31), 0.5, -0.0, 1.5, 1e30, -1e30, float("nan"), float("inf"), float("-inf"),
    "", "kick", "a", "model", "fixed", "../../etc", "x" * 300, "ünïcödé", "/rvae/x", True, False,
]  # fmt: skip


def random_message(rng: random.Random) -> bytes:
    entries = [e for e in ADDRESSES if e.address not in SPARED]
    entry = rng.choice(entries)
    address = entry.address if rng.random() < 0.6 else f"/rvae/layer/{rng.randint(0, 10)}/{entry.verb}"
    n = len(entry.args) if rng.random() < 0.5 else rng.randint(0, 4)
    args = [rng.choice(VALUES) for _ in range(n)]
    try:
        return build_message(address, args)
    except Exception:
        return build_message(address, [])


def mutate(data: bytes, rng: random.Random) -> bytes:
    raw = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(6)
        if kind == 0 and raw:
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        elif kind == 1:
            del raw[rng.randrange(len(raw) + 1) :]
        elif kind == 2:
            pos = rng.randrange(len(raw) + 1)
            raw[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif kind == 3 and raw:
            pos = rng.randrange(len(raw))
            raw[pos] = raw[pos] ^ 0x80  # break UTF-8 / signs
        elif kind == 4:
            raw = bytearray(raw.replace(b",", b",s" if rng.random() < 0.5 else b",b", 1))
        else:
            raw += raw[: rng.randint(0, 16)]
    return bytes(raw)


def bundle(parts: list[bytes], rng: random.Random) -> bytes:
    body = b"".join(struct.pack(">i", len(p) if rng.random() < 0.9 else rng.randint(-8, 2000)) + p for p in parts)
    timetag = struct.pack(">Q", rng.choice([1, 0, 2**64 - 1, int((time.time() + 2208988800 + 5) * 2**32)]))
    return b"#bundle\x00" + timetag + body


def datagrams(rng: random.Random):
    while True:
        roll = rng.random()
        if roll < 0.35:
            yield random_message(rng)
        elif roll < 0.75:
            yield mutate(random_message(rng), rng)
        elif roll < 0.85:
            yield bytes(rng.randrange(256) for _ in range(rng.randint(0, 64)))
        elif roll < 0.95:
            yield bundle([random_message(rng) for _ in range(rng.randint(0, 5))], rng)
        elif roll < 0.98:
            inner = bundle([random_message(rng)], rng)
            for _ in range(rng.randint(1, 12)):
                inner = bundle([inner], rng)
            yield inner
        else:
            yield b"/rvae/x\x00" + b"\x00" * rng.choice([MAX_DATAGRAM, 3 * MAX_DATAGRAM // 2])


def ask_state(sock: socket.socket, port: int) -> dict | None:
    sock.sendto(build_message("/rvae/state", []), ("127.0.0.1", port))
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        try:
            data, _ = sock.recvfrom(65536)
        except TimeoutError:
            continue
        try:
            msg = OscMessage(data)
        except Exception:
            continue
        if msg.address == "/rvae/state/json":
            import json

            return json.loads(msg.params[0])
    return None


@pytest.mark.parametrize("seed", [1, 2])
def test_the_server_survives_a_storm_and_keeps_time(seed, caplog):
    caplog.set_level(logging.WARNING)
    switch = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)  # as the daemon runs
    clock = InternalClock(bpm=240.0)
    recorder = Recorder()
    engine = Engine(
        {"a": SyntheticModel("a"), "b": SyntheticModel("b")}, clock, [recorder], default_model="a", layers=2
    )
    engine.start()
    server = start_osc(engine, port=0)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    try:
        engine.update(0, x=0.9, y=0.9)
        engine.play()
        time.sleep(0.2)
        generation = clock.generation
        rng = random.Random(seed)
        start = time.monotonic()
        sent = 0
        for data in datagrams(rng):
            sock.sendto(data[:65000], ("127.0.0.1", server.port))
            sent += 1
            if sent % 200 == 0:
                time.sleep(0.01)  # ~10-20k datagrams/s in bursts; the kernel keeps what fits
            if sent >= DATAGRAMS or time.monotonic() - start > TIME_LIMIT:
                break
        snapshot = None
        for _ in range(3):
            snapshot = ask_state(sock, server.port)
            if snapshot is not None:
                break
        assert snapshot is not None, "the server no longer answers /rvae/state"
        assert sent >= 1000
        assert server.handled + server.errors >= sent // 2  # most datagrams were looked at
        internal = [r.message for r in caplog.records if "internal error" in r.message or "handler failed" in r.message]
        internal += [r.message for r in caplog.records if "unexpected error" in r.message]
        assert not internal, internal[:5]
        # the music kept going and kept its place: no clock jump, notes during and after the storm, and on time
        # again once the storm is over. (During the storm, notes the planner re-plans behind the player's cursor
        # are sent late by design, and this 2-core machine is shared: only a loose bound; the bench measures.)
        assert clock.running and clock.generation == generation
        during = np.array(engine.lateness)
        assert during.size > 50 and np.median(during) < 0.1
        # On a busy machine the server may still be working through the storm's backlog in the socket buffer:
        # wait until it has looked at everything, or those datagrams would undo the reset below.
        settle = time.monotonic() + 20.0
        seen = -1
        while server.handled + server.errors != seen and time.monotonic() < settle:
            seen = server.handled + server.errors
            time.sleep(0.3)
        engine.set_bpm(240.0)  # the storm may have left the tempo at its slowest
        for layer in (0, 1):  # ... and the layers anywhere (muted, silent, swung, moving): make them play again
            engine.restore_performance(layer, {})  # no motion, swing, density, gesture loop or follow
            engine.update(layer, x=0.9, y=0.9, threshold=0.5, mutes=[False] * 9, enabled=True, model="a")
        time.sleep(0.3)
        figures = []
        for _ in range(3):  # a window on time once the storm is over (other processes share this machine)
            mark = len(engine.lateness)
            time.sleep(1.0)
            after = np.array(engine.lateness[mark:])
            assert after.size > 50, engine.snapshot()
            figures.append((float(np.median(after)), float(np.percentile(after, 90))))
            if figures[-1][0] < 0.003 and figures[-1][1] < 0.015:
                break
        else:
            pytest.fail(f"lateness (median, p90) after the storm stays high: {figures}")
    finally:
        sock.close()
        server.close()
        engine.close()
        clock.close()
        sys.setswitchinterval(switch)
