"""Reading MIDI clips into bars and writing bars back, on real GMD clips and on exact clips written here."""

from __future__ import annotations

import random
from pathlib import Path

import mido
import numpy as np
import pytest

from rvae_server.core.bar import INSTRUMENT_NAMES, TICKS, Bar
from rvae_server.core.midifile import ClipError, find_clips, read_clip
from rvae_server.core.midiwrite import write_bars

DATA = Path(__file__).parent / "data" / "groove"
KICK, SNARE, HAT, RIDE = 36, 38, 42, 51


def write_midi(
    path: Path,
    events: list[tuple[int, mido.Message | mido.MetaMessage]],
    ppq: int = 480,
    midi_type: int = 0,
    end: int | None = None,
) -> Path:
    """Write absolute-tick events as a one-track file (events of a type-1 file: list of lists)."""
    midi = mido.MidiFile(type=midi_type, ticks_per_beat=ppq)
    track = mido.MidiTrack()
    now = 0
    for at, msg in sorted(events, key=lambda e: e[0]):
        track.append(msg.copy(time=at - now))
        now = at
    if end is not None:
        track.append(mido.MetaMessage("end_of_track", time=max(0, end - now)))
    midi.tracks.append(track)
    midi.save(path)
    return path


def hit(at: int, note: int, velocity: int = 100, channel: int = 9) -> list[tuple[int, mido.Message]]:
    return [
        (at, mido.Message("note_on", note=note, velocity=velocity, channel=channel)),
        (at + 10, mido.Message("note_off", note=note, velocity=0, channel=channel)),
    ]


def meter(at: int, num: int, den: int) -> tuple[int, mido.MetaMessage]:
    return (at, mido.MetaMessage("time_signature", numerator=num, denominator=den))


def tempo(at: int, bpm: float) -> tuple[int, mido.MetaMessage]:
    return (at, mido.MetaMessage("set_tempo", tempo=round(60_000_000 / bpm)))


def grid_lock(bars: list[Bar], period: int) -> float:
    """How tightly note times (tick + microtiming/2) lock to a grid of ``period`` ticks: the length of the mean
    phase vector (1 = every note on the grid, ~0 = no relation). Robust to a drummer playing ahead of the click."""
    times = np.concatenate([np.nonzero(b.onsets)[0] + b.microtiming[b.onsets > 0] / 2 for b in bars])
    return float(abs(np.exp(2j * np.pi * times / period).mean()))


def cells(bar: Bar, instrument: str) -> list[int]:
    return [int(t) for t in np.nonzero(bar.onsets[:, INSTRUMENT_NAMES.index(instrument)])[0]]


# ----------------------------------------------------------------------------------------- real GMD clips


def test_straight_groove_reads_bar_by_bar():
    path = DATA / "drummer7/session2/26_rock_118_beat_4-4.mid"
    clip = read_clip(path)
    assert clip.meters == ["4/4"] and not clip.warnings and not clip.skipped
    assert len(clip.bars) == 18
    assert all(b.meter == "4/4" and b.bpm == pytest.approx(118, abs=0.01) for b in clip.bars)
    assert [b.index for b in clip.bars] == list(range(18))
    assert [b.source_bar for b in clip.bars] == list(range(1, 19))
    middle = [b.bar for b in clip.bars[1:-1]]
    assert all(b.onset_count() >= 8 for b in middle)
    # a straight rock groove locks to the sixteenth grid (6 ticks), not to the triplet grid (8 ticks)
    assert grid_lock(middle, 6) > 0.4 and grid_lock(middle, 6) > 2 * grid_lock(middle, 8)
    mt = np.concatenate([b.microtiming[b.onsets > 0] for b in middle])
    assert np.all((mt >= -1) & (mt < 1)) and np.std(mt) > 0.05  # a human performance: not quantised


def test_shuffle_lands_on_the_triplet_grid():
    clip = read_clip(DATA / "drummer4/session1/8_blues-shuffle_112_beat_4-4.mid")
    bars = [b.bar for b in clip.bars]
    assert grid_lock(bars, 8) > 0.5 and grid_lock(bars, 8) > 5 * grid_lock(bars, 6)


def test_six_eight_pairs_bars_and_puts_eighths_eight_ticks_apart():
    clip = read_clip(DATA / "drummer6/session1/1_rock_70_beat_6-8.mid")
    assert clip.meters == ["6/8"]
    assert [b.source_bar for b in clip.bars][:4] == [1, 3, 5, 7]
    assert clip.bars[0].bpm == pytest.approx(70 / 1.5, abs=0.01)  # dotted-quarter beats
    bars = [b.bar for b in clip.bars]
    assert grid_lock(bars, 8) > 0.3 and grid_lock(bars, 8) > 2 * grid_lock(bars, 6)


