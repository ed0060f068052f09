"""The melody's data: lines on the grid, step rolls, the seed's filters as code, pairs mined from real songs, the
song-first split and the transpositions."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from rvae_server.melody.batches import melody_batch, octave_of, reference_pitch, seed_batch
from rvae_server.melody.families import FAMILIES, family_of_program, parse_family
from rvae_server.melody.filters import RULES, PassRates, judge, judge_lines, loop_of, roll_onsets
from rvae_server.melody.keys import parse_key
from rvae_server.melody.line import Line, monophonic, onsets_of, piano_roll
from rvae_server.melody.network import PITCH_LOW, PITCHES
from rvae_server.melody.pairs import PairSet, data_sources, mine_pairs, song_group, split_by_song, transposition

MELODY_DATA = Path(__file__).parent / "data" / "melody"  # songs copied from ../shared/data/melody
AM = parse_key("Am")


def test_a_line_keeps_one_note_a_tick_and_ends_where_the_next_starts():
    line = monophonic([0, 0, 24, 90], [45, 57, 48, 50], [100, 90, 80, 300], [48, 48, 6, 30])
    assert line.ticks.tolist() == [0, 24, 90]
    assert line.pitches.tolist() == [57, 48, 50]  # the highest of a chord
    assert line.lengths.tolist() == [24, 6, 6]  # cut by the next note, and by the bar line
    assert line.velocities.tolist() == [90, 80, 127]
    assert monophonic([0, 0], [45, 57], [100, 100], [6, 6], lowest=True).pitches.tolist() == [45]
    assert Line.from_grid(*line.to_grid()) == line
    assert Line.from_notes(line.notes()) == line and len(Line.empty()) == 0
    with pytest.raises(ValueError, match="ticks 0..95"):
        monophonic([96], [60], [100], [6])


def test_steps_round_to_sixteenths_and_stay_one_line():
    line = Line.from_notes([(0, 60, 2, 100), (1, 61, 11, 100), (12, 62, 6, 90), (90, 64, 6, 80)])
    roll = piano_roll([line, line])
    assert roll.shape == (32, 128)
    assert (roll.sum(axis=1) <= 1).all()  # a line never sounds two notes at once on the step grid
    steps, pitches = onsets_of([line])
    assert steps.tolist() == [0, 2, 15] and pitches.tolist() == [61, 62, 64]
    assert np.flatnonzero(roll[:16].any(axis=1)).tolist() == [0, 1, 2, 15]


def _lines(notes_per_bar: list[list[tuple[int, int, int]]]) -> list[Line]:
    return [Line.from_notes([(t, p, n, 100) for t, p, n in bar]) for bar in notes_per_bar]


A_MINOR_BAR = [(0, 57, 12), (12, 60, 12), (24, 64, 12), (36, 57, 12), (48, 59, 12), (60, 60, 12), (72, 57, 24)]


def test_each_filter_rule_as_the_seed_states_it():
    good = _lines([A_MINOR_BAR] * 4)
    assert judge_lines(good, AM).passed
    assert judge_lines(good, parse_key("E")).failed == ("off_key",)
    assert "few_steps" in judge_lines(_lines([[(0, 57, 6)], [], [], [(0, 60, 6)]]), AM).failed
    pause = _lines([A_MINOR_BAR, [], [(90, 57, 6)], A_MINOR_BAR])  # 17+ silent steps
    assert "long_pause" in judge_lines(pause, AM).failed
    wide = _lines([[(0, 33, 24), (24, 60, 24), (48, 64, 24), (72, 69, 24)]] * 4)
    assert "wide_range" in judge_lines(wide, AM).failed
    two = _lines([[(0, 57, 24), (24, 60, 24), (48, 57, 24), (72, 60, 24)]] * 4)
    assert "few_pitches" in judge_lines(two, AM).failed
    mostly = _lines([[(12 * k, (60 if k == 5 else 64 if k == 6 else 57), 12) for k in range(8)] + [(90, 57, 6)]] * 4)
    assert "one_pitch" in judge_lines(mostly, AM).failed
    # chords only come from a roll (a baseline's output): a semitone/tone apart, and 4 notes at once
    roll = piano_roll(good)
    close = roll.copy()
    close[0, 58] = True
    assert "close_notes" in judge(close, roll_onsets(close), AM).failed
    cluster = roll.copy()
    cluster[8, [64, 67, 71]] = True  # with A3 sounding: 4 at once, none a tone apart
    assert judge(cluster, roll_onsets(cluster), AM).failed == ("cluster",)
    assert judge(np.zeros((64, 128), bool), [], AM).failed == ("few_steps", "long_pause", "few_pitches", "off_key")


def test_fewer_than_four_bars_are_judged_as_the_loop_they_play():
    one = _lines([A_MINOR_BAR])
    assert loop_of(one) == one * 4 and judge_lines(one, AM).passed
    assert len(loop_of(_lines([A_MINOR_BAR] * 3))) == 4
    with pytest.raises(ValueError, match="no bars"):
        loop_of([])


def test_pass_rates_per_rule_and_in_all():
    bar = _lines([A_MINOR_BAR])
    empty = [Line.empty()]
    verdicts = [judge_lines(bar, AM), judge_lines(bar, AM), judge_lines(bar, parse_key("E")), judge_lines(empty, AM)]
    rates = PassRates().extend(verdicts)
    r = rates.rates()
    assert set(r) == {*RULES, "all"} and r["all"] == 0.5 and r["off_key"] == 0.5 and r["cluster"] == 1.0


def test_families_cover_the_melodic_programs():
    assert [FAMILIES[family_of_program(p)] for p in (33, 0, 25, 48, 90, 81, 105)] == [  # type: ignore[index]
        "bass", "keys", "guitar", "pad", "pad", "lead", "lead",
    ]  # fmt: skip
    assert family_of_program(118) is None and parse_family("Lead") == 4 and parse_family(0) == 0
    with pytest.raises(ValueError, match="bass, keys, guitar, pad, lead"):
        parse_family("drums")


@pytest.fixture(scope="module")
def mined(tmp_path_factory: pytest.TempPathFactory) -> PairSet:
    """Pairs from six real songs: two revisions of one song and four others."""
    root = tmp_path_factory.mktemp("songs") / "freedoom"
    root.mkdir()
    picks = ["d_dm03.mid", "d_dm03__hist_2fa77272.mid", "d_dm01.mid", "d_dm10.mid", "d_dm12.mid", "d_dm16.mid"]
    for name in picks:
        shutil.copy(MELODY_DATA / "freedoom" / name, root / name)
    (root / "SOURCE.md").write_text("# x\n\n- Repository: https://example.org/x\n- Licence: BSD-3-Clause\n")
    return mine_pairs([root.parent])


def test_pairs_hold_aligned_drum_and_line_bars(mined: PairSet):
    assert len(mined) > 300 and len(mined.songs) == 6
    assert mined.drums.shape[1:] == (96, 9) and mined.latents.shape == (len(mined.drums), 2)
    notes = (mined.pitch >= 0).sum(axis=1)
    assert notes.min() >= 3  # bars with too few notes are left out
    drum_onsets = (mined.drums[mined.pair_drum] > 0).sum(axis=(1, 2))
    assert drum_onsets.min() >= 2  # only used drum bars
    assert set(np.unique(mined.family).tolist()) <= set(range(len(FAMILIES)))
    assert ((mined.key >= 0) & (mined.key < 24)).all()
    assert len(mined.windows()) > 50


def test_the_split_goes_by_song_with_its_older_revisions(mined: PairSet):
    assert song_group("/x/freedoom/d_dm03__hist_2fa77272.mid") == song_group("/y/freedoom/d_dm03.mid")
    parts = split_by_song(mined, (0.5, 0.5), seed=3)
    groups = [set(p.groups[np.unique(p.pair_song)].tolist()) for p in parts]
    assert groups[0] and groups[1] and not groups[0] & groups[1]
    assert sum(len(p) for p in parts) == len(mined)


def test_every_pair_is_seen_in_all_twelve_keys_over_twelve_epochs(mined: PairSet):
    index = np.arange(40)
    shifts = np.stack([transposition(index, e) for e in range(1, 13)])
    assert ((shifts >= -6) & (shifts <= 5)).all()
    assert all(sorted(shifts[:, i].tolist()) == list(range(-6, 6)) for i in range(40))
    batch = melody_batch(mined, index, np.full(40, 5))
    base = melody_batch(mined, index, np.zeros(40, dtype=np.int64))
    assert ((batch.key % 12 - base.key % 12) % 12 == 5).all() and (batch.key // 12 == base.key // 12).all()
    assert (batch.onsets == base.onsets).all() and ((batch.pitches >= 0) & (batch.pitches < PITCHES)).all()
    # the targets are the real pitches relative to the tonic in the batch's octave
    i, t = np.argwhere(base.onsets > 0)[0]
    tonic = int(base.key[i]) % 12
    assert reference_pitch(tonic, base.octave[i]) + PITCH_LOW + base.pitches[i, t] == mined.pitch[i, t]
    assert octave_of(np.array([45.0]), np.array([9])).tolist() == [2]
    seed = seed_batch(mined, mined.windows()[:8], np.zeros(8, dtype=np.int64))
    assert seed.drums.shape == (8, 4, 96, 9) and seed.roll.shape == (8, 64, 128) and seed.roll.sum() > 0


def test_pairs_save_and_load_without_pickle(mined: PairSet, tmp_path: Path):
    path = tmp_path / "pairs.npz"
    mined.save(path)
    back = PairSet.load(path)
    assert len(back) == len(mined) and (back.pitch == mined.pitch).all() and back.songs.tolist() == mined.songs.tolist()


def test_sources_and_licences_are_read_from_source_md():
    sources = data_sources([MELODY_DATA])
    assert [s["data"] for s in sources] == ["freedoom", "simutrans"]  # the test copies; the corpus adds openttd_openmsx
    assert all(s["licence"] and s["repository"].startswith("https://github.com/") for s in sources)
