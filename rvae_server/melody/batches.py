"""Training inputs and targets from a :class:`~rvae_server.melody.pairs.PairSet`, transposed: the numpy half of
melody training (the torch half is :mod:`rvae_server.melody.training`).

A pair shifted by ``s`` semitones has its key's tonic and every pitch moved by ``s``. Its **octave** is the one
that puts the key's tonic nearest the median pitch of its notes (:func:`octave_of`); our network's pitches are
semitones from that tonic (:data:`~rvae_server.melody.network.PITCH_LOW` and up), folded by octaves into its
range. The seed's baseline reads 4-bar windows: 4 drum bars of onsets and the 4 lines as a 64-step roll.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from rvae_server.melody.line import rolls
from rvae_server.melody.network import MAX_LENGTH_TICKS, OCTAVES, PITCH_LOW, PITCHES, SEED_BARS
from rvae_server.melody.pairs import PairSet

F32 = NDArray[np.float32]
I64 = NDArray[np.int64]


def reference_pitch(tonic: NDArray[np.integer] | int, octave: NDArray[np.integer] | int) -> I64:
    """The MIDI pitch of the key's tonic in an octave (C4 = 60 is C in octave 4)."""
    return np.asarray(tonic, dtype=np.int64) + 12 * (np.asarray(octave, dtype=np.int64) + 1)


def octave_of(median_pitch: NDArray[np.floating], tonic: NDArray[np.integer]) -> I64:
    """The octave (0..8) whose tonic lies nearest each median pitch."""
    octave = np.round((np.asarray(median_pitch, dtype=np.float64) - np.asarray(tonic)) / 12.0) - 1
    return np.clip(octave, 0, OCTAVES - 1).astype(np.int64)


def _median_pitch(pitch: NDArray[np.integer]) -> NDArray[np.float64]:
    """Median of the onset pitches of each row of ``(N, ...)`` grids (-1 = no note)."""
    flat = pitch.reshape(pitch.shape[0], -1).astype(np.float64)
    flat[flat < 0] = np.nan
    return np.nanmedian(flat, axis=1)


@dataclass(slots=True)
class MelodyBatch:
    drums: F32  # (N, 96, 9) velocity in [0, 1]
    latents: F32  # (N, 2)
    family: I64
    key: I64
    octave: I64
    onsets: F32  # (N, 96)
    pitches: I64  # (N, 96) class 0..PITCHES-1 (0 where no onset)
    lengths: F32  # (N, 96) in [0, 1]
    velocities: F32  # (N, 96) in [0, 1]


def shifted_keys(pairs: PairSet, index: I64, shift: I64) -> tuple[I64, I64]:
    """(tonic, minor) of the pairs' keys shifted by ``shift`` semitones."""
    key = pairs.key[index].astype(np.int64)
    return (key % 12 + shift) % 12, key // 12


def melody_batch(pairs: PairSet, index: I64, shift: I64) -> MelodyBatch:
    """Our network's inputs and targets for pairs ``index`` transposed by ``shift`` semitones."""
    tonic, minor = shifted_keys(pairs, index, shift)
    raw = pairs.pitch[index].astype(np.int64)
    onsets = raw >= 0
    pitch = np.where(onsets, np.clip(raw + shift[:, None], 0, 127), -1)
    octave = octave_of(_median_pitch(pitch), tonic)
    rel = pitch - reference_pitch(tonic, octave)[:, None] - PITCH_LOW
    rel = np.where(onsets, rel % 12 + 12 * np.clip(rel // 12, 0, PITCHES // 12 - 1), 0)
    length = np.clip(pairs.length[index].astype(np.float64), 1, MAX_LENGTH_TICKS)
    drums = pairs.drums[pairs.pair_drum[index]].astype(np.float32) / np.float32(127.0)
    return MelodyBatch(
        drums=drums,
        latents=pairs.latents[pairs.pair_drum[index]],
        family=pairs.family[index].astype(np.int64),
        key=(tonic + 12 * minor).astype(np.int64),
        octave=octave,
        onsets=onsets.astype(np.float32),
        pitches=rel.astype(np.int64),
        lengths=np.where(onsets, np.log2(length) / np.log2(MAX_LENGTH_TICKS), 0.0).astype(np.float32),
        velocities=(pairs.velocity[index].astype(np.float32) / np.float32(127.0)) * onsets,
    )


@dataclass(slots=True)
class SeedBatch:
    drums: F32  # (N, 4, 96, 9) onsets
    family: I64
    key: I64
    octave: I64
    roll: F32  # (N, 64, 128)


def window_conditions(pairs: PairSet, starts: I64, shift: I64) -> tuple[I64, I64, I64, I64]:
    """Family, key index, octave and the shifted pitch grids ``(N, 4, 96)`` of 4-bar windows: the key is the
    first bar's, the octave that of the median pitch of all four bars."""
    rows = starts[:, None] + np.arange(SEED_BARS)[None, :]
    tonic, minor = shifted_keys(pairs, starts, shift)
    raw = pairs.pitch[rows].astype(np.int64)
    pitch = np.where(raw >= 0, np.clip(raw + shift[:, None, None], 0, 127), -1)
    octave = octave_of(_median_pitch(pitch), tonic)
    return pairs.family[starts].astype(np.int64), (tonic + 12 * minor).astype(np.int64), octave, pitch


def seed_batch(pairs: PairSet, starts: I64, shift: I64) -> SeedBatch:
    """The baseline's inputs and targets for the 4-bar windows starting at pairs ``starts``, shifted."""
    family, key, octave, pitch = window_conditions(pairs, starts, shift)
    rows = starts[:, None] + np.arange(SEED_BARS)[None, :]
    drums = (pairs.drums[pairs.pair_drum[rows]] > 0).astype(np.float32)
    roll = rolls(pitch, pairs.length[rows].astype(np.int64)).astype(np.float32)
    return SeedBatch(drums, family, key, octave, roll)


__all__ = [
    "MelodyBatch",
    "SeedBatch",
    "melody_batch",
    "octave_of",
    "reference_pitch",
    "seed_batch",
    "shifted_keys",
    "window_conditions",
]
