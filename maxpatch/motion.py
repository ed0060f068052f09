"""Motion in the patch (what fits a Max for Live device): LFO depth on X and Y (a sine of one bar, around the
pad's point), swing, follow mode, a 2-bar gesture loop (record, clear), presets 1..8 (store, and recall
gliding over a bar). Everything goes to the server as OSC; the patch only sends."""

from __future__ import annotations

from .patcher import ACCENT, DEVICE_WIDTH, FG, Patcher, dial, text_button
from .setup import Setup, Ui

#: Where the motion column starts in the performer view (right of the model / train column).
X0 = DEVICE_WIDTH - 172.0
PRESETS = 8


def motion(p: Patcher, s: Setup, ui: Ui) -> None:
    """LFO X / Y depth dials, swing, follow, gesture loop, presets."""
    x0, y0 = 20.0, 1500.0  # below the feedback routing
    p.comment("motion: LFO depth (sine, 1 bar) on X and Y, swing, follow, gesture loop, presets", (x0, y0, 480, 18))
    p.comment("motion", (x0 + 560, y0, 60.0, 18.0), (X0 + 4, 1.0, 60.0, 16.0), fontsize=9.0, textcolor=ACCENT)
    for k, axis in enumerate(("x", "y")):
        knob = dial(p, x0 + 220 * k, y0 + 24, (X0 + 4 + 44 * k, 18.0, 40.0, 48.0), f"LFO {axis.upper()}")
        send = p.msg(f"{s.to(f'lfo/{axis}')} sine 1 $1", x0 + 220 * k, y0 + 80)
        p.wire(knob, 0, send)
        p.wire(send, 0, p.send(x0 + 220 * k, y0 + 110))
    swing = p.parameter(
        "live.numbox",
        (x0 + 440, y0 + 24, 50.0, 15.0),
        (X0 + 96, 22.0, 44.0, 15.0),
        "Swing",
        "Swing",
        {
            "parameter_type": 0,
            "parameter_mmin": 50.0,
            "parameter_mmax": 75.0,
            "parameter_unitstyle": 5,
        },
        fontsize=9.0,
    )
    send_swing = p.msg(f"{s.to('swing')} $1", x0 + 440, y0 + 50)
    p.wire(swing, 0, send_swing)
    p.wire(send_swing, 0, p.send(x0 + 440, y0 + 80))
    follow = p.parameter(
        "live.text",
        (x0 + 660, y0 + 24, 44.0, 15.0),
        (X0 + 96, 42.0, 44.0, 15.0),
        "Follow",
        "Follow",
        {"parameter_type": 2, "parameter_enum": ["off", "on"], "parameter_mmax": 1},
        mode=1,
        text="follow",
        texton="follow",
        fontsize=8.0,
    )
    send_follow = p.msg(f"{s.to('follow')} $1", x0 + 660, y0 + 50)
    p.wire(follow, 0, send_follow)
    p.wire(send_follow, 0, p.send(x0 + 660, y0 + 80))
    record = text_button(p, x0 + 880, y0 + 24, (X0 + 4, 70.0, 52.0, 15.0), "Record loop", "loop 2")
    clear = text_button(p, x0 + 1100, y0 + 24, (X0 + 60, 70.0, 40.0, 15.0), "Clear loop", "clear")
    send_record = p.msg(f"{s.to('gesture/record')} 2", x0 + 880, y0 + 50)
    send_clear = p.msg(s.to("gesture/clear"), x0 + 1100, y0 + 50)
    p.wire(record, 0, send_record)
    p.wire(clear, 0, send_clear)
    p.wire(send_record, 0, p.send(x0 + 880, y0 + 80))
    p.wire(send_clear, 0, p.send(x0 + 1100, y0 + 80))
    p.comment("store / recall (glide 1 bar)", (x0, y0 + 150, 200.0, 18.0), (X0 + 4, 88.0, 160.0, 14.0),
              fontsize=8.0, textcolor=FG)  # fmt: skip
    for row, (verb, label, suffix) in enumerate((("preset/store", "S", ""), ("preset/recall", "P", " 1 bars"))):
        for k in range(1, PRESETS + 1):
            x = x0 + 220 * (k - 1)
            y = y0 + 180 + 90 * row
            button = text_button(p, x, y, (X0 + 4 + 20 * (k - 1), 104.0 + 20 * row, 18.0, 16.0), f"{label}{k}", str(k))
            send = p.msg(f"{s.to(verb)} {k}{suffix}", x, y + 26)
            p.wire(button, 0, send)
            p.wire(send, 0, p.send(x, y + 56))
