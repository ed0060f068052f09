"""The page's motion panel in real headless Chromium against a real server and engine: LFO, swing, density,
preset and follow controls reach the engine; the point as played arrives while an LFO moves it; a MIDI clip
dropped on the pad is encoded by the layer's model (the pad jumps there, the trail shows); a drawn path becomes
the layer's path; capture writes the last bars from the page."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import numpy as np
import pytest

from rvae_server.core.bar import stack
from rvae_server.core.midifile import read_clip
from rvae_server.outputs.capture import Capture, CaptureSink
from tests.test_web import DATA, Rig, open_page


def until(check, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


def choose(page, element: str, value: str, event: str = "change") -> None:
    page.js(
        f"(() => {{ const e = document.getElementById('{element}'); e.value = '{value}';"
        f" e.dispatchEvent(new Event('{event}')); }})()"
    )


@pytest.fixture
def rig(tmp_path):
    r = Rig()
    sink = CaptureSink(r.clock, layers=2)
    r.engine.sinks.append(sink)
    r.server.attach_capture(Capture(sink, tmp_path / "takes"))
    yield r
    r.close()


def test_motion_controls_reach_the_engine_and_the_played_point_comes_back(browser, rig):
    open_page(browser, rig)
    choose(browser, "lfo-x-rate", "1/2")
    choose(browser, "lfo-x-depth", "0.3", "input")
    choose(browser, "lfo-x-shape", "sine")
    choose(browser, "swing", "66", "input")
    choose(browser, "density-snare", "0.25", "input")
    engine = rig.engine
    assert until(lambda: engine.performance(0).lfo("x") is not None and engine.performance(0).swing == 66)
    lfo = engine.performance(0).lfo("x")
    assert (lfo.shape, lfo.rate, lfo.depth) == ("sine", 0.5, pytest.approx(0.3))
    assert until(lambda: engine.performance(0).densities[1] == 0.25)
    browser.js("document.getElementById('play').click()")
    browser.wait_for("rvae.motion() !== null && rvae.motion()[0] !== null", 5)
    browser.js("document.getElementById('preset-store').click()")
    browser.js("document.querySelector('#presets button[data-slot=\"4\"]').click()")
    assert until(lambda: engine.snapshot()["layers"][0]["presets"][3])
    browser.wait_for("document.querySelector('#presets button[data-slot=\"4\"]').classList.contains('stored')", 3)
    choose(browser, "lfo-x-shape", "off")
    assert until(lambda: engine.performance(0).lfo("x") is None)
    browser.js("document.querySelector('#presets button[data-slot=\"4\"]').click()")  # recall over a bar
    assert until(lambda: engine.performance(0).lfo("x") is not None)
    browser.js("document.getElementById('follow').click()")
    assert until(lambda: engine.performance(0).follow)
    assert browser.console_errors == []


def test_a_clip_dropped_on_the_pad_is_placed_by_the_model(browser, rig):
    open_page(browser, rig)
    clip = next(p for p in sorted(Path(DATA).rglob("*.mid")) if "4-4" in p.name)
    data = base64.b64encode(clip.read_bytes()).decode()
    browser.js(
        "(() => { const bytes = Uint8Array.from(atob('" + data + "'), c => c.charCodeAt(0));"
        " const dt = new DataTransfer(); dt.items.add(new File([bytes], 'dropped.mid'));"
        " document.getElementById('pad').dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true}));"
        " })()"
    )
    browser.wait_for("rvae.encoded() !== null", 10)
    bars = [b.bar for b in read_clip(clip).bars if b.used][:64]
    want = rig.models["alpha"].encode(stack(bars))
    state = rig.engine.snapshot()["layers"][0]
    assert (state["x"], state["y"]) == pytest.approx(tuple(want[0]), abs=1e-4)
    assert np.allclose(state["trail"], want, atol=1e-4)
    assert np.allclose(browser.js("rvae.encoded()"), want, atol=1e-4)
    browser.wait_for("rvae.state().trail.length === " + str(len(want)), 3)
    # a path drawn on the pad becomes the layer's drawn path
    browser.js("document.getElementById('path-draw').click()")
    r = browser.js("(() => { const b = document.getElementById('pad').getBoundingClientRect();"
                   " return [b.left, b.top, b.width, b.height]; })()")  # fmt: skip
    left, top, width, height = r
    browser.drag([(left + width * f, top + height * (1 - f)) for f in np.linspace(0.2, 0.8, 12)])
    assert until(lambda: (p := rig.engine.performance(0).path) is not None and p.shape == "drawn")
    points = rig.engine.performance(0).path.points
    assert len(points) >= 2 and points[0][0] < points[-1][0] and points[0][1] < points[-1][1]
    assert browser.console_errors == []


def test_capture_from_the_page(browser, rig, tmp_path):
    open_page(browser, rig)
    rig.engine.update(0, threshold=0.1)
    browser.js("document.getElementById('play').click()")
    assert until(lambda: rig.clock.position() > 2 * 96, 10)
    choose(browser, "capture-bars", "1")
    choose(browser, "capture-name", "from-page", "input")
    browser.js("document.getElementById('capture').click()")
    browser.wait_for("document.getElementById('motion-status').textContent.startsWith('captured')", 5)
    assert (tmp_path / "takes" / "from-page.mid").exists()
