"""The shapes of the OSC surface: ports and limits, argument specs and their conversion, a call being handled,
table entries, and the hooks a handler may use (training, MIDI learn, the server itself)."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from rvae_server.core.names import ModelName
from rvae_server.engine.api import EngineControl

PREFIX = "/rvae"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9000
#: Layers ``/rvae/layer/N/...`` may name (the daemon allows 1..8 layers).
MAX_LAYERS = 8

#: A UDP peer: (IP address, port).
Client = tuple[str, int]


class OscArgError(ValueError):
    """Arguments that do not fit an address's spec; the message says which argument and why."""


class TrainingService(Protocol):
    """What ``/rvae/train``, ``/rvae/train/cancel`` and ``/rvae/undo/model`` call (implemented elsewhere).

    ``start`` gets a folder already confined to the configured clip folders (an absolute, resolved path), a
    model name checked where it entered (:func:`rvae_server.core.names.model_name`), and 0-based engine layers
    to hot-swap when done; it returns a job id or raises ``ValueError``/``RuntimeError`` with a message for the
    performer (e.g. a job is already running). ``undo_model(layer)`` (0-based) puts back the layer's previous
    model and returns its name. Progress flows back through
    :meth:`~rvae_server.surfaces.osc.server.OscServer.train_progress`,
    :meth:`~rvae_server.surfaces.osc.server.OscServer.train_done` and
    :meth:`~rvae_server.surfaces.osc.server.OscServer.train_failed` (thread-safe, never block)."""

    def start(self, folder: str, name: ModelName, layers: list[int]) -> str: ...

    def cancel(self) -> bool: ...

    def undo_model(self, layer: int) -> str: ...


class Learner(Protocol):
    """What ``/rvae/learn`` calls (see :class:`rvae_server.surfaces.controllers.CCMapper`)."""

    def learn(self, target: str, layer: int = 0) -> None: ...

    def cancel_learn(self) -> bool: ...


class CaptureService(Protocol):
    """What ``/rvae/capture/...`` calls (see :class:`rvae_server.outputs.capture.Capture`): ``last(bars, name)`` and
    ``stop(name)`` write a file and return its path and note count, raising ``ValueError`` with a message for
    the performer (a bad name, nothing played); ``last_notes(bars, layer)`` gives one layer's last bars as notes
    (``/rvae/capture/clip``)."""

    def last(self, bars: int, name: str) -> tuple[str, int]: ...

    def start(self) -> None: ...

    def stop(self, name: str) -> tuple[str, int]: ...

    def last_notes(self, bars: int, layer: int) -> tuple[int, list[tuple[float, int, int]]]: ...


class Host(Protocol):
    """What a handler may use of the server it runs in (see :class:`rvae_server.surfaces.osc.server.OscServer`)."""

    engine: EngineControl
    training: TrainingService | None
    learner: Learner | None
    clip_dirs: list[str | os.PathLike[str]]
    capture: CaptureService | None

    def allowed(self, host: str) -> bool: ...

    def add_client(self, client: Client, owner: Client | None = None) -> None: ...

    def remove_client(self, host: str, owner: Client | None = None) -> int: ...

    def subscribe_plans(self, client: Client, layer: int, on: bool, owner: Client | None = None) -> None: ...


