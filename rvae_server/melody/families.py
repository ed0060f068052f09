"""Instrument families of the melody layer: General MIDI programs grouped into a few kinds of part.

========  =================================================================  ======================
family    General MIDI programs (0-based)                                    line taken from chords
========  =================================================================  ======================
bass      32-39 (basses)                                                     the lowest note
keys      0-23 (pianos, chromatic percussion, organs)                        the highest note
guitar    24-31                                                              the highest note
pad       40-55 (strings, ensembles), 88-103 (synth pads and effects)        the highest note
lead      56-87 (brass, reeds, pipes, synth leads), 104-111 (ethnic)         the highest note
========  =================================================================  ======================

Programs 112-127 (percussive, sound effects) belong to no family: they are not learnt from. Each family plays
on its own default program when the melody layer sends one (:data:`PROGRAMS`).
"""

from __future__ import annotations

FAMILIES: tuple[str, ...] = ("bass", "keys", "guitar", "pad", "lead")
#: A General MIDI program to play each family on (electric bass, electric piano, clean guitar, warm pad,
#: sawtooth lead).
PROGRAMS: dict[str, int] = {"bass": 33, "keys": 4, "guitar": 27, "pad": 89, "lead": 81}
#: Usual octave of each family's line: the octave (C4 = middle C = 60) in which its key's tonic sits.
OCTAVES: dict[str, int] = {"bass": 2, "keys": 4, "guitar": 4, "pad": 4, "lead": 5}


def family_of_program(program: int) -> int | None:
    """The family index (into :data:`FAMILIES`) of a General MIDI program 0..127, or ``None``."""
    if 32 <= program <= 39:
        return 0
    if 0 <= program <= 23:
        return 1
    if 24 <= program <= 31:
        return 2
    if 40 <= program <= 55 or 88 <= program <= 103:
        return 3
    if 56 <= program <= 87 or 104 <= program <= 111:
        return 4
    return None


def parse_family(value: object) -> int:
    """A family given by name (``"bass"``) or index (0..4, or its string). Raises ``ValueError`` naming them."""
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value < len(FAMILIES):
            return value
        raise ValueError(f"family index {value} is out of range 0..{len(FAMILIES) - 1}")
    text = str(value).strip().lower()
    if text.isdigit():
        return parse_family(int(text))
    if text in FAMILIES:
        return FAMILIES.index(text)
    raise ValueError(f"unknown instrument family {value!r}: choose one of {', '.join(FAMILIES)}")


__all__ = ["FAMILIES", "OCTAVES", "PROGRAMS", "family_of_program", "parse_family"]
