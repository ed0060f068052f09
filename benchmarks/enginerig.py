"""The rig of benchmarks/bench_engine.py: the engine and its MIDI output as ``rvae serve`` has them (the player
process, or the server's own player thread), CPU burners, the page open in headless Chromium, the OSC flood, the
pairing of sent and received notes, and the XY-change measurement."""

from __future__ import annotations

import math
import multiprocessing
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: A note the player handed to its port: (when handed over, when due, status, note, velocity).
Sent = tuple[float, float, int, int, int]


@dataclass
class Output:
    """The MIDI output under test: ``player`` (the player process) or ``out`` (a port of this process, sent to by
    the engine's own player thread); ``sent`` gives every drum note handed over, ``lateness`` every note's."""

    player: Any = None
    out: Any = None
    ideal: list[Sent] = field(default_factory=list)  # the thread mode's record, from an engine sink

    def sent(self) -> list[Sent]:
        return list(self.player.played) if self.player is not None else list(self.ideal)

    def lateness(self, engine: Any) -> list[float]:
        return list(self.player.lateness) if self.player is not None else list(engine.lateness)

    def clear(self, engine: Any) -> None:
        if self.player is not None:
            self.player.lateness.clear()
        else:
            engine.lateness.clear()

    def close(self) -> None:
        if self.player is not None:
            self.player.close()
        if self.out is not None:
            self.out.close()


class IdealSink:
    """An engine sink that records every drum note the player hands over (the thread mode's ``sent``)."""

    def __init__(self, into: list[Sent]) -> None:
        self._into = into

    def note(self, when: float, layer: int, instrument: int, note: int, velocity: int, channel: int) -> None:
        self._into.append((time.perf_counter(), when, 0x90 | (channel - 1), note, velocity))

    def transport(self, playing: bool) -> None: ...

    def all_notes_off(self, channels: object) -> None: ...


def open_output(mode: str, clock: Any, priority: int, melody: bool) -> tuple[Output, list[Any], list[Any]]:
    """The drums' port ``R-VAE-bench`` (and the melody's, ``R-VAE-bench-melody``) as ``rvae serve`` opens them in
    ``mode`` (process or thread). Returns the output, the engine's sinks and the melody layer's sinks."""
    from rvae_server.session.midi import ProcessLineSink
    from rvae_server.session.player.proxy import ProcessPlayer
    from rvae_server.session.player.wire import PlayerSpec, PortSpec

    if mode == "process":
        melody_port = PortSpec(client="R-VAE-bench-melody", backend="jack") if melody else None
        spec = PlayerSpec(PortSpec(client="R-VAE-bench", backend="jack"), melody_port, None, False, priority, True)
        player = ProcessPlayer(clock, spec).start()
        print(f"MIDI out from the player process (pid {player.pid}): {player.names}")
        return Output(player=player), [], [ProcessLineSink(player)] if melody else []
    from rvae_server.outputs.linesinks import MidiLineSink
    from rvae_server.outputs.midiout import open_output as open_port
    from rvae_server.outputs.sinks import MidiSink

    output = Output(out=open_port(None, "jack", client_name="R-VAE-bench"))
    lines = [MidiLineSink(open_port(None, "jack", client_name="R-VAE-bench-melody"))] if melody else []
    print("MIDI out from the engine's own player thread (as --player thread)")
    return output, [MidiSink(output.out), IdealSink(output.ideal)], lines


def burners(count: int) -> list[subprocess.Popen[bytes]]:
    """``count`` CPU burners (``yes > /dev/null``, nice 0), as a busy performer's laptop has."""
    return [subprocess.Popen(["yes"], stdout=subprocess.DEVNULL) for _ in range(count)]


def open_page(engine: Any) -> tuple[Any, Any]:
    """The web page served for ``engine`` and open in headless Chromium (its grid animating in time)."""
    from rvae_server.web import start_web
    from tests.browser import Browser

    server = start_web(engine, port=0)
    browser = Browser()
    browser.navigate(server.url)
    browser.wait_for("window.rvae && rvae.connected() && rvae.grid() !== null", 30)
    return server, browser


def osc_flood(port: int, rate: float, seconds: float) -> None:
    """A separate process: /rvae/xy messages at ``rate`` per second on an absolute schedule."""
    from pythonosc.udp_client import SimpleUDPClient

    client = SimpleUDPClient("127.0.0.1", port)
    start = time.perf_counter()
    k = 0
    while (now := time.perf_counter()) - start < seconds:
        due = start + k / rate
        if due > now:
            time.sleep(due - now)
        phase = k / rate
        client.send_message("/rvae/xy", [0.5 + 0.05 * math.sin(phase), 0.5 + 0.05 * math.cos(phase)])
        k += 1


