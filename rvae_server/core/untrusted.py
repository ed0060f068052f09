"""Input the performer does not control — files in folders others can write to, datagrams, pages — read and checked
so that nothing it holds can exhaust memory, hang a thread, crash a start or forge a log line.

* :func:`read_regular` (and :func:`read_regular_stat`, with the file's ``fstat``): the bytes of a **regular
  file**, opened without following a symbolic link and without blocking (a FIFO, a device, a socket or a link
  is refused before a byte is read), its size taken once (``fstat``) and bounded, and at most that many bytes
  read: a file that grows or shrinks while it is read is refused too.
* :func:`loads_json` and :func:`check_data`: JSON (or data parsed elsewhere: TOML) with bounded nesting depth,
  number of values, string length and integer size, and no NaN or infinity. A document nested 100,000 deep or
  holding a 5,000-digit integer gives :class:`BoundsError` naming the problem and where, never a
  ``RecursionError`` or an integer-conversion ``ValueError`` from deep inside the parser.
* :func:`printable`: text from the network made safe for a log line (control characters, newlines and terminal
  escapes written as ``\\x1b``, ``\\n`` …; bounded length).
"""

from __future__ import annotations

import errno
import json
import math
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class UnsafeFile(OSError):
    """A file that is refused unread (not a regular file, a symbolic link, too large, changing while read).
    An ``OSError`` so that callers reporting ``err.strerror`` say why."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__(errno.EPERM, reason, os.fspath(path))
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.filename}: {self.reason}"


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISLNK, "a symbolic link"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def read_regular(path: str | os.PathLike[str], limit: int, *, follow_symlinks: bool = False) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them. Raises :class:`UnsafeFile` for a symbolic
    link (unless ``follow_symlinks``), anything but a regular file, a file over ``limit`` bytes or one whose size
    changes while it is read; ``FileNotFoundError`` and other ``OSError`` as ``os.open`` raises them."""
    return read_regular_stat(path, limit, follow_symlinks=follow_symlinks)[0]


