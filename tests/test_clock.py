"""Clock sources: arithmetic with an injected time source, real waits, a real MIDI clock over JACK, and two
Link peers inside a private network namespace (loopback only)."""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rvae_server.engine.clock import (
    Clock,
    InternalClock,
    LinkClock,
    MidiClockFollower,
    MidiClockSender,
    Transport,
    fit_line,
    ticks_per_second,
)
from rvae_server.system.realtime import set_realtime_priority
from rvae_server.testing import Recorder
from tests.fixtures_jack import JackServer
from tests.fixtures_midi import ClockSource, stats_ms

ROOT = Path(__file__).resolve().parents[1]


class FakeTime:
    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


# -- internal clock: arithmetic -----------------------------------------------------------------------------
def test_internal_timeline_has_no_drift() -> None:
    now = FakeTime()
    clock = InternalClock(170.0, start_lead=0.0, now=now)
    clock.start()
    tps = ticks_per_second(170.0)
    for k in (0, 1, 96, 10_000, 96 * 170 * 5):  # up to ~5 minutes of bars at 170 BPM... and beyond
        assert clock.time_at(k) == pytest.approx(1000.0 + k / tps, abs=1e-9)
    now.t = 1000.0 + 300.0  # five minutes later: exactly 300 s x 68 ticks/s
    assert clock.position() == pytest.approx(300.0 * tps, abs=1e-6)


def test_tempo_change_keeps_position_continuous() -> None:
    now = FakeTime()
    clock = InternalClock(120.0, start_lead=0.0, now=now)
    events: list[tuple[Transport, float]] = []
    clock.on_transport(lambda e, p: events.append((e, p)))
    clock.start()
    now.t += 1.0  # 48 ticks at 120 BPM
    gen = clock.generation
    assert clock.position() == pytest.approx(48.0)
    clock.set_bpm(60.0)
    assert clock.position() == pytest.approx(48.0)
    assert clock.generation == gen + 1
    assert clock.time_at(48.0) == pytest.approx(now.t)
    now.t += 1.0  # 24 ticks at 60 BPM
    assert clock.position() == pytest.approx(72.0)
    assert clock.time_at(96.0) == pytest.approx(now.t + 1.0)
    assert [e for e, _ in events] == [Transport.START, Transport.TEMPO]
    with pytest.raises(ValueError, match="BPM"):
        clock.set_bpm(0.0)


def test_stop_holds_and_continue_resumes() -> None:
    now = FakeTime()
    clock = InternalClock(120.0, start_lead=0.01, now=now)
    clock.start()
    assert clock.position() == pytest.approx(-0.48)  # the start lead: tick 0 is 10 ms after start
    now.t += 0.51
    clock.stop()
    assert not clock.running
    now.t += 5.0
    assert clock.position() == pytest.approx(24.0)
    assert clock.time_at(30.0) == math.inf
    clock.continue_()
    now.t += 0.01 + 0.5
    assert clock.position() == pytest.approx(48.0)
    clock.locate(96.0)
    assert clock.position() == pytest.approx(96.0)


# -- waiting (real time) ------------------------------------------------------------------------------------
def test_wait_until_is_on_time_and_does_not_drift() -> None:
    clock = InternalClock(300.0)  # 120 ticks/s
    late: list[float] = []
    moved: list[int] = []

    def clock_thread() -> None:  # as the engine runs it: its own thread, real-time priority where permitted
        set_realtime_priority()
        t0 = clock.time_at(0.0)
        for k in range(240):
            assert clock.wait_until(k)
            late.append(time.perf_counter() - clock.time_at(k))
            if abs(clock.time_at(k) - (t0 + k / 120.0)) > 1e-9:  # the schedule never moves
                moved.append(k)

    clock.start()
    thread = threading.Thread(target=clock_thread)
    thread.start()
    thread.join()
    clock.close()
    s = stats_ms(late)
    assert len(late) == 240 and not moved
    assert min(late) >= 0.0
    # loose bounds: this must pass on a loaded shared VM too (CPU steal stalls even real-time threads);
    # the tight figures (p99, max) are measured by benchmarks/bench_clock.py
    assert s["median"] < 1.0, s
    assert sorted(late)[int(0.9 * len(late))] < 0.005, s
    # no drift: the last ticks are not later than the first ones
    assert abs(sum(late[-60:]) / 60 - sum(late[:60]) / 60) < 1e-3