def start_flood(port: int, seconds: float) -> Any:
    flood = multiprocessing.get_context("spawn").Process(target=osc_flood, args=(port, 500.0, seconds))
    flood.start()
    return flood


def pair(sent: list[Sent], received: list[tuple[float, bytes]]) -> tuple[list[tuple[int, int]], list[int]]:
    """Each note sent paired with the earliest unpaired arrival of the same message within 100 ms of its time (two
    notes of one tick may arrive in either order); returns the pairs and the notes left without one (lost)."""
    pending: dict[bytes, list[int]] = {}
    for j, (_, m) in enumerate(received):
        pending.setdefault(m, []).append(j)
    lost: list[int] = []
    pairs: list[tuple[int, int]] = []
    for i, (_, when, status, note, velocity) in enumerate(sent):
        queue = pending.get(bytes((status, note, velocity)), [])
        while queue and received[queue[0]][0] < when - 0.1:
            queue.pop(0)  # an arrival too early for this note (it was another's): skip it
        if queue and received[queue[0]][0] <= when + 0.1:
            pairs.append((i, queue.pop(0)))
        else:
            lost.append(i)
    return pairs, lost


def xy_change_latency(bpm: float, priority: int, mode: str) -> dict[str, float]:
    """Closed hat on every tick for x > 0.5, open hat for x < 0.5: after each XY flip, the first hat of the new
    kind is the first note that reflects the change. The time it was handed to the port minus the change time
    must stay ≤ 1 tick + 1 ms (it can only be heard from a tick after the change)."""
    from rvae_server.core.bar import INSTRUMENT_NAMES, OUTPUT_NOTES
    from rvae_server.engine.clock import InternalClock
    from rvae_server.engine.engine import Engine
    from rvae_server.testing import SyntheticModel

    hats = {OUTPUT_NOTES[INSTRUMENT_NAMES.index(n)]: n for n in ("closed-hat", "open-hat")}
    clock = InternalClock(bpm)
    output, sinks, _ = open_output(mode, clock, priority, melody=False)
    here = mode == "thread"
    engine = Engine({"hats": SyntheticModel("hats")}, clock, sinks, default_model="hats", layers=1,
                    realtime_priority=priority if here else 0, precise=here)  # fmt: skip
    if output.player is not None:
        engine.add_plan_sink(output.player)
    engine.update(0, timing=0.0)  # notes exactly on the ticks
    engine.start()
    engine.play()
    time.sleep(0.5)
    tick = 60 / (bpm * 24)
    rng = np.random.default_rng(3)
    changes: list[tuple[float, str]] = []
    x = 0.9
    for _ in range(60):
        time.sleep(0.05 + rng.random() * 0.05)
        x = 0.1 if x > 0.5 else 0.9
        changes.append((time.perf_counter(), "closed-hat" if x > 0.5 else "open-hat"))
        engine.update(0, x=x)
    time.sleep(0.5)
    sent = output.sent()
    engine.close()
    output.close()
    clock.close()
    delays = []
    for changed, want in changes:
        first = min((t for t, _, _, note, _ in sent if hats.get(note) == want and t > changed), default=None)
        if first is not None:
            delays.append(first - changed)
    limit = tick + 0.001
    within = float(np.mean(np.asarray(delays) <= limit) * 100) if delays else 0.0
    print(f"XY change → first note that reflects it, handed to the port ({len(delays)} changes; limit 1 tick + 1 ms = "
          f"{limit * 1000:.2f} ms): median {np.median(delays) * 1000:.2f} ms, max {max(delays) * 1000:.2f} ms, "
          f"within limit: {within:.1f}%")  # fmt: skip
    return {"xy_within": within, "xy_max_ms": float(max(delays) * 1000) if delays else math.inf, "xy_n": len(delays)}


def grid_figures(models: dict[str, Any], runs: int = 10) -> dict[str, float]:
    """Milliseconds to decode a 30 × 30 grid as the page asks for it: the first call and the median of ``runs``,
    worst over the models."""
    from rvae_server.web.grid import decode_grid_probs

    first, median = [], []
    for model in models.values():
        times = []
        for _ in range(runs + 1):
            t = time.perf_counter()
            decode_grid_probs(model, 30)
            times.append((time.perf_counter() - t) * 1000)
        first.append(times[0])
        median.append(float(np.median(times[1:])))
    print(f"30 x 30 grid: first decode {max(first):.1f} ms, median {max(median):.1f} ms (worst of "
          f"{len(models)} models)")  # fmt: skip
    return {"grid_first_ms": max(first), "grid_median_ms": max(median)}
