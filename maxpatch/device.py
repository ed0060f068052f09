"""Where the notes are played: on the device's own track (the default in Live) or by the server on its MIDI port.

"Play here" subscribes to the layer's planned bars (``/rvae/plans 1 PORT``) and plays them with
``rvae_sequencer.js`` from Live's transport (``[metro 1]`` polls ``[transport]``: its state and its position in
ticks) out of ``[midiout]``, so Live's transport, song position, loop and latency compensation apply. "Server plays
the port" unsubscribes and silences the device: the server's MIDI port plays, as before."""

from __future__ import annotations

from .patcher import FG, Patcher
from .setup import Setup, Ui

SEQUENCER = "rvae_sequencer.js"


def play_here(p: Patcher, s: Setup, ui: Ui) -> None:
    """The output choice, the plan subscription and the device's own sequencer."""
    x0, y0 = 1500.0, 60.0
    p.comment("output: play here (the device's own track) or let the server play its MIDI port", (x0, y0, 460, 18))
    choice = p.parameter(
        "live.text",
        (x0, y0 + 24, 120.0, 16.0),
        (556.0, 130.0, 160.0, 16.0),
        "Play here",
        "play here",
        {
            "parameter_type": 2,
            "parameter_enum": ["server port", "play here"],
            "parameter_mmax": 1,
            "parameter_initial_enable": 1,
            "parameter_initial": [1 if s.device else 0],
            "parameter_invisible": 1,
        },
        mode=1,
        text="server plays the port",
        texton="play here (own track)",
        fontsize=9.0,
        textcolor=FG,
    )
    subscribe = p.msg(f"{s.to('plans')} $1 {s.port}", x0, y0 + 56)
    p.wire(choice, 0, subscribe)
    p.wire(subscribe, 0, p.send_direct(x0, y0 + 88))
    enable = p.obj("prepend enable", x0 + 200, y0 + 56, 1, 1)
    p.wire(choice, 0, enable)
    metro = p.obj("metro 1 @active 1", x0, y0 + 130, 2, 1, ["bang"])
    kinds = ["int", "int", "float", "int", "float", "int", "int", "int", "float"]  # ... state, ticks
    transport = p.obj("transport", x0, y0 + 160, 2, 9, kinds)
    position = p.obj("pack 0 0.", x0, y0 + 190, 2, 1)  # ticks (right, first) then state (left) sends
    p.wire(metro, 0, transport)
    p.wire(transport, 7, position, 0)
    p.wire(transport, 8, position, 1)
    to_js = p.obj("prepend transport", x0, y0 + 220, 1, 1)
    p.wire(position, 0, to_js)
    sequencer = p.obj(f"js {SEQUENCER} {s.layer}", x0, y0 + 250, 1, 1)
    p.wire(to_js, 0, sequencer)
    p.wire(enable, 0, sequencer)
    midiout = p.obj("midiout", x0, y0 + 280, 1, 0)
    p.wire(sequencer, 0, midiout)
    ui.play_here, ui.sequencer = choice, sequencer
