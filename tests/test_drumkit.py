"""Offline rendering: notes land on their exact sample, velocity is monotone, WAV files are valid and atomic."""

from __future__ import annotations

import itertools
import wave
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from rvae_server.core.bar import INSTRUMENT_NAMES, N_INSTRUMENTS, TICKS, Bar
from rvae_server.outputs.drumkit import CLOSED_HAT, LEVELS, OPEN_HAT, DrumKit, Mixer
from rvae_server.outputs.render import read_wav, render_bars, schedule, seconds_per_tick, write_wav

SR = 48000


@pytest.fixture(scope="module")
def kit() -> DrumKit:
    return DrumKit(SR)


def _flux_onsets(d: NDArray[np.float64], sr: int, ratio: float, floor: float, memory: float = 0.01) -> list[int]:
    """Samples where the energy of ``d`` over the next 2 ms exceeds ``ratio`` x that of the previous
    ``memory`` s, each refined to the first sample whose ``|d|`` reaches a quarter of the local maximum and
    4x the RMS of the previous ``memory`` s."""
    e = np.concatenate(([0.0], np.cumsum(d * d)))
    ahead, behind = round(0.002 * sr), round(memory * sr)
    n = np.arange(len(d) - ahead)
    future = (e[n + ahead] - e[n]) / ahead
    past = (e[n] - e[np.maximum(n - behind, 0)]) / behind
    out = []
    for h in np.nonzero((future > ratio * past) & (future > floor))[0].tolist():
        seg = np.abs(d[h : h + 2 * ahead])
        level = max(0.25 * seg.max(), 4.0 * np.sqrt(past[h]))
        out.append(h + int(np.argmax(seg >= level)))
    return out


def detect_onsets(
    x: NDArray[np.floating], sr: int, ratio: float = 4.0, min_gap: float = 0.05, floor: float = 1e-4
) -> list[float]:
    """Onset times (seconds) by energy flux, on the signal (finds toms and kicks) and on its first difference
    (finds hats and snares over the low, slowly decaying bodies of kicks and toms): see :func:`_flux_onsets`.
    Onsets closer than ``min_gap`` s are merged into the earliest."""
    sig = np.asarray(x, dtype=np.float64)
    raw = _flux_onsets(sig, sr, 2.5 * ratio, floor, 0.03)  # stricter: beating low partials modulate energy
    found = sorted(raw + _flux_onsets(np.diff(sig, prepend=0.0), sr, ratio, floor))
    onsets: list[float] = []
    last = -(10**9)
    for first in found:
        if first - last >= min_gap * sr:
            onsets.append(float(first) / sr)
            last = first
    return onsets


def _test_bars() -> list[Bar]:
    # two bars, notes >= 12 ticks apart, with microtiming both ways and an early note on tick 0 of bar 0
    bar0 = Bar.from_notes(
        [
            (0, 0, 1.0, -0.8),  # early on the first tick: wraps to the end of the loop
            (12, 2, 0.8, 0.3),
            (24, 1, 0.9, -0.5),
            (36, 2, 0.7, 0.9),
            (48, 0, 0.9, 0.2),
            (60, 3, 0.8, -0.2),
            (72, 1, 1.0, 0.6),
            (84, 2, 0.9, 0.0),
        ]
    )
    bar1 = Bar.from_notes(
        [
            (0, 0, 1.0, 0.4),
            (12, 4, 0.9, -0.3),
            (24, 5, 0.9, 0.7),
            (36, 6, 0.9, -0.9),
            (48, 8, 0.9, 0.5),
            (66, 1, 0.9, -0.4),
            (78, 7, 1.0, 0.1),
        ]
    )
    return [bar0, bar1]


def _expected_times(bars: list[Bar], bpm: float) -> list[float]:
    spt = seconds_per_tick(bpm)
    loop = len(bars) * TICKS
    times = []
    for i, bar in enumerate(bars):
        for note in bar.notes():
            t = i * TICKS + note.time
            times.append((t + loop if t < 0 else t) * spt)
    return sorted(times)


