"""The controls the web page sends, named like the OSC address table (issue 5): ``/rvae/xy x y``,
``/rvae/threshold v``… and ``/rvae/layer/N/...`` for layer N (1-based; ``/rvae/...`` is layer 1).

A control message from the page is JSON ``{"type": "control", "address": "/rvae/layer/2/xy", "args": [0.3, 0.7]}``.
:func:`apply_control` validates it completely (address, argument count and types, finite numbers, known
instruments and models) and applies it to the engine; anything unusable raises :class:`ControlError` with a
one-line message naming the address, and changes nothing. Out-of-range numbers are clamped by the engine and
come back as notes.

:data:`CONTROLS` is the table the page builds its widgets from (served as JSON at ``/api/controls``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rvae_server.bar import INSTRUMENT_NAMES
from rvae_server.engine import ControlError, Engine

PREFIX = "/rvae"
_LAYER_RE = re.compile(r"^/rvae/layer/(\d{1,2})(/.*)$")
MAX_ARGS = 4
MAX_STRING = 200


@dataclass(frozen=True, slots=True)
class Control:
    """One address: ``args`` names its arguments; numbers have a ``[lo, hi]`` range; ``per_layer`` is False for
    the transport and tempo, which the layers share."""

    address: str
    args: tuple[str, ...]
    help: str
    lo: float | None = None
    hi: float | None = None
    per_layer: bool = True

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"address": self.address, "args": list(self.args), "help": self.help}
        if self.lo is not None:
            data["min"], data["max"] = self.lo, self.hi
        data["per_layer"] = self.per_layer
        return data


CONTROLS: tuple[Control, ...] = (
    Control("/rvae/xy", ("x", "y"), "pad position, 0..1 each (y up)", 0.0, 1.0),
    Control("/rvae/x", ("x",), "pad x, 0..1", 0.0, 1.0),
    Control("/rvae/y", ("y",), "pad y, 0..1", 0.0, 1.0),
    Control("/rvae/threshold", ("threshold",), "onset probability threshold", 0.0, 1.0),
    Control("/rvae/noise", ("noise",), "latent noise per bar (std, latent units)", 0.0, 1.0),
    Control("/rvae/mute", ("instrument", "muted"), "mute an instrument (name or 0-based index), 0|1"),
    Control("/rvae/model", ("name",), "the layer's model (a loaded model's name; heard from the next bar)"),
    Control("/rvae/bpm", ("bpm",), "tempo in BPM", 20.0, 400.0, per_layer=False),
    Control("/rvae/play", (), "start the transport", per_layer=False),
    Control("/rvae/stop", (), "stop the transport", per_layer=False),
    Control("/rvae/velocity", ("mode", "velocity"), "'model', or 'fixed' with a MIDI velocity 1..127", 1, 127),
    Control("/rvae/timing", ("amount",), "microtiming amount: 0 on the grid, 1 as decoded", 0.0, 1.0),
    Control("/rvae/state", (), "the server answers with its whole state", per_layer=False),
    Control("/rvae/models", (), "the server answers with the models list", per_layer=False),
)
_BY_NAME = {c.address[len(PREFIX) :]: c for c in CONTROLS}


def table_json() -> list[dict[str, Any]]:
    """The control table as JSON-ready dicts (``address``, ``args``, ``help``, ``min``/``max``, ``per_layer``)."""
    return [c.to_json() for c in CONTROLS]


def parse_address(address: object, layers: int) -> tuple[int, Control]:
    """``/rvae/...`` or ``/rvae/layer/N/...`` → ``(0-based layer, control)``. Raises :class:`ControlError`."""
    if not isinstance(address, str) or len(address) > 100:
        raise ControlError(f"address must be a string like /rvae/xy, not {_short(address)}")
    layer = 0
    rest = address
    match = _LAYER_RE.match(address)
    if match:
        number = int(match.group(1))
        if not 1 <= number <= layers:
            raise ControlError(f"{address}: layer must be 1..{layers}, not {number}")
        layer = number - 1
        rest = PREFIX + match.group(2)
    if not rest.startswith(PREFIX + "/"):
        raise ControlError(f"unknown address {address!r}")
    control = _BY_NAME.get(rest[len(PREFIX) :])
    if control is None:
        raise ControlError(f"unknown address {address!r}")
    if match and not control.per_layer:
        raise ControlError(f"{address}: {control.address} is not per layer")
    return layer, control


def number(address: str, name: str, value: object) -> float:
    """A finite number from JSON (not a bool, not NaN/inf, not a huge integer). Raises :class:`ControlError`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ControlError(f"{address}: {name} must be a number, not {_short(value)}")
    try:
        result = float(value)
    except OverflowError:
        raise ControlError(f"{address}: {name} is too large") from None
    if not math.isfinite(result):
        raise ControlError(f"{address}: {name} must be a finite number, not {result}")
    return result


