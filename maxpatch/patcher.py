"""Building Max patcher documents: boxes, patch lines and Live parameters, and the widgets the R-VAE patch uses.
Nothing here knows the server; :mod:`sections` lays out the patch, :mod:`generate` writes it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Send/receive names; ``---`` makes them local to one Max for Live device. Performance values (pad, dials,
#: mutes, tempo, model, transport) go through ``OUT`` and a gate that opens only once the server answered, so
#: nothing is pushed while a set loads; the connection itself (feedback and plan subscriptions) goes ``DIRECT``.
OUT = "---rvae-out"
DIRECT = "---rvae-direct"
#: Presentation size of the performer view (a Max for Live device is 169 px high).
DEVICE_WIDTH = 1332.0  # 932 for the drums, then the melody panel (to 1160), then the motion column
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
        """``[s ---rvae-out]``: every performance value sent to the server goes through here (and the gate)."""
        return self.obj(f"s {OUT}", x, y, 1, 0)

    def send_direct(self, x: float, y: float) -> str:
        """``[s ---rvae-direct]``: the connection's own messages (feedback and plan subscriptions)."""
        return self.obj(f"s {DIRECT}", x, y, 1, 0)

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


def dial(p: Patcher, x: float, y: float, present: Rect, name: str) -> str:
    """A 0..1 float ``live.dial`` (no initial value: it shows the server's value, see :mod:`feedback`)."""
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
        },
        fontsize=9.0,
    )


def text_button(p: Patcher, x: float, y: float, present: Rect, name: str, label: str, automatable: bool = True) -> str:
    """A momentary ``live.text`` button (bangs its left outlet when clicked). ``automatable``: a Live parameter
    (MIDI-mappable, automatable); else a plain button (the utility buttons: connect, refresh, train, cancel)."""
    if not automatable:
        return p.box(
            "live.text",
            (x, y, present[2], present[3]),
            1,
            2,
            ["", ""],
            present=present,
            parameter_enable=0,
            varname=name,
            mode=0,
            text=label,
            texton=label,
            fontsize=9.0,
        )
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
