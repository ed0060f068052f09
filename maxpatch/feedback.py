"""What comes back from the server: the current bar, and feedback routed by address to every view."""

from __future__ import annotations

from rvae_server.core.bar import INSTRUMENT_NAMES

from .patcher import Patcher
from .setup import Setup, Ui


def current_bar(p: Patcher, s: Setup, ui: Ui) -> None:
    """The current bar (96 ticks x 9 instruments) and its bar number."""
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
    row_layer = p.obj(f"route {s.layer}", x0, y0 + 24, 2, 2)  # this layer -> "instrument v0 ... v95"
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
    bar_layer = p.obj(f"route {s.layer}", x0 + 220, y0 + 24, 2, 2)  # "/rvae/bar layer bar model"
    show_bar = p.obj("prepend set bar", x0 + 220, y0 + 54, 1, 1)
    bar_view = p.msg("", x0 + 220, y0 + 84, present=(270.0, 130.0, 222.0, 16.0), fontsize=9.0, ignoreclick=1)
    p.wire(bar_layer, 0, show_bar)
    p.wire(show_bar, 0, bar_view)
    ui.row_layer = row_layer
    ui.bar_layer = bar_layer


def receiving(p: Patcher, s: Setup, ui: Ui) -> None:
    """Feedback from the server, routed by address to every view above."""
    x0, y0 = 20.0, 940.0
    p.comment(f"feedback from the server (udpreceive {s.port}, registered with /rvae/feedback)", (x0, y0, 480.0, 18.0))
    udpreceive = p.obj(f"udpreceive {s.port}", x0, y0 + 24, 1, 1)
    # two routes in a row (one long route box would be ~1500 px wide): what the first does not match goes on
    groups = [
        [
            "/rvae/plan",
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
    to_sequencer = p.obj("prepend plan", x0 + 940, y0 + 130, 1, 1)
    p.wire(*out["/rvae/plan"], to_sequencer)
    p.wire(to_sequencer, 0, ui.sequencer)
    p.wire(*out["/rvae/bar/row"], ui.row_layer)
    p.wire(*out["/rvae/bar"], ui.bar_layer)
    p.wire(*out["/rvae/train/progress"], ui.progress)
    for address, box in ui.train_events.items():
        p.wire(*out[address], box)
    p.wire(*out["/rvae/models"], ui.fill)
    p.wire(*out["/rvae/state/models"], ui.fill)
    # state of this layer: threshold, noise, model, mutes (set without output: feedback never echoes)
    state_layer = p.obj(f"route {s.layer}", x0, y0 + 130, 2, 2)
    fields = p.obj("route threshold noise model mutes x y", x0, y0 + 160, 2, 7)
    p.wire(*out["/rvae/state/layer"], state_layer)
    p.wire(state_layer, 0, fields)
    for k, target in enumerate((ui.dial_threshold, ui.dial_noise)):
        setter = p.obj("prepend set", x0 + 100 * k, y0 + 190, 1, 1)
        p.wire(fields, k, setter)
        p.wire(setter, 0, target)
    p.wire(fields, 2, ui.select_model)
    split_mutes = p.obj("unpack " + " ".join("0" for _ in INSTRUMENT_NAMES), x0, y0 + 230, 1, len(INSTRUMENT_NAMES))
    p.wire(fields, 3, split_mutes)
    for i, mute in enumerate(ui.mutes):
        setter = p.obj("prepend set", x0 + 90 * i, y0 + 260, 1, 1)
        p.wire(split_mutes, i, setter)
        p.wire(setter, 0, mute)
    # the pad and the X / Y dials follow the server too (set: no output, so nothing echoes back)
    pad_point = p.obj("pak 0. 0.", x0 + 100, y0 + 330, 2, 1)
    for k, (dial_box, outlet) in enumerate(((ui.dial_x, 4), (ui.dial_y, 5))):
        setter = p.obj("prepend set", x0 + 100 * k, y0 + 290, 1, 1)
        p.wire(fields, outlet, setter)
        p.wire(setter, 0, dial_box)
        scale = p.obj("* 1000.", x0 + 200 + 70 * k, y0 + 290, 2, 1, ["float"])
        p.wire(fields, outlet, scale)
        p.wire(scale, 0, pad_point, k)
    set_pad = p.obj("prepend set", x0 + 100, y0 + 360, 1, 1)
    p.wire(pad_point, 0, set_pad)
    p.wire(set_pad, 0, ui.pad)
    # once the server answered: open the gate, ask for the model saved with the set, (re)subscribe to the plans
    connected = p.obj("deferlow", x0 + 840, y0 + 170, 1, 1)
    steps = p.obj("t b b b", x0 + 840, y0 + 200, 1, 3, ["bang", "bang", "bang"])
    open_gate = p.msg("1", x0 + 940, y0 + 230)
    p.wire(*out["/rvae/feedback/added"], connected)
    p.wire(connected, 0, steps)
    p.wire(steps, 2, open_gate)
    p.wire(open_gate, 0, ui.gate, 0)
    p.wire(steps, 1, ui.saved_model)
    p.wire(steps, 0, ui.play_here)
    set_bpm = p.obj("prepend set", x0 + 300, y0 + 130, 1, 1)
    p.wire(*out["/rvae/state/bpm"], set_bpm)
    p.wire(set_bpm, 0, ui.bpm)
    set_playing = p.obj("prepend set", x0 + 400, y0 + 130, 1, 1)
    p.wire(*out["/rvae/state/playing"], set_playing)
    p.wire(set_playing, 0, ui.playing)
    # errors, warnings and the connection in one status line (and the Max console)
    status = p.msg("", x0 + 560, y0 + 300, present=(270.0, 148.0, 446.0, 16.0), fontsize=9.0, ignoreclick=1)
    for k, (address, label) in enumerate(
        (("/rvae/error", "error:"), ("/rvae/warning", "warning:"), ("/rvae/feedback/added", "connected, feedback to"))
    ):
        show = p.obj(f"prepend set {label}", x0 + 560, y0 + 130 + 40 * k, 1, 1)
        p.wire(*out[address], show)
        p.wire(show, 0, status)
    p.wire(p.obj("r ---rvae-status", x0 + 920, y0 + 260, 0, 1), 0, status)  # the clip writer's (clip.py)
    console = p.obj("print rvae", x0 + 700, y0 + 300, 1, 0)
    p.wire(*out["/rvae/error"], console)
    # what no route above takes goes on to later sections (the melody panel: [r ---rvae-in])
    p.wire(*previous, p.obj("s ---rvae-in", x0 + 800, y0 + 300, 1, 0))
