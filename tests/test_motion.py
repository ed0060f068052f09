"""Motion, shaping and presets as pure functions (unit tests of the logic; the engine tests play them)."""

from __future__ import annotations

import numpy as np
import pytest

from rvae_server.core.bar import INSTRUMENT_NAMES, TICKS
from rvae_server.engine.api import LayerState
from rvae_server.engine.motion import (
    SHAPES,
    GestureLoop,
    Lfo,
    MotionError,
    Path,
    parse_points,
    parse_rate,
    record_loop,
    wave,
)
from rvae_server.engine.performance import Morph, Performance, bar_positions, evaluate
from rvae_server.engine.plans import make_plan
from rvae_server.engine.presets import apply, capture, slot_index
from rvae_server.engine.shaping import apply_swing, cell_thresholds, swing_times, threshold_cells
from rvae_server.model.planes import threshold_planes


def test_rates_in_bars_fractions_dotted_triplet_and_beats():
    assert parse_rate(2) == 2.0 and parse_rate("2") == 2.0 and parse_rate("3/2") == 1.5
    assert parse_rate("1/4") == 0.25 and parse_rate("1/16") == 1 / 16
    assert parse_rate("1/8d") == pytest.approx(0.1875) and parse_rate("1/8.") == pytest.approx(0.1875)
    assert parse_rate("1/4t") == pytest.approx(1 / 6) and parse_rate("3b") == 0.75 and parse_rate("1/2b") == 0.125
    for bad in ("fast", "", "1/0", -1, 0, float("nan"), True, None):
        with pytest.raises(MotionError):
            parse_rate(bad)
    lfo, notes = Lfo.make("sine", "1/64", 2.0)
    assert lfo.rate == pytest.approx(1 / 24) and lfo.depth == 1.0 and len(notes) == 2  # both clamped, said so
    with pytest.raises(MotionError, match="shape"):
        Lfo.make("wobble", 1, 0.1)


def test_lfos_are_locked_to_the_bar_position():
    positions = np.arange(0, 96 * 8, dtype=np.float64)
    for shape in SHAPES:
        lfo = Lfo(shape, 2.0, 0.3, phase=0.1, seed=3)
        values = lfo.offsets(positions)
        assert np.all(np.abs(values) <= 0.3 + 1e-12), shape
        if not shape.startswith("random"):
            np.testing.assert_allclose(values[: 96 * 2], values[96 * 2 : 96 * 4], atol=1e-12)  # a cycle = 2 bars
        again = Lfo(shape, 2.0, 0.3, phase=0.1, seed=3).offsets(positions)
        np.testing.assert_array_equal(values, again)  # another layer with the same settings: in phase
    sine = Lfo("sine", 1.0, 1.0).offsets(np.array([0.0, 24.0, 48.0, 72.0]))
    np.testing.assert_allclose(sine, [0, 1, 0, -1], atol=1e-12)
    square = Lfo("square", 1.0, 0.5).offsets(np.array([0.0, 47.0, 48.0, 95.0]))
    np.testing.assert_allclose(square, [0.5, 0.5, -0.5, -0.5])
    np.testing.assert_allclose(Lfo("sine", 1.0, 1.0, phase=0.25).offsets(np.array([0.0])), [1.0])
    np.testing.assert_allclose(wave("saw", np.array([0.0, 0.5, 0.999])), [-1, 0, 0.998], atol=1e-9)
    np.testing.assert_allclose(wave("triangle", np.array([0.0, 0.25, 0.5, 0.75])), [0, 1, 0, -1], atol=1e-12)
    step = wave("random-step", np.linspace(0, 4, 400, endpoint=False), seed=1)
    assert len(np.unique(step)) == 4  # one value per cycle
    smooth = wave("random-smooth", np.linspace(0, 4, 4000, endpoint=False), seed=1)
    assert np.max(np.abs(np.diff(smooth))) < 0.01  # glides, no steps


