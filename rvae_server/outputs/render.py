"""Offline rendering of bars through the built-in kit (:mod:`rvae_server.outputs.drumkit`), and WAV files.

:func:`render_bars` places note ``n`` of bar ``i`` at
``t = (i * 96 + n.tick + n.microtiming / 2) * 60 / (bpm * 24)`` seconds, rounded to the nearest sample.
The bars are treated as a **loop**, like :func:`rvae_server.core.midiwrite.write_bars`: a note that would sound
before 0 (an early note on tick 0 of the first bar) is wrapped to the end of the loop
(``t + loop_seconds``). :func:`write_wav` writes 16-bit PCM atomically, scaled down so it never clips.
"""

from __future__ import annotations

import io
import math
import os
import wave
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.atomic import atomic_write_bytes
from rvae_server.core.bar import TICKS, TICKS_PER_BEAT, Bar
from rvae_server.outputs.drumkit import F32, DrumKit, Mixer

#: Peak of the mix written by :func:`write_wav` when it has to be scaled down (-1 dBFS).
WAV_CEILING = 10 ** (-1.0 / 20.0)


@dataclass(frozen=True, slots=True)
class ScheduledNote:
    """A note of a rendered loop: its exact sample, instrument and velocity."""

    frame: int
    instrument: int
    velocity: float


def seconds_per_tick(bpm: float) -> float:
    """Duration of one tick (1/24 beat) at ``bpm``, in seconds."""
    if not (math.isfinite(bpm) and bpm > 0):
        raise ValueError(f"tempo must be a positive number of BPM, not {bpm}")
    return 60.0 / (bpm * TICKS_PER_BEAT)


def schedule(bars: Sequence[Bar], bpm: float, sample_rate: int = 48000) -> list[ScheduledNote]:
    """Every note of ``bars`` at its sample: ``round((i*96 + tick + microtiming/2) * 60/(bpm*24) * sr)``,
    with notes before frame 0 wrapped to the end of the loop. Sorted by frame, then instrument."""
    spt = seconds_per_tick(bpm)
    loop_ticks = len(bars) * TICKS
    out = []
    for i, bar in enumerate(bars):
        for note in bar.notes():
            ticks = i * TICKS + note.time
            if ticks < 0:
                ticks += loop_ticks
            out.append(ScheduledNote(round(ticks * spt * sample_rate), note.instrument, note.velocity))
    out.sort(key=lambda s: (s.frame, s.instrument))
    return out


def render_bars(
    bars: Sequence[Bar],
    bpm: float,
    sample_rate: int = 48000,
    kit: DrumKit | None = None,
    tail_seconds: float = 2.5,
    loop: bool = False,
) -> F32:
    """Render bars to mono float32 audio at ``sample_rate`` (Hz), full scale = 1.0 (not limited: the peak of
    a dense mix can exceed 1; :func:`write_wav` scales it down).

    The result is ``len(bars)`` bars long plus ``tail_seconds`` of ringing after the last bar. With
    ``loop=True`` it is exactly the loop's length and whatever rings past the end is folded back onto the
    start, so the file loops seamlessly. Early notes of the first bar are wrapped to the loop's end in both
    modes (see :func:`schedule`)."""
    if kit is None:
        kit = DrumKit(sample_rate)
    elif kit.sample_rate != sample_rate:
        raise ValueError(f"the kit is synthesized at {kit.sample_rate} Hz, not {sample_rate} Hz")
    if tail_seconds < 0:
        raise ValueError(f"tail_seconds must be >= 0, not {tail_seconds}")
    loop_frames = round(len(bars) * TICKS * seconds_per_tick(bpm) * sample_rate)
    notes = schedule(bars, bpm, sample_rate)
    last = max((s.frame for s in notes), default=0)
    total = max(loop_frames, last + 1) + kit.max_frames if loop else loop_frames + round(tail_seconds * sample_rate)
    out = np.zeros(total, dtype=np.float32)
    mixer = Mixer(kit, polyphony=max(32, len(notes)), max_block=8192)
    _render_into(mixer, notes, out)
    if loop and loop_frames > 0:
        for k in range(loop_frames, total, loop_frames):  # fold the ringing tail onto the start
            chunk = out[k : k + loop_frames]
            out[: len(chunk)] += chunk
        out = out[:loop_frames].copy()
    return out


def _render_into(mixer: Mixer, notes: Iterable[ScheduledNote], out: F32) -> None:
    block = mixer.max_block
    pending = iter(notes)
    nxt = next(pending, None)
    for frame in range(0, len(out), block):
        end = min(frame + block, len(out))
        while nxt is not None and nxt.frame < end:
            mixer.trigger(nxt.frame, nxt.instrument, nxt.velocity)
            nxt = next(pending, None)
        mixer.mix(out[frame:end], frame)


def to_pcm16(audio: F32, ceiling: float = WAV_CEILING) -> NDArray[np.int16]:
    """Float audio (full scale 1.0) to 16-bit PCM. If the peak exceeds ``ceiling`` the whole signal is scaled
    down so its peak equals ``ceiling`` (a transparent normalisation: nothing ever clips)."""
    x = np.asarray(audio, dtype=np.float64)
    if x.size and not np.isfinite(x).all():
        raise ValueError("audio contains NaN or inf")
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak > ceiling:
        x = x * (ceiling / peak)
    return np.round(x * 32767.0).astype(np.int16)


def write_wav(
    path: str | os.PathLike[str],
    bars: Sequence[Bar],
    bpm: float,
    sample_rate: int = 48000,
    kit: DrumKit | None = None,
    tail_seconds: float = 2.5,
    loop: bool = False,
) -> None:
    """Render ``bars`` (see :func:`render_bars`) and write a mono 16-bit PCM WAV file atomically: a temporary
    file in the same folder, then ``os.replace``; an existing file is untouched if anything fails."""
    audio = render_bars(bars, bpm, sample_rate, kit=kit, tail_seconds=tail_seconds, loop=loop)
    write_pcm_wav(path, audio, sample_rate)


def write_pcm_wav(path: str | os.PathLike[str], audio: F32, sample_rate: int) -> None:
    """Write mono float audio as a 16-bit PCM WAV file atomically (temp file + ``os.replace``)."""
    pcm = to_pcm16(audio)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(sample_rate))
        w.writeframes(pcm.astype("<i2").tobytes())
    atomic_write_bytes(path, buffer.getvalue())


def read_wav(path: str | os.PathLike[str]) -> tuple[F32, int]:
    """Read a 16-bit PCM WAV file as float32 ``(frames,)`` for mono or ``(frames, channels)``, and its rate."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM is supported, not {8 * w.getsampwidth()}-bit")
        channels, rate = w.getnchannels(), w.getframerate()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
    return (data if channels == 1 else data.reshape(-1, channels)), rate
