"""Mining drum loops (rvae_server.mining): the quality filter, keys and rotations, loop finding, style labels, the
whole pipeline on a synthetic corpus whose every count is known, the dataset file, and training from it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from rvae_server.core.bar import TICKS, Bar, stack
from rvae_server.core.dataset import DatasetError, read_dataset
from rvae_server.core.midifile import read_clip
from rvae_server.core.midiwrite import write_bars
from rvae_server.core.patterns import ENTROPY_K as MIN_ENTROPY
from rvae_server.core.patterns import calibrate_entropy_k as calibrate_entropy
from rvae_server.core.patterns import column_entropy as code_entropy
from rvae_server.core.patterns import passes
from rvae_server.mining.keys import bar_keys, canonical, digest, snap_times
from rvae_server.mining.labels import Labeller
from rvae_server.mining.loops import DEFAULT_MIN_REPEATS, PATTERN_BARS, find_loops, segments
from rvae_server.mining.pipeline import MiningError, mine
from rvae_server.mining.work import Settings
from rvae_server.model.trainingdata import load_training_bars, split_data
from tests.mining_corpus import EXPECTED, FUNK_A, FUNK_B, ROCK, SPARSE, bar_of, groove, write_corpus

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus") / "songs"
    write_corpus(root)
    return root


@pytest.fixture(scope="module")
def mined(corpus: Path) -> tuple[dict, Path]:
    out = corpus.parent / "mined.npz"
    return mine([(str(corpus), None)], out, workers=1), out


# ------------------------------------------------------------------------------------------------ quality


def test_the_quality_filter_needs_4_onsets_on_2_instruments_and_entropy_above_the_threshold():
    three = bar_of([(0, 0), (24, 1), (48, 0)])
    one_instrument = SPARSE
    onsets = np.stack([ROCK.onsets, three.onsets, one_instrument.onsets, Bar.empty().onsets])
    assert passes(onsets).tolist() == [True, False, False, False]
    # entropy of the tick-column codes: one code everywhere → 0; 96 different codes → log2(96)
    distinct = np.zeros((TICKS, 9))
    for t in range(TICKS):
        distinct[t] = [(t + 1) >> k & 1 for k in range(9)]
    assert code_entropy(np.stack([np.zeros((TICKS, 9)), distinct])) == pytest.approx([0.0, np.log2(96)])
    # a sparse quarter-note groove is below the GMD-calibrated threshold, a sixteenth-note one above
    quarters = bar_of([(t, 2) for t in range(0, TICKS, 24)] + [(0, 0), (48, 0), (24, 1), (72, 1)])
    assert code_entropy(quarters.onsets[None])[0] < MIN_ENTROPY < code_entropy(ROCK.onsets[None])[0]


def test_calibration_finds_the_threshold_that_passes_the_share_asked():
    rng = np.random.default_rng(0)
    onsets = (rng.random((500, TICKS, 9)) < rng.uniform(0.005, 0.1, (500, 1, 1))).astype(np.float32)
    for target in (0.5, 0.82):
        threshold = calibrate_entropy(onsets, target)
        assert passes(onsets, threshold).mean() == pytest.approx(target, abs=0.004)
    with pytest.raises(ValueError, match="cannot reach"):
        calibrate_entropy(np.zeros((10, TICKS, 9)), 0.5)


# ------------------------------------------------------------------------------------------------ keys


def test_keys_snap_to_sixteenths_and_eighth_triplets_and_ignore_velocity_and_microtiming():
    assert snap_times(np.array([0.4, 5.0, 7.0, 7.2, 10.0, 10.2, 95.6, -0.4])).tolist() == [0, 6, 6, 8, 8, 12, 0, 0]
    human = [groove(velocity=0.3 + 0.1 * k, jitter=0.9, seed=k) for k in range(5)]
    keys = bar_keys(stack([ROCK, *human]))
    assert all(np.array_equal(keys[0], k) for k in keys[1:])
    assert not np.array_equal(bar_keys(stack([FUNK_A]))[0], keys[0])


def test_every_rotation_of_a_loop_has_the_same_canonical_key_and_other_loops_do_not():
    base = bar_keys(stack([ROCK]))[0]
    canon = {digest(canonical(np.roll(base, r))) for r in range(TICKS)}
    assert canon == {digest(canonical(base))}
    assert digest(canonical(bar_keys(stack([FUNK_A]))[0])) not in canon
    two = bar_keys(stack([FUNK_A, FUNK_B])).ravel()
    assert {digest(canonical(np.roll(two, r))) for r in range(0, 2 * TICKS, 5)} == {digest(canonical(two))}
    assert digest(two) != digest(np.roll(two, TICKS))  # as found, the two phases differ


# ------------------------------------------------------------------------------------------------ loops


@pytest.mark.parametrize(
    ("keys", "repeats", "want"),
    [
        ("AAAAAA", 3, [(0, 2, 3)]),  # a 1-bar loop six times: the 32-step chunk AA three times
        ("AAAAA", 3, []),
        ("ABABAB", 3, [(0, 2, 3)]),
        ("ABABABAB", 3, [(0, 2, 4)]),
        ("ABABAB", 4, []),
        ("CABABABD", 3, [(1, 2, 3)]),
        ("CAAAAAAABABABABAD", 3, [(1, 2, 3), (7, 2, 4)]),
        ("AAAABB", 2, [(0, 2, 2)]),
        ("ABCABCABC", 3, []),
    ],
)
def test_patterns_are_two_bar_chunks_played_at_least_n_times_in_a_row(keys, repeats, want):
    found = find_loops(list(keys), 0, len(keys), repeats)
    assert [(f.first, f.length, f.repeats) for f in found] == want


def test_the_paper_rule_is_the_default():
    assert Settings().min_repeats == 3 == DEFAULT_MIN_REPEATS and PATTERN_BARS == 2


def test_parts_split_at_empty_bars():
    assert segments(np.array([3, 4, 0, 5, 0, 0, 2])) == [(0, 2), (3, 4), (6, 7)]
    with pytest.raises(ValueError, match="at least 2"):
        find_loops(["A"], 0, 1, 1)


# ------------------------------------------------------------------------------------------------ labels


def test_styles_come_from_gmd_metadata_file_names_keywords_or_the_fallback(tmp_path):
    root = tmp_path / "gmd"
    (root / "drummer1" / "session1").mkdir(parents=True)
    (root / "info.csv").write_text(
        "drummer,style,midi_filename\nd1,rock/shuffle,drummer1/session1/1_rock-shuffle_80_beat_4-4.mid\n"
    )
    labeller = Labeller(root)
    assert labeller.label(root / "drummer1/session1/1_rock-shuffle_80_beat_4-4.mid") == ("rock", "rock/shuffle")
    assert labeller.label(root / "drummer1/session1/2_jazz-funk_116_fill_4-4.mid") == ("jazz", "jazz/funk")
    assert Labeller(tmp_path).label(tmp_path / "stdlib__rockballad__RockBalladA.mid") == ("ballad", "RockBalladA")
    assert Labeller(tmp_path).label(tmp_path / "kara__8beatmotown__A.mid")[0] == "soul"
    assert Labeller(tmp_path).label(tmp_path / "level1.mid") == ("other", "level1")
    assert Labeller(tmp_path, "game").label(tmp_path / "level1.mid") == ("game", "level1")


# ------------------------------------------------------------------------------------------------ pipeline


def test_mining_the_synthetic_corpus_gives_the_known_count_after_every_stage(mined):
    summary, out = mined
    assert {k: summary[k] for k in EXPECTED} == EXPECTED
    assert summary["segments"] == 10
    assert summary["broken"] == {"corrupt MIDI file": 1, "no channel-10 drum part": 1, "not a MIDI file": 1}
    assert summary["skipped"] == {"no channel-10 drum part": 1}
    assert summary["styles"] == {"rock": 2, "funk": 1}
    assert json.loads(out.with_suffix(".json").read_text()) == summary


def test_the_dataset_keeps_each_pattern_as_first_found_with_its_provenance(mined):
    _, out = mined
    ds = read_dataset(out)
    files = ds.text("files")
    a = ds.arrays
    got = {
        files[f]: (int(n), int(src), int(rep), int(occ), ds.text("styles")[s])
        for f, n, src, rep, occ, s in zip(a["pattern_file"], a["pattern_length"], a["pattern_source_bar"],
                                          a["pattern_repeats"], a["pattern_occurrences"], a["pattern_style"],
                                          strict=True)
    }  # fmt: skip
    assert got == {
        "songs/funk/two-bar-late.mid": (2, 1, 4, 2, "funk"),  # sorted first; two-bar is its phase shift
        "songs/rock/pause.mid": (2, 8, 3, 1, "rock"),  # FUNK_A alone, after the pause
        "songs/rock/human.mid": (2, 1, 3, 3, "rock"),  # human, late (a phase shift), straight: files are sorted
    }
    bars = ds.bars()
    order = {f: k for k, f in enumerate(files)}
    first = a["pattern_first_bar"]
    human = read_clip(out.parent / "songs/rock/human.mid").bars
    k = int(first[list(a["pattern_file"]).index(order["songs/rock/human.mid"])])
    for j in range(2):
        np.testing.assert_array_equal(bars[k + j, 0], human[j].bar.onsets)
        np.testing.assert_allclose(bars[k + j, 1], human[j].bar.velocities, atol=0.5 / 127)
        np.testing.assert_allclose(bars[k + j, 2], human[j].bar.microtiming, atol=0.5 / 127)
    k = int(first[list(a["pattern_file"]).index(order["songs/funk/two-bar-late.mid"])])
    np.testing.assert_array_equal(bars[k : k + 2, 0], stack([FUNK_B, FUNK_A])[:, 0])
    assert ds.text("file_tracks")[order["songs/funk/two-bar-late.mid"]] == "1"
    assert len(ds.text("file_sha256")[0]) == 64
    assert ds.bar_source().tolist() == [
        int(s) + j for s, n in zip(a["pattern_source_bar"], a["pattern_length"], strict=True) for j in range(int(n))
    ]
    np.testing.assert_array_equal(np.concatenate(list(ds.bar_chunks(3))), bars)  # bounded slices, same bars


def test_n_is_configurable_and_the_sixteenth_grid_merges_what_the_triplet_points_keep_apart(corpus, tmp_path):
    two = mine([(str(corpus), None)], tmp_path / "two.npz", Settings(min_repeats=2), workers=1)
    assert two["loops"] > EXPECTED["loops"] and two["patterns"] > EXPECTED["patterns"]  # five.mid's FUNK_B, ...
    straight = [(t, i) for t in range(0, TICKS, 6) for i in (2,)] + [(0, 0), (48, 0), (24, 1), (72, 1)]
    shuffle = [(t, 2) for b in range(4) for t in (24 * b, 24 * b + 16)] + [(0, 0), (48, 0), (24, 1), (72, 1)]
    shuffle += [(t, 3) for t in range(6, TICKS, 24)]
    straight += [(t, 3) for t in range(6, TICKS, 24)]
    root = tmp_path / "grid"
    root.mkdir()
    write_bars(root / "a.mid", [bar_of(straight)] * 6)
    write_bars(root / "b.mid", [bar_of(shuffle)] * 6)
    musical = mine([(str(root), None)], tmp_path / "m.npz", workers=1)
    sixteenths = mine([(str(root), None)], tmp_path / "s.npz", Settings(grid="sixteenths"), workers=1)
    assert musical["patterns"] == 2 and sixteenths["settings"]["grid"] == "sixteenths"
    assert sixteenths["patterns"] == (1 if _same_on_sixteenths(straight, shuffle) else 2)


def _same_on_sixteenths(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> bool:
    snap = {t: int(snap_times(np.array([float(t)]), "sixteenths")[0]) for t, _ in a + b}
    return {(snap[t], i) for t, i in a} == {(snap[t], i) for t, i in b}


def test_real_files_are_mined_and_a_settings_change_is_recorded(tmp_path):
    out = tmp_path / "real.npz"
    summary = mine([(str(DATA / "mining"), None), (str(DATA / "groove"), None)], out, Settings(min_repeats=2),
                   workers=1)  # fmt: skip
    assert summary["files"] == 4 + 17 and summary["files_read"] == 21
    assert summary["patterns"] > 0 and summary["settings"]["min_repeats"] == 2
    ds = read_dataset(out)
    assert ds.meta["settings"]["min_repeats"] == 2 and ds.meta["summary"]["patterns"] == summary["patterns"]
    assert {f.split("/")[0] for f in ds.text("files")} <= {"mining", "groove"}


def test_bad_arguments_and_bad_datasets_are_refused_with_the_reason(tmp_path, mined):
    with pytest.raises(MiningError, match="no such file"):
        mine([(str(tmp_path / "nowhere"), None)], tmp_path / "x.npz")
    (tmp_path / "empty").mkdir()
    with pytest.raises(MiningError, match=r"no \.mid"):
        mine([(str(tmp_path / "empty"), None)], tmp_path / "x.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(DatasetError, match="not a dataset"):
        read_dataset(bad)
    _, out = mined
    with np.load(out) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["note_bar"] = arrays["note_bar"] + 1000
    np.savez(tmp_path / "shifted.npz", **arrays)
    with pytest.raises(DatasetError, match="note_bar.*outside"):
        read_dataset(tmp_path / "shifted.npz")


def test_training_data_from_a_dataset_is_one_clip_per_source_file(mined, tmp_path):
    _, out = mined
    copy = tmp_path / "d.npz"
    shutil.copy(out, copy)
    data = load_training_bars([str(copy)])
    assert data.failed == [] and data.bars == EXPECTED["bars_kept"]
    assert sorted(str(c.path) for c in data.clips) == [
        "songs/funk/two-bar-late.mid", "songs/rock/human.mid", "songs/rock/pause.mid"]  # fmt: skip
    assert data.datasets[0]["name"] == "d.npz" and data.datasets[0]["patterns"] == EXPECTED["patterns"]
    split = split_data(data)
    assert split.by == "bar"  # fewer than 6 source files
    (tmp_path / "broken.npz").write_bytes(b"nope")
    assert load_training_bars([str(tmp_path / "broken.npz")]).failed[0][1].startswith("not a dataset")