@dataclass(frozen=True)
class Arg:
    """One argument: ``kind`` is ``float`` (int or float accepted; NaN/inf refused), ``int`` (an int, or a
    float with no fraction), ``string``, ``bool`` (0/1, T/F), ``name-or-index`` (a string or an int), or
    ``number-or-string`` (a finite number, or a string such as an LFO rate ``1/8d``).
    ``lo``/``hi`` document the range (the engine clamps and reports); ``choices`` restrict strings."""

    name: str
    kind: str
    doc: str
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()
    optional: bool = False

    def convert(self, value: Any) -> Any:
        """The argument as a Python value, or :class:`OscArgError`."""
        kind = self.kind
        if kind in ("float", "int", "bool"):
            if isinstance(value, bool):
                if kind == "bool":
                    return value
                raise OscArgError(f"{self.name} must be a number, not {'T' if value else 'F'}")
            if not isinstance(value, int | float):
                raise OscArgError(f"{self.name} must be a number, not {_describe(value)}")
            number = float(value)
            if not math.isfinite(number):
                raise OscArgError(f"{self.name} must be a finite number, not {number}")
            if kind == "float":
                return number
            if kind == "bool":
                return number != 0.0
            if number != int(number):
                raise OscArgError(f"{self.name} must be a whole number, not {number:g}")
            return int(number)
        if kind == "string":
            if not isinstance(value, str):
                raise OscArgError(f"{self.name} must be a string, not {_describe(value)}")
            if self.choices and value not in self.choices:
                raise OscArgError(f"{self.name} must be one of {', '.join(self.choices)}, not {value!r}")
            return value
        if kind == "number-or-string":
            if isinstance(value, str):
                return value
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise OscArgError(f"{self.name} must be a number or a string, not {_describe(value)}")
            return float(value)
        if kind == "name-or-index":
            if isinstance(value, str):
                return value
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise OscArgError(f"{self.name} must be a name or an index, not {_describe(value)}")
            if not math.isfinite(value) or value != int(value):
                raise OscArgError(f"{self.name} index must be a whole number, not {value}")
            return int(value)
        raise AssertionError(kind)

    def spec(self) -> str:
        text = f"{self.name}:{self.kind}"
        if self.choices:
            text = f"{self.name}:{'|'.join(self.choices)}"
        elif self.lo is not None and self.hi is not None:
            text += f" {self.lo:g}..{self.hi:g}"
        return f"[{text}]" if self.optional else text


def _describe(value: Any) -> str:
    if isinstance(value, bytes):
        return f"a blob of {len(value)} bytes"
    if isinstance(value, list):
        return "an array"
    if value is None:
        return "nil"
    return f"{type(value).__name__} {value!r}"[:60]


@dataclass
class Call:
    """One message being handled: its ``address``, ``layer`` (0-based), converted ``args``, the sender
    ``client`` (``None`` for calls not from the network) and the ``replies`` the handler adds."""

    address: str
    layer: int
    args: list[Any]
    client: Client | None
    replies: list[tuple[str, list[Any]]] = field(default_factory=list)

    def reply(self, address: str, *args: Any) -> None:
        self.replies.append((address, list(args)))

    def warn(self, notes: Iterable[str]) -> None:
        for note in notes:
            self.reply(f"{PREFIX}/warning", self.address, note)


Handler = Callable[[Host, Call], None]


@dataclass(frozen=True)
class Entry:
    """One incoming address: ``verb`` (after ``/rvae/`` or ``/rvae/layer/N/``), its arguments, what it does
    (``doc``), what it sends back (``reply``), whether it exists per layer, and its handler."""

    verb: str
    args: tuple[Arg, ...]
    doc: str
    handler: Handler
    per_layer: bool = True
    reply: str = ""

    @property
    def address(self) -> str:
        return f"{PREFIX}/{self.verb}"

    @property
    def layer_address(self) -> str | None:
        return f"{PREFIX}/layer/N/{self.verb}" if self.per_layer else None

    def addresses(self, layers: int) -> list[tuple[str, int]]:
        """Concrete ``(address, 0-based layer)`` pairs for a server with ``layers`` layers."""
        out = [(self.address, 0)]
        if self.per_layer:
            out += [(f"{PREFIX}/layer/{n}/{self.verb}", n - 1) for n in range(1, layers + 1)]
        return out

    def convert(self, raw: Sequence[Any]) -> list[Any]:
        required = sum(1 for a in self.args if not a.optional)
        if not required <= len(raw) <= len(self.args):
            want = str(required) if required == len(self.args) else f"{required}..{len(self.args)}"
            spec = " ".join(a.spec() for a in self.args) or "no arguments"
            raise OscArgError(f"takes {want} argument(s) ({spec}), got {len(raw)}")
        return [arg.convert(value) for arg, value in zip(self.args, raw, strict=False)]


@dataclass(frozen=True)
class Feedback:
    """One address the server sends."""

    address: str
    args: tuple[Arg, ...]
    doc: str
