"""The controls the performer touches: background and titles, sending to the server, the XY pad and dials, tempo
and transport, mutes, the model menu."""

from __future__ import annotations

from rvae_server.core.bar import INSTRUMENT_NAMES
from rvae_server.surfaces.osc.spec import DEFAULT_HOST, DEFAULT_PORT

from .patcher import ACCENT, BG, DEVICE_HEIGHT, DEVICE_WIDTH, DIRECT, FG, FIELD, OUT, Patcher, dial, text_button
from .setup import Setup, Ui


def titles(p: Patcher, s: Setup, ui: Ui) -> None:
    """Background and section titles (presentation view)."""
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
        (f"mutes / current bar (layer {s.layer})", (270.0, 1.0, 446.0, 16.0)),
        ("model / train", (722.0, 1.0, 204.0, 16.0)),
    ]
    for k, (title, rect) in enumerate(titles):
        p.comment(title, (80.0 + 110.0 * k, 10.0, 100.0, 18.0), rect, fontsize=9.0, textcolor=ACCENT)


def sending(p: Patcher, s: Setup, ui: Ui) -> None:
    """One ``udpsend`` to the server. Performance values pass a gate that opens once the server answered the
    connection (``/rvae/feedback/added``), so a set that loads pushes nothing (no pad point, no tempo that would
    move a Link session); Connect (at load and on demand) registers the feedback port, directly."""
    x0, y0 = 20.0, 60.0
    p.comment("to the server", (x0, y0, 150.0, 18.0))
    r_out = p.obj(f"r {OUT}", x0, y0 + 24, 0, 1)
    gate = p.obj("gate 1 0", x0, y0 + 56, 2, 1)  # closed until the server answered
    udpsend = p.obj(f"udpsend {DEFAULT_HOST} {DEFAULT_PORT}", x0, y0 + 88, 1, 0)
    r_direct = p.obj(f"r {DIRECT}", x0 + 170, y0 + 56, 0, 1)
    p.wire(r_out, 0, gate, 1)
    p.wire(gate, 0, udpsend)
    p.wire(r_direct, 0, udpsend)

    # connect: register this patch's udpreceive port for feedback, at load and on demand
    loadbang = p.obj("loadbang", x0, y0 + 120, 1, 1, ["bang"])
    defer = p.obj("deferlow", x0, y0 + 150, 1, 1)
    connect = text_button(p, x0 + 90, y0 + 120, (496.0, 130.0, 56.0, 16.0), "Connect", "connect", automatable=False)
    register = p.msg(f"{s.to('feedback')} {DEFAULT_HOST} {s.port}", x0, y0 + 182)
    p.wire(loadbang, 0, defer)
    p.wire(defer, 0, register)
    p.wire(connect, 0, register)
    p.wire(register, 0, p.send_direct(x0, y0 + 214))
    ui.gate = gate


def xy_pad(p: Patcher, s: Setup, ui: Ui) -> None:
    """The XY pad, the X / Y dials, threshold and noise."""
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
    dial_x = dial(p, x0 + 170, y0 + 24, (156.0, 18.0, 50.0, 50.0), "X")
    dial_y = dial(p, x0 + 230, y0 + 24, (210.0, 18.0, 50.0, 50.0), "Y")
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
    send_xy = p.obj(f"prepend {s.to('xy')}", x0, y0 + 244, 1, 1)
    p.wire(xy, 0, send_xy)
    p.wire(send_xy, 0, p.send(x0, y0 + 276))
    set_x = p.obj("prepend set", x0 + 170, y0 + 212, 1, 1)
    set_y = p.obj("prepend set", x0 + 260, y0 + 212, 1, 1)
    p.wire(x01, 0, set_x)
    p.wire(y01, 0, set_y)
    p.wire(set_x, 0, dial_x)
    p.wire(set_y, 0, dial_y)

    dial_threshold = dial(p, x0 + 290, y0 + 24, (156.0, 70.0, 50.0, 50.0), "Threshold")
    dial_noise = dial(p, x0 + 350, y0 + 24, (210.0, 70.0, 50.0, 50.0), "Noise")
    send_threshold = p.msg(f"{s.to('threshold')} $1", x0 + 290, y0 + 120)
    send_noise = p.msg(f"{s.to('noise')} $1", x0 + 350, y0 + 150)
    p.wire(dial_threshold, 0, send_threshold)
    p.wire(dial_noise, 0, send_noise)
    p.wire(send_threshold, 0, p.send(x0 + 290, y0 + 276))
    p.wire(send_noise, 0, p.send(x0 + 400, y0 + 276))
    ui.dial_threshold = dial_threshold
    ui.dial_noise = dial_noise
    ui.dial_x, ui.dial_y, ui.pad = dial_x, dial_y, pad


