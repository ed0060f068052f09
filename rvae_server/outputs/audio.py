"""Real-time drum sound through PortAudio (sounddevice): notes placed at their exact sample in the callback.

:class:`AudioOutput` plays the built-in :class:`~rvae_server.outputs.drumkit.DrumKit` on an output device. The engine's
clock thread calls :meth:`AudioOutput.note` with a :func:`time.perf_counter` timestamp at (or up to ~50 ms
before) the moment the note should sound; the audio callback converts that timestamp to an absolute frame and
the shared :class:`~rvae_server.outputs.drumkit.Mixer` starts the voice at that frame, so relative timing is exact to
the sample. Every note is delayed by the same fixed amount, ``latency_blocks * blocksize`` frames (default
2 x 256 = 10.7 ms at 48 kHz) plus the device's own output latency; a note that reaches the callback later than
that is played at the start of the current block and counted as late.

Clock mapping
    Each callback measures ``perf_counter() - frames_rendered / sample_rate``: the perf_counter time of frame 0
    plus the callback's wake-up delay, which is never negative. The mapping keeps the minimum of that sample
    with a leak of 100 ppm (so drift between the audio clock and perf_counter is followed) and re-anchors
    after an underflow or when 8 callbacks in a row come more than half a block late (frames lost by the
    device: until then notes may sound up to that many frames late).

Threading
    :meth:`AudioOutput.note` appends a tuple to a :class:`collections.deque`; the callback pops with ``popleft``.
    Both are atomic in CPython (one bytecode-level C call under the GIL), need no lock (so the callback can never wait
    on a lock held by a descheduled engine thread), are O(1) and allocate only the small tuple, on the
    engine's side. The callback itself allocates no arrays: the voice table, mix buffer, limiter scratch and
    timing ring are preallocated; it only runs ``O(voices)`` numpy slice operations per block.

Keeping up (measured on 2 cores, benchmarks/bench_audio.py)
    The callback itself costs ~5% of a 256-frame period (median), < 10% at p99. What makes cycles miss is
    waiting: PortAudio's JACK callback runs on JACK's process thread and needs the GIL, so (1) run JACK
    realtime (``jackd -R``: the process thread is SCHED_FIFO); (2) a normal-priority thread that is
    descheduled while holding the GIL stalls the callback, so keep other threads' GIL work short, or make the
    engine's clock thread SCHED_FIFO too when allowed; (3) a full cyclic GC pass inside the callback takes
    as long as the heap is big (~0.5 s with torch loaded), so the process should call ``gc.freeze()`` once
    after start-up (this module does not do it for you: it is a process-wide choice).

PortAudio is imported lazily (inside functions): it discovers host APIs only when it initialises, so a JACK
server must be running before the first call, and a machine without libportaudio can still import this module.
Failures raise :class:`AudioUnavailable` with a message that says what to do.
"""

from __future__ import annotations

import collections
import contextlib
import threading
import time
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import N_INSTRUMENTS
from rvae_server.outputs.drumkit import DrumKit, Mixer
from rvae_server.outputs.synth import ToneKit, tone_instrument

#: Leak of the clock-mapping minimum: the audio clock may run this much faster than perf_counter.
DRIFT_PPM = 100.0
#: Soft limiter: identity below this level, a tanh knee above (never exceeds 1.0).
LIMIT_THRESHOLD = 0.8
_TIMING_RING = 1 << 16


class AudioUnavailable(RuntimeError):
    """No audio output could be opened (no PortAudio library, no device, or the device refused)."""


def _sounddevice() -> ModuleType:
    try:
        import sounddevice
    except OSError as err:  # sounddevice raises OSError when libportaudio is missing
        raise AudioUnavailable(
            f"cannot load PortAudio ({err}): install it (Debian/Ubuntu: apt install libportaudio2; "
            "macOS: brew install portaudio) or play through MIDI instead"
        ) from None
    return sounddevice


