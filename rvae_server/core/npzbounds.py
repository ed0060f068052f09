"""Reading an ``.npz`` of plain arrays that someone else made, with every size bounded **before** it is allocated.

``numpy.load`` trusts what a file declares: a 2 MB ``.npz`` of zeros may declare 2 GiB of array, a header may
claim 10¹² items, and a zip may list millions of members. :func:`read_bounded_npz` reads the zip's end record
first (how many members, how large its directory), then each member's ``.npy`` header (dtype and shape), checks
the declared size of every array and of all of them against :class:`NpzLimits`, and only then reads the bytes —
exactly as many as declared, into a writable array. Object, structured and sub-array dtypes are refused (no
pickle is ever read). Errors are :class:`NpzBoundsError` with a one-line reason.
"""

from __future__ import annotations

import math
import os
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_MAX_COMMENT = 0xFFFF
_HEADER_BYTES = 10_000  # an .npy header is ~128 bytes; numpy's own bound is the same


class NpzBoundsError(Exception):
    """An ``.npz`` file that cannot be read within the bounds; ``reason`` is one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class NpzLimits:
    """Bounds: the file's size, its members, one array's declared bytes, all arrays' declared bytes."""

    file_bytes: int = 1024**3
    members: int = 32
    array_bytes: int = 256 * 1024**2
    total_bytes: int = 768 * 1024**2


def _members_declared(fh: IO[bytes], size: int, limits: NpzLimits) -> None:
    """Check the zip's end-of-central-directory record before :mod:`zipfile` parses the directory."""
    tail = min(size, _EOCD_SIZE + _MAX_COMMENT)
    fh.seek(size - tail)
    data = fh.read(tail)
    at = data.rfind(_EOCD)
    if at < 0 or at + _EOCD_SIZE > len(data):
        raise NpzBoundsError("not a readable NPZ file: no zip end record")
    entries, directory = struct.unpack("<HI", data[at + 10 : at + 16])
    if entries > limits.members:
        raise NpzBoundsError(f"the zip declares {entries} members; at most {limits.members} are read")
    if directory > 4096 * max(1, entries):
        raise NpzBoundsError(f"the zip's directory declares {directory} bytes for {entries} members")


def _header(fh: IO[bytes], name: str) -> tuple[tuple[int, ...], bool, np.dtype[Any]]:
    try:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh, max_header_size=_HEADER_BYTES)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh, max_header_size=_HEADER_BYTES)
        else:
            raise NpzBoundsError(f"array {name!r}: .npy format version {version} is not read")
    except NpzBoundsError:
        raise
    except (ValueError, OSError, EOFError, SyntaxError, TypeError, RecursionError, MemoryError) as err:
        raise NpzBoundsError(f"array {name!r}: unreadable .npy header ({str(err).splitlines()[0][:120]})") from None
    if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
        raise NpzBoundsError(f"array {name!r}: dtype {dtype} is not a plain number or text type")
    if not all(isinstance(n, int) and n >= 0 for n in shape) or len(shape) > 8:
        raise NpzBoundsError(f"array {name!r}: bad shape {shape!r}")
    return tuple(shape), bool(fortran), dtype


def _read_exact(fh: IO[bytes], count: int, name: str) -> bytearray:
    buf = bytearray(count)
    view = memoryview(buf)
    got = 0
    while got < count:
        n = fh.readinto(view[got:])  # type: ignore[attr-defined]
        if not n:
            raise NpzBoundsError(f"array {name!r}: {count} bytes declared, {got} found")
        got += n
    return buf


def read_bounded_npz(path: str | os.PathLike[str], limits: NpzLimits | None = None) -> dict[str, NDArray[Any]]:
    """Every array of the ``.npz`` at ``path`` by name (see the module docstring); raises :class:`NpzBoundsError`."""
    limits = limits or NpzLimits()
    p = Path(path)
    try:
        size = p.stat().st_size
        if not p.is_file():
            raise NpzBoundsError("not a regular file")
        if size > limits.file_bytes:
            raise NpzBoundsError(f"file is {size / 1e9:.1f} GB; refusing files over {limits.file_bytes / 1e9:.1f} GB")
        with open(p, "rb") as raw:
            _members_declared(raw, size, limits)
            raw.seek(0)
            return _arrays(zipfile.ZipFile(raw), limits)
    except FileNotFoundError:
        raise NpzBoundsError("no such file") from None
    except NpzBoundsError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, NotImplementedError) as err:
        first = (str(err).splitlines() or [type(err).__name__])[0][:120]
        raise NpzBoundsError(f"not a readable NPZ file: {first}") from None
    except OSError as err:
        raise NpzBoundsError(f"cannot read: {err.strerror or err}") from None


def _arrays(zf: zipfile.ZipFile, limits: NpzLimits) -> dict[str, NDArray[Any]]:
    out: dict[str, NDArray[Any]] = {}
    total = 0
    for info in zf.infolist():
        name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
        if name in out or not name or len(name) > 64:
            raise NpzBoundsError(f"member {info.filename[:64]!r} is repeated or badly named")
        if info.file_size > limits.array_bytes + _HEADER_BYTES:
            raise NpzBoundsError(f"array {name!r} declares {info.file_size} bytes (at most {limits.array_bytes})")
        with zf.open(info) as fh:
            shape, fortran, dtype = _header(fh, name)
            count = math.prod(shape)
            nbytes = count * dtype.itemsize
            if nbytes > limits.array_bytes:
                raise NpzBoundsError(
                    f"array {name!r} declares {count} items of {dtype.itemsize} bytes (at most {limits.array_bytes})"
                )
            total += nbytes
            if total > limits.total_bytes:
                raise NpzBoundsError(f"the arrays declare more than {limits.total_bytes} bytes in all")
            buf = _read_exact(fh, nbytes, name)
        array = np.frombuffer(buf, dtype=dtype, count=count)
        out[name] = array.reshape(shape[::-1]).transpose() if fortran else array.reshape(shape)
    return out


__all__ = ["NpzBoundsError", "NpzLimits", "read_bounded_npz"]