def transport(p: Patcher, s: Setup, ui: Ui) -> None:
    """Tempo, play, stop and the playing light. The tempo is not a Live parameter (Live owns the set's tempo; a
    tempo pushed from the device would move a Link session): it shows the server's and sends only when changed by
    hand."""
    x0, y0 = 500.0, 60.0
    p.comment("tempo and transport", (x0, y0, 200.0, 18.0))
    bpm = p.box(
        "live.numbox",
        (x0, y0 + 24, 60.0, 15.0),
        1,
        2,
        ["", "float"],
        present=(156.0, 124.0, 60.0, 15.0),
        parameter_enable=0,
        varname="Tempo",
        fontsize=9.0,
    )
    p.comment("bpm", (x0 + 64, y0 + 24, 40.0, 18.0), (218.0, 123.0, 40.0, 16.0), fontsize=9.0, textcolor=FG)
    send_bpm = p.msg(f"{s.to('bpm')} $1", x0, y0 + 50)
    p.wire(bpm, 0, send_bpm)
    p.wire(send_bpm, 0, p.send(x0, y0 + 80))
    play = text_button(p, x0 + 110, y0 + 24, (156.0, 144.0, 40.0, 18.0), "Play", "play")
    stop = text_button(p, x0 + 170, y0 + 24, (198.0, 144.0, 40.0, 18.0), "Stop", "stop")
    send_play = p.msg(s.to("play"), x0 + 110, y0 + 50)
    send_stop = p.msg(s.to("stop"), x0 + 200, y0 + 50)
    p.wire(play, 0, send_play)
    p.wire(stop, 0, send_stop)
    p.wire(send_play, 0, p.send(x0 + 110, y0 + 80))
    p.wire(send_stop, 0, p.send(x0 + 210, y0 + 80))
    playing = p.box(
        "toggle", (x0 + 250, y0 + 24, 16.0, 16.0), 1, 1, ["int"], present=(242.0, 145.0, 16.0, 16.0), ignoreclick=1
    )
    ui.bpm = bpm
    ui.playing = playing


def mutes(p: Patcher, s: Setup, ui: Ui) -> None:
    """One mute per instrument, from the instrument table."""
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
            },
            mode=1,
            text=name,
            texton=name,
            fontsize=8.0,
        )
        send_mute = p.msg(f"{s.to('mute')} {name} $1", x0 + 70, y)
        p.wire(mute, 0, send_mute)
        p.wire(send_mute, 0, p.send(x0 + 250, y))
        mutes.append(mute)
    ui.mutes = mutes


def model_menu(p: Patcher, s: Setup, ui: Ui) -> None:
    """The model menu and its refresh."""
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
    send_model = p.obj(f"prepend {s.to('model')}", x0, y0 + 54, 1, 1)
    p.wire(menu, 1, send_model)
    p.wire(send_model, 0, p.send(x0, y0 + 84))
    # the model chosen by hand is saved with the Live set (a stored-only parameter of any value, not automatable)
    # and asked of the server once it answers (see feedback.receiving)
    saved = p.box(
        "newobj",
        (x0 + 340, y0 + 54, 80.0, 22.0),
        1,
        3,
        ["", "", ""],
        text="pattr model",
        parameter_enable=1,
        saved_attribute_attributes={
            "valueof": {
                "parameter_longname": "Model",
                "parameter_shortname": "Model",
                "parameter_type": 3,
                "parameter_invisible": 1,
            }
        },
        varname="Model",
    )
    p.parameters[saved] = ["Model", "Model", 0]
    p.wire(menu, 1, saved)
    remember = p.obj("zl reg", x0 + 340, y0 + 84, 2, 2)
    p.wire(saved, 0, remember, 1)
    named = p.obj("route bang", x0 + 340, y0 + 114, 2, 2)  # nothing saved yet: nothing to ask
    ask_saved = p.obj(f"prepend {s.to('model')}", x0 + 340, y0 + 144, 1, 1)
    p.wire(remember, 0, named)
    p.wire(named, 1, ask_saved)
    p.wire(ask_saved, 0, p.send(x0 + 340, y0 + 174))
    ui.saved_model = remember
    refresh = text_button(
        p, x0 + 170, y0 + 24, (876.0, 18.0, 50.0, 20.0), "Refresh models", "refresh", automatable=False
    )
    ask_models = p.msg(s.to("models"), x0 + 170, y0 + 54)
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
    ui.fill = fill
    ui.select_model = select_model
