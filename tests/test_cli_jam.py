"""``rvae jam``: drums and a melody made for them, to a MIDI file, run as a performer runs it (a subprocess; the
checks of bad arguments run the command in this process)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import mido
import pytest

from rvae_server.core.melodyfile import read_notes
from rvae_server.core.midifile import read_clip
from rvae_server.melody.filters import judge_lines
from rvae_server.melody.keyfinder import detect_key
from rvae_server.melody.keys import parse_key
from rvae_server.melody.line import Line

ROOT = Path(__file__).resolve().parents[1]


def rvae(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "rvae_server.cli", *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)  # fmt: skip


def jam(out: Path, *extra: str, bars: int = 6) -> subprocess.CompletedProcess[str]:
    return rvae("jam", "--model", "groove-all", "--xy", "0.9", "0.1", "--key", "Am", "--seed", "3", "--bars",
                str(bars), "-o", str(out), *extra)  # fmt: skip


def test_jam_writes_drums_on_10_and_the_melody_on_its_channel_in_the_key(tmp_path: Path):
    out = tmp_path / "jam.mid"
    result = jam(out, "--family", "bass")
    assert result.returncode == 0, result.stderr
    summary = re.search(r"wrote .*: 6 bars, (\d+) drum notes, (\d+) bass notes in A minor; (\d) of 2 4-bar loops pass",
                        result.stderr)  # fmt: skip
    assert summary, result.stderr
    midi = mido.MidiFile(out)
    assert midi.type == 1 and [t.name for t in midi.tracks] == ["R-VAE drums", "R-VAE melody"]
    channels = [{m.channel for m in t if m.type == "note_on"} for t in midi.tracks]
    assert channels == [{9}, {0}]
    assert [m.program for m in midi.tracks[1] if m.type == "program_change"] == [33]  # bass: electric bass
    assert len(read_clip(out).bars) == 6 and all(b.bar.onset_count() >= 8 for b in read_clip(out).bars)
    notes = read_notes(out)
    assert len(notes) == int(summary[2]) and set(notes.channels.tolist()) == {1}
    assert detect_key(notes.pitches, notes.starts) == parse_key("Am")
    assert set((notes.pitches % 12).tolist()) <= set(parse_key("Am").scale)  # scale lock on by default
    assert all(33 <= p <= 57 for p in notes.pitches)  # the bass register: A1..A3 around A2
    # the loops the summary says passed pass the paper's filters (both key detectors) as read back from the file
    lines = _lines_of(midi)
    passing = [judge_lines(lines[k : k + 4], parse_key("Am"), "both").passed for k in (0, 4)]
    assert sum(passing) == int(summary[3])


def _lines_of(midi: mido.MidiFile) -> list[Line]:
    per_tick = midi.ticks_per_beat / 24
    notes: list[list[tuple[int, int, int, int]]] = [[] for _ in range(6)]
    now, started = 0, {}
    for msg in midi.tracks[1]:
        now += msg.time
        if msg.type == "note_on" and msg.velocity:
            started[msg.note] = (now, msg.velocity)
        elif msg.type in ("note_off", "note_on") and msg.note in started:
            at, velocity = started.pop(msg.note)
            tick = round(at / per_tick)
            notes[tick // 96].append((tick % 96, msg.note, max(1, round((now - at) / per_tick)), velocity))
    return [Line.from_notes(n) for n in notes]


def test_same_seed_same_file_and_the_options_are_heard(tmp_path: Path):
    a, b, lead = tmp_path / "a.mid", tmp_path / "b.mid", tmp_path / "lead.mid"
    assert jam(a).returncode == 0 and jam(b).returncode == 0
    assert a.read_bytes() == b.read_bytes()
    result = jam(lead, "--family", "lead", "--channel", "3", "--no-scale-lock", "--density", "0.9", bars=3)
    assert result.returncode == 0, result.stderr
    assert "1 of 1 4-bar loops" in result.stderr or "0 of 1 4-bar loops" in result.stderr
    notes = read_notes(lead)
    assert set(notes.channels.tolist()) == {3} and all(69 <= p <= 93 for p in notes.pitches)  # around A5


@pytest.mark.parametrize(
    ("change", "message"),
    [({"--key": ["H"]}, "unknown key"), ({"--channel": ["10"]}, "other than 10"), ({"--bars": ["0"]}, "--bars"),
     ({"--family": ["drums"]}, "unknown instrument family"), ({"--xy": ["2", "0"]}, "--xy"),
     ({"-o": ["x.wav"]}, ".mid or .midi"), ({"--temperature": ["0"]}, "--temperature")],
)  # fmt: skip
def test_bad_arguments_are_named(rvae_here, tmp_path: Path, change: dict[str, list[str]], message: str):
    options = {"--model": ["groove-all"], "--xy": ["0.5", "0.5"], "--key": ["Am"], "--bars": ["2"],
               "-o": [str(tmp_path / "o.mid")]} | change  # fmt: skip
    status, _, err = rvae_here("jam", *[a for key, values in options.items() for a in (key, *values)])
    assert status == 1 and message in err, err
    assert not (tmp_path / "o.mid").exists()


def test_an_unknown_model_is_an_error_naming_it(rvae_here, tmp_path: Path):
    status, _, err = rvae_here("jam", "--model", "nope", "--xy", "0.5", "0.5", "--key", "C", "--bars", "1", "-o",
                               str(tmp_path / "o.mid"))  # fmt: skip
    assert status == 1 and "nope" in err
    status, _, err = rvae_here("jam", "--model", "groove-all", "--xy", "0.5", "0.5", "--key", "C", "--bars", "1",
                               "--melody-model", str(tmp_path / "none"), "-o", str(tmp_path / "o.mid"))  # fmt: skip
    assert status == 1 and "no melody model" in err
