"""Bars into Live and your drum machine's notes, in the device (the bottom of the motion column): **to clip** asks
the server for the last bars this layer played (``/rvae/capture/clip BARS``, the bars from the menu beside it) and
``rvae_clip.js`` writes its answer (``/rvae/clip``, reaching this section through ``[r ---rvae-in]``) into a new clip
on the device's track through the Live API; the **notes** menu sets the layer's note map from a preset
(``/rvae/notes NAME``: General MIDI, a Drum Rack's first pads, TR-8S, Digitakt, Syntakt). The clip writer's status
goes to the device's status line (``[s ---rvae-status]``)."""

from __future__ import annotations

from rvae_server.core.notemaps import PRESETS

from .melody import IN, _menu
from .motion import X0
from .patcher import Patcher, text_button
from .setup import Setup, Ui

CLIP_WRITER = "rvae_clip.js"
#: The status line's receive name (the line itself is made by :func:`maxpatch.feedback.receiving`).
STATUS = "---rvae-status"
BAR_CHOICES = ("1", "2", "4", "8", "16")


def clip(p: Patcher, s: Setup, ui: Ui) -> None:
    """The to-clip button and its bars menu, the notes menu, and the clip writer."""
    x0, y0 = 20.0, 1860.0  # below the motion section
    p.comment("to clip: the last bars of this layer into a new clip on this track (Live API); notes: a note map",
              (x0, y0, 560.0, 18.0))  # fmt: skip
    button = text_button(p, x0, y0 + 24, (X0 + 4, 148.0, 40.0, 16.0), "To clip", "to clip", automatable=False)
    bars = _menu(p, x0 + 220, y0 + 24, (X0 + 46, 146.0, 34.0, 20.0), BAR_CHOICES)
    held = p.obj("i 4", x0 + 220, y0 + 60, 2, 1, ["int"])
    as_number = p.obj("fromsymbol", x0 + 320, y0 + 60, 1, 1)
    p.wire(bars, 1, as_number)
    p.wire(as_number, 0, held, 1)
    p.wire(button, 0, held, 0)
    ask = p.msg(f"{s.to('capture/clip')} $1", x0, y0 + 90)
    p.wire(held, 0, ask)
    p.wire(ask, 0, p.send(x0, y0 + 120))
    notes = _menu(p, x0 + 440, y0 + 24, (X0 + 84, 146.0, 84.0, 20.0), tuple(PRESETS))
    send_notes = p.obj(f"prepend {s.to('notes')}", x0 + 440, y0 + 60, 1, 1)
    p.wire(notes, 1, send_notes)
    p.wire(send_notes, 0, p.send(x0 + 440, y0 + 90))
    receive = p.obj(f"r {IN}", x0 + 660, y0 + 24, 0, 1)
    route = p.obj("route /rvae/clip", x0 + 660, y0 + 54, 2, 2)
    to_writer = p.obj("prepend clip", x0 + 660, y0 + 84, 1, 1)
    writer = p.obj(f"js {CLIP_WRITER} {s.layer}", x0 + 660, y0 + 114, 1, 1)
    show = p.obj("prepend set", x0 + 660, y0 + 144, 1, 1)
    p.wire(receive, 0, route)
    p.wire(route, 0, to_writer)
    p.wire(to_writer, 0, writer)
    p.wire(writer, 0, show)
    p.wire(show, 0, p.obj(f"s {STATUS}", x0 + 660, y0 + 174, 1, 0))
