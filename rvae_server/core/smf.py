"""A small, strict reader for Standard MIDI Files that extracts only what clip reading needs.

mido's general parser builds and validates a message object per event (~30 ms for one dense Groove MIDI
performance); this one walks the bytes once and keeps note-ons, tempo and time-signature changes and the
track lengths, about 10x faster, and names the byte offset of anything malformed. Pure Python: a hostile file
can raise :class:`SMFError` but cannot crash the interpreter. Work and memory are bounded too: a file with more
than :data:`MAX_EVENTS` events or :data:`MAX_NOTES` note-ons is refused (the densest Groove MIDI performance has
11,513 notes; a 10 MB file of note-ons on one tick would otherwise hold 3.4 million and take ~0.5 GB).

With ``melodic=True`` it also keeps what melodic tracks need (:mod:`rvae_server.core.melodyfile`): the note-offs
(a note-on of velocity 0 is a note-off) with their tracks, and the program changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Most events of any kind in one file (all tracks), and most note-ons; more is refused.
MAX_EVENTS = 1_000_000
MAX_NOTES = 200_000


class SMFError(ValueError):
    """The bytes are not a valid Standard MIDI File; the message names what and where."""


@dataclass(slots=True)
class SMFEvents:
    format: int
    division: int  # ticks per quarter note (> 0); SMPTE divisions are rejected
    end: int = 0  # absolute tick of the longest track's end
    note_ticks: list[int] = field(default_factory=list)  # note-ons with velocity > 0, all tracks
    note_pitches: list[int] = field(default_factory=list)
    note_velocities: list[int] = field(default_factory=list)
    note_channels: list[int] = field(default_factory=list)  # 0-based
    note_tracks: list[int] = field(default_factory=list)  # 1-based number of the track holding the note
    tempos: list[tuple[int, int]] = field(default_factory=list)  # (tick, microseconds per quarter)
    time_signatures: list[tuple[int, int, int]] = field(default_factory=list)  # (tick, numerator, denominator)
    events: int = 0  # events read so far, all tracks
    # kept only with ``melodic=True``
    off_ticks: list[int] = field(default_factory=list)  # note-offs (and note-ons of velocity 0)
    off_pitches: list[int] = field(default_factory=list)
    off_channels: list[int] = field(default_factory=list)
    off_tracks: list[int] = field(default_factory=list)
    programs: list[tuple[int, int, int]] = field(default_factory=list)  # (tick, channel 0-based, program)


def parse_smf(data: bytes, *, melodic: bool = False) -> SMFEvents:
    """Parse a whole file's bytes. Raises :class:`SMFError`. ``melodic``: keep tracks, note-offs and programs too."""
    size = len(data)
    if size < 14 or data[:4] != b"MThd":
        raise SMFError("not a standard MIDI file (no 'MThd' header)")
    header_len = int.from_bytes(data[4:8], "big")
    if header_len < 6 or 8 + header_len > size:
        raise SMFError(f"bad header length {header_len}")
    fmt = int.from_bytes(data[8:10], "big")
    ntracks = int.from_bytes(data[10:12], "big")
    division = int.from_bytes(data[12:14], "big")
    if fmt not in (0, 1, 2):
        raise SMFError(f"unknown MIDI file format {fmt}")
    if division & 0x8000:
        raise SMFError("SMPTE time division is not supported; use ticks per quarter note")
    if division == 0:
        raise SMFError("time division is 0 ticks per quarter note")
    out = SMFEvents(fmt, division)
    pos = 8 + header_len
    found = 0
    while pos + 8 <= size and found < ntracks:
        kind = data[pos : pos + 4]
        length = int.from_bytes(data[pos + 4 : pos + 8], "big")
        start = pos + 8
        stop = start + length
        if stop > size:
            raise SMFError(f"track {found + 1} is truncated: it declares {length} bytes, {size - start} remain")
        if kind == b"MTrk":
            _parse_track(data, start, stop, found + 1, out, melodic)
            found += 1
        pos = stop  # unknown chunks are skipped, as the standard asks
    if found < ntracks:
        raise SMFError(f"the header declares {ntracks} tracks but the file holds {found}")
    return out