def read_regular_stat(
    path: str | os.PathLike[str], limit: int, *, follow_symlinks: bool = False
) -> tuple[bytes, os.stat_result]:
    """:func:`read_regular`, and the ``fstat`` of the very file the bytes came from (to tell later whether the
    file at ``path`` is still that one, unchanged)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        if err.errno == errno.ELOOP and not follow_symlinks:
            raise UnsafeFile(path, "is a symbolic link; refused (only regular files are read)") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(path, f"is {_kind(info.st_mode)}; refused (only regular files are read)")
        size = info.st_size
        if size > limit:
            raise UnsafeFile(path, f"too large ({size} bytes; at most {limit})")
        chunks: list[bytes] = []
        remaining = size + 1  # one byte more than announced: a file that grew is seen
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        if len(data) != size:
            raise UnsafeFile(path, f"changed while being read ({size} bytes when opened, {len(data)} read); refused")
        return data, info
    finally:
        os.close(fd)


def is_link_outside(path: Path, root: Path) -> bool:
    """True when ``path`` is a symbolic link whose target lies outside ``root`` (both resolved)."""
    if not path.is_symlink():
        return False
    try:
        target = path.resolve()
        base = root.resolve()
    except (OSError, RuntimeError):  # a loop of links
        return True
    return target != base and base not in target.parents


# ------------------------------------------------------------------------------------------ bounded data


class BoundsError(ValueError):
    """Data that is malformed or exceeds the :class:`Limits`; the message says what and where."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on a parsed document: nesting ``depth``, number of ``values`` in all, characters of one
    ``string`` (keys too), decimal digits of an integer (``int_digits``: 18 keeps every integer within int64)."""

    depth: int = 32
    values: int = 200_000
    string: int = 100_000
    int_digits: int = 18


DEFAULT_LIMITS = Limits()


def _int_hook(limits: Limits) -> Any:
    def parse_int(text: str) -> int:
        if len(text.lstrip("-")) > limits.int_digits:
            raise BoundsError(f"an integer of {len(text.lstrip('-'))} digits (at most {limits.int_digits})")
        return int(text)

    return parse_int


def _float_hook(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BoundsError(f"the number {text[:40]} is out of range")
    return value


def _constant_hook(text: str) -> Any:
    raise BoundsError(f"{text} is not a number JSON allows")


def loads_json(data: str | bytes, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Parse JSON text (bytes must be UTF-8) within ``limits``. Raises :class:`BoundsError` (a ``ValueError``)
    for invalid JSON, bad UTF-8, or anything beyond the limits."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError as err:
        raise BoundsError(f"not UTF-8 text (byte {err.start})") from None
    try:
        value = json.loads(text, parse_int=_int_hook(limits), parse_float=_float_hook, parse_constant=_constant_hook)
    except BoundsError:
        raise
    except json.JSONDecodeError as err:
        raise BoundsError(f"invalid JSON (line {err.lineno}, column {err.colno}: {err.msg})") from None
    except RecursionError:
        raise BoundsError(f"nested too deep (at most {limits.depth} levels)") from None
    except ValueError as err:  # anything else the decoder refuses
        raise BoundsError(f"invalid JSON ({err})") from None
    check_data(value, limits)
    return value


def check_data(value: Any, limits: Limits = DEFAULT_LIMITS, where: str = "") -> None:
    """Check parsed data (dicts, lists, strings, numbers, booleans, None; TOML's dates too) against ``limits``
    without recursion. Raises :class:`BoundsError` naming the place (``layers[0].x``) of the first problem."""
    stack: list[tuple[Any, str, int]] = [(value, where, 0)]
    count = 0
    while stack:
        item, place, depth = stack.pop()
        count += 1
        if count > limits.values:
            raise BoundsError(f"more than {limits.values} values")
        at = f" at {place if len(place) <= 80 else '…' + place[-80:]}" if place else ""
        if isinstance(item, dict):
            if depth >= limits.depth:
                raise BoundsError(f"nested too deep{at} (at most {limits.depth} levels)")
            for key, child in item.items():
                if not isinstance(key, str) or len(key) > limits.string:
                    raise BoundsError(f"a key{at} is not a string of at most {limits.string} characters")
                stack.append((child, f"{place}.{key[:40]}" if place else key[:40], depth + 1))
        elif isinstance(item, list | tuple):
            if depth >= limits.depth:
                raise BoundsError(f"nested too deep{at} (at most {limits.depth} levels)")
            stack.extend((child, f"{place}[{k}]", depth + 1) for k, child in enumerate(item))
        elif isinstance(item, str):
            if len(item) > limits.string:
                raise BoundsError(f"a string of {len(item)} characters{at} (at most {limits.string})")
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if abs(item) >= 10**limits.int_digits:
                raise BoundsError(f"an integer too large{at} (at most {limits.int_digits} digits)")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise BoundsError(f"{item} is not a finite number{at}")
        elif type(item).__module__ == "datetime":
            continue  # TOML dates and times
        else:
            raise BoundsError(f"a value of type {type(item).__name__}{at}")


# ------------------------------------------------------------------------------------------ log lines


def printable(text: object, limit: int = 200) -> str:
    """``text`` for a log line: every character that is not printable (newlines, tabs, terminal escapes, bidi
    controls, lone surrogates) written as a backslash escape, and at most ``limit`` characters (then ``…``)."""
    s = text if isinstance(text, str) else str(text)
    out: list[str] = []
    for ch in s[:limit]:
        if ch.isprintable():
            out.append(ch)
            continue
        code = ord(ch)
        out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    if len(s) > limit:
        out.append("…")
    return "".join(out)


__all__ = [
    "DEFAULT_LIMITS",
    "BoundsError",
    "Limits",
    "UnsafeFile",
    "check_data",
    "is_link_outside",
    "loads_json",
    "printable",
    "read_regular",
    "read_regular_stat",
]
