"""MIDI ports as the machine offers them (python-rtmidi; backends named as in mido): choosing a backend, creating
clients with failures explained, picking a port by a part of its name, listing ports, noticing a JACK restart.

Binding
    :func:`binding`: python-rtmidi when it is installed (Python 3.11, 3.12), else supriya-midi through
    :mod:`rvae_server.system.midibackend_supriya` (python-rtmidi has no wheels for Python 3.13 and 3.14; both wrap
    the same RtMidi: the same port names, virtual ports and backend numbers).

Backends
    ``None`` = the platform default (ALSA sequencer on Linux, CoreMIDI on macOS, WinMM on Windows), or
    ``MIDO_BACKEND`` if set. Aliases: ``jack``, ``alsa``, ``coremidi``, ``windows``; mido's names
    (``mido.backends.rtmidi/UNIX_JACK``) are accepted too. Without an ALSA sequencer (no /dev/snd/seq)
    :class:`MidiUnavailable` says to choose ``--midi-backend jack``.

Used by the MIDI output (:mod:`rvae_server.outputs.midiout`), the MIDI clock follower
(:mod:`rvae_server.engine.clock.midi`), and the controller and follow inputs (:func:`open_input`).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from typing import Any

log = logging.getLogger(__name__)

#: Short backend names accepted everywhere (CLI ``--midi-backend``), mapped to rtmidi API names.
BACKEND_ALIASES: dict[str, str] = {
    "jack": "UNIX_JACK",
    "alsa": "LINUX_ALSA",
    "coremidi": "MACOSX_CORE",
    "windows": "WINDOWS_MM",
}

ALSA_MISSING = (
    "no ALSA sequencer here (/dev/snd/seq is missing), so the default MIDI backend cannot work: "
    "choose the JACK backend with --midi-backend jack (and start a JACK server), or on macOS coremidi"
)


def binding() -> Any:
    """The module with python-rtmidi's API: ``rtmidi`` itself, else :mod:`rvae_server.system.midibackend_supriya`.
    Raises :class:`MidiUnavailable` saying what to install when neither is there."""
    try:
        import rtmidi
    except ImportError:
        try:
            from rvae_server.system import midibackend_supriya
        except ImportError:
            raise MidiUnavailable(
                "no MIDI binding installed: pip install python-rtmidi (Python 3.11, 3.12) or supriya-midi (any)"
            ) from None
        return midibackend_supriya
    return rtmidi


class MidiError(Exception):
    """A MIDI port problem the performer can fix; ``str(err)`` says what to do."""


class MidiUnavailable(MidiError):
    """The MIDI backend itself cannot be used here (no ALSA sequencer, no JACK server, not compiled in)."""


class MidiPortError(MidiError):
    """No port, or more than one, matches the name given."""


def jack_running() -> bool:
    """Whether a JACK server answers (``jack_lsp`` exits 0), without starting one."""
    exe = shutil.which("jack_lsp")
    if exe is None:
        return False
    try:
        env = {**os.environ, "JACK_NO_START_SERVER": "1"}
        return subprocess.run([exe], capture_output=True, timeout=3, env=env, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def resolve_backend(backend: str | None) -> int:
    """The rtmidi API constant for a backend name (alias, rtmidi API name, or mido backend string);
    ``None`` means ``$MIDO_BACKEND`` or else the platform default. Raises :class:`MidiError`."""
    rtmidi = binding()

    name = backend if backend is not None else os.environ.get("MIDO_BACKEND")
    if not name:
        return int(rtmidi.API_UNSPECIFIED)
    key = name.strip()
    if key.startswith("mido.backends.rtmidi"):
        key = key.partition("/")[2]
        if not key:
            return int(rtmidi.API_UNSPECIFIED)
    key = BACKEND_ALIASES.get(key.lower(), key.upper())
    api = getattr(rtmidi, f"API_{key}", None)
    if api is None:
        raise MidiError(f"unknown MIDI backend {name!r}: choose one of {', '.join(BACKEND_ALIASES)}")
    if api not in rtmidi.get_compiled_api():
        raise MidiUnavailable(f"MIDI backend {name!r} is not available in this build of python-rtmidi")
    return int(api)


def is_jack(rt: Any) -> bool:
    rtmidi = binding()

    return bool(rt.get_current_api() == rtmidi.API_UNIX_JACK)


_ALSA_ERRORS: Any = None  # the ctypes callback kept alive while libasound holds it (False: not available)


def quiet_alsa_errors() -> None:
    """Send libasound's own error lines (``ALSA lib seq_hw.c:...: open /dev/snd/seq failed``) to the debug log
    instead of stderr: the performer gets our message saying what to do, not the library's. Linux only; once."""
    global _ALSA_ERRORS
    if _ALSA_ERRORS is not None:
        return
    _ALSA_ERRORS = False
    try:
        lib = ctypes.CDLL("libasound.so.2")
    except OSError:
        return
    handler_type = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p)

    def handler(file: bytes | None, line: int, function: bytes | None, err: int, fmt: bytes | None) -> None:
        name = (file or b"?").decode(errors="replace")
        log.debug("ALSA lib %s:%d (%s): error %d", name, line, (function or b"?").decode(errors="replace"), err)

    _ALSA_ERRORS = handler_type(handler)
    lib.snd_lib_error_set_handler(_ALSA_ERRORS)


