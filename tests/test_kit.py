"""The test kit (rvae_server/testing/): the stepped clock keeps the clock protocol's promises, the stepper drives an
engine bar line by bar line, the recorder, the OSC client and the fake training service do what their users rely on;
the kit loads no torch and no module of the instrument imports it."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from rvae_server.engine.clock import Transport
from rvae_server.testing import (
    CH,
    KICK,
    OH,
    FakeTraining,
    OscClient,
    Recorder,
    SteppedClock,
)
from tests.test_architecture import ROOT, imports_of, modules

# ------------------------------------------------------------------------------------------ the stepped clock


def waiter(clock: SteppedClock, position: float, since: int | None = None) -> tuple[threading.Thread, list[bool]]:
    result: list[bool] = []
    thread = threading.Thread(target=lambda: result.append(clock.wait_until(position, timeout=5, since=since)))
    thread.start()
    clock.settle(waiters=1)
    return thread, result


def test_wait_until_returns_as_soon_as_a_step_reaches_the_position():
    clock = SteppedClock(bpm=120.0)
    clock.start()
    thread, result = waiter(clock, 10.0)
    clock.step_to(9.5, waiters=1)  # settles: the waiter is still blocked, waiting for 10
    assert result == [] and thread.is_alive()
    clock.advance(0.5)
    thread.join(1)
    assert result == [True] and clock.position() == 10.0
    assert clock.wait_until(3.0) is True  # a position already passed: at once


@pytest.mark.parametrize("end", ["interrupt", "stop", "tempo", "close"])
def test_wait_until_ends_false_on_an_interrupt_a_stop_a_tempo_change_or_close(end):
    clock = SteppedClock(bpm=120.0)
    clock.start()
    token = clock.interrupts
    generation = clock.generation
    thread, result = waiter(clock, 50.0, since=token)
    {"interrupt": clock.interrupt, "stop": clock.stop, "close": clock.close, "tempo": lambda: clock.set_bpm(90)}[end]()
    thread.join(1)
    assert result == [False]
    assert (clock.generation != generation) == (end != "interrupt")
    assert clock.wait_until(60.0, timeout=0.05, since=token) is False  # an interrupt since the token: at once


def test_virtual_time_converts_back_to_the_exact_position_and_the_transport_is_reported():
    clock = SteppedClock(bpm=150.0)  # 60 ticks a second
    events: list[tuple[Transport, float]] = []
    clock.on_transport(lambda event, position: events.append((event, position)))
    clock.start()
    clock.step_to(30)
    assert clock.time_at(90) - clock.time_at(30) == pytest.approx(1.0)
    assert clock.position_at(clock.time_at(47.9)) == pytest.approx(47.9, abs=1e-9)
    t0, pos0, bpm = clock.anchor
    assert (pos0, bpm) == (30.0, 150.0) and t0 == pytest.approx(0.5)
    clock.stop()
    with pytest.raises(RuntimeError, match="only while it runs"):
        clock.advance(1)
    clock.continue_()
    with pytest.raises(ValueError, match="only moves forward"):
        clock.step_to(29)
    assert events == [(Transport.START, 0.0), (Transport.STOP, 30.0), (Transport.CONTINUE, 30.0)]


def test_settle_names_a_thread_that_never_waits_again():
    clock = SteppedClock(bpm=120.0, timeout=0.3)
    clock.start()
    release = threading.Event()

    def busy() -> None:
        clock.wait_until(1.0, timeout=5)
        release.wait(5)  # busy elsewhere: not waiting on the clock

    thread = threading.Thread(target=busy, name="busy-one")
    thread.start()
    clock.settle(waiters=1)
    with pytest.raises(TimeoutError, match="busy-one"):
        clock.step_to(2.0)
    release.set()
    thread.join(1)
    clock.settle()  # a thread that ended no longer counts


# ------------------------------------------------------------------------------------------ the stepper


@pytest.fixture
def stepped(stepped_engine):
    return stepped_engine(bpm=400.0, seed=1)


def test_steps_across_many_bar_lines_send_every_bar_as_rendered(stepped):
    engine, stepper, rec = stepped
    engine.update(0, x=0.9, y=0.9)
    stepper.play()
    stepper.bar(8)  # one call: the stepper stops at each bar line for the planner's round
    want = sorted((round(n.tick + n.microtiming / 2, 6), n.instrument) for n in engine.render(0).notes())
    # the first bar starts at the start: its early hat (at -0.1) sounds at the start itself (engine/cursor.py)
    first = sorted((max(p, 0.0), i) for p, i in want)
    for bar in range(8):
        got = sorted(
            (round(p - bar * 96, 6), i) for p, _, i, *_ in rec.played(stepper.clock) if -0.5 <= p - bar * 96 < 95.5
        )
        assert got == (first if bar == 0 else want), bar
    stepper.stop()
    rec.clear()
    stepper.play()  # again from bar 0, planned afresh
    stepper.step_to(0.5)
    assert [(p, i) for p, _, i, *_ in rec.played(stepper.clock)] == [(0.0, CH), (0.2, KICK)]


def test_a_change_made_just_after_a_bar_in_motion_is_planned_at_once_with_plan_inline(stepped):
    """``plan_inline`` (tests/conftest.py) must keep turning off the engine's coalescing of changes."""
    engine, stepper, _ = stepped
    engine.update(0, x=0.9, y=0.5, timing=0.0, mutes=[i not in (CH, OH) for i in range(9)])
    engine.set_lfo(0, "y", "sine", 1, 0.2)  # a bar in motion, planned on this thread just now
    engine.update(0, x=0.1)  # within the coalescing window, if it were on
    bars = [p for p in engine.planned(0) if p["bar_number"] in (0, 1)]
    assert len(bars) == 2 and all({n for _, n, _ in p["notes"]} == {46} for p in bars)  # open hats only
    stepper.play()


