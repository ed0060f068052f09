"""A large MIDI collection made from the shared corpora, for the mining benchmark: 100,000 files by default.

Real collections repeat themselves: the same groove in many songs, a song in several arrangements, loops cut
and pasted. Each file here is made from one source file of ``../shared/data/corpus`` and ``../shared/data/groove``
(or two, joined), varied the ways collections vary, so that loops repeat across files:

* **cut**: a run of 4–64 of the source's bars, sometimes played 2 or 3 times over;
* **joined** (30 %): a cut of a second source after the first (a time-signature change between them if theirs
  differ);
* **tempo** × 0.75–1.33 (every tempo event; one at tick 0 if there was none) and another **resolution**
  (96 … 960 ticks a quarter);
* **instrument-preserving edits**: velocities scaled and jittered, and in half the files the timing humanised by
  up to a 128th note; in half the files one drum sound dropped or thinned to every other hit, or a pedal hi-hat
  added on the beat (an arrangement's change: no hit moves to another instrument); melodic parts transposed
  (30 %) or dropped (20 %);
* 1 % of the files are **truncated** (broken) and 2 % lose their drums (skipped), as in any real collection.

Names keep what labels a file: a Groove MIDI file keeps its ``<id>_<style>_<bpm>_<beat|fill>_<meter>`` form
(new id and bpm), the others their name after the file's number, under ``NNN/<source folder>/…`` (1,000 files
a folder). Events are written with numpy (no per-event Python), ~3,000 files a second.

    python -m benchmarks.corpus OUT [--files 100000] [--seed 0] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.midifile import find_clips
from rvae_server.core.smf import SMFError, parse_smf

ROOT = Path(__file__).resolve().parents[1]
#: The shared data beside the checkout (../shared/data), or beside the folder of worktrees.
DEFAULT_DATA = next((p / "shared" / "data" for p in ROOT.parents if (p / "shared" / "data").is_dir()),
                    ROOT.parent / "shared" / "data")  # fmt: skip
GMD_NAME = re.compile(r"^(\d+)_([a-z]+(?:-[a-z0-9]+)*)_(\d+)_(beat|fill)_(\d+-\d+)$")
RESOLUTIONS = (96, 120, 192, 384, 480, 960)
I64 = NDArray[np.int64]


@dataclass(slots=True)
class Source:
    """One source file as arrays of channel events (``status``: 0x80/0x90/0xC0 | channel; ``b`` is unused for
    program changes) and its meta: resolution, tempos, first meter, length."""

    rel: Path
    root: str
    ppq: int
    tick: I64
    status: I64
    a: I64
    b: I64
    track: I64
    tempos: list[tuple[int, int]]
    meter: tuple[int, int]
    end: int

    @property
    def bar(self) -> int:
        num, den = self.meter
        return max(1, round(num * 4 / den * self.ppq))


def load_sources(data: Path) -> list[Source]:
    out = []
    for root in ("corpus", "groove"):
        base = data / root
        for path in find_clips([base]):
            try:
                smf = parse_smf(path.read_bytes(), melodic=True)
            except (OSError, SMFError):
                continue
            if not smf.note_ticks:
                continue
            on = len(smf.note_ticks)
            off = len(smf.off_ticks)
            prog = len(smf.programs)
            tick = np.asarray(smf.note_ticks + smf.off_ticks + [t for t, _, _ in smf.programs], dtype=np.int64)
            chan = np.asarray(smf.note_channels + smf.off_channels + [c for _, c, _ in smf.programs], dtype=np.int64)
            kind = np.repeat(np.array([0x90, 0x80, 0xC0]), [on, off, prog])
            a = np.asarray(smf.note_pitches + smf.off_pitches + [p for _, _, p in smf.programs], dtype=np.int64)
            b = np.concatenate([np.asarray(smf.note_velocities, dtype=np.int64), np.zeros(off + prog, np.int64)])
            track = np.asarray(smf.note_tracks + smf.off_tracks + [1] * prog, dtype=np.int64)
            meters = sorted(smf.time_signatures)
            meter = (meters[0][1], meters[0][2]) if meters else (4, 4)
            out.append(Source(path.relative_to(base), root, smf.division, tick, kind | chan, a, b, track,
                              sorted(smf.tempos), meter, max(smf.end, int(tick.max()) + 1)))  # fmt: skip
    return out


def _cut(src: Source, rng: np.random.Generator, ppq: int) -> tuple[dict[str, I64], int, list[tuple[int, int]]]:
    """A run of bars of ``src`` (maybe repeated), rescaled to ``ppq``: its events, length and tempos."""
    bars = max(1, src.end // src.bar)
    length = int(rng.integers(4, 65))
    first = int(rng.integers(0, max(1, bars - length + 1)))
    lo, hi = first * src.bar, min(src.end, (first + length) * src.bar)
    keep = (src.tick >= lo) & (src.tick < hi)
    span = max(src.bar, ((hi - lo + src.bar - 1) // src.bar) * src.bar)
    times = int(rng.choice([1, 1, 1, 2, 3]))
    ev = {k: np.tile(getattr(src, k)[keep], times) for k in ("status", "a", "b", "track")}
    ev["tick"] = np.concatenate([src.tick[keep] - lo + r * span for r in range(times)])
    scale = ppq / src.ppq
    ev["tick"] = np.round(ev["tick"] * scale).astype(np.int64)
    tempo = 500_000
    for t, v in src.tempos:
        if t <= lo:
            tempo = v
    tempos = [(0, tempo)] + [(round((t - lo) * scale), v) for t, v in src.tempos if lo < t < hi]
    return ev, round(span * times * scale), tempos


def variant(sources: list[Source], index: int, seed: int) -> tuple[str, bytes]:
    """The ``index``-th file of the collection: its relative path and bytes."""
    rng = np.random.default_rng([seed, index])
    first = sources[int(rng.integers(len(sources)))]
    ppq = int(rng.choice(RESOLUTIONS))
    ev, length, tempos = _cut(first, rng, ppq)
    meters = [(0, *first.meter)]
    if rng.random() < 0.3:
        second = sources[int(rng.integers(len(sources)))]
        ev2, length2, tempos2 = _cut(second, rng, ppq)
        ev2["tick"] = ev2["tick"] + length
        ev = {k: np.concatenate([ev[k], ev2[k]]) for k in ev}
        tempos += [(t + length, v) for t, v in tempos2]
        if second.meter != first.meter:
            meters.append((length, *second.meter))
        length += length2
    factor = float(rng.uniform(0.75, 1.33))
    tempos = [(t, max(1, min(0xFFFFFF, round(v / factor)))) for t, v in tempos]
    drums = (ev["status"] & 0x0F) == 9
    notes = (ev["status"] & 0xF0) == 0x90
    vel = np.clip(np.round(ev["b"] * rng.uniform(0.7, 1.2) + rng.integers(-10, 11, ev["b"].size)), 1, 127)
    ev["b"] = np.where(notes, vel, ev["b"]).astype(np.int64)
    if rng.random() < 0.5:  # humanised timing, up to a 128th note either way
        ev["tick"] = np.maximum(0, ev["tick"] + rng.integers(-(ppq // 32), ppq // 32 + 1, ev["tick"].size))
    if rng.random() < 0.5:
        ev = _drum_edit(ev, rng, ppq)
        drums = (ev["status"] & 0x0F) == 9
        notes = (ev["status"] & 0xF0) == 0x90
    melodic = ~drums & ((ev["status"] & 0xF0) != 0xC0)
    if rng.random() < 0.3:
        ev["a"] = np.where(melodic, np.clip(ev["a"] + int(rng.integers(-5, 6)), 0, 127), ev["a"])
    drop = np.zeros(ev["tick"].size, dtype=bool)
    if rng.random() < 0.2:
        drop |= ~drums
    if rng.random() < 0.02:
        drop |= drums
    ev = {k: v[~drop] for k, v in ev.items()}
    data = smf_bytes(ppq, ev, tempos, meters)
    if rng.random() < 0.01:
        data = data[: int(len(data) * rng.uniform(0.2, 0.9))]
    return _name(first, index, factor), data


def _drum_edit(ev: dict[str, I64], rng: np.random.Generator, ppq: int) -> dict[str, I64]:
    """An arrangement's change that keeps every hit on its instrument: one drum sound dropped, thinned to every
    other hit, or a pedal hi-hat added on every beat."""
    drum_on = ((ev["status"] & 0x0F) == 9) & ((ev["status"] & 0xF0) == 0x90)
    sounds = np.unique(ev["a"][drum_on])
    if not sounds.size:
        return ev
    choice = rng.random()
    if choice < 0.7:
        sound = int(rng.choice(sounds))
        hits = np.flatnonzero(drum_on & (ev["a"] == sound))
        drop = hits if choice < 0.4 else hits[1::2]
        keep = np.ones(ev["tick"].size, dtype=bool)
        keep[drop] = False
        return {k: v[keep] for k, v in ev.items()}
    end = int(ev["tick"].max()) + 1
    beats = np.arange(0, end, ppq, dtype=np.int64)
    track = int(ev["track"][drum_on][0])
    added = {"tick": beats, "status": np.full(beats.size, 0x99), "a": np.full(beats.size, 44),
             "b": np.full(beats.size, 70), "track": np.full(beats.size, track)}  # fmt: skip
    return {k: np.concatenate([ev[k], added[k]]) for k in ev}


def _name(src: Source, index: int, factor: float) -> str:
    match = GMD_NAME.match(src.rel.stem)
    if match:
        _, style, bpm, kind, meter = match.groups()
        name = f"{index}_{style}_{round(int(bpm) * factor)}_{kind}_{meter}.mid"
    else:
        name = f"{index:06d}_{src.rel.name}"
    return f"{index // 1000:03d}/{src.root}/{src.rel.parent.as_posix()}/{name}".replace("/./", "/")


def _vlq(values: I64) -> tuple[I64, NDArray[np.uint8]]:
    """Variable-length quantities: each value's byte count and the bytes, value by value."""
    v = np.asarray(values, dtype=np.int64)
    size = 1 + (v >= 1 << 7) + (v >= 1 << 14) + (v >= 1 << 21)
    out = np.zeros(int(size.sum()), dtype=np.uint8)
    start = np.concatenate(([0], np.cumsum(size)[:-1]))
    for k in range(4):
        has = size > k
        shift = 7 * (size[has] - 1 - k)
        out[start[has] + k] = ((v[has] >> shift) & 0x7F) | np.where(k < size[has] - 1, 0x80, 0)
    return size, out


