"""Aligned (drum bar, melodic bar) pairs mined from multi-track songs: what the melody model learns from.

Mining (:func:`mine_pairs`)
---------------------------
Every song (:func:`rvae_server.core.melodyfile.read_song`) gives its drum bars and its melodic parts on the same
96-tick grid. For each part whose General MIDI program belongs to a family (:mod:`rvae_server.melody.families`)
and each bar where the drum bar is used (≥ 2 onsets) and the part plays, the part's notes in that bar become
one line (:func:`rvae_server.melody.line.monophonic`: the highest note of a chord, the lowest for a bass) and
the pair is kept when the line has at least :data:`MIN_NOTES` notes. Each pair carries

* the drum bar (velocities, 0 where no onset) and its **latent point**: the drum VAE's encoder mean for it
  (the bundled ``groove-all`` model), so that at play time the layer's pad point can stand in for it;
* the family, the **key**: :func:`~rvae_server.melody.keys.detect_key_counts` on every melodic note of the song in the
  8 bars around it (a song may change key), and the line (pitch, length, velocity on the 96 ticks).

Splitting and transposition
---------------------------
:func:`split_by_song` splits by song *before anything else*: older revisions of a song (``NAME__hist_….mid``)
go with it, so no version of a validation or test song is trained on. Training transposes every pair into all
12 keys (:func:`transposition`: in epoch ``e`` pair ``i`` is shifted by ``(i + e) mod 12`` semitones, down by
six at most, so over 12 epochs each pair is seen once in each key).

A :class:`PairSet` saves to and loads from a ``.npz`` of plain arrays (no pickle).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from rvae_server.core.bar import N_INSTRUMENTS, TICKS, stack
from rvae_server.core.melodyfile import read_song
from rvae_server.core.midifile import ClipError, find_clips
from rvae_server.melody.families import FAMILIES, family_of_program
from rvae_server.melody.keys import detect_key_counts
from rvae_server.melody.line import monophonic

log = logging.getLogger(__name__)

MIN_NOTES = 3  # notes a melodic bar needs to be learnt from
KEY_WINDOW = 8  # bars around a bar whose notes give its key
BASS = FAMILIES.index("bass")

#: Encodes drum bars ``(N, 3, 96, 9)`` into latent points ``(N, 2)``.
Encoder = Callable[[NDArray[np.float32]], NDArray[np.float32]]


@dataclass(slots=True)
class PairSet:
    """Pairs and the drum bars they share. ``songs`` are the files' paths; ``groups`` their song names (what the
    split goes by). Per drum bar: ``drums`` (D, 96, 9) uint8 MIDI velocity (0 = no onset), ``latents`` (D, 2).
    Per pair: the drum bar, song, part (global id), bar index in the song, family, key (0..23), and the line
    on the grid: ``pitch`` (P, 96) int8 (-1 = no onset), ``length`` (P, 96) int16 ticks, ``velocity`` (P, 96)
    uint8."""

    songs: NDArray[np.str_]
    groups: NDArray[np.str_]
    drums: NDArray[np.uint8]
    latents: NDArray[np.float32]
    pair_drum: NDArray[np.int32]
    pair_song: NDArray[np.int32]
    pair_part: NDArray[np.int32]
    pair_bar: NDArray[np.int32]
    family: NDArray[np.int8]
    key: NDArray[np.int8]
    pitch: NDArray[np.int8]
    length: NDArray[np.int16]
    velocity: NDArray[np.uint8]

    def __len__(self) -> int:
        return int(self.pair_drum.size)

    def subset(self, pairs: NDArray[np.bool_] | NDArray[np.integer]) -> PairSet:
        """The pairs selected (a mask or indices) with the drum bars and songs as they are."""
        sel = np.asarray(pairs)
        return PairSet(
            self.songs, self.groups, self.drums, self.latents,
            self.pair_drum[sel], self.pair_song[sel], self.pair_part[sel], self.pair_bar[sel],
            self.family[sel], self.key[sel], self.pitch[sel], self.length[sel], self.velocity[sel],
        )  # fmt: skip

    def save(self, path: str | os.PathLike[str]) -> None:
        np.savez_compressed(Path(path), **{f.name: getattr(self, f.name) for f in fields(self)})

    @staticmethod
    def load(path: str | os.PathLike[str]) -> PairSet:
        with np.load(Path(path), allow_pickle=False) as data:
            return PairSet(**{f.name: data[f.name] for f in fields(PairSet)})

    def windows(self, bars: int = 4) -> NDArray[np.int64]:
        """Start indices ``i`` such that pairs ``i .. i + bars - 1`` are consecutive bars of one part (the 4-bar
        loops the seed's filters judge)."""
        n = len(self)
        if n < bars:
            return np.zeros(0, dtype=np.int64)
        ok = np.ones(n - bars + 1, dtype=bool)
        for k in range(1, bars):
            ok &= self.pair_part[k : n - bars + 1 + k] == self.pair_part[: n - bars + 1]
            ok &= self.pair_bar[k : n - bars + 1 + k] == self.pair_bar[: n - bars + 1] + k
        return np.nonzero(ok)[0].astype(np.int64)


def song_group(path: str | os.PathLike[str]) -> str:
    """The song a file is a version of: its folder and name without the ``__hist_<hash>`` of older revisions."""
    p = Path(path)
    return f"{p.parent.name}/{re.sub(r'__hist_[0-9a-f]+$', '', p.stem)}"


def _line_arrays(ticks: NDArray[np.int64], pitches: NDArray[np.int64], velocities: NDArray[np.int64],
                 lengths: NDArray[np.float64], lowest: bool) -> tuple[NDArray[np.int64], ...] | None:  # fmt: skip
    line = monophonic(ticks, pitches, velocities, np.round(lengths).astype(np.int64), lowest)
    if len(line) < MIN_NOTES:
        return None
    return line.to_grid()


def _window_keys(bars: int, part_bars: list[NDArray[np.int64]], part_pitches: list[NDArray[np.int64]]) -> list[int]:
    """The key index of every bar of a song from the notes of all its parts in the bars around it (-1: none)."""
    counts = np.zeros((bars + 1, 12))
    for b, p in zip(part_bars, part_pitches, strict=True):
        np.add.at(counts, (b, p % 12), 1.0)
    cum = np.cumsum(counts, axis=0)
    keys: list[int] = []
    half = KEY_WINDOW // 2
    for bar in range(bars):
        lo, hi = max(0, bar - half), min(bars, bar + half)
        window = cum[hi - 1] - (cum[lo - 1] if lo > 0 else 0.0)
        keys.append(detect_key_counts(window).index if window.sum() > 0 else -1)
    return keys


def mine_pairs(
    paths: Iterable[str | os.PathLike[str]],
    encoder: Encoder | None = None,
    progress: Callable[[str], None] | None = None,
) -> PairSet:
    """Mine the pairs of every MIDI file under ``paths`` (files or folders). A file that cannot be read is
    reported (``progress``) and skipped. ``encoder`` gives the drum bars' latent points (zeros without one)."""
    songs: list[str] = []
    drums: list[NDArray[np.uint8]] = []
    latents: list[NDArray[np.float32]] = []
    drum_offset = 0
    cols: dict[str, list[object]] = {k: [] for k in ("drum", "song", "part", "bar", "family", "key")}
    lines: dict[str, list[NDArray[np.int64]]] = {"pitch": [], "length": [], "velocity": []}
    part_id = 0
    for path in find_clips(paths):
        try:
            song = read_song(path)
        except ClipError as err:
            if progress:
                progress(f"skipped {err}")
            continue
        bars = song.clip.bars
        if not bars or not song.parts:
            continue
        s = len(songs)
        songs.append(str(path))
        used = np.asarray([b.used for b in bars])
        planes = stack(b.bar for b in bars)
        drums.append(np.round(planes[:, 1] * 127).astype(np.uint8))
        latents.append(encoder(planes) if encoder is not None else np.zeros((len(bars), 2), dtype=np.float32))
        keys = _window_keys(len(bars), [p.bars for p in song.parts], [p.pitches for p in song.parts])
        for part in song.parts:
            family = family_of_program(part.program)
            part_id += 1
            if family is None:
                continue
            starts = np.searchsorted(part.bars, np.arange(len(bars) + 1))
            for bar in np.unique(part.bars):
                if not used[bar] or keys[bar] < 0:
                    continue
                a, b = starts[bar], starts[bar + 1]
                grid = _line_arrays(
                    part.ticks[a:b], part.pitches[a:b], part.velocities[a:b], part.lengths[a:b], family == BASS
                )
                if grid is None:
                    continue
                for name, arr in zip(("pitch", "length", "velocity"), grid, strict=True):
                    lines[name].append(arr)
                for name, value in zip(
                    ("drum", "song", "part", "bar", "family", "key"),
                    (drum_offset + int(bar), s, part_id, int(bar), family, keys[bar]),
                    strict=True,
                ):
                    cols[name].append(value)
        drum_offset += len(bars)
        if progress:
            progress(f"{path}: {len(bars)} bars, {len(song.parts)} parts")
    if not cols["drum"]:
        raise ValueError("no pairs: no file held drum bars with melodic parts of enough notes")
    return PairSet(
        songs=np.asarray(songs, dtype=np.str_),
        groups=np.asarray([song_group(p) for p in songs], dtype=np.str_),
        drums=np.concatenate(drums).reshape(-1, TICKS, N_INSTRUMENTS),
        latents=np.concatenate(latents).astype(np.float32),
        pair_drum=np.asarray(cols["drum"], dtype=np.int32),
        pair_song=np.asarray(cols["song"], dtype=np.int32),
        pair_part=np.asarray(cols["part"], dtype=np.int32),
        pair_bar=np.asarray(cols["bar"], dtype=np.int32),
        family=np.asarray(cols["family"], dtype=np.int8),
        key=np.asarray(cols["key"], dtype=np.int8),
        pitch=np.stack(lines["pitch"]).astype(np.int8),
        length=np.minimum(np.stack(lines["length"]), 32767).astype(np.int16),
        velocity=np.stack(lines["velocity"]).astype(np.uint8),
    )


def data_sources(paths: Iterable[str | os.PathLike[str]]) -> list[dict[str, str]]:
    """The licence of each data folder under ``paths``, read from its ``SOURCE.md`` (``- Repository:``,
    ``- Licence:`` and ``- Notes:`` lines): what a model trained on them must credit."""
    out: list[dict[str, str]] = []
    for raw in paths:
        root = Path(raw)
        for source in sorted(root.rglob("SOURCE.md")) if root.is_dir() else []:
            fields_: dict[str, str] = {"data": source.parent.name}
            for line in source.read_text(encoding="utf-8", errors="replace").splitlines():
                match = re.match(r"^- (Repository|Licence|Notes):\s*(.+)$", line.strip())
                if match:
                    fields_[match.group(1).lower()] = match.group(2).strip()
            out.append(fields_)
    return out


def split_by_song(pairs: PairSet, shares: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0) -> tuple[PairSet, ...]:
    """Split by song (all revisions of a song together) into parts of about ``shares`` of the songs (train,
    validation, test by default), the songs shuffled with ``seed``."""
    groups = sorted(set(pairs.groups.tolist()))
    order = np.random.default_rng(seed).permutation(len(groups))
    bounds = np.cumsum([0.0, *shares]) / sum(shares) * len(groups)
    part_of_group: dict[str, int] = {}
    for rank, g in enumerate(order):
        part_of_group[groups[g]] = int(np.searchsorted(bounds, rank, side="right") - 1)
    song_part = np.asarray([part_of_group[g] for g in pairs.groups.tolist()], dtype=np.int64)
    which = song_part[pairs.pair_song]
    return tuple(pairs.subset(which == k) for k in range(len(shares)))


def transposition(index: NDArray[np.integer], epoch: int) -> NDArray[np.int64]:
    """Semitones pair ``index`` is shifted by in ``epoch``: ``(index + epoch) mod 12`` mapped to -6..5."""
    return ((np.asarray(index, dtype=np.int64) + epoch) % 12 + 6) % 12 - 6


__all__ = ["MIN_NOTES", "PairSet", "data_sources", "mine_pairs", "song_group", "split_by_song", "transposition"]
