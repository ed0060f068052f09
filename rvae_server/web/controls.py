"""The controls the web page sends, through the OSC address table of :mod:`rvae_server.surfaces.osc` (the single
source of the addresses, their arguments and ranges): ``/rvae/xy x y``, ``/rvae/threshold v``… and
``/rvae/layer/N/...`` for layer N (1-based; ``/rvae/...`` is layer 1).

A control message from the page is JSON ``{"type": "control", "address": "/rvae/layer/2/xy", "args": [0.3, 0.7]}``.
:func:`apply_control` looks the address up in the OSC table, converts the arguments with the table's own
checks (types, finite numbers, choices), and applies the result to the engine; anything unusable raises
:class:`ControlError` with a one-line message naming the address, and changes nothing. Out-of-range numbers are
clamped by the engine and come back as notes. Only :data:`WEB_VERBS` are accepted from the page: training goes
through the page's upload folder instead of ``/rvae/train folder``, and MIDI learn and feedback registration
are OSC matters. ``/rvae/undo/model`` goes to the ``undo`` the caller gives (the training service's, which asks the
one owner of model changes); without one it is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rvae_server.core.notemaps import NoteMap, preset
from rvae_server.engine.api import ControlError, EngineControl
from rvae_server.surfaces.osc.spec import PREFIX, OscArgError
from rvae_server.surfaces.osc.table import lookup, table_as_dict
from rvae_server.web.motion import MOTION_VERBS, apply_motion

#: The melody layer's verbs and the engine's names for them.
MELODY_SETTINGS = {
    "melody/enable": "enabled", "melody/key": "key", "melody/scale-lock": "scale_lock", "melody/family": "family",
    "melody/octave": "octave", "melody/density": "density", "melody/temperature": "temperature",
    "melody/layer": "layer", "melody/channel": "channel",
}  # fmt: skip
#: The OSC verbs the page may send.
WEB_VERBS = frozenset(
    {"xy", "x", "y", "threshold", "noise", "mute", "model", "enable", "velocity", "timing", "channel", "bpm"}
    | {"note", "notes"}
    | {"play", "stop", "state", "models", "undo/model"}
    | set(MELODY_SETTINGS)
    | MOTION_VERBS
)
MAX_ARGS = 8
MAX_STRING = 200
MAX_PATH_STRING = 4000


def table_json() -> list[dict[str, Any]]:
    """The OSC table's entries for :data:`WEB_VERBS` (``address``, ``layer_address`` or None, ``args`` with
    ``name``, ``kind``, ``lo``/``hi``, ``choices``, ``optional``; ``doc``): what the page builds its widgets from."""
    entries = table_as_dict()["addresses"]
    return [e for e in entries if e["address"][len(PREFIX) + 1 :] in WEB_VERBS]


def apply_control(
    engine: EngineControl, address: object, args: object, undo: Callable[[int], str] | None = None
) -> tuple[int, str, list[str]]:
    """Validate and apply one control. Returns ``(0-based layer, verb, notes)`` (notes: values that were
    clamped, or what an undo did). ``state`` and ``models`` change nothing (the caller answers them). ``undo``:
    puts back a layer's previous model and returns its name (None: undo is refused). Raises :class:`ControlError`."""
    if not isinstance(address, str) or not 1 <= len(address) <= 100:
        raise ControlError("address must be a string like /rvae/xy")
    found = lookup(address)
    if found is None:
        raise ControlError(f"unknown address {address[:100]!r}")
    entry, layer = found
    verb = entry.verb
    if verb not in WEB_VERBS:
        raise ControlError(f"{address}: not available from the web page")
    if layer >= engine.layer_count:
        raise ControlError(f"{address}: this server has layers 1..{engine.layer_count}")
    if args is None:
        args = []
    if not isinstance(args, list) or len(args) > MAX_ARGS:
        raise ControlError(f"{address}: args must be a list of at most {MAX_ARGS} values")
    limit = MAX_PATH_STRING if verb == "path" else MAX_STRING  # a drawn path's points
    if any(isinstance(a, str) and len(a) > limit for a in args):
        raise ControlError(f"{address}: a string argument is longer than {limit} characters")
    try:
        values = entry.convert(args)
    except OscArgError as err:
        raise ControlError(f"{address}: {err}") from None
    except OverflowError:
        raise ControlError(f"{address}: a number is too large") from None
    if verb == "undo/model":
        if undo is None:
            raise ControlError(f"{address}: undo is not available in this server")
        return layer, verb, [f"layer {layer + 1}: back to model {undo(layer)}"]
    return layer, verb, _apply(engine, layer, verb, values)


def _apply(engine: EngineControl, layer: int, verb: str, values: list[Any]) -> list[str]:
    if verb in MOTION_VERBS:
        return apply_motion(engine, layer, verb, values)
    if verb == "xy":
        return engine.update(layer, x=values[0], y=values[1])
    if verb in ("x", "y", "threshold", "noise", "timing", "channel"):
        return engine.update(layer, **{verb: values[0]})
    if verb == "mute":
        return engine.set_mute(layer, values[0], values[1])
    if verb == "model":
        if values[0] not in engine.models:
            raise ControlError(f"unknown model {values[0]!r} (loaded: {', '.join(sorted(engine.models))})")
        return engine.update(layer, model=values[0])
    if verb == "enable":
        return engine.update(layer, enabled=values[0])
    if verb in ("note", "notes"):  # the layer's note map
        return _note_map(engine, layer, verb, values)
    if verb == "velocity":
        changes: dict[str, Any] = {"velocity_mode": values[0]}
        if len(values) > 1:
            changes["fixed_velocity"] = values[1]
        return engine.update(layer, **changes)
    if verb == "bpm":
        return engine.set_bpm(values[0])
    if verb.startswith("melody/"):  # the melody layer's settings (global, like bpm)
        name = MELODY_SETTINGS[verb]
        return engine.update_melody(**{name: values[0] - 1 if name == "layer" else values[0]})
    if verb == "play":
        engine.play()
    elif verb == "stop":
        engine.stop()
    return []  # state, models: answered by the caller


def _note_map(engine: EngineControl, layer: int, verb: str, values: list[Any]) -> list[str]:
    """``note INSTRUMENT NOTE [CHANNEL]`` or ``notes PRESET`` (:mod:`rvae_server.core.notemaps`)."""
    try:
        if verb == "notes":
            chosen = preset(values[0])
            return engine.update(layer, notes=chosen.notes, channels=chosen.channels)
        state = engine.state(layer)
        changed = NoteMap(state.notes, state.channels).with_entry(
            values[0], values[1], values[2] if len(values) > 2 else None
        )
    except ValueError as err:
        raise ControlError(str(err)) from None
    return engine.update(layer, notes=changed.notes, channels=changed.channels)