def _parse_track(data: bytes, pos: int, stop: int, number: int, out: SMFEvents, melodic: bool = False) -> None:
    tick = 0
    status = 0
    ticks, pitches, vels, chans = out.note_ticks, out.note_pitches, out.note_velocities, out.note_channels
    add_tick, add_pitch, add_vel, add_chan = ticks.append, pitches.append, vels.append, chans.append
    first_note = len(ticks)
    room = MAX_NOTES - first_note  # note-ons this track may still add
    budget = MAX_EVENTS - out.events  # events this track may still hold
    events = 0
    try:
        while pos < stop:
            events += 1
            if events > budget:
                raise SMFError(f"more than {MAX_EVENTS} events in the file (track {number}, byte {pos}); refused")
            # delta time: a variable-length quantity of at most 4 bytes (one byte, mostly)
            byte = data[pos]
            pos += 1
            if byte & 0x80:
                delta = byte & 0x7F
                n = 1
                while byte & 0x80:
                    byte = data[pos]
                    pos += 1
                    delta = (delta << 7) | (byte & 0x7F)
                    n += 1
                    if n > 4:
                        raise SMFError(f"track {number}: delta time longer than 4 bytes at byte {pos}")
                tick += delta
            else:
                tick += byte
            byte = data[pos]
            if byte & 0x80:
                pos += 1
                if byte == 0xFF:  # meta event
                    meta = data[pos]
                    pos += 1
                    length, pos = _vlq(data, pos, number)
                    body = data[pos : pos + length]
                    if len(body) < length:
                        raise SMFError(f"track {number}: meta event truncated at byte {pos}")
                    pos += length
                    if meta == 0x51 and length == 3:
                        out.tempos.append((tick, int.from_bytes(body, "big")))
                    elif meta == 0x58 and length >= 2:
                        if body[1] > 16:
                            raise SMFError(f"track {number}: time signature denominator 2^{body[1]} at tick {tick}")
                        out.time_signatures.append((tick, body[0], 1 << body[1]))
                    elif meta == 0x2F:
                        break
                    continue
                if byte in (0xF0, 0xF7):  # sysex: a length, then bytes
                    length, pos = _vlq(data, pos, number)
                    pos += length
                    status = 0
                    continue
                if byte >= 0xF0:
                    raise SMFError(
                        f"track {number}: system message 0x{byte:02X} is not allowed in a file, byte {pos - 1}"
                    )
                status = byte
            elif not status:
                raise SMFError(f"track {number}: data byte 0x{byte:02X} without a status at byte {pos}")
            high = status & 0xF0
            if high == 0xC0 or high == 0xD0:  # one data byte
                if data[pos] & 0x80:
                    raise SMFError(f"track {number}: status byte where a data byte belongs, byte {pos}")
                if melodic and high == 0xC0:
                    out.programs.append((tick, status & 0x0F, data[pos]))
                pos += 1
                continue
            a = data[pos]
            b = data[pos + 1]
            if (a | b) & 0x80:
                raise SMFError(f"track {number}: status byte where a data byte belongs, byte {pos}")
            pos += 2
            if high == 0x90 and b:
                room -= 1
                if room < 0:
                    raise SMFError(f"more than {MAX_NOTES} notes in the file (track {number}, byte {pos}); refused")
                add_tick(tick)
                add_pitch(a)
                add_vel(b)
                add_chan(status & 0x0F)
            elif melodic and high <= 0x90:  # 0x80 note-off, or 0x90 with velocity 0
                out.off_ticks.append(tick)
                out.off_pitches.append(a)
                out.off_channels.append(status & 0x0F)
                out.off_tracks.append(number)
    except IndexError:
        raise SMFError(f"track {number} ends in the middle of an event") from None
    out.events += events
    if pos > stop:
        raise SMFError(f"track {number}: the last event runs past the end of the track")
    out.note_tracks.extend([number] * (len(ticks) - first_note))
    out.end = max(out.end, tick)


def _vlq(data: bytes, pos: int, number: int) -> tuple[int, int]:
    value = 0
    for _ in range(4):
        byte = data[pos]
        pos += 1
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, pos
    raise SMFError(f"track {number}: length longer than 4 bytes at byte {pos}")
