"""Tempo limits, one home: what the clock, the settings, every surface and the web page accept
(:data:`MIN_BPM`..:data:`MAX_BPM`; the engine clamps a tempo control to them, the settings refuse outside them), and
the wider range a MIDI file written offline may carry (:data:`MIN_FILE_BPM`..:data:`MAX_FILE_BPM`: ``rvae render``,
``rvae jam``, the bar and note writers)."""

from __future__ import annotations

#: The tempo range of the instrument (BPM).
MIN_BPM, MAX_BPM = 20.0, 400.0
#: The tempo range of a MIDI file written offline (BPM).
MIN_FILE_BPM, MAX_FILE_BPM = 1.0, 999.0

__all__ = ["MAX_BPM", "MAX_FILE_BPM", "MIN_BPM", "MIN_FILE_BPM"]
