"""A small synthetic corpus for the mining tests, written with the project's MIDI writer: every file's expected
fate is known (loops, duplicates, rotations, quality failures, broken and skipped files)."""

from __future__ import annotations

from pathlib import Path

import mido
import numpy as np

from rvae_server.core.bar import TICKS, Bar
from rvae_server.core.midiwrite import write_bars

KICK, SNARE, CH, OH, CRASH, RIDE = 0, 1, 2, 3, 7, 8


def groove(hat_step: int = 6, velocity: float = 0.8, jitter: float = 0.0, seed: int = 0, shift: int = 0) -> Bar:
    """Kick on 1 and 3 (and the 'and' of 3), snare on 2 and 4, hats every ``hat_step`` ticks; rotated by
    ``shift`` ticks; microtiming jitter up to ``jitter`` half-ticks."""
    rng = np.random.default_rng(seed)
    notes = [(t, CH) for t in range(0, TICKS, hat_step)]
    notes += [(0, KICK), (48, KICK), (60, KICK), (24, SNARE), (72, SNARE)]
    return Bar.from_notes(((t + shift) % TICKS, i, velocity, float(rng.uniform(-jitter, jitter))) for t, i in notes)


def bar_of(notes: list[tuple[int, int]], velocity: float = 0.8) -> Bar:
    return Bar.from_notes((t, i, velocity, 0.0) for t, i in notes)


FUNK_A = bar_of([(t, CH) for t in range(0, TICKS, 6)] + [(0, KICK), (42, KICK), (54, KICK), (24, SNARE), (72, SNARE),
                                                       (66, OH)])  # fmt: skip
FUNK_B = bar_of([(t, CH) for t in range(0, TICKS, 6)] + [(0, KICK), (30, KICK), (66, KICK), (24, SNARE), (72, SNARE),
                                                       (84, SNARE), (90, OH)])  # fmt: skip
ROCK = groove()
SPARSE = bar_of([(0, KICK), (24, KICK), (48, KICK), (72, KICK)])  # one instrument: fails the quality filter
FILLS = [bar_of([(t, i) for t in range(k, TICKS, 12 + 6 * k)] + [(0, CRASH)]) for i, k in ((1, 0), (4, 1), (5, 2),
                                                                                              (6, 3))]  # fmt: skip


def write_corpus(root: Path) -> dict[str, str]:
    """Write the corpus under ``root``; returns file → what it holds."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "rock").mkdir(exist_ok=True)
    (root / "funk").mkdir(exist_ok=True)
    what: dict[str, str] = {}

    def put(name: str, bars: list[Bar], note: str) -> None:
        write_bars(root / name, bars)
        what[name] = note

    put("rock/straight.mid", [ROCK] * 6, "a 1-bar loop x6: the 32-step pattern ROCK ROCK x3")
    put("rock/late.mid", [groove(shift=24)] * 6, "the same loop started a beat later (a phase shift)")
    put("rock/human.mid", [groove(velocity=0.5 + 0.1 * k, jitter=0.6, seed=k) for k in range(6)],
        "the same loop, other velocities and microtiming (a near-duplicate)")  # fmt: skip
    put("funk/two-bar.mid", [FUNK_A, FUNK_B] * 4, "a 2-bar pattern x4")
    put("funk/two-bar-late.mid", [FUNK_B, FUNK_A] * 4, "the 2-bar pattern started a bar later (a phase shift)")
    put("rock/sparse.mid", [SPARSE] * 6, "a pattern that fails the quality filter")
    put("rock/fills.mid", FILLS, "no loop")
    put("rock/five.mid", [FUNK_B] * 5, "a 1-bar loop x5: the pattern FUNK_B FUNK_B twice and a half (not 3 times)")
    put("rock/pause.mid", [ROCK, ROCK, Bar.empty(), *[ROCK] * 4, *[FUNK_A] * 6],
        "a pause splits the rock bars (2 + 4: ROCK ROCK twice, not 3 times); then FUNK_A x6: new")  # fmt: skip
    (root / "broken.mid").write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\x00\x00\x01\x00\x00")
    what["broken.mid"] = "broken: truncated"
    (root / "notes.mid").write_bytes(b"these are not MIDI bytes")
    what["notes.mid"] = "broken: not a MIDI file"
    piano = mido.MidiFile(type=1, ticks_per_beat=96)
    for channel in (0, 1):
        track = mido.MidiTrack()
        for k in range(16):
            track.append(
                mido.Message("note_on", channel=channel, note=60 + k % 5, velocity=80, time=0 if k == 0 else 96)
            )
            track.append(mido.Message("note_off", channel=channel, note=60 + k % 5, velocity=0, time=0))
        piano.tracks.append(track)
    piano.save(root / "piano.mid")
    what["piano.mid"] = "broken: no channel-10 drum part (notes on channels 1 and 2)"
    one = mido.MidiFile(type=0, ticks_per_beat=96)
    track = mido.MidiTrack()
    for k in range(32):
        track.append(
            mido.Message("note_on", channel=0, note=36 if k % 2 else 42, velocity=90, time=0 if k == 0 else 48)
        )
    one.tracks.append(track)
    one.save(root / "channel1.mid")
    what["channel1.mid"] = "skipped: drums on channel 1 (no channel-10 part)"
    return what


#: What mining the corpus with the default settings (the paper's: 32-step patterns played 3 times in a row) gives.
EXPECTED = {
    "files": 13,
    "files_read": 10,
    "files_with_drums": 9,
    "loops": 7,  # straight, late, human, two-bar, two-bar-late, sparse, pause's funk
    "quality": 6,  # sparse fails
    "distinct": 5,  # straight (= human), late, two-bar, two-bar-late, FUNK_A alone
    "patterns": 3,  # rock, the funk 2-bar, FUNK_A alone
    "removed_duplicates": 1,  # human
    "removed_by_rotation": 2,  # late, two-bar-late
    "bars_kept": 6,
}