# ------------------------------------------------------------------------------------------ recorder, OSC, training


def test_the_recorder_keeps_notes_lines_and_transport_as_midi_too():
    rec = Recorder()
    rec.transport(True)
    rec.note(1.5, 0, KICK, 36, 100, 10)
    rec.line_note(1.75, 60, 90, 0.25, 1)
    rec.program(1, 33)
    rec.all_notes_off([10, 1])
    assert [n[1:] for n in rec.notes] == [(1.5, 0, KICK, 36, 100, 10)]
    assert [n[1:] for n in rec.lines] == [(1.75, 60, 90, 0.25, 1)]
    assert rec.messages() == [bytes([0x99, 36, 100]), bytes([0x90, 60, 90])]
    assert (rec.programs, rec.offs, rec.transports) == ([(1, 33)], [[10, 1]], [True])
    assert rec.wait_notes(1, timeout=0) == 1 and rec.wait_for(3, timeout=0.01) == rec.messages()
    rec.clear()
    assert rec.notes == rec.lines == rec.events == rec.offs == []
    rec.close()  # a plain sink has no port: nothing to do


def test_the_osc_client_asks_and_waits_as_told(osc_rig):
    _, server, client, _ = osc_rig
    assert client.ask("/rvae/models", until="/rvae/models") == [("/rvae/models", ["a", "b"])]
    client.send("/rvae/bpm", 121.0)  # no reply: receive stops after the quiet time
    started = time.monotonic()
    assert client.receive(2.0, quiet=0.1) == []
    assert time.monotonic() - started < 1.0
    started = time.monotonic()
    assert client.receive(0.3, quiet=None) == [] and time.monotonic() - started >= 0.3
    client.raw(b"junk")
    assert client.receive(until="/rvae/error")[0][0] == "/rvae/error"
    with OscClient(server.port) as other:
        assert other.port != client.port


def test_the_fake_training_records_and_answers():
    every = FakeTraining()
    assert every.start("/clips", "m", (1,)) == "job-1" and every.started == [("/clips", "m", [1])]
    assert every.cancel() and every.cancelled == 1 and every.undo_model(7) == "a"
    some = FakeTraining(previous={0: "x"}, job="j2")
    assert some.undo_model(0) == "x" and some.start("f", "n", []) == "j2"
    with pytest.raises(ValueError, match="layer 2 has no previous model"):
        some.undo_model(1)
    heard: list[dict] = []
    some.add_listener(heard.append)
    some.emit({"type": "train-done", "name": "n"})
    assert heard == [{"type": "train-done", "name": "n"}]


# ------------------------------------------------------------------------------------------ where the kit sits


def test_no_module_of_the_instrument_imports_the_kit():
    users = [n for n in modules() if not n.startswith("rvae_server.testing") and any(
        t.startswith("rvae_server.testing") for t in imports_of(n))]  # fmt: skip
    assert users == []


def test_the_kit_loads_no_torch():
    code = "import sys, rvae_server.testing; print(sorted(m for m in sys.modules if m.split('.')[0] == 'torch'))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]", result.stdout
