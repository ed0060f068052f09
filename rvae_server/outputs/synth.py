"""The melody layer's voice in the built-in kit: a simple synth, so a bass or melody line is heard without a DAW.

:class:`ToneKit` is a :class:`~rvae_server.outputs.drumkit.DrumKit` with one more voice per MIDI pitch
(:data:`LOW`..:data:`HIGH`): instrument ``N_INSTRUMENTS + pitch - LOW`` (:func:`tone_instrument`). Each tone is
synthesized once per sample rate, like the drums: a band-limited sawtooth (a wavetable of harmonics up to
8 kHz, 1/k amplitudes) through a raised-cosine attack (4 ms), a decay to 60 % over 150 ms and a slow exponential fade
(1.2 s), cut with a short release at :data:`TONE_SECONDS`. The mixer plays it as a one-shot; a note's end is a
release (:meth:`~rvae_server.outputs.drumkit.Mixer.release`: the 10 ms fade of a choke), so a short note is
short. Velocity scales the level (``loudness``, as for drums).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import N_INSTRUMENTS
from rvae_server.outputs.drumkit import F32, DrumKit, loudness

LOW = 24  # C1
HIGH = 96  # C7
TONE_SECONDS = 1.2
TONE_LEVEL = 0.32
MAX_HARMONIC_HZ = 8000.0


def tone_instrument(pitch: int) -> int:
    """The kit instrument of a MIDI pitch (pitches outside LOW..HIGH move by octaves into it)."""
    p = int(pitch)
    while p < LOW:
        p += 12
    while p > HIGH:
        p -= 12
    return N_INSTRUMENTS + p - LOW


_TABLE = 2048


def _wavetable(harmonics: int) -> NDArray[np.float64]:
    """One cycle of a sawtooth band-limited to ``harmonics`` (sum of sin(k x) / k), ``_TABLE + 1`` samples (the
    last repeats the first, for interpolation)."""
    x = 2 * np.pi * np.arange(_TABLE + 1) / _TABLE
    k = np.arange(1, harmonics + 1)[:, None]
    return (np.sin(k * x) / k).sum(axis=0)


def _tone(sr: int, pitch: int) -> F32:
    f0 = 440.0 * 2.0 ** ((pitch - 69) / 12.0)
    n = round(TONE_SECONDS * sr)
    t = np.arange(n, dtype=np.float64) / sr
    table = _wavetable(max(1, min(24, int(MAX_HARMONIC_HZ // f0))))
    phase = (f0 * _TABLE / sr) * np.arange(n, dtype=np.float64) % _TABLE
    i = phase.astype(np.int64)
    frac = phase - i
    wave = table[i] * (1.0 - frac) + table[i + 1] * frac
    attack = max(1, round(0.004 * sr))
    env = (0.6 + 0.4 * np.exp(-t / 0.15)) * np.exp(-t / 1.2)
    env[:attack] *= 0.5 - 0.5 * np.cos(np.pi * np.arange(attack) / attack)
    release = max(1, round(0.02 * sr))
    env[-release:] *= 0.5 + 0.5 * np.cos(np.pi * np.arange(1, release + 1) / release)
    out = wave * env
    out *= TONE_LEVEL / float(np.max(np.abs(out)))
    buf = np.ascontiguousarray(out, dtype=np.float32)
    buf.flags.writeable = False
    return buf


class ToneKit(DrumKit):
    """The drum kit plus the synth's tones (see the module docstring). Building one takes about a second."""

    def __init__(self, sample_rate: int = 48000) -> None:
        super().__init__(sample_rate)
        self._tones = [_tone(self.sample_rate, p) for p in range(LOW, HIGH + 1)]
        self.tone_instruments = range(N_INSTRUMENTS, N_INSTRUMENTS + len(self._tones))
        self.max_frames = max(self.max_frames, max(len(b) for b in self._tones))

    def layer(self, instrument: int, velocity: float) -> tuple[F32, float]:
        if instrument < N_INSTRUMENTS:
            return super().layer(instrument, velocity)
        index = instrument - N_INSTRUMENTS
        if not 0 <= index < len(self._tones):
            raise ValueError(f"tone instrument {instrument} is out of range")
        return self._tones[index], loudness(min(max(velocity, 1.0 / 127.0), 1.0))

    def memory_bytes(self) -> int:
        return super().memory_bytes() + sum(b.nbytes for b in self._tones)


__all__ = ["HIGH", "LOW", "ToneKit", "tone_instrument"]