def new_client(kind: str, api: int, name: str) -> Any:
    """A new ``rtmidi.MidiIn`` (``kind="input"``) or ``rtmidi.MidiOut`` client, with backend failures turned
    into :class:`MidiUnavailable` messages that say what to do."""
    rtmidi = binding()

    quiet_alsa_errors()

    cls = rtmidi.MidiIn if kind == "input" else rtmidi.MidiOut
    try:
        return cls(rtapi=api, name=name)
    except (rtmidi.SystemError, OSError) as err:
        text = str(err)
        if "ALSA" in text or api == rtmidi.API_LINUX_ALSA:
            raise MidiUnavailable(ALSA_MISSING) from None
        if "JACK" in text or api == rtmidi.API_UNIX_JACK:
            raise MidiUnavailable(f"cannot reach a JACK server ({text.strip()}): start jackd first") from None
        raise MidiUnavailable(f"MIDI backend unavailable: {text.strip()}") from None


def release_client(rt: Any) -> None:
    """Close an rtmidi client (never one of a JACK server that died and restarted: see :func:`leak_client`).

    An input's callback is cancelled first and an in-flight call given time to finish: closing a JACK
    port waits for JACK's process thread, which may itself be waiting for the GIL inside our callback
    (python-rtmidi does not release the GIL while closing), a deadlock otherwise."""
    if hasattr(rt, "cancel_callback"):
        with contextlib.suppress(Exception):
            rt.cancel_callback()
        time.sleep(0.02)
    try:
        rt.close_port()
        rt.delete()
    except Exception as err:
        log.debug("closing MIDI client: %s", err)


def ports_seen(api: int, kind: str, client_name: str = "rvae-ports") -> list[str]:
    """The ``kind`` ("output" or "input") ports on backend ``api`` as other applications name them (JACK:
    ``client:port``, the client renamed ``client-01`` when its name was taken; ALSA: ``client:port 128:0``), listed
    by a client of the opposite kind named ``client_name``."""
    lister = new_client("input" if kind == "output" else "output", api, client_name)
    try:
        return list(lister.get_ports())
    finally:
        release_client(lister)


def seen_as(api: int, kind: str, port: str, before: Sequence[str]) -> str | None:
    """The full name another application sees for the virtual ``kind`` port ``port`` just opened on ``api``: the one
    new port (not in ``before``, a :func:`ports_seen` listing taken just before opening it) naming ``port``; None
    when that cannot be told (another one opened at the same moment)."""
    try:
        new = [name for name in ports_seen(api, kind) if name not in before and port in name]
    except MidiError:
        return None
    return new[0] if len(new) == 1 else None