def test_onsets_in_the_wav_match_note_times(tmp_path: Path, kit: DrumKit) -> None:
    bars, bpm = _test_bars(), 120.0
    path = tmp_path / "loop.wav"
    write_wav(path, bars, bpm, SR, kit=kit)
    audio, rate = read_wav(path)
    assert rate == SR
    expected = _expected_times(bars, bpm)
    found = detect_onsets(audio, rate)
    assert len(found) == len(expected), (found, expected)
    errors_ms = [abs(f - e) * 1000 for f, e in zip(found, expected, strict=True)]
    assert max(errors_ms) < 1.0, errors_ms
    # the early first note sounds at the end of the loop, like midiwrite.write_bars
    assert expected[-1] == pytest.approx((2 * TICKS - 0.4) * seconds_per_tick(bpm))


def test_each_note_starts_on_its_exact_sample(kit: DrumKit) -> None:
    bars, bpm = _test_bars(), 133.0
    spt = seconds_per_tick(bpm)
    for index, bar in enumerate(bars):
        for note in bar.notes():
            alone = [Bar.empty() for _ in bars]
            alone[index] = Bar.from_notes([note])
            t = index * TICKS + note.tick + note.microtiming / 2
            if t < 0:
                t += len(bars) * TICKS
            audio = render_bars(alone, bpm, SR, kit=kit, tail_seconds=0.5)
            first = int(np.argmax(np.abs(audio) > 0))
            assert first == round(t * spt * SR), (index, note, first)


def test_louder_velocity_gives_louder_hit(kit: DrumKit) -> None:
    velocities = [0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 1.0]
    for inst in range(N_INSTRUMENTS):
        peaks, rms = [], []
        for v in velocities:
            audio = render_bars([Bar.from_notes([(0, inst, v, 0.0)])], 120.0, SR, kit=kit, tail_seconds=0)
            peaks.append(float(np.abs(audio).max()))
            rms.append(float(np.sqrt(np.mean(audio.astype(np.float64) ** 2))))
        name = INSTRUMENT_NAMES[inst]
        assert all(a < b for a, b in itertools.pairwise(peaks)), (name, peaks)
        assert all(a < b for a, b in itertools.pairwise(rms)), (name, rms)
        assert peaks[-1] == pytest.approx(LEVELS[inst], rel=1e-3)