def test_wait_until_without_spin_sleeps_to_the_deadline_never_before() -> None:
    """``spin=False`` (the engine's own player when a player process sends the MIDI): never early, on time within
    the loose bound a loaded machine allows, and woken by an interrupt as the spinning wait is."""
    clock = InternalClock(300.0)
    clock.start()
    try:
        late = []
        for k in range(1, 25):
            assert clock.wait_until(k, spin=False)
            late.append(time.perf_counter() - clock.time_at(k))
        assert min(late) >= 0.0 and sorted(late)[len(late) // 2] < 0.005, late
        token = clock.interrupts
        threading.Timer(0.05, clock.interrupt).start()
        assert not clock.wait_until(clock.position() + 120, spin=False, since=token)  # a second away: interrupted
    finally:
        clock.close()


def test_wait_until_wakes_early_on_interrupt_stop_and_tempo() -> None:
    clock = InternalClock(60.0)
    clock.start()
    results: list[bool] = []

    def waiter() -> None:
        results.append(clock.wait_until(1000.0))

    for action in (clock.interrupt, lambda: clock.set_bpm(90.0), clock.stop):
        thread = threading.Thread(target=waiter)
        thread.start()
        time.sleep(0.05)
        t = time.perf_counter()
        action()
        thread.join(timeout=1.0)
        assert not thread.is_alive()
        assert time.perf_counter() - t < 0.05
    assert results == [False, False, False]
    assert clock.wait_until(0.0) is False  # stopped
    clock.start()
    t = time.perf_counter()
    assert clock.wait_until(1000.0, timeout=0.05) is False
    assert 0.04 < time.perf_counter() - t < 0.2
    assert clock.wait_until(-5.0) is True  # already passed
    clock.close()


# -- MIDI clock follower: arithmetic ------------------------------------------------------------------------
def test_fit_line() -> None:
    a, b = fit_line([0.0, 1.0, 2.0, 3.0], [1.0, 3.0, 5.0, 7.0])
    assert (a, b) == pytest.approx((1.0, 2.0))


def _feed_clocks(f: MidiClockFollower, now: FakeTime, n: int, period: float, jitter: float = 0.0) -> None:
    rng = random.Random(1)
    base = now.t
    for k in range(1, n + 1):
        now.t = base + k * period + rng.uniform(-jitter, jitter)
        f.feed([0xF8], now.t)


def test_follower_start_spp_continue_stop() -> None:
    now = FakeTime()
    f = MidiClockFollower(None, now=now)
    events: list[tuple[Transport, float]] = []
    f.on_transport(lambda e, p: events.append((e, p)))
    period = 60.0 / (125.0 * 24)
    _feed_clocks(f, now, 10, period)  # clock before Start: counted for tempo, no position
    assert not f.running and f.position() == 0.0
    f.feed([0xFA], now.t)
    assert f.running
    assert f.position() < 0.0  # before the first clock after Start
    _feed_clocks(f, now, 1, period)
    assert f.position() == pytest.approx(0.0)  # the first clock after Start is tick 0
    _feed_clocks(f, now, 95, period)
    assert f.position() == pytest.approx(95.0)
    now.t += 0.25 * period
    assert f.position() == pytest.approx(95.25)
    assert f.time_at(95.5) == pytest.approx(now.t + 0.25 * period)
    now.t += 10.0  # the input goes silent: the position holds below the next tick
    assert 95.99 < f.position() < 96.0
    f.feed([0xFC], now.t)
    assert not f.running and f.position() == 96.0
    f.feed([0xF2, 32, 1], now.t)  # SPP = 32 + 128 = 160 sixteenths = 960 ticks
    assert f.position() == 960.0
    f.feed([0xFB], now.t)
    _feed_clocks(f, now, 1, period)
    assert f.position() == pytest.approx(960.0)
    assert [e for e, _ in events] == [Transport.START, Transport.STOP, Transport.POSITION, Transport.CONTINUE]
    assert [p for _, p in events] == [0.0, 96.0, 960.0, 960.0]
    assert f.tempo_estimate() is None  # the 10 s silence restarted the fit
    _feed_clocks(f, now, 2, period)
    assert f.tempo_estimate() == pytest.approx(125.0, abs=1e-6)
    assert f.position() == pytest.approx(962.0)


def test_follower_least_squares_tempo_beats_jitter() -> None:
    now = FakeTime()
    f = MidiClockFollower(None, now=now)
    f.feed([0xFA], now.t)
    period = 60.0 / (170.0 * 24)
    _feed_clocks(f, now, 2 * 96, period, jitter=0.002)  # +-2 ms uniform jitter on every clock
    assert f.tempo_estimate() == pytest.approx(170.0, abs=0.1)
    assert f.bpm == pytest.approx(170.0, abs=0.1)
    # the fit extrapolates far ahead: a bar later within a few ms
    assert f.time_at(f.position() // 1 + 96) == pytest.approx(now.t + 96 * period, abs=0.004)
    # a gap longer than 4 periods restarts the fit
    now.t += 1.0
    _feed_clocks(f, now, 2, 60.0 / (100.0 * 24))
    assert f.tempo_estimate() is None
    _feed_clocks(f, now, 1, 60.0 / (100.0 * 24))
    assert f.tempo_estimate() == pytest.approx(100.0, abs=1e-6)


def test_follower_wakes_on_arrival() -> None:
    f = MidiClockFollower(None)
    f.feed([0xFA], time.perf_counter())
    period = 0.01
    woke: list[float] = []
    sent: list[float] = []

    def waiter() -> None:
        set_realtime_priority()  # as the engine's clock thread runs
        for k in range(20):
            if f.wait_until(k, timeout=1.0):
                woke.append(time.perf_counter())
            if f.wait_until(k + 0.5, timeout=1.0):  # microtiming: half a tick after k
                woke.append(time.perf_counter())

    def feeder() -> None:
        set_realtime_priority()
        t0 = time.perf_counter() + 0.02
        for k in range(20):
            while time.perf_counter() < t0 + k * period:
                time.sleep(0.0005)
            sent.append(time.perf_counter())
            f.feed([0xF8], sent[-1])

    thread = threading.Thread(target=waiter)
    thread.start()
    feeding = threading.Thread(target=feeder)
    feeding.start()
    feeding.join(timeout=2.0)
    thread.join(timeout=2.0)
    f.close()
    assert len(woke) == 40
    on_tick = [w - s for w, s in zip(woke[0::2], sent, strict=True)]
    half = [w - s for w, s in zip(woke[1::2], sent, strict=True)]
    # loose bounds (the machine may be loaded); the tight figures are in benchmarks/bench_clock.py
    assert stats_ms(on_tick)["median"] < 2.0, stats_ms(on_tick)
    assert 4.5 < stats_ms(half[3:])["median"] < 7.0, [round(h * 1e3, 2) for h in half]


# -- MIDI clock over JACK -----------------------------------------------------------------------------------
def _follow_two_bars(src: ClockSource, follower: MidiClockFollower) -> tuple[float | None, int]:
    gen = follower.generation
    src.send([0xFA])
    assert follower.wait_for_change(gen, timeout=1.0) and follower.running
    src.start_clock(count=2 * 96 + 1)
    for k in range(2 * 96 + 1):
        if not follower.wait_until(k, timeout=1.0):
            break
    src.wait_clock()
    time.sleep(0.05)
    return follower.tempo_estimate(), math.floor(follower.position())  # the last tick received


def test_follower_on_jack(jack_server: JackServer) -> None:
    src = ClockSource("clk-src", bpm=133.0)
    follower = MidiClockFollower("clk-src", backend="jack", client_name="rvae-test")
    try:
        assert follower.port_name == "clk-src:out"
        # 2 bars + 1 clock = ticks 0..192. On a starved machine a JACK xrun can drop a clock on the way (the
        # position then shows fewer ticks) or delay a few by a period; that is the environment, not the
        # follower (its arithmetic is tested exactly above): measure up to 3 times.
        attempts = []
        for _attempt in range(3):
            estimate, position = _follow_two_bars(src, follower)
            attempts.append((estimate, position))
            if position == 192 and estimate is not None and abs(estimate - 133.0) < 0.1:
                break
            src.send([0xFC])
        assert position == 192, f"clocks lost in JACK in 3 attempts: {attempts}"
        assert estimate is not None and abs(estimate - 133.0) < 0.1, attempts
        events: list[tuple[Transport, float]] = []
        follower.on_transport(lambda e, p: events.append((e, p)))
        src.send([0xFC])
        src.spp(16)  # 16 sixteenths = 96 ticks = bar 1
        src.send([0xFB])
        src.start_clock(count=3)
        assert follower.wait_until(98, timeout=1.0)
        src.wait_clock()
        time.sleep(0.05)
        assert [e for e, _ in events] == [Transport.STOP, Transport.POSITION, Transport.CONTINUE]
        assert [p for _, p in events] == [193.0, 96.0, 96.0]
        assert follower.position() == pytest.approx(98.0, abs=1.0)
    finally:
        follower.close()
        src.close()


def test_clock_sender_on_jack(jack_server: JackServer) -> None:
    from rvae_server.outputs.midiout import open_output

    out = open_output(backend="jack", client_name="rvae-sender")
    rec = Recorder.jack("rvae-sender:rvae-sender", name="sender-rec")
    clock = InternalClock(170.0)
    sender = MidiClockSender(clock, out)
    try:
        clock.start()
        assert clock.wait_until(96.5)  # half a tick after the bar line (tick 96)
        clock.stop()
        msgs = rec.wait_for(3 + 97, clock=True)
        assert msgs[:2] == [b"\xf2\x00\x00", b"\xfa"]  # Song Position Pointer 0, then Start
        assert msgs[2:99] == [b"\xf8"] * 97
        assert msgs[99] == b"\xfc"
        assert len(msgs) == 100
        times = [t for t, m in rec.timed() if m == b"\xf8"]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert sum(gaps) / len(gaps) == pytest.approx(60.0 / (170.0 * 24), rel=0.01)
    finally:
        sender.close()
        out.close()
        rec.close()


# -- Ableton Link, in a private network namespace ----------------------------------------------------------------
def _link_child() -> None:
    """Runs inside ``unshare -n`` (loopback only): a LinkClock and a raw link.Link peer; prints JSON."""
    import link

    result: dict[str, object] = {}
    clock = LinkClock(120.0)
    peer = link.Link(120.0)
    peer.startStopSyncEnabled = True
    peer.enabled = True
    t = time.monotonic()
    while clock.peers == 0 and time.monotonic() - t < 5.0:
        time.sleep(0.01)
    result["discovery_s"] = time.monotonic() - t
    result["peers"] = clock.peers

    def wait(cond: object, timeout: float = 3.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if cond():  # type: ignore[operator]
                return True
            time.sleep(0.01)
        return False

    clock.set_bpm(133.0)
    result["peer_follows_tempo"] = wait(lambda: abs(peer.captureAppSessionState().tempo() - 133.0) < 1e-3)
    state = peer.captureAppSessionState()
    state.setTempo(97.0, peer.clock().micros())
    peer.commitAppSessionState(state)
    result["clock_follows_tempo"] = wait(lambda: abs(clock.bpm - 97.0) < 1e-3)
    clock.start()
    result["peer_plays"] = wait(lambda: peer.captureAppSessionState().isPlaying())
    result["clock_plays"] = wait(lambda: clock.running)
    time.sleep(0.2)
    diffs = []
    for _ in range(20):
        now_pc = time.perf_counter()
        _beat, phase = clock.beat_and_phase(now_pc)
        pos = clock.position()
        micros = peer.clock().micros()
        peer_phase = peer.captureAppSessionState().phaseAtTime(micros, 4.0)
        diffs.append(
            {
                "phase_diff": (phase - peer_phase + 2.0) % 4.0 - 2.0,
                "bar_phase_vs_position": ((pos / 24.0) % 4.0 - phase + 2.0) % 4.0 - 2.0,
            }
        )
        time.sleep(0.01)
    result["max_phase_diff_beats"] = max(abs(d["phase_diff"]) for d in diffs)
    result["max_position_phase_diff_beats"] = max(abs(d["bar_phase_vs_position"]) for d in diffs)
    t_next = clock.time_at(math.ceil(clock.position() / 96) * 96)  # the next bar line
    result["next_bar_in_s"] = t_next - time.perf_counter()
    ok = clock.wait_until(math.ceil(clock.position()) + 24, timeout=2.0)
    result["wait_until"] = ok
    state = peer.captureAppSessionState()
    state.setIsPlaying(False, peer.clock().micros())
    peer.commitAppSessionState(state)
    result["clock_stops"] = wait(lambda: not clock.running)
    clock.close()
    peer.enabled = False
    print(json.dumps(result))


def test_link_two_peers_in_private_namespace() -> None:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.fail("the Link test needs util-linux `unshare` and iproute2 `ip` (loopback-only namespace)")
    if os.geteuid() != 0:
        pytest.fail("the Link test needs root for `unshare -n` (a private network namespace)")
    code = "from tests.test_clock import _link_child; _link_child()"
    proc = subprocess.run(
        ["unshare", "-n", "sh", "-c", f'ip link set lo up && exec "{sys.executable}" -c "{code}"'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["peers"] == 1, result
    assert result["peer_follows_tempo"] and result["clock_follows_tempo"], result
    assert result["peer_plays"] and result["clock_plays"], result
    assert result["max_phase_diff_beats"] < 0.01, result
    assert result["max_position_phase_diff_beats"] < 0.01, result
    assert 0.0 < result["next_bar_in_s"] <= 4 * 60.0 / 97.0 + 0.01, result
    assert result["wait_until"] and result["clock_stops"], result


def test_clock_is_an_abc() -> None:
    with pytest.raises(TypeError):
        Clock()  # type: ignore[abstract]