def test_three_four_is_skipped_with_a_reason_naming_the_meter():
    clip = read_clip(DATA / "drummer1/session2/4_jazz_120_beat_3-4.mid")
    assert clip.bars == []
    assert clip.skipped and clip.skipped[0].meter == "3/4"
    assert "3/4" in clip.skipped[0].reason and "3/4" in clip.warnings[0]


def test_a_one_bar_fill_and_the_used_flag(tmp_path):
    clip = read_clip(DATA / "drummer7/session3/42_rock-indie_63_fill_4-4.mid")
    assert len(clip.bars) >= 1 and clip.bars[0].used
    one = write_midi(tmp_path / "one.mid", hit(0, KICK), end=1920)
    assert [b.used for b in read_clip(one).bars] == [False]


def test_find_clips_recurses_and_sorts():
    found = find_clips([DATA])
    assert len(found) == 17
    assert found == sorted(found)
    assert all(p.suffix == ".mid" for p in found)


# ----------------------------------------------------------------------------------------- exact cases


def test_twelve_eight_triplets_land_exactly_on_the_grid(tmp_path):
    ppq = 480  # an eighth is 240 ticks; a 12/8 bar is 12 eighths
    events = [meter(0, 12, 8), tempo(0, 90)]
    for k in range(12):
        events += hit(k * 240, HAT, 60 + k)
    events += hit(0, KICK) + hit(6 * 240, SNARE)
    clip = read_clip(write_midi(tmp_path / "t.mid", events, ppq=ppq, end=12 * 240))
    assert len(clip.bars) == 1 and clip.meters == ["12/8"]
    bar = clip.bars[0].bar
    assert cells(bar, "closed-hat") == list(range(0, 96, 8))
    assert cells(bar, "snare") == [48]
    assert np.all(bar.microtiming == 0)
    assert clip.bars[0].bpm == pytest.approx(60.0)  # 90 quarters a minute = 60 dotted quarters


def test_tempo_and_meter_changes_mid_file(tmp_path):
    ppq = 96
    bar44 = 4 * ppq
    bar34 = 3 * ppq
    events = [meter(0, 4, 4), tempo(0, 100), tempo(bar44, 140)]
    events += hit(0, KICK) + hit(2 * ppq, SNARE)  # bar 1 (4/4)
    events += hit(bar44, KICK) + hit(bar44 + 3 * ppq, SNARE)  # bar 2 (4/4), tempo 140
    events += [meter(2 * bar44, 3, 4)]  # bars 3-4 in 3/4
    events += hit(2 * bar44, KICK) + hit(2 * bar44 + bar34, KICK)
    start = 2 * bar44 + 2 * bar34
    events += [meter(start, 4, 4)]  # bar 5 back in 4/4, with a tempo change in the middle of it
    events += hit(start, KICK) + hit(start + ppq, HAT) + [tempo(start + 2 * ppq, 60)] + hit(start + 3 * ppq, SNARE)
    clip = read_clip(write_midi(tmp_path / "m.mid", events, ppq=ppq, end=start + bar44))
    assert clip.meters == ["4/4", "3/4"]
    assert [b.source_bar for b in clip.bars] == [1, 2, 5]
    assert [round(b.bpm) for b in clip.bars] == [100, 140, 140]
    assert cells(clip.bars[1].bar, "snare") == [72]
    last = clip.bars[2].bar
    assert cells(last, "kick") == [0] and cells(last, "closed-hat") == [24] and cells(last, "snare") == [72]
    assert clip.skipped[0].first_bar == 3 and clip.skipped[0].last_bar == 4 and clip.skipped[0].meter == "3/4"


def test_two_four_pairs_bars(tmp_path):
    ppq = 480
    events = [meter(0, 2, 4)] + hit(0, KICK) + hit(ppq, SNARE) + hit(2 * ppq, KICK) + hit(3 * ppq, SNARE)
    clip = read_clip(write_midi(tmp_path / "p.mid", events, ppq=ppq, end=4 * ppq))
    assert len(clip.bars) == 1
    assert cells(clip.bars[0].bar, "kick") == [0, 48] and cells(clip.bars[0].bar, "snare") == [24, 72]