def test_paths_circle_eight_and_drawn():
    positions = np.arange(0, 96 * 2, dtype=np.float64)
    circle = Path("circle", 2, 0.2).values(positions)
    np.testing.assert_allclose(np.hypot(circle[:, 0], circle[:, 1]), 0.2)
    np.testing.assert_allclose(circle[0], [0.0, 0.2], atol=1e-12)  # starts at the top
    eight = Path("eight", 1, 0.2).values(np.array([0.0, 24.0, 48.0, 72.0]))
    np.testing.assert_allclose(eight, [[0, 0], [0.2, 0], [0, 0], [-0.2, 0]], atol=1e-12)
    drawn, _ = Path.make("drawn", 1, points="0,0 1,0")
    values = drawn.values(np.array([0.0, 24.0, 48.0, 72.0]))  # out along the line and back
    np.testing.assert_allclose(values, [[0, 0], [0.5, 0], [1, 0], [0.5, 0]])
    assert parse_points([[0.1, 2], [0.3, 0.4]]) == ((0.1, 1.0), (0.3, 0.4))
    with pytest.raises(MotionError, match="pairs"):
        parse_points([0.1, 0.2, 0.3])
    with pytest.raises(MotionError, match="at least one point"):
        Path.make("drawn", 2, points=[])


def test_gesture_loops_record_overdub_and_round_trip():
    events = [(96.0 + 10.0, 0.9, 0.9), (96.0 + 50.0, 0.2, 0.3)]
    loop = record_loop(1, 96.0, events, (0.5, 0.5))
    values = loop.values(np.array([96.0, 96 + 10.0, 96 + 49.0, 96 + 50.0, 96 + 95.0, 0.0, 10.0, 500.0 * 96 + 60]))
    np.testing.assert_allclose(
        values, [[0.5, 0.5], [0.9, 0.9], [0.9, 0.9], [0.2, 0.3], [0.2, 0.3], [0.5, 0.5], [0.9, 0.9], [0.2, 0.3]]
    )
    two = record_loop(2, 96.0, [(200.0, 0.1, 0.1)], (0.5, 0.5))  # recorded from bar 1: tick 200 is index 8
    assert two.values(np.array([8.0, 7.0])).tolist() == [[0.1, 0.1], [0.5, 0.5]]
    written = loop.written(20.0, 30.0, 0.0, 1.0)
    assert written.values(np.array([19.0, 20.0, 29.0, 30.0])).tolist() == [[0.9, 0.9], [0, 1], [0, 1], [0.9, 0.9]]
    assert loop.values(np.array([20.0]))[0].tolist() == [0.9, 0.9]  # the original is unchanged
    back = GestureLoop.from_dict(written.to_dict())
    np.testing.assert_allclose(back.xy, written.xy)
    with pytest.raises(MotionError):
        GestureLoop.from_dict({"bars": 0, "runs": [[0, 0, 0]]})


def test_swing_moves_the_second_of_each_pair():
    ticks = np.array([0.0, 3.0, 6.0, 9.0, 12.0, 18.0, 90.0, -0.2])
    np.testing.assert_allclose(swing_times(ticks, 50.0, 16), ticks)
    np.testing.assert_allclose(swing_times(ticks, 75.0, 16)[:7], [0, 4.5, 9, 10.5, 12, 21, 93])
    assert swing_times(ticks, 75.0, 16)[7] == pytest.approx(-0.1)  # just before the bar line: squeezed with its pair
    np.testing.assert_allclose(swing_times(np.array([12.0, 24.0, 36.0]), 66.0, 8), [15.84, 24, 39.84])
    kick_only = (False,) + (True,) * 8
    bar = threshold_planes(np.stack([np.full((96, 9), 0.9), np.full((96, 9), 0.5), np.zeros((96, 9))]), 0.5, kick_only)
    plan = make_plan(0, 3, LayerState(model="m"), bar)
    swung = apply_swing(plan, 75.0, 16)
    assert np.all(np.diff(swung.positions) > 0) and swung.positions[6] == 3 * 96 + 9.0
    assert apply_swing(plan, 50.0, 16) is plan


