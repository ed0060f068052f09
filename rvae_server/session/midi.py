"""The MIDI outputs of ``rvae serve``: the drums' port (``midi-out``, a virtual ``R-VAE`` by default), the melody's
(``melody-out``, a virtual ``R-VAE melody``), and being the MIDI clock master of the drums' port (``send-clock``).

By default (``player = "process"``) they belong to the **player process**
(:class:`~rvae_server.session.player.proxy.ProcessPlayer`): the notes go out from an interpreter of their own that
nothing in the server — OSC, planning, the web page, melody generation, garbage collection — can hold up, and
following a MIDI clock it listens to the clock itself. The engine hands it every plan (a plan sink); program
changes for the melody's port travel the same way (:class:`ProcessLineSink`). With ``player = "thread"``, or when
the process cannot start, the ports are opened here and the engine's own player thread sends to them, as before.

Either way a port that cannot be opened is said plainly and the rest plays; without a backend named, JACK is used
when the platform's default backend is unavailable and a JACK server runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rvae_server.core.config import ServeConfig
from rvae_server.engine.api import LineSink, NoteSink
from rvae_server.engine.clock.base import Clock
from rvae_server.session.player.proxy import PlayerStartError, ProcessPlayer
from rvae_server.session.player.wire import FollowSpec, PlayerSpec, PortSpec

if TYPE_CHECKING:
    from rvae_server.engine.clock.sender import MidiClockSender
    from rvae_server.outputs.midiout import MidiOut

log = logging.getLogger(__name__)

DRUMS_PORT = "R-VAE"
MELODY_PORT = "R-VAE melody"
#: SCHED_FIFO priority of the threads that send on time (the player; note-offs and clocks one below).
PLAYER_PRIORITY = 10


class ProcessLineSink:
    """The melody's MIDI port in the player process, as the melody layer sees it: program changes travel to the
    process; the notes are the process's to play (it has the melody's plans)."""

    def __init__(self, player: ProcessPlayer) -> None:
        self._player = player

    def line_note(self, when: float, note: int, velocity: int, seconds: float, channel: int) -> None:
        """Played by the player process."""

    def program(self, channel: int, program: int) -> None:
        self._player.raw("melody", bytes([0xC0 | (channel - 1), program & 0x7F]))

    def transport(self, playing: bool) -> None:
        """The player process hears the transport from the clock."""

    def all_notes_off(self, channels: Sequence[int]) -> None:
        """The player process silences its ports when the transport stops and when it ends."""

    def __repr__(self) -> str:
        return f"ProcessLineSink({self._player.names.get('melody', '?')!r})"


@dataclass
class MidiOutputs:
    """What :func:`open_midi` opened. ``player``: the player process (its ports' names in ``names``), else the
    ports opened here (``drums``, ``melody``), the engine's sinks for them (``sinks``) and the clock sender."""

    player: ProcessPlayer | None = None
    drums: MidiOut | None = None
    melody: MidiOut | None = None
    clock_sender: MidiClockSender | None = None
    sinks: list[NoteSink] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # role (drums, melody) → the port's name
    sends_clock: bool = False
    backend: str | None = None  # the backend that worked here (JACK after a fallback), for the inputs

    def line_sink(self) -> LineSink | None:
        """The melody's MIDI port as a line sink, or None when it is not open."""
        if "melody" not in self.names:
            return None
        if self.player is not None:
            return ProcessLineSink(self.player)
        from rvae_server.outputs.linesinks import MidiLineSink

        assert self.melody is not None
        return MidiLineSink(self.melody)

    def describe(self) -> str:
        """Where the notes go from, for the start-up report."""
        if self.player is not None:
            return f"player process pid {self.player.pid}"
        return "the server's player thread"

    def close(self) -> None:
        if self.clock_sender is not None:
            self.clock_sender.close()
        if self.player is not None:
            self.player.close()
        for out in (self.drums, self.melody):
            if out is not None:
                out.close()


def _spec(config: ServeConfig, melody: bool, backend: str | None) -> PlayerSpec:
    offset = config.midi_out_latency / 1000.0
    drums = PortSpec(config.midi_out, DRUMS_PORT, backend, config.note_length, offset)
    melody_port = PortSpec(config.melody_out, MELODY_PORT, backend, config.note_length, offset) if melody else None
    follow = None
    if config.clock == "midi":
        assert config.clock_in is not None  # validated by the config
        follow = FollowSpec(config.clock_in, backend, config.bpm)
    send_clock = config.send_clock and config.clock == "internal"
    return PlayerSpec(drums, melody_port, follow, send_clock, PLAYER_PRIORITY)


def open_midi(config: ServeConfig, clock: Clock, melody: bool, problem: Callable[[str], None]) -> MidiOutputs:
    """Open the MIDI outputs as ``config`` says (see the module docstring); ``melody``: open the melody's port too.
    ``problem`` is told, in plain words, what could not be opened."""
    if config.send_clock and config.clock != "internal":
        problem("send-clock: only the internal clock can be the MIDI clock master; not sending clock")
    if config.player == "process":
        try:
            return _in_player_process(config, clock, melody, problem)
        except PlayerStartError as err:
            problem(f"player process: could not start ({err}); the notes go out from the server's own thread")
    return _here(config, clock, melody, problem)


def _in_player_process(config: ServeConfig, clock: Clock, melody: bool, problem: Callable[[str], None]) -> MidiOutputs:
    player = ProcessPlayer(clock, _spec(config, melody, config.midi_backend)).start()
    outputs = MidiOutputs(player=player, names=dict(player.names), backend=config.midi_backend)
    for role, error in player.errors.items():
        what = "MIDI out" if role == "drums" else "melody MIDI out"
        problem(f"{what}: could not open ({error}); playing without it")
    outputs.sends_clock = player.spec.send_clock and "drums" in outputs.names
    if config.send_clock and config.clock == "internal" and "drums" not in outputs.names:
        problem("send-clock: no MIDI output is open; not sending clock")
    for role, name in outputs.names.items():
        log.info("%s: notes to %r from the player process (pid %s)", role, name, player.pid)
    return outputs


def _here(config: ServeConfig, clock: Clock, melody: bool, problem: Callable[[str], None]) -> MidiOutputs:
    from rvae_server.engine.clock.sender import MidiClockSender
    from rvae_server.outputs.midiout import open_output_or_jack
    from rvae_server.outputs.sinks import MidiSink

    outputs = MidiOutputs(backend=config.midi_backend)

    def going_through_jack(err: Exception) -> None:
        log.warning("%s; a JACK server is running, so MIDI goes through JACK instead", err)
        outputs.backend = "jack"

    for role, target, client in (("drums", config.midi_out, DRUMS_PORT), ("melody", config.melody_out, MELODY_PORT)):
        if role == "melody" and not melody:
            continue
        what = "MIDI out" if role == "drums" else "melody MIDI out"
        try:
            out = open_output_or_jack(target, outputs.backend, client, config.note_length, None, going_through_jack)
        except Exception as err:  # MidiError, or rtmidi's own errors for a missing backend
            problem(f"{what}: could not open ({err or type(err).__name__}); playing without it")
            continue
        outputs.names[role] = out.name
        if role == "drums":
            outputs.drums = out
            outputs.sinks.append(MidiSink(out, offset=config.midi_out_latency / 1000.0))
        else:
            outputs.melody = out
    if config.send_clock and config.clock == "internal":
        if outputs.drums is None:
            problem("send-clock: no MIDI output is open; not sending clock")
        else:
            offset = config.midi_out_latency / 1000.0
            outputs.clock_sender = MidiClockSender(clock, outputs.drums, offset=offset)
            outputs.sends_clock = True
            log.info("sending MIDI clock (24 ppqn, Start/Stop) to %r", outputs.drums.name)
    return outputs


__all__ = ["DRUMS_PORT", "MELODY_PORT", "PLAYER_PRIORITY", "MidiOutputs", "ProcessLineSink", "open_midi"]