@pytest.mark.parametrize("ppq", [24, 96, 480, 1000])
def test_microtiming_is_half_ticks_positive_late_any_ppq(tmp_path, ppq):
    per_tick = ppq / 24
    late = round(12 * per_tick + 0.25 * per_tick)  # a quarter of a tick late → microtiming ≈ +0.5
    early = round(36 * per_tick - 0.25 * per_tick)
    events = hit(0, KICK) + hit(late, SNARE) + hit(early, HAT)
    bar = read_clip(write_midi(tmp_path / "mt.mid", events, ppq=ppq, end=4 * ppq)).bars[0].bar
    resolution = 2 / per_tick
    if ppq >= 96:
        assert cells(bar, "snare") == [12] and bar.microtiming[12, 1] == pytest.approx(0.5, abs=resolution)
        assert cells(bar, "closed-hat") == [36] and bar.microtiming[36, 2] == pytest.approx(-0.5, abs=resolution)
    else:  # 24 ppq: the file's resolution is one tick; nothing to split
        assert cells(bar, "snare") == [12] and cells(bar, "closed-hat") == [36]


def test_a_note_just_before_a_bar_line_is_the_next_bar_early(tmp_path):
    ppq = 480
    events = hit(0, KICK) + hit(2 * ppq, SNARE) + hit(4 * ppq - 5, KICK) + hit(6 * ppq, SNARE)  # 0.25 tick early
    clip = read_clip(write_midi(tmp_path / "e.mid", events, ppq=ppq, end=8 * ppq))
    assert len(clip.bars) == 2
    assert cells(clip.bars[0].bar, "kick") == [0]
    assert cells(clip.bars[1].bar, "kick") == [0]
    assert clip.bars[1].bar.microtiming[0, 0] == pytest.approx(-0.5)


def test_two_notes_of_one_instrument_on_one_tick_keep_the_louder(tmp_path):
    # 38 and 40 are both snare; 42 and 22 both closed hat; they land on the same ticks
    events = hit(0, 38, 50) + hit(2, 40, 110) + hit(480, 42, 90) + hit(481, 22, 30) + hit(960, KICK, 64)
    bar = read_clip(write_midi(tmp_path / "c.mid", events, end=1920)).bars[0].bar
    assert bar.onset_count() == 3
    assert bar.velocities[0, 1] == pytest.approx(110 / 127)
    assert bar.microtiming[0, 1] == pytest.approx(2 / 20 * 2)  # the louder one's timing (2 ticks of 20)
    assert bar.velocities[24, 2] == pytest.approx(90 / 127)


def test_type_one_tracks_are_merged(tmp_path):
    midi = mido.MidiFile(type=1, ticks_per_beat=480)
    conductor = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500000, time=0)])
    kicks = mido.MidiTrack([mido.Message("note_on", note=36, velocity=100, channel=9, time=0)])
    snares = mido.MidiTrack([mido.Message("note_on", note=38, velocity=100, channel=9, time=480)])
    midi.tracks += [conductor, kicks, snares]
    midi.save(tmp_path / "t1.mid")
    bar = read_clip(tmp_path / "t1.mid").bars[0].bar
    assert cells(bar, "kick") == [0] and cells(bar, "snare") == [24]


def test_drums_on_one_other_channel_read_with_a_warning(tmp_path):
    events = hit(0, KICK, channel=0) + hit(480, SNARE, channel=0)
    clip = read_clip(write_midi(tmp_path / "ch1.mid", events, end=1920))
    assert clip.bars[0].bar.onset_count() == 2
    assert any("channel 1 as drums" in w for w in clip.warnings)


def test_no_drum_channel_and_several_channels_is_an_error(tmp_path):
    events = hit(0, KICK, channel=0) + hit(480, SNARE, channel=3)
    with pytest.raises(ClipError, match="no drum notes on channel 10.*channels 1, 4"):
        read_clip(write_midi(tmp_path / "multi.mid", events, end=1920))


def test_unmapped_pitches_are_ignored_with_a_warning(tmp_path):
    events = hit(0, KICK) + hit(480, 100) + hit(960, SNARE)
    clip = read_clip(write_midi(tmp_path / "u.mid", events, end=1920))
    assert clip.bars[0].bar.onset_count() == 2
    assert any("[100]" in w for w in clip.warnings)


# ----------------------------------------------------------------------------------------- bad input


