"""The part of python-rtmidi's API rvae uses, over supriya-midi: the MIDI binding when python-rtmidi is not
installed (:func:`rvae_server.system.midiports.binding`).

Why: python-rtmidi 1.5.8, its latest release, ships no wheels for Python 3.13 or 3.14 (installing it there needs a
C++ compiler and the ALSA/JACK headers, or MSVC on Windows); supriya-midi does, for Linux, macOS (arm64, x86_64) and
Windows (``scripts/check_wheels.py`` prints the table). Both wrap the same C++ RtMidi, so ports have the same names,
a virtual port is the same virtual port (ALSA, CoreMIDI; Windows MM has none, in either), and the backends carry the
same numbers (``API_UNIX_JACK`` = 3 …).

One difference, on Linux: supriya-midi's wheel carries its own JACK client library, of jack2 1.9.14 (JACK protocol
8), which cannot talk to a jackd of a later protocol (Debian 12's jack2 1.9.21 speaks 9: "JACK protocol mismatch").
Its ALSA backend — Linux's default — uses the system's libasound and works; asked for JACK, a client that cannot
connect raises :class:`SystemError` saying so (:data:`JACK_NOTE`).

What is here: ``API_*`` constants, :func:`get_compiled_api`, :class:`SystemError` (raised when a backend cannot be
used: no ALSA sequencer, no JACK server), :class:`MidiIn` and :class:`MidiOut` with ``(rtapi=, name=)`` and
``get_ports``, ``open_port``, ``open_virtual_port``, ``close_port``, ``delete``, ``get_current_api``; ``MidiOut.
send_message``; ``MidiIn.ignore_types``, ``set_callback`` (the callback gets python-rtmidi's ``((message, delta),
data)``), ``cancel_callback``, ``get_message``.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Any

import supriya_midi
from supriya_midi import RtMidiAPI

API_UNSPECIFIED = int(RtMidiAPI.UNSPECIFIED)
API_MACOSX_CORE = int(RtMidiAPI.MACOSX_CORE)
API_LINUX_ALSA = int(RtMidiAPI.LINUX_ALSA)
API_UNIX_JACK = int(RtMidiAPI.UNIX_JACK)
API_WINDOWS_MM = int(RtMidiAPI.WINDOWS_MM)
API_RTMIDI_DUMMY = int(RtMidiAPI.RTMIDI_DUMMY)

#: Which binding this is (``rvae ports`` and the start-up report may say so).
BINDING = f"supriya-midi {supriya_midi.__version__}"
#: What a JACK client that cannot connect adds to its error.
JACK_NOTE = (
    "supriya-midi's JACK client library (jack2 1.9.14, JACK protocol 8) may not speak this jackd's protocol: use "
    "--midi-backend alsa (the default) or install python-rtmidi"
)
#: The errors supriya-midi raises (its RtMidiError is not a RuntimeError).
_ERRORS = (builtins.RuntimeError, supriya_midi.RtMidiError)


class SystemError(builtins.RuntimeError):
    """A MIDI backend could not be used (python-rtmidi's ``rtmidi.SystemError``)."""


def get_compiled_api() -> list[int]:
    """The backends compiled in (as python-rtmidi's ``rtmidi.get_compiled_api``)."""
    return [int(api) for api in supriya_midi.get_compiled_apis()]


class _Client:
    """One RtMidi client (an input or an output)."""

    _kind: Any = None

    def __init__(self, rtapi: int = API_UNSPECIFIED, name: str | None = None) -> None:
        try:
            self._client = self._kind(api=RtMidiAPI(rtapi), client_name=name or "RtMidi Client")
            # a JACK client that could not connect only warned (python-rtmidi raises): asking for the ports raises
            self._client.get_port_count()
        except _ERRORS as err:
            text = str(err).strip()
            if rtapi == API_UNIX_JACK or "JACK" in text:
                text = f"{text} ({JACK_NOTE})"
            raise SystemError(text) from None

    def get_ports(self) -> list[str]:
        return list(self._client.get_ports())

    def open_port(self, port: int = 0, name: str | None = None) -> _Client:
        self._call(self._client.open_port, port, name or "RtMidi")
        return self

    def open_virtual_port(self, name: str | None = None) -> _Client:
        self._call(self._client.open_virtual_port, name or "RtMidi")
        return self

    def close_port(self) -> None:
        self._client.close_port()

    def delete(self) -> None:
        self._client.delete()

    def get_current_api(self) -> int:
        return int(self._client.get_current_api())

    @staticmethod
    def _call(method: Callable[..., Any], *args: Any) -> None:
        try:
            method(*args)
        except _ERRORS as err:
            raise SystemError(str(err).strip()) from None


class MidiOut(_Client):
    """A MIDI output (python-rtmidi's ``rtmidi.MidiOut``)."""

    _kind = supriya_midi.MidiOut

    def send_message(self, message: Sequence[int]) -> None:
        self._client.send_message(list(message))


class MidiIn(_Client):
    """A MIDI input (python-rtmidi's ``rtmidi.MidiIn``)."""

    _kind = supriya_midi.MidiIn

    def ignore_types(self, sysex: bool = True, timing: bool = True, active_sense: bool = True) -> None:
        self._client.ignore_types(sysex, timing, active_sense)

    def set_callback(self, func: Callable[..., None], data: Any = None) -> None:
        """``func((message, delta), data)`` for each message, as python-rtmidi calls it."""

        def callback(message: Sequence[int], delta: float, _: Any = None) -> None:
            func((list(message), float(delta)), data)

        self._client.set_callback(callback)

    def cancel_callback(self) -> None:
        self._client.cancel_callback()

    def get_message(self) -> tuple[list[int], float] | None:
        got = self._client.get_message()
        return None if not got else (list(got[0]), float(got[1]))


__all__ = [
    "API_LINUX_ALSA",
    "API_MACOSX_CORE",
    "API_RTMIDI_DUMMY",
    "API_UNIX_JACK",
    "API_UNSPECIFIED",
    "API_WINDOWS_MM",
    "BINDING",
    "JACK_NOTE",
    "MidiIn",
    "MidiOut",
    "SystemError",
    "get_compiled_api",
]