def _track(tick: I64, status: I64, a: I64, b: I64) -> bytes:
    order = np.lexsort((np.where((status & 0xF0) == 0x80, 0, 1), tick))
    tick, status, a, b = tick[order], status[order], a[order], b[order]
    delta = np.diff(tick, prepend=0)
    vsize, vbytes = _vlq(delta)
    body = np.where((status & 0xF0) == 0xC0, 2, 3)
    size = vsize + body
    out = np.zeros(int(size.sum()), dtype=np.uint8)
    start = np.concatenate(([0], np.cumsum(size)[:-1]))
    vstart = np.concatenate(([0], np.cumsum(vsize)[:-1]))
    for k in range(4):
        has = vsize > k
        out[start[has] + k] = vbytes[vstart[has] + k]
    at = start + vsize
    out[at] = status
    out[at + 1] = a
    three = body == 3
    out[at[three] + 2] = b[three]
    return out.tobytes() + b"\x00\xff\x2f\x00"


def _chunk(data: bytes) -> bytes:
    return b"MTrk" + len(data).to_bytes(4, "big") + data


def smf_bytes(ppq: int, ev: dict[str, I64], tempos: list[tuple[int, int]], meters: list[tuple[int, int, int]]) -> bytes:
    """A type-1 file: a tempo/meter track, then one track per source track."""
    metas = [(t, b"\xff\x51\x03" + v.to_bytes(3, "big")) for t, v in tempos]
    metas += [(t, b"\xff\x58\x04" + bytes([n, int(np.log2(d)), 24, 8])) for t, n, d in meters]
    metas.sort(key=lambda m: m[0])
    head = bytearray()
    last = 0
    for t, body in metas:
        _, delta = _vlq(np.array([max(0, t - last)]))
        head += delta.tobytes() + body
        last = max(last, t)
    tracks = [_chunk(bytes(head) + b"\x00\xff\x2f\x00")]
    for number in np.unique(ev["track"]):
        sel = ev["track"] == number
        tracks.append(_chunk(_track(ev["tick"][sel], ev["status"][sel], ev["a"][sel], ev["b"][sel])))
    header = b"MThd" + (6).to_bytes(4, "big") + (1).to_bytes(2, "big") + len(tracks).to_bytes(2, "big")
    return header + ppq.to_bytes(2, "big") + b"".join(tracks)


def build(out: Path, files: int, seed: int = 0, data: Path = DEFAULT_DATA, progress: bool = True) -> int:
    """Write ``files`` files under ``out`` (skipping those already there); returns the bytes written."""
    sources = load_sources(data)
    written = 0
    start = time.perf_counter()
    for index in range(files):
        rel, body = variant(sources, index, seed)
        path = out / rel
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
            written += len(body)
        if progress and (index + 1) % 5000 == 0:
            rate = (index + 1) / (time.perf_counter() - start)
            print(f"  {index + 1}/{files} files, {rate:.0f} files/s", file=sys.stderr, flush=True)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    if ROOT in args.out.resolve().parents or args.data.resolve() in args.out.resolve().parents:
        parser.error("write the collection outside the repository and the shared data (under /tmp, say)")
    size = build(args.out, args.files, args.seed, args.data)
    print(f"wrote {args.files} files ({size / 1e6:.0f} MB) under {args.out}", file=sys.stderr)
    os.sync()


if __name__ == "__main__":
    main()
