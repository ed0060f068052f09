"""A built-in drum kit synthesized in numpy and a sample-accurate voice mixer (offline rendering:
:mod:`rvae_server.outputs.render`).

Sound
    :class:`DrumKit` synthesizes one-shot buffers for the 9 instruments of :data:`rvae_server.core.bar.INSTRUMENTS`
    (kick, snare, closed hat, open hat, low/mid/high tom, crash, ride) once per sample rate: mono float32,
    deterministic (fixed noise seeds), no sample files. Each instrument has :data:`VELOCITY_LAYERS` layers
    synthesized at velocities ``(k + 1) / VELOCITY_LAYERS``; a harder layer is brighter and rings longer.
    Layer ``k`` is normalised so its peak is exactly ``level * loudness(v_k)``; a note of velocity ``v`` plays
    the nearest layer at or above ``v``, scaled by ``loudness(v) / loudness(v_k)``, so the peak of a hit is
    ``level * loudness(v)``: strictly increasing in velocity.

Timing
    :class:`Mixer` places each voice at an exact sample (absolute frame numbers) and mixes block by block with
    vectorised slice adds; it allocates no arrays while mixing. A closed hat chokes the open hats that started
    before it (10 ms fade). The real-time output (:mod:`rvae_server.outputs.audio`) and
    :func:`~rvae_server.outputs.render.render_bars` use the same mixer, so a file and the live sound are the same.

Offline
    Rendering bars to audio and WAV files is :mod:`rvae_server.outputs.render`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import INSTRUMENT_NAMES, N_INSTRUMENTS

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]

#: Number of velocity layers synthesized per instrument.
VELOCITY_LAYERS = 8
#: Instrument indices (model order) used by the choke rule.
CLOSED_HAT = INSTRUMENT_NAMES.index("closed-hat")
OPEN_HAT = INSTRUMENT_NAMES.index("open-hat")
#: Length of the fade applied when a closed hat chokes an open hat, in seconds.
CHOKE_SECONDS = 0.010
#: Peak level of each instrument at velocity 1 (linear, full scale = 1), in model order.
LEVELS: tuple[float, ...] = (0.80, 0.62, 0.30, 0.30, 0.55, 0.52, 0.50, 0.36, 0.30)


def loudness(velocity: float) -> float:
    """Peak gain for a velocity in (0, 1]: ``velocity ** 1.5`` (velocity 0.5 is about -9 dB)."""
    v = min(max(float(velocity), 0.0), 1.0)
    return v**1.5


# --------------------------------------------------------------------------------------------- synthesis


def _time(seconds: float, sr: int) -> F64:
    return np.arange(round(seconds * sr), dtype=np.float64) / sr


@functools.lru_cache(maxsize=32)
def _noise_spectrum(n: int, seed: int) -> NDArray[np.complex128]:
    """The rFFT of ``n`` samples of white noise from a fixed seed (cached while a kit is built)."""
    return np.fft.rfft(np.random.default_rng(seed).standard_normal(n))


@functools.lru_cache(maxsize=32)
def _metal_spectrum(sr: int, n: int, freqs: tuple[float, ...], seed: int) -> NDArray[np.complex128]:
    """The rFFT (``n`` samples at ``sr``) of an 808-style metallic source: square waves at inharmonic
    frequencies with random phases. They are generated at 4x the sample rate and band-limited by keeping only
    the spectrum below ``sr / 2`` (aliases stay below -50 dB)."""
    rng = np.random.default_rng(seed)
    over = 4
    t = np.arange(n * over, dtype=np.float64) / (sr * over)
    x = np.zeros(n * over, dtype=np.float64)
    for f0 in freqs:
        x += np.sign(np.sin(2 * np.pi * f0 * t + rng.uniform(0, 2 * np.pi)))
    return np.fft.rfft(x)[: n // 2 + 1] / over


def _shape(spec: NDArray[np.complex128], sr: int, n: int, low: float, high: float, order: int = 2) -> F64:
    """Zero-phase band-pass (Butterworth magnitude) of a spectrum, back to ``n`` samples at unit RMS.
    Apply an envelope *after* this so the attack stays sharp (zero phase would smear an edge backwards)."""
    f = np.fft.rfftfreq(n, 1.0 / sr)
    f[0] = 1e-3
    gain = np.ones_like(f)
    if low > 0:
        gain /= np.sqrt(1.0 + (low / f) ** (2 * order))
    if high < sr / 2:
        gain /= np.sqrt(1.0 + (f / high) ** (2 * order))
    y = np.fft.irfft(spec * gain, n)
    rms = float(np.sqrt(np.mean(y**2)))
    return y / rms if rms > 0 else y


def _band_noise(n: int, sr: int, seed: int, low: float, high: float, order: int = 2) -> F64:
    """Seeded white noise band-passed by :func:`_shape`, unit RMS."""
    return _shape(_noise_spectrum(n, seed), sr, n, low, high, order)


def _metal(n: int, sr: int, freqs: tuple[float, ...], seed: int, low: float, high: float, order: int = 2) -> F64:
    """The metallic source of :func:`_metal_spectrum` band-passed by :func:`_shape`, unit RMS."""
    return _shape(_metal_spectrum(sr, n, freqs, seed), sr, n, low, high, order)


def _attack(n: int, sr: int, seconds: float = 0.0003) -> F64:
    """A short raised-cosine fade-in (0.3 ms) so noisy voices start without a DC step."""
    ramp = np.ones(n)
    k = max(1, round(seconds * sr))
    ramp[:k] = 0.5 - 0.5 * np.cos(np.pi * np.arange(1, k + 1) / (k + 1))  # sample 0 is already non-zero
    return ramp


def _release(x: F64, sr: int, seconds: float = 0.005) -> F64:
    """Fade the last ``seconds`` to exactly zero so the one-shot ends silently."""
    k = min(len(x), max(1, round(seconds * sr)))
    x[-k:] *= 0.5 + 0.5 * np.cos(np.pi * np.arange(1, k + 1) / k)
    return x


def _kick(sr: int, v: float) -> F64:
    t = _time(0.70, sr)
    f_end, f_start = 47.0, 110.0 + 150.0 * v
    freq = f_end + (f_start - f_end) * np.exp(-t / 0.028)
    phase = 2 * np.pi * np.cumsum(freq) / sr
    body = np.sin(phase) * np.exp(-t / (0.16 + 0.16 * v))
    body = np.tanh((1.2 + 1.3 * v) * body)
    click = _band_noise(len(t), sr, 101, 1200.0, 5000.0 + 6000.0 * v) * np.exp(-t / 0.0035)
    return _release(body + (0.05 + 0.25 * v) * click * _attack(len(t), sr), sr)


def _snare(sr: int, v: float) -> F64:
    t = _time(0.50, sr)
    drop = 1.0 + 0.12 * np.exp(-t / 0.02)
    shell = 0.65 * np.sin(2 * np.pi * np.cumsum(185.0 * drop) / sr) * np.exp(-t / 0.09)
    shell += 0.35 * np.sin(2 * np.pi * np.cumsum(332.0 * drop) / sr) * np.exp(-t / 0.05)
    wires = _band_noise(len(t), sr, 202, 1400.0, 5000.0 + 7000.0 * v) * np.exp(-t / (0.07 + 0.09 * v))
    noise_share = 0.35 + 0.35 * v
    return _release((1 - noise_share) * shell + noise_share * 0.5 * wires * _attack(len(t), sr), sr)


_HAT_FREQS = (205.3, 304.4, 369.6, 522.7, 540.0, 800.0)


def _hat(sr: int, v: float, open_: bool) -> F64:
    t = _time(1.0 if open_ else 0.22, sr)
    n = len(t)
    metal = _metal(n, sr, _HAT_FREQS, 304, 7000.0, 11000.0 + 7000.0 * v, order=3)
    noise = _band_noise(n, sr, 303, 7500.0, 10000.0 + 8000.0 * v, order=3)
    tau = (0.20 + 0.20 * v) if open_ else (0.022 + 0.022 * v)
    env = np.exp(-t / tau) * _attack(n, sr)
    return _release((0.6 * metal + 0.4 * noise) * env, sr)


def _tom(sr: int, v: float, f0: float, tau: float) -> F64:
    t = _time(0.80, sr)
    drop = 1.0 + (0.25 + 0.25 * v) * np.exp(-t / 0.045)
    body = np.sin(2 * np.pi * np.cumsum(f0 * drop) / sr) * np.exp(-t / (tau * (0.7 + 0.5 * v)))
    body += 0.25 * np.sin(2 * np.pi * np.cumsum(1.6 * f0 * drop) / sr) * np.exp(-t / (0.4 * tau))
    stick = _band_noise(len(t), sr, 404, 600.0, 3000.0 + 5000.0 * v) * np.exp(-t / 0.006)
    return _release(np.tanh(1.3 * body) + (0.04 + 0.16 * v) * stick * _attack(len(t), sr), sr)


def _crash(sr: int, v: float) -> F64:
    t = _time(2.5, sr)
    n = len(t)
    metal = _metal(n, sr, tuple(1.37 * f for f in _HAT_FREQS), 506, 3500.0, 9000.0 + 7000.0 * v)
    noise = _band_noise(n, sr, 505, 3000.0, 9000.0 + 8000.0 * v)
    env = (0.55 * np.exp(-t / 0.06) + 0.45 * np.exp(-t / (0.55 + 0.55 * v))) * _attack(n, sr)
    return _release((0.45 * metal + 0.55 * noise) * env, sr, 0.05)


def _ride(sr: int, v: float) -> F64:
    t = _time(2.0, sr)
    n = len(t)
    wash = _metal(n, sr, (265.0, 410.0, 595.0, 727.0, 1005.0), 607, 2500.0, 8000.0 + 6000.0 * v)
    bell = np.zeros(n)
    for a, f in ((1.0, 2350.0), (0.6, 3480.0), (0.45, 5110.0), (0.3, 6230.0)):
        bell += a * np.sin(2 * np.pi * f * t)
    tick = _band_noise(n, sr, 606, 4000.0, 9000.0 + 6000.0 * v) * np.exp(-t / 0.004)
    env = np.exp(-t / (0.5 + 0.6 * v)) * _attack(n, sr)
    out = 0.55 * wash * env + (0.10 + 0.12 * v) * bell * np.exp(-t / 0.35) + (0.2 + 0.3 * v) * tick
    return _release(out, sr, 0.05)


#: One-shots are cut where they stay below this level (-80 dBFS) for good, which frees voices sooner.
TRIM_LEVEL = 1e-4


def _trim(x: F64, sr: int) -> F64:
    """Cut ``x`` after the last sample above :data:`TRIM_LEVEL`, with a 2 ms fade to zero."""
    loud = np.nonzero(np.abs(x) > TRIM_LEVEL)[0]
    end = int(loud[-1]) + 1 if loud.size else 1
    if end >= len(x):
        return x
    return _release(x[:end].copy(), sr, 0.002)


_SYNTHS: tuple[Callable[[int, float], F64], ...] = (
    _kick,
    _snare,
    lambda sr, v: _hat(sr, v, open_=False),
    lambda sr, v: _hat(sr, v, open_=True),
    lambda sr, v: _tom(sr, v, 92.0, 0.30),
    lambda sr, v: _tom(sr, v, 128.0, 0.26),
    lambda sr, v: _tom(sr, v, 172.0, 0.22),
    _crash,
    _ride,
)


class DrumKit:
    """The 9 drum voices synthesized at one sample rate (Hz). Buffers are float32, mono, read-only; peak
    level at velocity 1 is :data:`LEVELS`. Building a kit takes well under a second; share one instance."""

    def __init__(self, sample_rate: int = 48000) -> None:
        sr = int(sample_rate)
        if not 8000 <= sr <= 384000:
            raise ValueError(f"sample rate {sample_rate} Hz is outside 8000..384000")
        self.sample_rate = sr
        self._layers: list[list[F32]] = []
        self._layer_gain: list[float] = []  # loudness(v_k) of each layer, the same for every instrument
        for k in range(VELOCITY_LAYERS):
            self._layer_gain.append(loudness((k + 1) / VELOCITY_LAYERS))
        for inst, synth in enumerate(_SYNTHS):
            layers = []
            for k in range(VELOCITY_LAYERS):
                x = synth(sr, (k + 1) / VELOCITY_LAYERS)
                x = x * (LEVELS[inst] * self._layer_gain[k] / float(np.max(np.abs(x))))
                x = _trim(x, sr)
                buf = np.ascontiguousarray(x, dtype=np.float32)
                buf.flags.writeable = False
                layers.append(buf)
            self._layers.append(layers)
        _noise_spectrum.cache_clear()
        _metal_spectrum.cache_clear()
        self.choke_frames = max(1, round(CHOKE_SECONDS * sr))
        ramp = (0.5 + 0.5 * np.cos(np.pi * np.arange(self.choke_frames) / self.choke_frames)).astype(np.float32)
        ramp.flags.writeable = False
        #: The fade-out applied to a choked open hat (1 → 0 over :data:`CHOKE_SECONDS`).
        self.choke_ramp: F32 = ramp
        #: The longest one-shot, in frames (how long a note can ring).
        self.max_frames = max(len(b) for layers in self._layers for b in layers)

    def voice(self, instrument: int, velocity: float = 1.0) -> F32:
        """The one-shot buffer of an instrument (0..8) at a velocity, as it sounds (a new array)."""
        buf, gain = self.layer(instrument, velocity)
        return buf * np.float32(gain)

    def layer(self, instrument: int, velocity: float) -> tuple[F32, float]:
        """The precomputed layer for a note and the gain to play it at: ``(read-only buffer, gain <= 1)``.
        Velocity is clamped to [1/127, 1]. This does no allocation: the real-time path calls it."""
        if not 0 <= instrument < N_INSTRUMENTS:
            raise ValueError(f"instrument index {instrument} is out of range 0..{N_INSTRUMENTS - 1}")
        v = min(max(velocity, 1.0 / 127.0), 1.0)
        k = min(VELOCITY_LAYERS - 1, max(0, math.ceil(v * VELOCITY_LAYERS - 1e-9) - 1))
        return self._layers[instrument][k], loudness(v) / self._layer_gain[k]

    def memory_bytes(self) -> int:
        """Bytes held by the precomputed buffers."""
        return sum(b.nbytes for layers in self._layers for b in layers)


# ----------------------------------------------------------------------------------------------- mixing


class Mixer:
    """A fixed table of ``polyphony`` voices mixed block by block at absolute frame positions.

    :meth:`trigger` starts a note at an absolute frame (frame 0 = the first sample the mixer ever produced);
    :meth:`mix` adds every voice sounding in ``[frame, frame + n)`` into an output buffer. Triggers must come in
    time order for the choke rule to be exact. A full table steals the oldest voice. All state is preallocated
    in ``__init__``; :meth:`trigger` and :meth:`mix` allocate no arrays (only small Python objects), so they
    can run inside an audio callback.
    """

    def __init__(self, kit: DrumKit, polyphony: int = 48, max_block: int = 4096) -> None:
        self.kit = kit
        self.polyphony = int(polyphony)
        n = self.polyphony
        self._buf: list[F32 | None] = [None] * n
        self._start = [0] * n  # absolute frame of the voice's first sample
        self._end = [0] * n  # absolute frame after its last sample
        self._fade = [0] * n  # absolute frame where a choke fade starts; large = never
        self._gain = [0.0] * n
        self._inst = [-1] * n
        self._active = [False] * n
        self._scratch = np.zeros(int(max_block), dtype=np.float32)
        self.max_block = int(max_block)
        self.stolen = 0  # voices stolen because the table was full

    _NEVER = 1 << 62

    def trigger(self, frame: int, instrument: int, velocity: float) -> None:
        """Start ``instrument`` at absolute ``frame`` with ``velocity`` in (0, 1]."""
        buf, gain = self.kit.layer(instrument, velocity)
        if instrument == CLOSED_HAT:
            for i in range(self.polyphony):
                if self._active[i] and self._inst[i] == OPEN_HAT and self._start[i] < frame < self._fade[i]:
                    self._fade[i] = frame
                    self._end[i] = min(self._end[i], frame + self.kit.choke_frames)
        slot = -1
        oldest = self._NEVER
        for i in range(self.polyphony):
            if not self._active[i]:
                slot = i
                break
            if self._start[i] < oldest:
                oldest, slot = self._start[i], i
        if self._active[slot]:
            self.stolen += 1
        self._buf[slot] = buf
        self._start[slot] = frame
        self._end[slot] = frame + len(buf)
        self._fade[slot] = self._NEVER
        self._gain[slot] = gain
        self._inst[slot] = instrument
        self._active[slot] = True

    def mix(self, out: F32, frame: int) -> None:
        """Add the voices sounding in ``[frame, frame + len(out))`` into ``out`` (1-D float32; up to
        ``max_block`` frames at once, longer buffers are mixed in chunks). Voices that have finished are freed."""
        n_out = len(out)
        if n_out > self.max_block:
            for k in range(0, n_out, self.max_block):
                self.mix(out[k : k + self.max_block], frame + k)
            return
        block_end = frame + n_out
        scratch = self._scratch
        ramp = self.kit.choke_ramp
        for i in range(self.polyphony):
            if not self._active[i]:
                continue
            start = self._start[i]
            if start >= block_end:
                continue
            end = self._end[i]
            s = max(start, frame)
            e = min(end, block_end)
            if e <= s:
                self._active[i] = False
                self._buf[i] = None
                continue
            buf = self._buf[i]
            assert buf is not None
            n = e - s
            seg = scratch[:n]
            np.multiply(buf[s - start : e - start], self._gain[i], out=seg)
            fade = self._fade[i]
            if fade < e:
                a = max(s, fade)
                seg[a - s :] *= ramp[a - fade : e - fade]
            out[s - frame : e - frame] += seg
            if e >= end:
                self._active[i] = False
                self._buf[i] = None

    def active_voices(self) -> int:
        return sum(self._active)

    def release_all(self, frame: int) -> None:
        """Fade every voice out over :data:`CHOKE_SECONDS` from absolute ``frame`` (no click); voices that
        would start at or after ``frame`` are dropped."""
        for i in range(self.polyphony):
            if not self._active[i]:
                continue
            if self._start[i] >= frame:
                self._active[i] = False
                self._buf[i] = None
            elif frame < self._fade[i]:
                self._fade[i] = frame
                self._end[i] = min(self._end[i], frame + self.kit.choke_frames)

    def release(self, frame: int, instrument: int) -> None:
        """End the voices of ``instrument`` started before absolute ``frame`` with the choke fade from there (a
        synth tone's note-off, :mod:`rvae_server.outputs.synth`)."""
        for i in range(self.polyphony):
            if self._active[i] and self._inst[i] == instrument and self._start[i] < frame < self._fade[i]:
                self._fade[i] = frame
                self._end[i] = min(self._end[i], frame + self.kit.choke_frames)

    def clear(self) -> None:
        """Silence every voice at once."""
        for i in range(self.polyphony):
            self._active[i] = False
            self._buf[i] = None
