"""Generate the R-VAE Max patch (``rvae.maxpat``) and Max for Live device (``rvae.amxd``) from the project's tables.

The instrument names (the 9 mutes and the rows of the bar display) come from
:data:`rvae_server.core.bar.INSTRUMENT_NAMES` and the server's ports from :mod:`rvae_server.surfaces.osc`, so the
patch cannot drift from them; ``tests/test_maxpatch.py`` checks that the committed files equal what this script
writes and that every address the patch sends is one the server handles.

Usage (from the project root)::

    python maxpatch/generate.py > maxpatch/rvae.maxpat
    python maxpatch/generate.py --amxd maxpatch/rvae.amxd
    python maxpatch/generate.py --layer 2 > rvae-layer2.maxpat   # a second patch, for layer 2

What the patch does
    Sends OSC with ``[udpsend 127.0.0.1 9000]`` (all senders go through ``[s ---rvae-out]``; ``---`` makes the
    name local to one Max for Live device) and listens with ``[udpreceive 9001]``, a port it registers with
    ``/rvae/feedback 127.0.0.1 9001`` at load (and with the *connect* button). It controls layer 1 (``/rvae/...``);
    ``--layer N`` writes a patch for layer N (``/rvae/layer/N/...``, listening on port ``9000 + N``).
    Feedback it shows: the current bar (``/rvae/bar/row`` → a 96 x 9 ``matrixctrl``), the bar number and model
    (``/rvae/bar``), training progress (``/rvae/train/progress`` → two accumulating ``multislider`` plots, train
    and validation loss, scaled to the first epoch's loss), training started/done/failed/cancelled, errors and
    warnings, the model list (``/rvae/models``, ``/rvae/state/models`` → the ``umenu``), and the server's
    threshold, noise, tempo, transport, model and mutes (``/rvae/state/...``; set without output, so feedback
    never echoes back to the server).

The ``.amxd`` container
    Ableton's own reader (github.com/Ableton/maxdevtools, ``maxdiff/amxd_textconv.py``) reads a device as a
    sequence of chunks, each a 4-byte ASCII tag, a little-endian uint32 size and the data: ``ampf`` (4 bytes:
    the device type, ``mmmm`` = MIDI effect), ``meta`` (4 bytes) and ``ptch`` (the patcher JSON, NUL-terminated,
    when the device is not frozen). The device adds a ``[midiin]`` → ``[midiout]`` pass-through so it can sit
    in front of a Drum Rack without blocking MIDI (in plain Max those two objects would echo the default MIDI
    input to the default output, so the ``.maxpat`` leaves them out).
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from rvae_server.core.bar import INSTRUMENT_NAMES  # noqa: E402
from rvae_server.surfaces.osc.spec import DEFAULT_HOST, DEFAULT_PORT, MAX_LAYERS  # noqa: E402
from rvae_server.surfaces.osc.table import ADDRESSES  # noqa: E402

#: The UDP port the patch for layer 1 listens on for feedback (registered with ``/rvae/feedback``); the patch
#: for layer N listens on ``FEEDBACK_PORT + N - 1``, so one patch per layer can run side by side.
FEEDBACK_PORT = 9001
#: Which table verbs exist per layer (``/rvae/layer/N/<verb>``); the others are global.
PER_LAYER = {entry.verb: entry.per_layer for entry in ADDRESSES}
#: Send/receive names; ``---`` makes them local to one Max for Live device.
OUT = "---rvae-out"
#: Presentation size of the performer view (a Max for Live device is 169 px high).
DEVICE_WIDTH = 932.0
DEVICE_HEIGHT = 169.0

Rect = tuple[float, float, float, float]

# Colours (RGBA 0..1): dark panel, light text, accent.
BG = [0.13, 0.14, 0.16, 1.0]
FG = [0.86, 0.87, 0.89, 1.0]
ACCENT = [0.98, 0.62, 0.2, 1.0]
FIELD = [0.2, 0.21, 0.24, 1.0]


@dataclass
class Patcher:
    """Builds the boxes and patch lines of one patcher; ids are ``obj-1``, ``obj-2``... in creation order."""

    boxes: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)

    def box(
        self,
        maxclass: str,
        rect: Rect,
        inlets: int,
        outlets: int,
        outlettype: list[str] | None = None,
        *,
        text: str | None = None,
        present: Rect | None = None,
        **attrs: Any,
    ) -> str:
        """Add a box; ``present`` puts it in the presentation (performer) view at that rectangle."""
        ident = f"obj-{len(self.boxes) + 1}"
        box: dict[str, Any] = {"id": ident, "maxclass": maxclass, "numinlets": inlets, "numoutlets": outlets}
        if outlets:
            box["outlettype"] = outlettype if outlettype is not None else [""] * outlets
        box["patching_rect"] = [float(v) for v in rect]
        if present is not None:
            box["presentation"] = 1
            box["presentation_rect"] = [float(v) for v in present]
        if text is not None:
            box["text"] = text
        box.update(attrs)
        self.boxes.append({"box": box})
        return ident

    def obj(self, text: str, x: float, y: float, inlets: int, outlets: int, outlettype: list[str] | None = None) -> str:
        """An object box (``newobj``) whose width follows its text."""
        width = max(30.0, 6.0 * len(text) + 14.0)
        return self.box("newobj", (x, y, width, 22.0), inlets, outlets, outlettype, text=text)

    def msg(self, text: str, x: float, y: float, **attrs: Any) -> str:
        """A message box (a clickable message; ``set`` changes what it shows)."""
        width = max(30.0, 6.0 * len(text) + 14.0)
        return self.box("message", (x, y, width, 22.0), 2, 1, [""], text=text, **attrs)

    def comment(self, text: str, rect: Rect, present: Rect | None = None, **attrs: Any) -> str:
        return self.box("comment", rect, 1, 0, text=text, present=present, **attrs)

    def send(self, x: float, y: float) -> str:
        """``[s ---rvae-out]``: everything sent to the server goes through here."""
        return self.obj(f"s {OUT}", x, y, 1, 0)

    def wire(self, source: str, outlet: int, destination: str, inlet: int = 0) -> None:
        self.lines.append({"patchline": {"destination": [destination, inlet], "source": [source, outlet]}})

    def parameter(
        self,
        maxclass: str,
        rect: Rect,
        present: Rect,
        longname: str,
        shortname: str,
        valueof: dict[str, Any],
        **attrs: Any,
    ) -> str:
        """A Live-mappable ``live.*`` control (a Max for Live parameter; works as a plain control in Max)."""
        valueof = {"parameter_longname": longname, "parameter_shortname": shortname, **valueof}
        ident = self.box(
            maxclass,
            rect,
            1,
            2,
            ["", "float"] if maxclass in ("live.dial", "live.numbox") else ["", ""],
            present=present,
            parameter_enable=1,
            saved_attribute_attributes={"valueof": valueof},
            varname=longname,
            **attrs,
        )
        self.parameters[ident] = [longname, shortname, 0]
        return ident


def dial(p: Patcher, x: float, y: float, present: Rect, name: str, initial: float) -> str:
    """A 0..1 float ``live.dial``."""
    return p.parameter(
        "live.dial",
        (x, y, 44.0, 48.0),
        present,
        name,
        name,
        {
            "parameter_type": 0,
            "parameter_mmin": 0.0,
            "parameter_mmax": 1.0,
            "parameter_unitstyle": 1,
            "parameter_initial_enable": 1,
            "parameter_initial": [initial],
        },
        fontsize=9.0,
    )


def text_button(p: Patcher, x: float, y: float, present: Rect, name: str, label: str) -> str:
    """A momentary ``live.text`` button (bangs its left outlet when clicked; MIDI-mappable in Live)."""
    return p.parameter(
        "live.text",
        (x, y, present[2], present[3]),
        present,
        name,
        label,
        {"parameter_type": 2, "parameter_enum": ["off", "on"], "parameter_mmax": 1},
        mode=0,
        text=label,
        texton=label,
        fontsize=9.0,
    )


def layer_address(verb: str, layer: int) -> str:
    """The address of a table verb for ``layer`` (1-based): ``/rvae/<verb>`` for layer 1 and global verbs."""
    if layer != 1 and PER_LAYER[verb]:
        return f"/rvae/layer/{layer}/{verb}"
    return f"/rvae/{verb}"


def build(device: bool = False, layer: int = 1) -> dict[str, Any]:
    """The patcher document (``{"patcher": {...}}``) controlling ``layer`` (1-based); ``device`` adds the MIDI
    pass-through for Max for Live."""
    if not 1 <= layer <= MAX_LAYERS:
        raise ValueError(f"layer must be 1..{MAX_LAYERS}, not {layer}")
    p = Patcher()
    port = FEEDBACK_PORT + layer - 1

    def to(verb: str) -> str:
        return layer_address(verb, layer)

    # ------------------------------------------------------------------ background and titles (presentation)
    p.box(
        "panel",
        (10.0, 10.0, 60.0, 40.0),
        1,
        0,
        present=(0.0, 0.0, DEVICE_WIDTH, DEVICE_HEIGHT),
        background=1,
        bgcolor=BG,
        border=0,
        rounded=0,
    )
    titles = [
        ("R-VAE  xy", (5.0, 1.0, 145.0, 16.0)),
        ("latent", (156.0, 1.0, 108.0, 16.0)),
        (f"mutes / current bar (layer {layer})", (270.0, 1.0, 446.0, 16.0)),
        ("model / train", (722.0, 1.0, 204.0, 16.0)),
    ]
    for k, (title, rect) in enumerate(titles):
        p.comment(title, (80.0 + 110.0 * k, 10.0, 100.0, 18.0), rect, fontsize=9.0, textcolor=ACCENT)

    # ------------------------------------------------------------------ sending: one udpsend
    x0, y0 = 20.0, 60.0
    p.comment("to the server", (x0, y0, 150.0, 18.0))
    r_out = p.obj(f"r {OUT}", x0, y0 + 24, 0, 1)
    udpsend = p.obj(f"udpsend {DEFAULT_HOST} {DEFAULT_PORT}", x0, y0 + 56, 1, 0)
    p.wire(r_out, 0, udpsend)

    # connect: register this patch's udpreceive port for feedback, at load and on demand
    loadbang = p.obj("loadbang", x0, y0 + 100, 1, 1, ["bang"])
    defer = p.obj("deferlow", x0, y0 + 130, 1, 1)
    connect = text_button(p, x0 + 90, y0 + 100, (496.0, 130.0, 56.0, 16.0), "Connect", "connect")
    register = p.msg(f"{to('feedback')} {DEFAULT_HOST} {port}", x0, y0 + 162)
    p.wire(loadbang, 0, defer)
    p.wire(defer, 0, register)
    p.wire(connect, 0, register)
    p.wire(register, 0, p.send(x0, y0 + 194))

    # ------------------------------------------------------------------ XY pad and latent dials
    x0, y0 = 20.0, 330.0
    p.comment("XY pad (0..1000) and X / Y dials: a dial moves the pad, the pad sends /rvae/xy", (x0, y0, 420, 18))
    pad = p.box(
        "pictslider",
        (x0, y0 + 24, 145.0, 145.0),
        2,
        2,
        ["int", "int"],
        present=(5.0, 18.0, 145.0, 145.0),
        leftvalue=0,
        rightvalue=1000,
        bottomvalue=0,
        topvalue=1000,
        parameter_enable=0,
        bgcolor=FIELD,
    )
    dial_x = dial(p, x0 + 170, y0 + 24, (156.0, 18.0, 50.0, 50.0), "X", 0.5)
    dial_y = dial(p, x0 + 230, y0 + 24, (210.0, 18.0, 50.0, 50.0), "Y", 0.5)
    x_to_pad = p.obj("* 1000.", x0 + 170, y0 + 80, 2, 1, ["float"])
    y_to_pad = p.obj("* 1000.", x0 + 230, y0 + 80, 2, 1, ["float"])
    p.wire(dial_x, 0, x_to_pad)
    p.wire(dial_y, 0, y_to_pad)
    p.wire(x_to_pad, 0, pad, 0)
    p.wire(y_to_pad, 0, pad, 1)
    x01 = p.obj("* 0.001", x0, y0 + 180, 2, 1, ["float"])
    y01 = p.obj("* 0.001", x0 + 80, y0 + 180, 2, 1, ["float"])
    p.wire(pad, 0, x01)
    p.wire(pad, 1, y01)
    xy = p.obj("pack 0. 0.", x0, y0 + 212, 2, 1)  # y (right outlet, first) is cold, x (left, last) sends
    p.wire(x01, 0, xy, 0)
    p.wire(y01, 0, xy, 1)
    send_xy = p.obj(f"prepend {to('xy')}", x0, y0 + 244, 1, 1)
    p.wire(xy, 0, send_xy)
    p.wire(send_xy, 0, p.send(x0, y0 + 276))
    set_x = p.obj("prepend set", x0 + 170, y0 + 212, 1, 1)
    set_y = p.obj("prepend set", x0 + 260, y0 + 212, 1, 1)
    p.wire(x01, 0, set_x)
    p.wire(y01, 0, set_y)
    p.wire(set_x, 0, dial_x)
    p.wire(set_y, 0, dial_y)

    dial_threshold = dial(p, x0 + 290, y0 + 24, (156.0, 70.0, 50.0, 50.0), "Threshold", 0.5)
    dial_noise = dial(p, x0 + 350, y0 + 24, (210.0, 70.0, 50.0, 50.0), "Noise", 0.0)
    send_threshold = p.msg(f"{to('threshold')} $1", x0 + 290, y0 + 120)
    send_noise = p.msg(f"{to('noise')} $1", x0 + 350, y0 + 150)
    p.wire(dial_threshold, 0, send_threshold)
    p.wire(dial_noise, 0, send_noise)
    p.wire(send_threshold, 0, p.send(x0 + 290, y0 + 276))
    p.wire(send_noise, 0, p.send(x0 + 400, y0 + 276))

    # ------------------------------------------------------------------ tempo and transport
    x0, y0 = 500.0, 60.0
    p.comment("tempo and transport", (x0, y0, 200.0, 18.0))
    bpm = p.parameter(
        "live.numbox",
        (x0, y0 + 24, 60.0, 15.0),
        (156.0, 124.0, 60.0, 15.0),
        "Tempo",
        "Tempo",
        {
            "parameter_type": 0,
            "parameter_mmin": 20.0,
            "parameter_mmax": 400.0,
            "parameter_unitstyle": 1,
            "parameter_initial_enable": 1,
            "parameter_initial": [120.0],
        },
        fontsize=9.0,
    )
    p.comment("bpm", (x0 + 64, y0 + 24, 40.0, 18.0), (218.0, 123.0, 40.0, 16.0), fontsize=9.0, textcolor=FG)
    send_bpm = p.msg(f"{to('bpm')} $1", x0, y0 + 50)
    p.wire(bpm, 0, send_bpm)
    p.wire(send_bpm, 0, p.send(x0, y0 + 80))
    play = text_button(p, x0 + 110, y0 + 24, (156.0, 144.0, 40.0, 18.0), "Play", "play")
    stop = text_button(p, x0 + 170, y0 + 24, (198.0, 144.0, 40.0, 18.0), "Stop", "stop")
    send_play = p.msg(to("play"), x0 + 110, y0 + 50)
    send_stop = p.msg(to("stop"), x0 + 200, y0 + 50)
    p.wire(play, 0, send_play)
    p.wire(stop, 0, send_stop)
    p.wire(send_play, 0, p.send(x0 + 110, y0 + 80))
    p.wire(send_stop, 0, p.send(x0 + 210, y0 + 80))
    playing = p.box(
        "toggle", (x0 + 250, y0 + 24, 16.0, 16.0), 1, 1, ["int"], present=(242.0, 145.0, 16.0, 16.0), ignoreclick=1
    )

    # ------------------------------------------------------------------ mutes (one per instrument, from the table)
    x0, y0 = 500.0, 200.0
    p.comment("mutes: names from rvae_server.core.bar.INSTRUMENT_NAMES", (x0, y0, 320.0, 18.0))
    mutes: list[str] = []
    for i, name in enumerate(INSTRUMENT_NAMES):
        y = y0 + 24 + 30 * i
        mute = p.parameter(
            "live.text",
            (x0, y, 60.0, 15.0),
            (270.0, 18.0 + 12.0 * i, 60.0, 12.0),
            f"Mute {name}",
            name,
            {
                "parameter_type": 2,
                "parameter_enum": ["off", "on"],
                "parameter_mmax": 1,
                "parameter_initial_enable": 1,
                "parameter_initial": [0],
            },
            mode=1,
            text=name,
            texton=name,
            fontsize=8.0,
        )
        send_mute = p.msg(f"{to('mute')} {name} $1", x0 + 70, y)
        p.wire(mute, 0, send_mute)
        p.wire(send_mute, 0, p.send(x0 + 250, y))
        mutes.append(mute)

    # ------------------------------------------------------------------ model menu
    x0, y0 = 860.0, 60.0
    p.comment("model menu: filled from /rvae/models and /rvae/state/models", (x0, y0, 340.0, 18.0))
    menu = p.box(
        "umenu",
        (x0, y0 + 24, 150.0, 20.0),
        1,
        3,
        ["int", "", ""],
        present=(722.0, 18.0, 150.0, 20.0),
        parameter_enable=0,
        fontsize=10.0,
    )
    send_model = p.obj(f"prepend {to('model')}", x0, y0 + 54, 1, 1)
    p.wire(menu, 1, send_model)
    p.wire(send_model, 0, p.send(x0, y0 + 84))
    refresh = text_button(p, x0 + 170, y0 + 24, (876.0, 18.0, 50.0, 20.0), "Refresh models", "refresh")
    ask_models = p.msg(to("models"), x0 + 170, y0 + 54)
    p.wire(refresh, 0, ask_models)
    p.wire(ask_models, 0, p.send(x0 + 170, y0 + 84))
    # list -> clear, then append each name (an empty list arrives as a bang: just clear)
    fill = p.obj("route bang", x0, y0 + 120, 2, 2)
    fill_t = p.obj("t a b", x0 + 40, y0 + 150, 1, 2)
    clear = p.msg("clear", x0 + 120, y0 + 180)
    each = p.obj("zl iter 1", x0 + 40, y0 + 180, 2, 2)
    append = p.obj("prepend append", x0 + 40, y0 + 210, 1, 1)
    p.wire(fill, 0, clear)
    p.wire(fill, 1, fill_t)
    p.wire(fill_t, 1, clear)
    p.wire(fill_t, 0, each)
    p.wire(each, 0, append)
    p.wire(clear, 0, menu)
    p.wire(append, 0, menu)
    select_model = p.obj("prepend setsymbol", x0 + 200, y0 + 210, 1, 1)
    p.wire(select_model, 0, menu)

    # ------------------------------------------------------------------ training
    x0, y0 = 860.0, 320.0
    p.comment("train: drop a folder (inside the server's clip-dirs), name the model, press train", (x0, y0, 480, 18))
    drop = p.box(
        "dropfile",
        (x0, y0 + 24, 204.0, 30.0),
        1,
        2,
        ["", ""],
        present=(722.0, 42.0, 204.0, 30.0),
        types=["fold"],
        bordercolor=ACCENT,
    )
    p.comment(  # behind the dropfile (background layer), so drops land on the dropfile
        "drop a clip folder here",
        (x0 + 210, y0 + 24, 150.0, 18.0),
        (728.0, 48.0, 190.0, 18.0),
        fontsize=9.0,
        textcolor=FG,
        background=1,
        ignoreclick=1,
    )
    to_path = p.obj("conformpath slash boot", x0, y0 + 64, 1, 2, ["", "int"])
    p.wire(drop, 0, to_path)
    folder = p.obj("zl reg", x0, y0 + 96, 2, 2)
    p.wire(to_path, 0, folder, 1)
    show_folder = p.obj("prepend set", x0 + 160, y0 + 96, 1, 1)
    folder_view = p.msg("", x0 + 160, y0 + 126, present=(722.0, 74.0, 204.0, 16.0), fontsize=8.0, ignoreclick=1)
    p.wire(to_path, 0, show_folder)
    p.wire(show_folder, 0, folder_view)
    name = p.box(
        "textedit",
        (x0 + 300, y0 + 64, 100.0, 18.0),
        1,
        4,
        ["", "int", "", ""],
        present=(722.0, 93.0, 100.0, 18.0),
        text="mygroove",
        keymode=1,
        lines=1,
        fontsize=10.0,
        parameter_enable=0,
    )
    train = text_button(p, x0 + 300, y0 + 96, (826.0, 93.0, 48.0, 18.0), "Train", "train")
    cancel = text_button(p, x0 + 360, y0 + 96, (878.0, 93.0, 48.0, 18.0), "Cancel training", "cancel")
    train_t = p.obj("t b b", x0 + 300, y0 + 126, 1, 2, ["bang", "bang"])
    name_text = p.obj("route text", x0 + 420, y0 + 96, 2, 2)
    join = p.obj("zl join", x0, y0 + 160, 2, 2)
    p.wire(train, 0, train_t)
    p.wire(train_t, 1, name)  # first: the name into the join's cold inlet
    p.wire(name, 0, name_text)
    p.wire(name_text, 0, join, 1)
    p.wire(train_t, 0, folder)  # then: the folder, which sends
    p.wire(folder, 0, join, 0)
    send_train = p.obj(f"prepend {to('train')}", x0, y0 + 192, 1, 1)
    p.wire(join, 0, send_train)
    p.wire(send_train, 0, p.send(x0, y0 + 224))
    send_cancel = p.msg(to("train/cancel"), x0 + 360, y0 + 160)
    p.wire(cancel, 0, send_cancel)
    p.wire(send_cancel, 0, p.send(x0 + 360, y0 + 192))

    # loss display: two accumulating plots (train, validation), range set from the first epoch's train loss
    x0, y0 = 860.0, 580.0
    p.comment("loss per epoch: train (accent) and validation (light), scaled to epoch 1", (x0, y0, 440.0, 18.0))
    plots = []
    for k, colour in enumerate((ACCENT, FG)):
        plots.append(
            p.box(
                "multislider",
                (x0 + 520, y0 + 24 + 50 * k, 204.0, 36.0),
                1,
                2,
                ["", ""],
                present=(722.0, 114.0, 204.0, 36.0),
                setminmax=[0.0, 1.0],
                settype=1,
                setstyle=1,
                size=1,
                slidercolor=colour,
                bgcolor=FIELD if k == 0 else [0.0, 0.0, 0.0, 0.0],
                ignoreclick=1,
                parameter_enable=0,
            )
        )
    progress = p.obj("t l l", x0, y0 + 24, 1, 2)
    first = p.obj("route 1", x0 + 100, y0 + 56, 2, 2)  # epoch 1: "epochs train val"
    first_loss = p.obj("zl nth 2", x0 + 100, y0 + 86, 2, 2)
    headroom = p.obj("* 1.2", x0 + 100, y0 + 116, 2, 1, ["float"])
    set_range = p.obj("prepend setminmax 0.", x0 + 100, y0 + 146, 1, 1)
    p.wire(progress, 1, first)
    p.wire(first, 0, first_loss)
    p.wire(first_loss, 0, headroom)
    p.wire(headroom, 0, set_range)
    for k, plot in enumerate(plots):
        x = x0 + 240 * k
        p.wire(set_range, 0, plot)
        series = p.obj("route 1", x, y0 + 190, 2, 2)
        p.wire(progress, 0, series)
        # epoch 1 (list "epochs train val"): the series restarts with this one value
        start = p.obj(f"zl nth {2 + k}", x, y0 + 220, 2, 2)
        start_t = p.obj("t l b", x, y0 + 250, 1, 2)
        one = p.msg("size 1", x + 60, y0 + 280)
        p.wire(series, 0, start)
        p.wire(start, 0, start_t)
        p.wire(start_t, 1, one)
        p.wire(one, 0, plot)
        # later epochs (list "epoch epochs train val"): the stored series + this value
        later = p.obj(f"zl nth {3 + k}", x + 120, y0 + 220, 2, 2)
        later_t = p.obj("t b l", x + 120, y0 + 250, 1, 2)
        stored = p.obj("zl reg", x + 120, y0 + 280, 2, 2)
        grow = p.obj("zl join", x + 120, y0 + 310, 2, 2)
        keep = p.obj("t l l", x, y0 + 340, 1, 2)
        p.wire(series, 1, later)
        p.wire(later, 0, later_t)
        p.wire(later_t, 1, grow, 1)
        p.wire(later_t, 0, stored)
        p.wire(stored, 0, grow, 0)
        p.wire(start_t, 0, keep)
        p.wire(grow, 0, keep)
        p.wire(keep, 1, stored, 1)
        p.wire(keep, 0, plot)
    # one line of text: "epoch 3 of 30 train 123.4567 val 130.0000" (sprintf's output is a message: set ...)
    words = p.obj("sprintf set epoch %ld of %ld train %.4f val %.4f", x0, y0 + 390, 4, 1)
    train_view = p.msg("", x0, y0 + 482, present=(722.0, 152.0, 204.0, 15.0), fontsize=8.0, ignoreclick=1)
    p.wire(progress, 0, words)
    p.wire(words, 0, train_view)
    train_events = {
        "/rvae/train/started": p.obj("prepend set started job", x0 + 320, y0 + 390, 1, 1),
        "/rvae/train/done": p.obj("prepend set done: model", x0 + 320, y0 + 420, 1, 1),
        "/rvae/train/failed": p.obj("prepend set failed:", x0 + 320, y0 + 450, 1, 1),
        "/rvae/train/cancelled": p.obj("prepend set cancelled", x0 + 500, y0 + 450, 1, 1),
    }
    for box in train_events.values():
        p.wire(box, 0, train_view)

    # ------------------------------------------------------------------ the current bar: 96 ticks x 9 instruments
    x0, y0 = 20.0, 680.0
    p.comment(
        "current bar: /rvae/bar/row layer instrument v0..v95 -> matrixctrl (column tick, row instrument)",
        (x0, y0, 520.0, 18.0),
    )
    matrix = p.box(
        "matrixctrl",
        (x0 + 380, y0 + 60, 384.0, 108.0),
        1,
        2,
        ["list", "list"],
        present=(332.0, 18.0, 384.0, 108.0),
        columns=96,
        rows=len(INSTRUMENT_NAMES),
        ignoreclick=1,
        parameter_enable=0,
        horizontalmargin=0,
        verticalmargin=0,
        horizontalspacing=0,
        verticalspacing=1,
    )
    row_layer = p.obj(f"route {layer}", x0, y0 + 24, 2, 2)  # this layer -> "instrument v0 ... v95"
    row_t = p.obj("t l l", x0, y0 + 54, 1, 2)
    instrument = p.obj("zl nth 1", x0 + 120, y0 + 84, 2, 2)
    values = p.obj("zl slice 1", x0, y0 + 84, 2, 2)
    funnel = p.obj("listfunnel", x0, y0 + 114, 1, 1, ["list"])
    tick_value = p.obj("unpack 0 0", x0, y0 + 144, 1, 2, ["int", "int"])
    onset = p.obj("> 0", x0 + 80, y0 + 174, 2, 1, ["int"])
    cell = p.obj("pack 0 0 0", x0, y0 + 204, 3, 1)
    p.wire(row_layer, 0, row_t)
    p.wire(row_t, 1, instrument)
    p.wire(instrument, 0, cell, 1)
    p.wire(row_t, 0, values)
    p.wire(values, 1, funnel)
    p.wire(funnel, 0, tick_value)
    p.wire(tick_value, 1, onset)
    p.wire(onset, 0, cell, 2)
    p.wire(tick_value, 0, cell, 0)
    p.wire(cell, 0, matrix)
    bar_layer = p.obj(f"route {layer}", x0 + 220, y0 + 24, 2, 2)  # "/rvae/bar layer bar model"
    show_bar = p.obj("prepend set bar", x0 + 220, y0 + 54, 1, 1)
    bar_view = p.msg("", x0 + 220, y0 + 84, present=(270.0, 130.0, 222.0, 16.0), fontsize=9.0, ignoreclick=1)
    p.wire(bar_layer, 0, show_bar)
    p.wire(show_bar, 0, bar_view)

    # ------------------------------------------------------------------ receiving: udpreceive -> route by address
    x0, y0 = 20.0, 940.0
    p.comment(f"feedback from the server (udpreceive {port}, registered with /rvae/feedback)", (x0, y0, 480.0, 18.0))
    udpreceive = p.obj(f"udpreceive {port}", x0, y0 + 24, 1, 1)
    # two routes in a row (one long route box would be ~1500 px wide): what the first does not match goes on
    groups = [
        [
            "/rvae/bar/row",
            "/rvae/bar",
            "/rvae/train/progress",
            "/rvae/train/started",
            "/rvae/train/done",
            "/rvae/train/failed",
            "/rvae/train/cancelled",
        ],
        [
            "/rvae/models",
            "/rvae/state/models",
            "/rvae/state/layer",
            "/rvae/state/bpm",
            "/rvae/state/playing",
            "/rvae/error",
            "/rvae/warning",
            "/rvae/feedback/added",
        ],
    ]
    out: dict[str, tuple[str, int]] = {}
    previous = (udpreceive, 0)
    for k, group in enumerate(groups):
        router = p.obj("route " + " ".join(group), x0 + 40 * k, y0 + 56 + 30 * k, 2, len(group) + 1)
        p.wire(*previous, router)
        out.update({address: (router, n) for n, address in enumerate(group)})
        previous = (router, len(group))
    p.wire(*out["/rvae/bar/row"], row_layer)
    p.wire(*out["/rvae/bar"], bar_layer)
    p.wire(*out["/rvae/train/progress"], progress)
    for address, box in train_events.items():
        p.wire(*out[address], box)
    p.wire(*out["/rvae/models"], fill)
    p.wire(*out["/rvae/state/models"], fill)
    # state of this layer: threshold, noise, model, mutes (set without output: feedback never echoes)
    state_layer = p.obj(f"route {layer}", x0, y0 + 130, 2, 2)
    fields = p.obj("route threshold noise model mutes", x0, y0 + 160, 2, 5)
    p.wire(*out["/rvae/state/layer"], state_layer)
    p.wire(state_layer, 0, fields)
    for k, target in enumerate((dial_threshold, dial_noise)):
        setter = p.obj("prepend set", x0 + 100 * k, y0 + 190, 1, 1)
        p.wire(fields, k, setter)
        p.wire(setter, 0, target)
    p.wire(fields, 2, select_model)
    split_mutes = p.obj("unpack " + " ".join("0" for _ in INSTRUMENT_NAMES), x0, y0 + 230, 1, len(INSTRUMENT_NAMES))
    p.wire(fields, 3, split_mutes)
    for i, mute in enumerate(mutes):
        setter = p.obj("prepend set", x0 + 90 * i, y0 + 260, 1, 1)
        p.wire(split_mutes, i, setter)
        p.wire(setter, 0, mute)
    set_bpm = p.obj("prepend set", x0 + 300, y0 + 130, 1, 1)
    p.wire(*out["/rvae/state/bpm"], set_bpm)
    p.wire(set_bpm, 0, bpm)
    set_playing = p.obj("prepend set", x0 + 400, y0 + 130, 1, 1)
    p.wire(*out["/rvae/state/playing"], set_playing)
    p.wire(set_playing, 0, playing)
    # errors, warnings and the connection in one status line (and the Max console)
    status = p.msg("", x0 + 560, y0 + 300, present=(270.0, 148.0, 446.0, 16.0), fontsize=9.0, ignoreclick=1)
    for k, (address, label) in enumerate(
        (("/rvae/error", "error:"), ("/rvae/warning", "warning:"), ("/rvae/feedback/added", "connected, feedback to"))
    ):
        show = p.obj(f"prepend set {label}", x0 + 560, y0 + 130 + 40 * k, 1, 1)
        p.wire(*out[address], show)
        p.wire(show, 0, status)
    console = p.obj("print rvae", x0 + 700, y0 + 300, 1, 0)
    p.wire(*out["/rvae/error"], console)

    if device:  # Max for Live: let the track's MIDI through (the device sits before a Drum Rack)
        midiin = p.obj("midiin", 1300.0, 60.0, 1, 1, ["int"])
        midiout = p.obj("midiout", 1300.0, 100.0, 1, 0)
        p.wire(midiin, 0, midiout)

    patcher: dict[str, Any] = {
        "fileversion": 1,
        "appversion": {"major": 8, "minor": 6, "revision": 0, "architecture": "x64", "modernui": 1},
        "classnamespace": "box",
        "rect": [60.0, 80.0, 1400.0, 900.0],
        "openrect": [0.0, 0.0, DEVICE_WIDTH, DEVICE_HEIGHT],
        "openinpresentation": 1,
        "default_fontsize": 10.0,
        "default_fontface": 0,
        "default_fontname": "Arial",
        "gridonopen": 1,
        "gridsize": [15.0, 15.0],
        "gridsnaponopen": 1,
        "toolbarvisible": 1,
        "devicewidth": DEVICE_WIDTH,
        "description": "R-VAE: play the rvae_server drum instrument over OSC (XY pad, mutes, model, training).",
        "digest": "R-VAE OSC control surface",
        "tags": "rvae osc drums",
        "boxes": p.boxes,
        "lines": p.lines,
        "parameters": {**p.parameters, "inherited_shortname": 1},
        "dependency_cache": [],
        "autosave": 0,
    }
    return {"patcher": patcher}


def maxpat_text(device: bool = False, layer: int = 1) -> str:
    """The patch as Max writes it: JSON, tab-indented, newline-terminated."""
    return json.dumps(build(device, layer), indent="\t", ensure_ascii=False) + "\n"


def amxd_bytes(layer: int = 1) -> bytes:
    """A Max for Live MIDI effect: chunks ``ampf`` (type ``mmmm``), ``meta`` (4 zero bytes), ``ptch`` (JSON + NUL)."""
    payload = maxpat_text(device=True, layer=layer).encode("utf-8") + b"\x00"

    def chunk(tag: bytes, data: bytes) -> bytes:
        return tag + struct.pack("<I", len(data)) + data

    return chunk(b"ampf", b"mmmm") + chunk(b"meta", b"\x00\x00\x00\x00") + chunk(b"ptch", payload)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the R-VAE Max patch (stdout) or Max for Live device.")
    parser.add_argument("--amxd", metavar="PATH", help="write the .amxd device to PATH instead")
    parser.add_argument("--layer", type=int, default=1, help=f"the layer to control, 1..{MAX_LAYERS} (default 1)")
    args = parser.parse_args(argv)
    if args.amxd:
        path = Path(args.amxd)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(amxd_bytes(args.layer))
        os.replace(tmp, path)
        return 0
    sys.stdout.write(maxpat_text(layer=args.layer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