def list_audio_devices() -> list[dict[str, Any]]:
    """Audio devices PortAudio sees: ``index``, ``name``, ``hostapi``, ``inputs``, ``outputs`` (channel
    counts), ``default_samplerate`` (Hz) and ``default_output`` (bool). Raises :class:`AudioUnavailable`
    if PortAudio cannot be loaded. (On Linux, start JACK before the first call to see its devices.)"""
    sd = _sounddevice()
    hostapis = sd.query_hostapis()
    default_out = _default_output_index(sd)
    out = []
    for dev in sd.query_devices():
        out.append(
            {
                "index": int(dev["index"]),
                "name": str(dev["name"]),
                "hostapi": str(hostapis[dev["hostapi"]]["name"]),
                "inputs": int(dev["max_input_channels"]),
                "outputs": int(dev["max_output_channels"]),
                "default_samplerate": float(dev["default_samplerate"]),
                "default_output": int(dev["index"]) == default_out,
            }
        )
    return out


def _default_output_index(sd: ModuleType) -> int:
    try:
        return int(sd.default.device[1])
    except (TypeError, ValueError, IndexError):
        return -1


def _label(dev: dict[str, Any]) -> str:
    return f"{dev['index']}: {dev['name']} ({dev['hostapi']}, {dev['outputs']} out)"


