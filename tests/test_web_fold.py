"""The page read in a minute (issue 25), in real headless Chromium at a 1366 × 768 laptop and at 1920 × 1080:
transport, tempo, model, layer, the pad, threshold, noise, mutes, the current bar and the motion essentials (an LFO
per axis, the presets) lie within the window without scrolling; every other panel is one tab away, fits the window
too, and the tab is remembered per browser. The pad shows what plays where, still, by default (each grid point
drawn from its decoded bar: core/drumgroups.py's rule, the same as ``rvae map --pad``); the time glow is an option.
The model menu offers a model its evaluation flags apart, with its warning; the undo button undoes a model change.

Screenshots of the page at both sizes are in docs/screens/ (``python scripts/page_screens.py`` makes them)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from rvae_server.core.drumgroups import GROUP_OF, group_counts, mix_colours
from rvae_server.session.modelswap import ModelSwaps
from tests.browser import Browser
from tests.test_web import Rig

SIZES = [(1366, 768), (1920, 1080)]
ESSENTIALS = [
    "#play", "#bpm", "#bpm-down", "#bpm-up", "#layers button", "#enable", "#model", "#undo-model", "#barpos",
    "#pad", "#threshold", "#noise", "#mutes button", "#roll", "#lfo-x-on", "#lfo-y-on", "#preset-store", "#morph",
    "#presets button", "#legend", "#tabs button",
]  # fmt: skip
TABS = ["motion", "shape", "map", "melody", "training", "output"]


def boxes(browser: Browser, selector: str) -> list[dict[str, float]]:
    return browser.js(
        f"[...document.querySelectorAll({selector!r})].map(e => {{ const r = e.getBoundingClientRect();"
        " return {left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height}; })"
    )


def open_at(browser: Browser, rig: Rig) -> None:
    browser.navigate(rig.server.url)
    browser.wait_for("window.rvae && rvae.connected() && rvae.grid() !== null", 20)
    browser.frames(3)


@pytest.mark.browser  # (its own Chromium per size)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_essentials_lie_above_the_fold_and_the_rest_is_one_tab_away(size):
    width, height = size
    rig = Rig()
    try:
        with Browser(width, height) as browser:
            open_at(browser, rig)
            assert browser.js("document.documentElement.scrollHeight") <= height  # nothing below the fold
            assert browser.js("document.documentElement.scrollWidth") <= width
            for selector in ESSENTIALS:
                found = boxes(browser, selector)
                assert found, selector
                for b in found:
                    assert b["width"] > 0 and b["height"] > 0, (selector, b)
                    assert b["left"] >= 0 and b["top"] >= 0, (selector, b)
                    assert b["right"] <= width and b["bottom"] <= height, (selector, b, size)
            assert len(boxes(browser, "#mutes button")) == 9 and len(boxes(browser, "#presets button")) == 16
            pad = boxes(browser, "#pad")[0]
            assert pad["width"] >= 0.4 * height and abs(pad["width"] - pad["height"]) < 1
            for tab in TABS:  # every other panel: one click, and it fits the window too
                browser.js(f"document.querySelector('#tabs button[data-tab={tab}]').click()")
                assert browser.js("rvae.tab()") == tab
                panel = boxes(browser, f"#tab-{tab}")[0]
                assert panel["height"] > 0 and panel["bottom"] <= height, (tab, panel, size)
                assert browser.js("document.documentElement.scrollHeight") <= height, tab
            # the tab is remembered per browser
            browser.js("document.querySelector('#tabs button[data-tab=training]').click()")
            open_at(browser, rig)
            assert browser.js("rvae.tab()") == "training"
            assert browser.console_errors == []
    finally:
        rig.close()


def _js_round(x: np.ndarray) -> np.ndarray:
    return np.floor(x + 0.5)  # Math.round for x >= 0


@pytest.mark.browser
def test_the_pad_shows_what_plays_where_still_by_default_and_the_glow_is_an_option():
    rig = Rig()
    try:
        with Browser(1366, 768) as browser:
            rig.engine.play()
            open_at(browser, rig)
            assert browser.js("rvae.view()") == "still"
            grid = rig.server.cached_grid("alpha")
            probs = grid.data.transpose(2, 0, 1).astype(np.float64) / 255.0  # (P, 96, 9) from the bytes sent
            for threshold, muted in ((0.5, ()), (0.3, ("snare",))):
                rig.engine.update(0, threshold=threshold)
                for name in muted:
                    rig.engine.set_mute(0, name, True)
                mutes = rig.engine.state(0).mutes
                browser.wait_for(f"rvae.state().threshold === {threshold}", 5)
                browser.frames(3)
                counts = group_counts(probs, threshold, mutes)
                totals = counts.sum(axis=1)
                mixed = counts.astype(np.float64) @ np.array(
                    [[255, 77, 94], [255, 196, 40], [77, 163, 255], [61, 220, 132], [205, 120, 255]], dtype=np.float64
                )
                want_colour = np.where(totals[:, None] > 0, _js_round(mixed / np.maximum(totals, 1)[:, None]),
                                       mix_colours(counts))  # fmt: skip
                lit = 0
                for row, col in [(2, 3), (4, 25), (8, 8), (10, 20), (20, 4), (22, 26), (27, 11), (15, 15)]:
                    p = row * grid.n + col
                    got = browser.js(f"rvae.still({row}, {col})")
                    assert got["total"] == int(totals[p]) and got["top"] == int(totals.max())
                    assert got["colour"] == [int(v) for v in want_colour[p]], (row, col, got)
                    c = browser.js(f"rvae.cellCenter({row}, {col})")
                    pixel = browser.pixel(c["x"], c["y"])
                    assert all(abs(a - b) <= 3 for a, b in zip(pixel, got["colour"], strict=True)), (pixel, got)
                    lit += int(totals[p] > 0)
                assert lit > 0
            assert GROUP_OF[1] == 1  # snare is its own group: muting it took it out of the counts above
            # the legend names the five groups; the glow view brings back the per-channel legend, remembered
            legend = browser.js("document.getElementById('legend').textContent")
            assert all(g in legend for g in ("kick", "snare", "hats", "toms", "cymbals", "size = onsets"))
            browser.js("(() => { const s = document.getElementById('pad-view'); s.value = 'glow';"
                       " s.dispatchEvent(new Event('change')); })()")  # fmt: skip
            assert browser.js("rvae.view()") == "glow" and browser.js("document.getElementById('glow') !== null")
            box = boxes(browser, "#pad")[0]
            first = browser.screenshot(box["left"], box["top"], box["width"], box["height"])
            time.sleep(0.2)
            assert browser.screenshot(box["left"], box["top"], box["width"], box["height"]) != first  # in time
            open_at(browser, rig)
            assert browser.js("rvae.view()") == "glow"  # remembered per browser
            browser.js("rvae.view('still')")
            assert browser.console_errors == []
    finally:
        rig.close()


@pytest.mark.browser
def test_a_poorly_playing_model_is_offered_apart_and_the_undo_button_undoes_a_model_change():
    rig = Rig()
    rig.models["beta"].evaluation = {"random": {"pass": 0.4}, "poor": True, "warnings": ["sparse: 40% plays"]}
    swaps = ModelSwaps(rig.engine)
    rig.server.input.training = Undoer(swaps)
    try:
        with Browser(1366, 768) as browser:
            open_at(browser, rig)
            browser.wait_for("document.querySelector('#model optgroup.poor') !== null", 5)
            group = browser.js(
                "(() => { const g = document.querySelector('#model optgroup');"
                " return [g.label, [...g.children].map(o => [o.value, o.textContent, o.title])]; })()"
            )
            assert group[0].startswith("plays poorly") and group[1] == [["beta", "beta — plays poorly",
                                                                          "sparse: 40% plays"]]  # fmt: skip
            plain = browser.js("[...document.getElementById('model').children].filter(o => o.tagName === 'OPTION')"
                               ".map(o => o.value)")  # fmt: skip
            assert plain == ["alpha"]
            browser.js("(() => { const e = document.getElementById('model'); e.value = 'beta';"
                       " e.dispatchEvent(new Event('change')); })()")  # fmt: skip
            deadline = time.monotonic() + 3
            while rig.engine.state(0).model != "beta" and time.monotonic() < deadline:
                time.sleep(0.02)
            assert rig.engine.state(0).model == "beta"
            browser.js("document.getElementById('undo-model').click()")
            deadline = time.monotonic() + 3
            while rig.engine.state(0).model != "alpha" and time.monotonic() < deadline:
                time.sleep(0.02)
            assert rig.engine.state(0).model == "alpha"
            browser.wait_for("document.getElementById('model').value === 'alpha'", 5)
            assert browser.console_errors == []
    finally:
        rig.close()


class Undoer:
    """The page's training service, as far as undo goes: the swaps' undo."""

    def __init__(self, swaps: ModelSwaps) -> None:
        self.swaps = swaps

    def undo_model(self, layer: int) -> str:
        return self.swaps.undo(layer)


@pytest.mark.browser
def test_the_output_tab_sets_each_instruments_note_and_channel():
    from rvae_server.core.notemaps import preset

    rig = Rig()
    try:
        with Browser(1366, 768) as browser:
            open_at(browser, rig)
            browser.js("rvae.tab('output')")
            assert browser.js("document.querySelectorAll('#note-table input').length") == 9
            browser.js("document.getElementById('note-preset').value = 'tr8s';"
                       " document.getElementById('note-preset-apply').click()")  # fmt: skip
            deadline = time.monotonic() + 3
            while rig.engine.state(0).notes != preset("tr8s").notes and time.monotonic() < deadline:
                time.sleep(0.02)
            assert rig.engine.state(0).notes == preset("tr8s").notes
            browser.js("(() => { const n = document.getElementById('note-snare'); n.value = 40;"
                       " const c = document.getElementById('channel-snare'); c.value = '3';"
                       " c.dispatchEvent(new Event('change')); })()")  # fmt: skip
            deadline = time.monotonic() + 3
            while rig.engine.state(0).channels[1] != 3 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert rig.engine.state(0).notes[1] == 40 and rig.engine.state(0).channels[1] == 3
            # the table follows the layer's state (another layer: its own map)
            browser.js("document.querySelectorAll('#layers button')[1].click()")
            browser.wait_for("document.getElementById('note-snare').value === '38'", 5)
            assert browser.js("document.getElementById('channel-snare').value") == "0"
            assert browser.console_errors == []
    finally:
        rig.close()
