"""Melodic tracks on the drum grid (core/melodyfile.py, smf.py with melodic=True): exact files written here, and the
real multi-track songs (tests/data/melody, copied from ../shared/data/melody)."""

from __future__ import annotations

from pathlib import Path

import mido
import numpy as np
import pytest

from rvae_server.core.melodyfile import read_notes, read_song
from rvae_server.core.midifile import ClipError, read_clip
from rvae_server.core.smf import parse_smf

MELODY_DATA = Path(__file__).parent / "data" / "melody"  # songs copied from ../shared/data/melody
PPQ = 480
BAR = 4 * PPQ


def song(path: Path, tracks: list[list[tuple[int, mido.Message | mido.MetaMessage]]]) -> Path:
    """A type-1 file of absolute-tick tracks."""
    midi = mido.MidiFile(type=1, ticks_per_beat=PPQ)
    for events in tracks:
        track = mido.MidiTrack()
        now = 0
        for at, msg in sorted(events, key=lambda e: e[0]):
            track.append(msg.copy(time=at - now))
            now = at
        midi.tracks.append(track)
    midi.save(path)
    return path


def on(at: int, note: int, channel: int, velocity: int = 100) -> tuple[int, mido.Message]:
    return (at, mido.Message("note_on", note=note, velocity=velocity, channel=channel))


def off(at: int, note: int, channel: int, zero_on: bool = False) -> tuple[int, mido.Message]:
    if zero_on:  # a note-on of velocity 0 is a note-off
        return (at, mido.Message("note_on", note=note, velocity=0, channel=channel))
    return (at, mido.Message("note_off", note=note, velocity=0, channel=channel))


def drums(bars: int) -> list[tuple[int, mido.Message | mido.MetaMessage]]:
    out: list[tuple[int, mido.Message | mido.MetaMessage]] = [
        (0, mido.MetaMessage("time_signature", numerator=4, denominator=4))
    ]
    for b in range(bars):
        for beat in range(4):
            out += [on(b * BAR + beat * PPQ, 36, 9), off(b * BAR + beat * PPQ + 10, 36, 9)]
    return out


@pytest.fixture
def two_parts(tmp_path: Path) -> Path:
    bass: list[tuple[int, mido.Message | mido.MetaMessage]] = [
        (0, mido.Message("program_change", channel=1, program=33))
    ]
    # bar 0: A2 a quarter, C3 an eighth (note-on velocity 0 as its note-off), E3 struck twice without a note-off
    bass += [on(0, 45, 1), off(PPQ, 45, 1), on(PPQ, 48, 1, 90), off(PPQ + PPQ // 2, 48, 1, zero_on=True)]
    bass += [on(2 * PPQ, 52, 1), on(3 * PPQ, 52, 1), off(3 * PPQ + PPQ // 4, 52, 1)]
    # bar 1: a note 6 file ticks before the bar line belongs to bar 1's tick 0 (as drum notes do)
    bass += [on(2 * BAR - 6, 47, 1), off(2 * BAR + PPQ, 47, 1)]
    piano = [(0, mido.Message("program_change", channel=0, program=4))]
    piano += [on(BAR, 60, 0), on(BAR, 64, 0), on(BAR, 67, 0), off(BAR + 2 * PPQ, 60, 0), off(BAR + 2 * PPQ, 64, 0)]
    piano += [off(BAR + 2 * PPQ, 67, 0)]
    return song(tmp_path / "song.mid", [drums(3), bass, piano])


def test_parts_land_on_the_drum_grid_with_program_length_and_velocity(two_parts: Path):
    s = read_song(two_parts)
    assert len(s.clip.bars) == 3 and s.clip.bars[0].bar.onset_count() == 4
    by_program = {p.program: p for p in s.parts}
    assert sorted(by_program) == [4, 33]
    bass = by_program[33]
    assert bass.channel == 2 and bass.track == 2
    assert bass.bars.tolist() == [0, 0, 0, 0, 2]
    assert bass.ticks.tolist() == [0, 24, 48, 72, 0]
    assert bass.pitches.tolist() == [45, 48, 52, 52, 47]
    assert bass.velocities.tolist() == [100, 90, 100, 100, 100]
    # lengths in grid ticks: a quarter, an eighth, cut by the second E3, a sixteenth, past the bar line
    assert bass.lengths.round(3).tolist() == [24.0, 12.0, 24.0, 6.0, 24.3]
    piano = by_program[4]
    assert piano.bars.tolist() == [1, 1, 1] and piano.ticks.tolist() == [0, 0, 0]
    assert piano.pitches.tolist() == [60, 64, 67] and piano.lengths.tolist() == [48.0] * 3


def test_drum_bars_are_those_read_clip_reads(two_parts: Path):
    s = read_song(two_parts)
    clip = read_clip(two_parts)
    assert [b.bar for b in s.clip.bars] == [b.bar for b in clip.bars]


def test_smf_keeps_tracks_note_offs_and_programs_only_when_asked(two_parts: Path):
    data = two_parts.read_bytes()
    plain = parse_smf(data)
    full = parse_smf(data, melodic=True)
    assert plain.note_ticks == full.note_ticks and not plain.off_ticks and not plain.programs
    assert len(full.note_tracks) == len(full.note_ticks)
    assert sorted(full.programs) == [(0, 0, 4), (0, 1, 33)]
    assert len(full.off_ticks) == len(full.off_pitches) == len(full.off_tracks) >= 8


def test_read_notes_in_quarter_notes(two_parts: Path):
    notes = read_notes(two_parts)
    assert len(notes) == 8 and set(notes.channels.tolist()) == {1, 2}
    assert notes.starts[:2].tolist() == [0.0, 1.0] and notes.lengths[0] == 1.0
    assert (np.diff(notes.starts) >= 0).all()


def test_a_file_of_drums_only_has_no_parts_and_read_notes_says_so(tmp_path: Path):
    path = song(tmp_path / "drums.mid", [drums(2)])
    assert read_song(path).parts == []
    with pytest.raises(ClipError, match="no melodic notes"):
        read_notes(path)


def test_bad_files_are_clip_errors(tmp_path: Path):
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\x00\x00\x00\x10\x00\x90")
    with pytest.raises(ClipError, match="bad.mid"):
        read_song(bad)
    with pytest.raises(ClipError, match="no such file"):
        read_notes(tmp_path / "missing.mid")


def test_real_songs_read_with_parts_aligned_to_their_drum_bars():
    files = sorted(MELODY_DATA.rglob("*.mid"))
    assert len(files) == 9, f"the test songs are missing at {MELODY_DATA}"
    with_parts = 0
    for path in files:
        try:
            s = read_song(path)
        except ClipError as err:  # 3 of the corpus's 318 files are rejected by the strict parser, naming the cause
            assert str(path) in str(err)
            continue
        with_parts += bool(s.parts)
        if not s.clip.bars:  # a song in 3/4 throughout has no 96-tick bars, so no parts either
            assert not s.parts and s.clip.skipped
        for part in s.parts:
            assert part.channel != 10
            assert ((part.ticks >= 0) & (part.ticks < 96)).all()
            assert ((part.bars >= 0) & (part.bars < len(s.clip.bars))).all()
            assert (part.lengths >= 1).all()
    assert with_parts == len(files)  # all nine have melodic parts over 4/4 drum bars