def find_output_device(spec: str | int | None, devices: list[dict[str, Any]]) -> dict[str, Any]:
    """Choose an output device from :func:`list_audio_devices`' result.

    ``spec`` is an index, or a case-insensitive substring of ``"name (hostapi)"`` (an exact name wins), or
    ``None`` for the default output (or the only one). Raises :class:`AudioUnavailable` listing the
    candidates when the choice is ambiguous, or the available outputs when nothing matches."""
    outputs = [d for d in devices if d["outputs"] > 0]
    available = "; ".join(_label(d) for d in outputs) or "none"
    if not outputs:
        raise AudioUnavailable(
            "no audio output device found. On Linux without a sound card start a JACK server first "
            "(jackd -d dummy -r 48000 -p 256, or a real driver) and start rvae after it; or play through MIDI"
        )
    if spec is None:
        defaults = [d for d in outputs if d["default_output"]]
        if defaults:
            return defaults[0]
        if len(outputs) == 1:
            return outputs[0]
        raise AudioUnavailable(f"no default audio output; choose one of: {available}")
    if isinstance(spec, int) or (isinstance(spec, str) and spec.strip().isdigit()):
        index = int(spec)
        for d in outputs:
            if d["index"] == index:
                return d
        raise AudioUnavailable(f"no audio output device with index {index}; available: {available}")
    text = spec.strip().lower()
    exact = [d for d in outputs if d["name"].lower() == text]
    if len(exact) == 1:
        return exact[0]
    matches = [d for d in outputs if text in f"{d['name']} ({d['hostapi']})".lower()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise AudioUnavailable(f"no audio output device matches {spec!r}; available: {available}")
    raise AudioUnavailable(f"audio output {spec!r} is ambiguous; candidates: {'; '.join(_label(d) for d in matches)}")


def _soft_limit(x: NDArray[np.float32], a: NDArray[np.float32], b: NDArray[np.float32]) -> None:
    """In place: identity for ``|x| <= LIMIT_THRESHOLD``, above it a tanh knee approaching 1.0. Continuous,
    so applying it only to blocks that exceed the threshold equals applying it everywhere. ``a`` and ``b``
    are scratch buffers of ``len(x)``."""
    knee = 1.0 - LIMIT_THRESHOLD
    np.abs(x, out=a)
    a -= LIMIT_THRESHOLD
    np.maximum(a, 0.0, out=a)  # excess over the threshold
    np.divide(a, knee, out=b)
    np.tanh(b, out=b)
    b *= knee
    b -= a  # (compressed excess - excess) <= 0
    np.sign(x, out=a)
    b *= a
    x += b


class AudioOutput:
    """The drum kit on a PortAudio output device, with sample-accurate note placement.

    ``device``: index, name substring or ``None`` (default output); ``sample_rate`` in Hz (``None`` = the
    device's default, which for JACK is the server's rate); ``blocksize`` in frames per callback;
    ``latency_blocks``: fixed scheduling delay in blocks (see the module docstring); ``gain``: master gain
    (linear); ``polyphony``: voice slots. The kit is synthesized on construction if not given (< 1 s).
    Output is the same mono signal on the first one or two channels.
    """

    def __init__(
        self,
        device: str | int | None = None,
        sample_rate: int | None = None,
        blocksize: int = 256,
        kit: DrumKit | None = None,
        *,
        latency_blocks: int = 2,
        gain: float = 0.8,
        polyphony: int = 48,
        tones: bool = False,
    ) -> None:
        if blocksize <= 0:
            raise ValueError(f"blocksize must be a positive number of frames, not {blocksize}")
        self._sd = _sounddevice()
        devices = list_audio_devices()
        self.device = find_output_device(device, devices)
        rate = int(sample_rate or round(self.device["default_samplerate"]))
        self.sample_rate = rate
        self.blocksize = int(blocksize)
        self.channels = min(2, int(self.device["outputs"]))
        self.kit = kit if kit is not None and kit.sample_rate == rate else (ToneKit if tones else DrumKit)(rate)
        self.gain = float(gain)
        self.latency_frames = int(latency_blocks) * self.blocksize
        max_block = max(4096, 4 * self.blocksize)
        self._mixer = Mixer(self.kit, polyphony=polyphony, max_block=max_block)
        self._mix = np.zeros(max_block, dtype=np.float32)
        self._lim_a = np.zeros(max_block, dtype=np.float32)
        self._lim_b = np.zeros(max_block, dtype=np.float32)
        self._events: collections.deque[tuple[float, int, float]] = collections.deque(maxlen=8192)
        self._panic = False
        self._stream: Any = None
        self._lock = threading.Lock()  # guards start/close only, never taken by the callback
        # state touched only by the callback
        self._frame = 0
        self._origin = 0.0  # estimated perf_counter time of frame 0
        self._anchored = False
        self._far = 0
        self._far_min = 0.0
        self._leak = DRIFT_PPM * 1e-6 * self.blocksize / rate
        self._durations = np.zeros(_TIMING_RING, dtype=np.float64)
        self._callbacks = 0
        self._underflows = 0
        self._status_flags = 0
        self._late = 0
        self._max_late = 0
        self._errors = 0

    # ------------------------------------------------------------------------------------------ control

    def start(self) -> None:
        """Open and start the stream. Raises :class:`AudioUnavailable` if the device refuses."""
        with self._lock:
            if self._stream is not None:
                return
            sd = self._sd
            try:
                stream = sd.OutputStream(
                    device=self.device["index"],
                    samplerate=self.sample_rate,
                    blocksize=self.blocksize,
                    channels=self.channels,
                    dtype="float32",
                    callback=self._callback,
                )
                stream.start()
            except (sd.PortAudioError, ValueError) as err:
                raise AudioUnavailable(
                    f"cannot open audio output {_label(self.device)} at {self.sample_rate} Hz, "
                    f"{self.blocksize} frames: {err}. Check the device is free and that the sample rate "
                    f"is one it supports (JACK: the server's rate, {self.device['default_samplerate']:.0f} Hz)"
                ) from None
            self._stream = stream

    def close(self) -> None:
        """Stop and close the stream (idempotent)."""
        with self._lock:
            stream, self._stream = self._stream, None
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.stop()
            with contextlib.suppress(Exception):
                stream.close()

    def __enter__(self) -> AudioOutput:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def active(self) -> bool:
        """True while the stream runs."""
        stream = self._stream
        return bool(stream is not None and stream.active)

    def note(self, when: float, instrument: int, velocity: float) -> None:
        """Schedule ``instrument`` (0..8) at ``velocity`` in (0, 1] to sound at perf_counter time ``when``
        (seconds) plus the fixed latency. Thread-safe and non-blocking; call in time order."""
        if not 0 <= instrument < N_INSTRUMENTS:
            raise ValueError(f"instrument index {instrument} is out of range 0..{N_INSTRUMENTS - 1}")
        self._events.append((float(when), int(instrument), float(velocity)))

    def tone(self, when: float, pitch: int, velocity: float, seconds: float) -> None:
        """Play the synth's tone of MIDI ``pitch`` at ``velocity`` in (0, 1] from perf_counter time ``when`` for
        ``seconds`` (needs ``tones=True``: the melody layer's voice). Thread-safe and non-blocking."""
        if not isinstance(self.kit, ToneKit):
            raise ValueError("this audio output has no synth voice (open it with tones=True)")
        instrument = tone_instrument(pitch)
        self._events.append((float(when), instrument, float(velocity)))
        self._events.append((float(when) + max(float(seconds), 0.0), -1 - instrument, 0.0))  # its release

    def tones_off(self) -> None:
        """Release every synth tone sounding now (the drums ring on)."""
        if isinstance(self.kit, ToneKit):
            now = time.perf_counter()
            for instrument in self.kit.tone_instruments:
                self._events.append((now, -1 - instrument, 0.0))

    def all_notes_off(self) -> None:
        """Fade every voice out (10 ms) and drop notes not yet started; takes effect at the next block."""
        self._panic = True

    @property
    def latency_seconds(self) -> float:
        """Fixed delay from a note's ``when`` to the start of its first sample leaving the callback, plus the
        device's reported output latency."""
        stream = self._stream
        device_latency = float(stream.latency) if stream is not None else 0.0
        return self.latency_frames / self.sample_rate + device_latency

    def stats(self) -> dict[str, float | int]:
        """Counters since start: ``callbacks``, ``underflows`` (PortAudio output underflow flags),
        ``status_flags`` (callbacks with any flag), ``late_events`` and ``max_late_ms`` (notes that reached
        the callback after their frame), ``stolen_voices``, ``errors`` (exceptions caught in the callback),
        and callback duration as a share of the block period: ``callback_median``, ``callback_p99``,
        ``callback_max`` (over the last 65536 callbacks)."""
        n = min(self._callbacks, _TIMING_RING)
        period = self.blocksize / self.sample_rate
        d = np.sort(self._durations[:n]) / period if n else np.zeros(1)
        return {
            "callbacks": self._callbacks,
            "underflows": self._underflows,
            "status_flags": self._status_flags,
            "late_events": self._late,
            "max_late_ms": 1000.0 * self._max_late / self.sample_rate,
            "stolen_voices": self._mixer.stolen,
            "errors": self._errors,
            "callback_median": float(np.median(d)),
            "callback_p99": float(d[min(len(d) - 1, int(0.99 * len(d)))]),
            "callback_max": float(d[-1]),
        }

    # ----------------------------------------------------------------------------------------- callback

    def _callback(self, outdata: NDArray[np.float32], frames: int, time_info: Any, status: Any) -> None:
        t_start = time.perf_counter()
        try:
            if status:
                self._status_flags += 1
                if status.output_underflow:
                    self._underflows += 1
                    self._anchored = False
            self._update_clock(t_start)
            if self._panic:
                self._panic = False
                self._mixer.release_all(self._frame)
                self._events.clear()
            mixer = self._mixer
            frame = self._frame
            events = self._events
            sr = self.sample_rate
            origin = self._origin
            lat = self.latency_frames
            while events:
                when, inst, vel = events.popleft()
                target = int((when - origin) * sr + 0.5) + lat
                if inst < 0:  # a tone's release
                    mixer.release(max(target, frame), -1 - inst)
                    continue
                if target < frame:
                    self._late += 1
                    self._max_late = max(self._max_late, frame - target)
                    target = frame
                mixer.trigger(target, inst, vel)
            done = 0
            while done < frames:
                n = min(frames - done, len(self._mix))
                mix = self._mix[:n]
                mix.fill(0.0)
                mixer.mix(mix, frame + done)
                mix *= self.gain
                if mix.max() > LIMIT_THRESHOLD or mix.min() < -LIMIT_THRESHOLD:
                    _soft_limit(mix, self._lim_a[:n], self._lim_b[:n])
                outdata[done : done + n, :] = mix[:, None]
                done += n
            self._frame = frame + frames
        except Exception:  # never let an error stop the stream: count it and play silence
            self._errors += 1
            outdata.fill(0.0)
            self._frame += frames
        self._durations[self._callbacks % _TIMING_RING] = time.perf_counter() - t_start
        self._callbacks += 1

    def _update_clock(self, now: float) -> None:
        """Track ``origin`` = perf_counter time of frame 0 (see the module docstring)."""
        sample = now - self._frame / self.sample_rate
        if not self._anchored:
            self._origin, self._anchored, self._far = sample, True, 0
            return
        origin = self._origin + self._leak
        if sample < origin:
            self._origin, self._far = sample, 0
            return
        self._origin = origin
        # every sample more than half a block late for 8 callbacks in a row: frames were lost (a skipped
        # cycle); re-anchor on the smallest of them (an on-time callback then lowers it again at once)
        if sample - origin > 0.5 * self.blocksize / self.sample_rate:
            self._far_min = sample if self._far == 0 else min(self._far_min, sample)
            self._far += 1
            if self._far >= 8:
                self._origin, self._far = self._far_min, 0
        else:
            self._far = 0