def _short(value: object) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:40]}{'…' if len(text) > 40 else ''}"


def _string(address: str, name: str, value: object) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_STRING:
        raise ControlError(f"{address}: {name} must be a non-empty string of at most {MAX_STRING} characters")
    return value


def _flag(address: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and value in (0, 1):
        return bool(value)
    raise ControlError(f"{address}: muted must be 0 or 1 (or true/false), not {_short(value)}")


def apply_control(engine: Engine, address: object, args: object) -> tuple[int, Control, list[str]]:
    """Validate and apply one control. Returns ``(layer, control, notes)`` (notes: values that were clamped).
    ``/rvae/state`` and ``/rvae/models`` change nothing (the caller answers them). Raises :class:`ControlError`."""
    layer, control = parse_address(address, engine.layer_count)
    addr = str(address)
    if args is None:
        args = []
    if not isinstance(args, list) or len(args) > MAX_ARGS:
        raise ControlError(f"{addr}: args must be a list of at most {MAX_ARGS} values")
    name = control.address[len(PREFIX) + 1 :]
    wanted = len(control.args)
    if name == "velocity":
        if len(args) not in (1, 2):
            raise ControlError(f"{addr}: takes 'model' or 'fixed' and a velocity, not {len(args)} arguments")
    elif len(args) != wanted:
        raise ControlError(f"{addr}: takes {wanted} argument(s) ({' '.join(control.args)}), not {len(args)}")
    nums: Sequence[float]
    if name == "xy":
        nums = [number(addr, n, v) for n, v in zip(control.args, args, strict=True)]
        return layer, control, engine.update(layer, x=nums[0], y=nums[1])
    if name in ("x", "y", "threshold", "noise", "timing"):
        key = {"timing": "timing"}.get(name, name)
        return layer, control, engine.update(layer, **{key: number(addr, name, args[0])})
    if name == "mute":
        instrument = args[0]
        if isinstance(instrument, bool) or not isinstance(instrument, str | int):
            raise ControlError(f"{addr}: instrument must be one of {', '.join(INSTRUMENT_NAMES)} or 0..8")
        return layer, control, engine.set_mute(layer, instrument, _flag(addr, args[1]))
    if name == "model":
        model = _string(addr, "name", args[0])
        if model not in engine.models:
            raise ControlError(f"{addr}: unknown model {model!r} (loaded: {', '.join(sorted(engine.models))})")
        return layer, control, engine.update(layer, model=model)
    if name == "bpm":
        return layer, control, engine.set_bpm(number(addr, "bpm", args[0]))
    if name == "play":
        engine.play()
        return layer, control, []
    if name == "stop":
        engine.stop()
        return layer, control, []
    if name == "velocity":
        mode = args[0]
        if mode not in ("model", "fixed"):
            raise ControlError(f"{addr}: mode must be 'model' or 'fixed', not {_short(mode)}")
        changes: dict[str, Any] = {"velocity_mode": mode}
        if len(args) == 2:
            changes["fixed_velocity"] = number(addr, "velocity", args[1])
        return layer, control, engine.update(layer, **changes)
    return layer, control, []  # state, models: answered by the caller
