"""The player process (session/player): notes go out from an interpreter of their own, over real JACK ports.

A whole first bar after Start, Continue and a Song Position Pointer jump (a real MIDI clock master over JACK,
followed by the process itself), and after the internal clock's start; what the process says about itself; a
process killed while playing comes back with the plans and plays on.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest

from rvae_server.core.bar import OUTPUT_NOTES
from rvae_server.engine.clock import InternalClock, MidiClockFollower
from rvae_server.engine.clock.base import Clock
from rvae_server.engine.engine import Engine
from rvae_server.model.planes import DecodedPlanes
from rvae_server.session.player.proxy import ProcessPlayer
from rvae_server.session.player.wire import FollowSpec, PlayerSpec, PortSpec
from rvae_server.system.realtime import SWITCH_INTERVAL
from rvae_server.testing import CH, Recorder, SyntheticModel
from tests.fixtures_jack import JackServer
from tests.fixtures_midi import ClockSource

BPM = 100.0
PERIOD = 60.0 / (BPM * 24)  # seconds a tick
JACK_PERIOD = 256 / 48000
HAT = OUTPUT_NOTES[CH]


@dataclass
class Rig:
    engine: Engine
    player: ProcessPlayer
    recorder: Recorder
    clock: Clock
    jack: JackServer

    def xruns(self) -> int:
        return self.jack.driver_xruns() + self.jack.client_xruns()


def _rig(jack: JackServer, clock: Clock, name: str, follow: FollowSpec | None = None) -> Rig:
    engine = Engine({"hats": TickModel("hats", snare=False)}, clock, [], default_model="hats", layers=1)
    engine.update(0, x=0.9, y=-5.0)  # a closed hat on every tick, 0.1 tick early (the kick's probability ~0)
    spec = PlayerSpec(drums=PortSpec(client=name, backend="jack"), follow=follow, priority=10)
    player = ProcessPlayer(clock, spec).start()
    engine.add_plan_sink(player)
    engine.start()
    recorder = Recorder.jack(connect_to=f"{name}:{name}", name=f"{name}-rec")
    return Rig(engine, player, recorder, clock, jack)


def _close(rig: Rig) -> None:
    rig.engine.close()
    rig.player.close()
    rig.recorder.close()
    rig.clock.close()


def _is_hat(m: bytes) -> bool:
    return len(m) == 3 and m[0] & 0xF0 == 0x90 and m[1] == HAT and m[2] > 0


def _hats(recorder: Recorder) -> list[float]:
    return [t for t, m in recorder.timed() if _is_hat(m)]


class TickModel(SyntheticModel):
    """The synthetic model, its closed hat's velocity naming its tick (MIDI velocity tick + 1)."""

    def decode_latent(self, z: np.ndarray) -> DecodedPlanes:
        planes = super().decode_latent(z).planes.copy()
        planes[:, 1, :, CH] = (np.arange(96) + 1) / 127
        return DecodedPlanes(planes)


@pytest.fixture
def following(jack_server) -> Iterator[tuple[Rig, ClockSource]]:
    master = ClockSource("master", bpm=BPM)
    clock = MidiClockFollower("master", backend="jack", client_name="rvae-main", bpm_hint=BPM)
    rig = _rig(jack_server, clock, "rvae-pp", FollowSpec("master", "jack", BPM))
    try:
        yield rig, master
    finally:
        _close(rig)
        master.close()


def _first_bar_is_whole(rig: Rig, after: float, xruns: int) -> None:
    """The first hats after ``after`` (a Start or a Continue) are the bar's 96 ticks in order — each hat's velocity
    names its tick — so the downbeat's early hat was played, at its time or at the start, not dropped, and no hat
    twice. A JACK xrun drops events on the way (a loaded machine; jackd logs it): as many hats may be missing as
    xruns were logged since ``xruns`` (never the downbeat's)."""
    played = [m[2] for t, m in rig.recorder.timed() if t >= after and _is_hat(m)]
    wrap = next((k for k in range(1, len(played)) if played[k] <= played[k - 1] and played[k] < 48), len(played))
    bar = played[:wrap]  # up to the next bar's first hats
    missing = sorted(set(range(1, 97)) - set(bar))
    lost = rig.xruns() - xruns
    assert bar == sorted(bar) and len(set(bar)) == len(bar), f"hats out of order or twice: {bar}"
    assert bar and bar[0] == 1 and len(missing) <= lost, (missing, f"{lost} xruns")


def test_the_first_bar_after_start_continue_and_a_jump_is_whole(following):
    rig, master = following
    time.sleep(0.3)  # the process follows the master from its own input
    started, xruns = time.perf_counter(), rig.xruns()
    master.send([0xFA])  # Start: the next clock is tick 0
    master.start_clock(count=96 + 24)
    master.wait_clock()
    time.sleep(0.1)
    assert rig.clock.position() >= 96
    _first_bar_is_whole(rig, started, xruns)
    master.send([0xFC])
    time.sleep(0.2)
    continued, xruns = time.perf_counter(), rig.xruns()
    master.spp(16 * 3)  # a jump to bar 3 while stopped (Song Position Pointer counts sixteenths)
    master.send([0xFB])  # Continue from there
    master.start_clock(count=96 + 24)
    master.wait_clock()
    time.sleep(0.1)
    assert rig.clock.position() >= 3 * 96 + 96
    _first_bar_is_whole(rig, continued, xruns)
    assert rig.player.lateness, "the process reported no lateness figures"


def test_the_internal_clocks_first_bar_is_whole_and_the_process_is_not_the_server(jack_server):
    clock = InternalClock(BPM)
    rig = _rig(jack_server, clock, "rvae-pi")
    try:
        assert rig.player.pid != os.getpid() and rig.player.alive
        assert rig.player.names == {"drums": "rvae-pi:rvae-pi"} and rig.player.errors == {}
        # the process holds the GIL at most 0.5 ms at a time and no collection walks what start-up made
        assert rig.player.process["switch_interval"] == SWITCH_INTERVAL and rig.player.process["frozen"] > 10_000
        started, xruns = time.perf_counter(), rig.xruns()
        rig.engine.play()
        time.sleep(clock.time_at(0.0) - time.perf_counter() + 96 * PERIOD + 0.2)
        _first_bar_is_whole(rig, started, xruns)
    finally:
        _close(rig)


def test_a_killed_player_process_is_reported_and_comes_back_playing(jack_server, caplog):
    clock = InternalClock(240.0)
    rig = _rig(jack_server, clock, "rvae-pk")
    try:
        rig.engine.play()
        time.sleep(0.5)
        assert _hats(rig.recorder), "nothing played before the kill"
        old = rig.player.pid
        assert old is not None
        os.kill(old, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and rig.player.restarts < 1:
            time.sleep(0.05)
        assert rig.player.pid != old and rig.player.alive and rig.player.restarts == 1
        assert any("player process ended" in r.getMessage() for r in caplog.records)
        # the virtual port is made again by the new process: connect to it again and hear it play on
        rig.recorder.close()
        rig.recorder = Recorder.jack(connect_to="rvae-pk:rvae-pk", name="rvae-pk-rec2")
        time.sleep(0.5)
        assert len(_hats(rig.recorder)) > 20, "the new process does not play the plans"
    finally:
        _close(rig)
