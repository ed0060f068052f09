"""The melody layer's panel: on/off, key, family, scale lock, octave, the drum layer it follows, density and
temperature (``/rvae/melody/...``, global addresses), and what the server says of it (``/rvae/melody``,
``/rvae/state/melody``, reaching this section through ``[r ---rvae-in]``: what the feedback routes leave)."""

from __future__ import annotations

from rvae_server.engine.api import MELODY_FAMILIES

from .patcher import ACCENT, FG, Patcher, dial
from .setup import Setup, Ui

#: The key menu: the 24 keys in their short names (C … B, then Cm … Bm), as the server's state sends them.
KEY_ITEMS = (
    "C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B",
    "Cm", "C#m", "Dm", "Ebm", "Em", "Fm", "F#m", "Gm", "G#m", "Am", "Bbm", "Bm",
)  # fmt: skip
IN = "---rvae-in"
X = 936.0  # the panel's left edge in the performer view


def _menu(p: Patcher, x: float, y: float, present: tuple[float, float, float, float], items: tuple[str, ...]) -> str:
    listed: list[str] = []
    for k, item in enumerate(items):
        listed += [item] if k == 0 else [",", item]
    return p.box("umenu", (x, y, present[2], 20.0), 1, 3, ["int", "", ""], present=present, parameter_enable=0,
                 fontsize=9.0, items=listed)  # fmt: skip


def _toggle(p: Patcher, x: float, y: float, present: tuple[float, float, float, float], name: str, label: str) -> str:
    return p.parameter(
        "live.text", (x, y, present[2], present[3]), present, name, label,
        {"parameter_type": 2, "parameter_enum": ["off", "on"], "parameter_mmax": 1},
        mode=1, text=label, texton=label, fontsize=8.0,
    )  # fmt: skip


def _numbox(p: Patcher, x: float, y: float, present: tuple[float, float, float, float], name: str, lo: int,
            hi: int) -> str:  # fmt: skip
    """No initial value (nothing is pushed when a set loads): it shows the server's value."""
    return p.parameter(
        "live.numbox", (x, y, present[2], present[3]), present, name, name,
        {"parameter_type": 1, "parameter_mmin": lo, "parameter_mmax": hi},
        fontsize=9.0,
    )  # fmt: skip


def melody(p: Patcher, s: Setup, ui: Ui) -> None:
    """The melody panel (right of the model / train panel) and its feedback."""
    x0, y0 = 2100.0, 60.0  # patching view: right of the device section
    p.comment("melody layer: /rvae/melody/... (global: the melody follows one drum layer)", (x0, y0, 460.0, 18.0))
    p.comment("melody", (x0, y0 + 24, 60.0, 18.0), (X, 1.0, 220.0, 16.0), fontsize=9.0, textcolor=ACCENT)
    enable = _toggle(p, x0, y0 + 54, (X, 18.0, 44.0, 16.0), "Melody on", "on")
    key = _menu(p, x0 + 120, y0 + 54, (X + 48.0, 18.0, 60.0, 18.0), KEY_ITEMS)
    family = _menu(p, x0 + 240, y0 + 54, (X + 112.0, 18.0, 64.0, 18.0), MELODY_FAMILIES)
    lock = _toggle(p, x0, y0 + 84, (X, 40.0, 44.0, 16.0), "Scale lock", "scale")
    octave = _numbox(p, x0 + 120, y0 + 84, (X + 48.0, 40.0, 36.0, 15.0), "Octave", 0, 8)
    p.comment("oct", (x0 + 170, y0 + 84, 30.0, 18.0), (X + 86.0, 39.0, 26.0, 16.0), fontsize=9.0, textcolor=FG)
    layer = _numbox(p, x0 + 240, y0 + 84, (X + 112.0, 40.0, 36.0, 15.0), "Follows layer", 1, 8)
    p.comment("layer", (x0 + 290, y0 + 84, 40.0, 18.0), (X + 150.0, 39.0, 36.0, 16.0), fontsize=9.0, textcolor=FG)
    density = dial(p, x0, y0 + 114, (X, 60.0, 50.0, 50.0), "Density")
    temperature = p.parameter(
        "live.dial", (x0 + 60, y0 + 114, 44.0, 48.0), (X + 56.0, 60.0, 50.0, 50.0), "Temperature", "Temperature",
        {"parameter_type": 0, "parameter_mmin": 0.05, "parameter_mmax": 3.0, "parameter_unitstyle": 1},
        fontsize=9.0,
    )  # fmt: skip
    senders = [
        (enable, 0, f"{s.to('melody/enable')} $1"),
        (lock, 0, f"{s.to('melody/scale-lock')} $1"),
        (octave, 0, f"{s.to('melody/octave')} $1"),
        (layer, 0, f"{s.to('melody/layer')} $1"),
        (density, 0, f"{s.to('melody/density')} $1"),
        (temperature, 0, f"{s.to('melody/temperature')} $1"),
    ]
    for k, (source, outlet, text) in enumerate(senders):
        message = p.msg(text, x0 + 480, y0 + 24 + 30 * k)
        p.wire(source, outlet, message)
        p.wire(message, 0, p.send(x0 + 760, y0 + 24 + 30 * k))
    for k, (menu, verb) in enumerate(((key, "melody/key"), (family, "melody/family"))):
        prefix = p.obj(f"prepend {s.to(verb)}", x0 + 480, y0 + 210 + 30 * k, 1, 1)
        p.wire(menu, 1, prefix)
        p.wire(prefix, 0, p.send(x0 + 760, y0 + 210 + 30 * k))

    # feedback: the bar that starts, and the state (set without output: never echoed back)
    receive = p.obj(f"r {IN}", x0, y0 + 300, 0, 1)
    routes = p.obj("route /rvae/melody /rvae/state/melody", x0, y0 + 330, 2, 3)
    p.wire(receive, 0, routes)
    show = p.obj("prepend set bar", x0, y0 + 360, 1, 1)
    view = p.msg("", x0, y0 + 390, present=(X + 110.0, 60.0, 110.0, 16.0), fontsize=9.0, ignoreclick=1)
    p.wire(routes, 0, show)
    p.wire(show, 0, view)
    fields = p.obj("route enabled key family scale_lock octave layer density temperature", x0 + 240, y0 + 360, 2, 9)
    p.wire(routes, 1, fields)
    targets = (
        (enable, "prepend set"), (key, "prepend setsymbol"), (family, "prepend setsymbol"), (lock, "prepend set"),
        (octave, "prepend set"), (layer, "prepend set"), (density, "prepend set"), (temperature, "prepend set"),
    )  # fmt: skip
    for k, (target, setter_text) in enumerate(targets):
        setter = p.obj(setter_text, x0 + 240 + 130 * (k % 4), y0 + 400 + 30 * (k // 4), 1, 1)
        p.wire(fields, k, setter)
        p.wire(setter, 0, target)


__all__ = ["KEY_ITEMS", "melody"]
