"""The bar format and the instrument table."""

import numpy as np
import pytest

from rvae_server.core.bar import (
    INSTRUMENT_NAMES,
    INSTRUMENTS,
    OUTPUT_NOTES,
    PITCH_TO_INSTRUMENT,
    TICKS,
    Bar,
    instrument_index,
    parse_instruments,
    stack,
    unstack,
)


def test_table_is_the_issue_table_in_order():
    expected = {
        "kick": (36, [36, 35]),
        "snare": (38, [38, 27, 28, 31, 32, 33, 34, 37, 39, 40, 56, 65, 66, 75, 85]),
        "closed-hat": (42, [42, 44, 54, 68, 69, 70, 71, 73, 78, 80, 22]),
        "open-hat": (46, [46, 67, 72, 74, 79, 81, 26]),
        "low-tom": (45, [45, 29, 41, 43, 61, 64, 84]),
        "mid-tom": (48, [48, 47, 60, 63, 77, 86, 87]),
        "high-tom": (50, [50, 30, 62, 76, 83]),
        "crash": (49, [49, 52, 55, 57, 58]),
        "ride": (51, [51, 53, 59, 82]),
    }
    assert list(INSTRUMENT_NAMES) == list(expected)
    for inst in INSTRUMENTS:
        note, pitches = expected[inst.name]
        assert inst.note == note
        assert list(inst.pitches) == pitches
    assert OUTPUT_NOTES == (36, 38, 42, 46, 45, 48, 50, 49, 51)


def test_pitch_lookup_covers_the_table_and_nothing_else():
    mapped = {p: i for i, inst in enumerate(INSTRUMENTS) for p in inst.pitches}
    for pitch in range(128):
        assert PITCH_TO_INSTRUMENT[pitch] == mapped.get(pitch, -1)
    assert INSTRUMENT_NAMES[PITCH_TO_INSTRUMENT[22]] == "closed-hat"  # GMD hi-hat edge, kept
    assert INSTRUMENT_NAMES[PITCH_TO_INSTRUMENT[26]] == "open-hat"
    assert INSTRUMENT_NAMES[PITCH_TO_INSTRUMENT[49]] == "crash"  # not "clap" as in R-VAE
    assert INSTRUMENT_NAMES[PITCH_TO_INSTRUMENT[51]] == "ride"  # not "rim"


def test_instrument_names_and_indices():
    assert instrument_index("kick") == 0
    assert instrument_index("Ride") == 8
    assert instrument_index("3") == 3
    assert instrument_index(7) == 7
    assert parse_instruments("snare, kick,ride") == (0, 1, 8)
    with pytest.raises(ValueError, match="unknown instrument 'clap'.*kick"):
        instrument_index("clap")
    with pytest.raises(ValueError, match="out of range"):
        instrument_index(9)


def test_from_notes_keeps_the_louder_stroke_and_orders_notes_by_time():
    bar = Bar.from_notes([(0, 1, 0.5, 0.2), (0, 1, 0.9, -0.4), (0, 1, 0.3, 0.0), (1, 0, 1.0, -0.9), (0, 0, 0.7, 0.5)])
    assert bar.onset_count() == 3
    assert bar.velocities[0, 1] == pytest.approx(0.9)
    assert bar.microtiming[0, 1] == pytest.approx(-0.4)
    times = [n.time for n in bar.notes()]
    assert times == sorted(times)
    assert [(n.tick, n.instrument) for n in bar.notes()] == [(0, 1), (0, 0), (1, 0)]  # -0.2, +0.25, +0.55


def test_planes_are_read_only_and_consistent():
    planes = np.zeros((3, TICKS, 9), dtype=np.float32)
    planes[1, 5, 2] = 0.8  # velocity without an onset is dropped
    planes[0, 7, 0] = 1.0
    planes[1, 7, 0] = 2.0  # clamped
    planes[2, 7, 0] = -3.0
    bar = Bar.from_planes(planes)
    assert bar.velocities[5, 2] == 0.0
    assert bar.velocities[7, 0] == 1.0
    assert bar.microtiming[7, 0] == -1.0
    with pytest.raises(ValueError):
        bar.onsets[0, 0] = 1.0
    with pytest.raises(ValueError, match="shape"):
        Bar.from_planes(np.zeros((3, 95, 9)))
    with pytest.raises(ValueError, match="finite"):
        Bar.from_planes(np.full((3, TICKS, 9), np.nan))


def test_mute_and_stack_round_trip():
    bar = Bar.from_notes([(0, 0, 1.0, 0.0), (24, 1, 0.5, 0.1), (12, 2, 0.4, -0.1)])
    muted = bar.muted([False, True] + [False] * 7)
    assert muted.onsets_per_instrument()["snare"] == 0
    assert muted.onsets_per_instrument()["kick"] == 1
    batch = stack([bar, muted])
    assert batch.shape == (2, 3, 96, 9)
    assert list(unstack(batch)) == [bar, muted]
