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
    never echoes back to the server). The melody panel (``melody.py``) sets the melody layer's key, family,
    scale lock, octave, followed layer, density and temperature (``/rvae/melody/...``) and shows its state.

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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from maxpatch import clip, controls, device, feedback, melody, motion, training  # noqa: E402
from maxpatch.patcher import DEVICE_HEIGHT, DEVICE_WIDTH, Patcher  # noqa: E402
from maxpatch.setup import Setup, Ui, layer_address  # noqa: E402
from rvae_server.surfaces.osc.spec import MAX_LAYERS  # noqa: E402

#: The UDP port the patch for layer 1 listens on for feedback (registered with ``/rvae/feedback``); the patch
#: for layer N listens on ``FEEDBACK_PORT + N - 1``, so one patch per layer can run side by side.
FEEDBACK_PORT = 9001

#: The sections in build order (the order fixes the box ids, so the generated files stay the same).
SECTIONS = (
    controls.titles,
    controls.sending,
    controls.xy_pad,
    controls.transport,
    controls.mutes,
    controls.model_menu,
    training.training,
    training.loss,
    device.play_here,
    feedback.current_bar,
    feedback.receiving,
    melody.melody,
    motion.motion,
    clip.clip,
)


def build(device: bool = False, layer: int = 1) -> dict[str, Any]:
    """The patcher document (``{"patcher": {...}}``) controlling ``layer`` (1-based); ``device`` adds the MIDI
    pass-through for Max for Live."""
    if not 1 <= layer <= MAX_LAYERS:
        raise ValueError(f"layer must be 1..{MAX_LAYERS}, not {layer}")
    p = Patcher()
    setup, ui = Setup(layer, FEEDBACK_PORT + layer - 1, device), Ui()
    for section in SECTIONS:
        section(p, setup, ui)

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


__all__ = ["FEEDBACK_PORT", "SECTIONS", "amxd_bytes", "build", "layer_address", "maxpat_text"]

if __name__ == "__main__":
    sys.exit(main())
