"""Atomic file writes, the one way every module writes a file a performer keeps (clips, WAV renders, controller
maps, the saved state): a temporary file in the same folder, ``fsync``, ``os.replace``, then an ``fsync`` of the
folder so the rename itself survives a crash. A failure leaves any existing file whole and no temporary behind.
(Model folders are swapped as a whole by :mod:`rvae_server.model.modelfile`.)"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` atomically (the folder is made if missing). ``mode``: the file's permissions
    (``mkstemp`` makes 0600; rendered clips and audio are for everyone to read)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def atomic_write_text(path: str | os.PathLike[str], text: str, mode: int = 0o644) -> None:
    """:func:`atomic_write_bytes` of ``text`` in UTF-8."""
    atomic_write_bytes(path, text.encode("utf-8"), mode)


__all__ = ["atomic_write_bytes", "atomic_write_text"]