def test_cell_thresholds_match_the_single_threshold_and_add_densities():
    rng = np.random.default_rng(1)
    planes = np.stack([rng.random((96, 9)), rng.random((96, 9)), rng.random((96, 9)) * 2 - 1]).astype(np.float32)
    mutes = (False, True) + (False,) * 7
    plain = threshold_cells(planes, cell_thresholds(0.4, np.zeros(9)), ~np.asarray(mutes))
    assert plain == threshold_planes(planes, 0.4, mutes)
    denser = threshold_cells(planes, cell_thresholds(0.4, np.array([0.3] + [0.0] * 8)))
    assert denser.onsets[:, 0].sum() > plain.onsets[:, 0].sum()
    assert np.array_equal(denser.onsets[:, 2:], plain.onsets[:, 2:])


def test_evaluate_lfos_loops_touch_and_morph():
    state = LayerState(model="m", x=0.5, y=0.5, threshold=0.5)
    perf = Performance().with_lfo("x", Lfo("square", 1.0, 0.25))
    positions = bar_positions(2)
    controls = evaluate(positions, state, perf)
    assert controls.xy[0].tolist() == [0.75, 0.5] and controls.xy[60].tolist() == [0.25, 0.5]
    assert not controls.still and evaluate(positions, state, Performance()).still
    loop = record_loop(1, 0.0, [], (0.1, 0.2))
    assert evaluate(positions, state, Performance(), loop=loop).xy[5].tolist() == [0.1, 0.2]
    assert evaluate(positions, state, Performance(), loop=loop, touching=True).xy[5].tolist() == [0.5, 0.5]
    old = LayerState(model="m", x=0.0, y=0.0, threshold=0.9, mutes=(True,) * 9)
    morph = Morph(start=2 * 96.0, length=96.0, state=old, perf=Performance(swing=75.0, swing_unit=8))
    glide = evaluate(positions, state, Performance(), morph=morph)
    np.testing.assert_allclose(glide.xy[48], [0.25, 0.25])
    np.testing.assert_allclose(glide.thresholds[48], [0.7] * 9)
    assert not glide.keep[47].any() and glide.keep[48].all()  # mutes switch halfway
    assert glide.unit[47] == 8 and glide.unit[48] == 16 and glide.swing[48] == pytest.approx(62.5)


def test_presets_capture_and_apply():
    state = LayerState(model="m", x=0.2, y=0.3, threshold=0.6, mutes=(True,) + (False,) * 8)
    perf = Performance(swing=60.0, densities=(0.1,) + (0.0,) * 8).with_lfo("y", Lfo("saw", 2.0, 0.1, seed=2))
    data = capture(state, perf)
    assert data["mutes"]["kick"] and data["lfo"]["y"]["shape"] == "saw"
    fresh, fresh_perf, notes = apply(data, LayerState(model="m"), Performance(follow=True))
    assert notes == []
    assert (fresh.x, fresh.y, fresh.threshold, fresh.mutes) == (0.2, 0.3, 0.6, state.mutes)
    assert fresh_perf.swing == 60.0 and fresh_perf.densities[0] == 0.1 and fresh_perf.lfo("y") == perf.lfo("y")
    assert fresh_perf.follow  # not part of a preset: kept
    _, _, notes = apply({"x": "far", "lfo": {"x": {"shape": "wobble"}}}, state, perf)
    assert any("x must be a number" in n for n in notes) and any(n.startswith("lfo:") for n in notes)
    assert slot_index(1) == 0 and slot_index(16) == 15
    with pytest.raises(MotionError):
        slot_index(17)
    again, notes = Performance.from_dict(perf.to_dict())
    assert again == perf and notes == []
    assert set(perf.to_dict()["densities"]) == set(INSTRUMENT_NAMES)


def test_decode_ticks_is_each_ticks_row_of_its_own_point():
    from rvae_server.model.inference import LoadedModel
    from rvae_server.model.modeldirs import bundled_models_dir, default_model

    found = default_model([bundled_models_dir()])
    assert found is not None
    model = LoadedModel.load(found.path)
    model.peaks = False  # the raw rows (a bar in motion plays its own peaks: tests/test_peaks.py)
    z = np.random.default_rng(2).normal(size=(TICKS, 2)).astype(np.float32)
    full = model.decode_latent(z).planes
    want = np.stack([full[t, :, t, :] for t in range(TICKS)], axis=1)
    np.testing.assert_allclose(model.decode_ticks(z), want, atol=2e-5)
    with pytest.raises(ValueError, match="one latent point per tick"):
        model.decode_ticks(z[:10])