def open_input(
    backend: str | None, client: str, port: str | None, port_name: str, callback: Callable[..., None]
) -> tuple[Any, str]:
    """Open a MIDI input for a control surface: a client named ``client`` on ``backend`` (see
    :func:`resolve_backend`) ignoring sysex, timing and active sensing, listening on the port whose name contains
    ``port`` (:func:`select_port`), or on a virtual input ``port_name`` when ``port`` is ``None``; ``callback`` gets
    rtmidi's ``(message, delta)`` events. Returns the client (close it with :func:`release_client`) and the port's
    full name. Raises :class:`MidiError`; a client that fails half-way is released."""
    api = resolve_backend(backend)
    before = ports_seen(api, "input") if port is None else []
    rt = new_client("input", api, client)
    try:
        rt.ignore_types(sysex=True, timing=True, active_sense=True)
        if port is None:
            rt.open_virtual_port(port_name)
            name = seen_as(api, "input", port_name, before) or f"{client}:{port_name}"
        else:
            index, name = select_port(rt.get_ports(), port, "input")
            rt.open_port(index, port_name)
        rt.set_callback(callback)
    except BaseException:
        release_client(rt)
        raise
    return rt, name


def leak_client(rt: Any) -> None:
    """Keep ``rt`` alive forever (never deallocate it): used for JACK clients of a restarted server."""
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(rt))


def select_port(names: Sequence[str], wanted: str, kind: str) -> tuple[int, str]:
    """``(index, name)`` of the one port whose name contains ``wanted`` (case-insensitive; an exact match
    wins). Raises :class:`MidiPortError` listing the candidates or the available ports."""
    low = wanted.strip().lower()
    exact = [i for i, n in enumerate(names) if n.lower() == low]
    if len(exact) == 1:
        return exact[0], names[exact[0]]
    found = [i for i, n in enumerate(names) if low in n.lower()]
    if len(found) == 1:
        return found[0], names[found[0]]
    if not found:
        available = ", ".join(repr(n) for n in names) or "none"
        raise MidiPortError(f"no MIDI {kind} port matches {wanted!r}; available {kind}s: {available}")
    candidates = ", ".join(repr(names[i]) for i in found)
    raise MidiPortError(f"MIDI {kind} port {wanted!r} is ambiguous: it matches {candidates}; give more of the name")


def list_ports(backend: str | None = None) -> dict[str, list[str]]:
    """``{"inputs": [...], "outputs": [...]}`` for ``rvae ports``: *inputs* are the ports R-VAE can receive
    from (``--clock-in``; other programs' outputs), *outputs* the ports it can send to (``--midi-out``)."""
    api = resolve_backend(backend)
    return {"inputs": ports_seen(api, "output", "R-VAE ports"), "outputs": ports_seen(api, "input", "R-VAE ports")}


def jack_server_stamp() -> tuple[int, int] | None:
    """Identity of the running JACK server's socket file (inode, mtime), or None if none is found.

    jackd creates its socket when it starts and removes it on a clean exit, so a changed stamp means the
    server went away or was restarted, without opening a JACK client (which would hold the GIL ~50 ms)."""
    server = os.environ.get("JACK_DEFAULT_SERVER") or "default"
    uid = os.getuid() if hasattr(os, "getuid") else 0
    tmp = os.environ.get("JACK_TMP_DIR") or "/dev/shm"
    for path in (
        f"{tmp}/jack_{server}_{uid}_0",
        f"{tmp}/jack-{uid}/{server}/jack_0",
        f"/tmp/jack-{uid}/{server}/jack_0",
    ):
        try:
            st = os.stat(path)
        except OSError:
            continue
        return st.st_ino, st.st_mtime_ns
    return None