def test_velocity_changes_tone_not_only_level(kit: DrumKit) -> None:
    def centroid(x: NDArray[np.float32]) -> float:
        spec = np.abs(np.fft.rfft(x[: SR // 10]))
        f = np.fft.rfftfreq(SR // 10, 1 / SR)
        return float((spec * f).sum() / spec.sum())

    for inst in (1, CLOSED_HAT, 7):
        soft, hard = kit.voice(inst, 0.3), kit.voice(inst, 1.0)
        assert centroid(hard) > centroid(soft) * 1.05, INSTRUMENT_NAMES[inst]


def test_kit_is_deterministic() -> None:
    a, b = DrumKit(22050), DrumKit(22050)
    for inst in range(N_INSTRUMENTS):
        assert np.array_equal(a.voice(inst, 0.77), b.voice(inst, 0.77))
        assert a.voice(inst).dtype == np.float32


def test_closed_hat_chokes_open_hat(kit: DrumKit) -> None:
    open_alone = render_bars([Bar.from_notes([(0, OPEN_HAT, 1.0, 0.0)])], 120.0, SR, kit=kit, tail_seconds=1)
    both = render_bars(
        [Bar.from_notes([(0, OPEN_HAT, 1.0, 0.0), (12, CLOSED_HAT, 0.1, 0.0)])], 120.0, SR, kit=kit, tail_seconds=1
    )
    choke = round(12 * seconds_per_tick(120.0) * SR)
    after = slice(choke + kit.choke_frames + kit.voice(CLOSED_HAT).size, choke + SR // 2)
    assert np.abs(open_alone[after]).max() > 0.01
    assert np.abs(both[after]).max() == 0.0
    assert np.array_equal(both[:choke], open_alone[:choke])


def test_mixer_blocks_equal_one_pass(kit: DrumKit) -> None:
    notes = schedule(_test_bars(), 170.0, SR)
    total = notes[-1].frame + SR
    outs = []
    for block in (256, 8192):
        mixer = Mixer(kit, polyphony=32, max_block=block)
        out = np.zeros(total, dtype=np.float32)
        pending = list(notes)
        for frame in range(0, total, block):
            while pending and pending[0].frame < frame + block:
                n = pending.pop(0)
                mixer.trigger(n.frame, n.instrument, n.velocity)
            mixer.mix(out[frame : frame + block], frame)
        outs.append(out)
    np.testing.assert_allclose(outs[0], outs[1], atol=1e-6)  # equal up to the order of float sums


def test_loop_mode_folds_the_tail(kit: DrumKit) -> None:
    bars, bpm = _test_bars(), 120.0
    looped = render_bars(bars, bpm, SR, kit=kit, loop=True)
    assert len(looped) == round(2 * TICKS * seconds_per_tick(bpm) * SR)
    tailed = render_bars(bars, bpm, SR, kit=kit, tail_seconds=3.0)
    n = len(looped)
    folded = tailed[:n].copy()
    folded[: len(tailed) - n] += tailed[n:]
    np.testing.assert_allclose(looped, folded, atol=1e-6)


def test_wav_is_valid_and_never_clips(tmp_path: Path, kit: DrumKit) -> None:
    # every instrument at full velocity on every eighth: the raw mix exceeds full scale
    notes = [(t, i, 1.0, 0.0) for t in range(0, TICKS, 12) for i in range(N_INSTRUMENTS)]
    bars = [Bar.from_notes(notes)]
    raw = render_bars(bars, 140.0, SR, kit=kit)
    assert np.abs(raw).max() > 1.0
    path = tmp_path / "dense.wav"
    write_wav(path, bars, 140.0, SR, kit=kit)
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, SR)
        assert w.getnframes() == len(raw)
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    assert np.abs(pcm.astype(np.int32)).max() < 32767  # headroom: -1 dBFS ceiling
    assert np.abs(pcm.astype(np.int32)).max() > 0.85 * 32767


def test_failed_write_leaves_the_old_file(tmp_path: Path, kit: DrumKit) -> None:
    path = tmp_path / "keep.wav"
    write_wav(path, _test_bars(), 120.0, SR, kit=kit)
    before = path.read_bytes()
    bad = Bar.from_notes([(0, 0, 1.0, 0.0)])
    with pytest.raises(ValueError):
        write_wav(path, [bad], float("nan"), SR, kit=kit)
    with pytest.raises(ValueError):
        write_wav(path, [bad], 120.0, 44100, kit=kit)  # kit built for another rate
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.wav"]  # no temp files left


def test_write_failure_midway_cleans_up(tmp_path: Path, kit: DrumKit, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "keep.wav"
    path.write_bytes(b"precious")

    def boom(self: wave.Wave_write, data: bytes) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(wave.Wave_write, "writeframes", boom)
    with pytest.raises(OSError, match="disk full"):
        write_wav(path, _test_bars(), 120.0, SR, kit=kit)
    assert path.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.wav"]


def test_bad_arguments(kit: DrumKit) -> None:
    with pytest.raises(ValueError, match="out of range"):
        kit.layer(N_INSTRUMENTS, 1.0)
    with pytest.raises(ValueError, match="tempo"):
        render_bars([Bar.empty()], 0.0, SR, kit=kit)
    with pytest.raises(ValueError, match="sample rate"):
        DrumKit(100)
    assert render_bars([], 120.0, SR, kit=kit, tail_seconds=0).size == 0


def test_release_all_fades_without_click(kit: DrumKit) -> None:
    def run(release: bool) -> tuple[NDArray[np.float32], Mixer]:
        mixer = Mixer(kit)
        mixer.trigger(0, 7, 1.0)  # crash, rings 2.5 s
        mixer.trigger(SR, 0, 1.0)  # a future kick: dropped by the release
        out = np.zeros(SR // 2, dtype=np.float32)
        mixer.mix(out[:cut], 0)
        if release:
            mixer.release_all(cut)
        mixer.mix(out[cut:], cut)
        return out, mixer

    cut, n = SR // 4, kit.choke_frames
    plain, _ = run(False)
    released, mixer = run(True)
    assert np.array_equal(released[:cut], plain[:cut])
    np.testing.assert_allclose(released[cut : cut + n], plain[cut : cut + n] * kit.choke_ramp, atol=1e-6)
    assert np.abs(released[cut + n :]).max() == 0.0
    assert mixer.active_voices() == 0