def test_bad_files_give_one_line_errors(tmp_path):
    real = (DATA / "drummer7/session2/26_rock_118_beat_4-4.mid").read_bytes()
    cases = {
        "empty.mid": (b"", "empty file"),
        "text.mid": (b"hello, I am not MIDI\n" * 10, "not a MIDI file"),
        "truncated.mid": (real[: len(real) // 2], "corrupt MIDI file: track 1 is truncated"),
        "header.mid": (real[:10], "corrupt MIDI file"),
        "smpte.mid": (real[:12] + bytes([0xE7, 0x28]) + real[14:], "SMPTE"),
        "notes-none.mid": (None, "no notes"),
    }
    for name, (data, expected) in cases.items():
        path = tmp_path / name
        if data is None:
            write_midi(path, [meter(0, 4, 4)], end=1920)
        else:
            path.write_bytes(data)
        with pytest.raises(ClipError) as info:
            read_clip(path)
        message = str(info.value)
        assert message.startswith(str(path)) and expected in message and "\n" not in message
    with pytest.raises(ClipError, match="no such file"):
        read_clip(tmp_path / "missing.mid")
    with pytest.raises(ClipError, match="is a folder"):
        read_clip(tmp_path)


def test_absurd_sizes_are_refused_before_parsing(tmp_path):
    big = tmp_path / "big.mid"
    with open(big, "wb") as fh:
        fh.write(b"MThd")
        fh.truncate(11 * 1024 * 1024)  # sparse: costs nothing to write, 11 MB to read
    with pytest.raises(ClipError, match="refusing MIDI files over 10 MB"):
        read_clip(big)


def test_random_corruption_never_escapes_as_anything_but_clip_error(tmp_path):
    real = bytearray((DATA / "drummer3/session2/25_hiphop_92_beat_4-4.mid").read_bytes())
    rng = random.Random(1234)
    path = tmp_path / "fuzz.mid"
    outcomes = {"read": 0, "error": 0}
    for _ in range(300):
        data = bytearray(real)
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            data = data[: rng.randrange(14, len(data))]
        path.write_bytes(bytes(data))
        try:
            clip = read_clip(path)
            outcomes["read"] += 1
            assert all(b.bar.onsets.shape == (TICKS, 9) for b in clip.bars)
        except ClipError as err:
            outcomes["error"] += 1
            assert "\n" not in str(err)
    assert outcomes["read"] and outcomes["error"]


# ----------------------------------------------------------------------------------------- writing


def test_written_bars_read_back_the_same(tmp_path):
    bars = [b.bar for b in read_clip(DATA / "drummer7/session1/14_jazz_100_beat_4-4.mid").bars[:6]]
    # and an early downbeat on the first bar: the loop writes it at the file's end and reads it back on tick 0
    first = bars[0].planes()
    first[:, 0, 0] = (1.0, 0.75, -0.6)
    bars[0] = Bar.from_planes(first)
    for ppq in (480, 960):
        out = tmp_path / f"out{ppq}.mid"
        write_bars(out, bars, bpm=100, ppq=ppq)
        back = read_clip(out)
        assert len(back.bars) == len(bars)
        assert all(b.bpm == pytest.approx(100, abs=0.01) and b.meter == "4/4" for b in back.bars)
        resolution = 48 / ppq  # one file tick in half-ticks
        for want, got in zip(bars, (b.bar for b in back.bars), strict=True):
            np.testing.assert_array_equal(want.onsets, got.onsets)
            np.testing.assert_allclose(want.velocities, got.velocities, atol=1 / 127 + 1e-6)
            np.testing.assert_allclose(want.microtiming, got.microtiming, atol=resolution / 2 + 1e-6)


def test_written_file_is_standard_midi_on_channel_ten(tmp_path):
    bar = Bar.from_notes([(0, 0, 1.0, 0.0), (24, 1, 0.5, 0.0), (24, 8, 0.25, 0.0)])
    out = tmp_path / "x.mid"
    write_bars(out, [bar, bar], bpm=123.0)
    midi = mido.MidiFile(out)
    notes = [m for m in midi.tracks[0] if m.type == "note_on"]
    assert {m.channel for m in notes} == {9}
    assert sorted({m.note for m in notes}) == [36, 38, 51]
    tempos = [m.tempo for m in midi.tracks[0] if m.type == "set_tempo"]
    assert mido.tempo2bpm(tempos[0]) == pytest.approx(123.0, abs=0.01)
    assert sum(m.time for m in midi.tracks[0]) == 2 * 4 * midi.ticks_per_beat  # ends on the bar line


def test_write_is_atomic(tmp_path, monkeypatch):
    out = tmp_path / "keep.mid"
    out.write_bytes(b"previous")
    import rvae_server.core.midifile as mf

    def boom(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(mf.os, "fsync", boom)
    with pytest.raises(OSError):
        write_bars(out, [Bar.from_notes([(0, 0, 1.0, 0.0)])])
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.mid"]
