"""Atomic file writes, the one way every module writes a file a performer keeps (clips, WAV renders, controller
maps, the saved state): a temporary file in the same folder (``.<name>.XXXXXXXX.tmp``), ``fsync``,
``os.replace``, then an ``fsync`` of the folder so the rename itself survives a crash. A failure leaves any
existing file whole and no temporary behind (:func:`atomic_write_new` writes a new file, never over one, even
with other writers picking names at the same time); a process killed mid-write leaves its temporary, which
:func:`remove_temporaries` removes (its owner calls it at start). :func:`unwritable` says why a file could not be
written there, before anything is. (Model folders are swapped as a whole by :mod:`rvae_server.model.modelfile`.)"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
from pathlib import Path


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` atomically (the folder is made if missing). ``mode``: the file's permissions
    (``mkstemp`` makes 0600; rendered clips and audio are for everyone to read)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary(target.parent, target.name, data, mode)
    try:
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)


def _temporary(folder: Path, name: str, data: bytes, mode: int) -> str:
    """``data`` in a new temporary ``<folder>/.<name>.XXXXXXXX.tmp``, with permissions ``mode``, on disk
    (``fsync``); returns its path. A failure removes it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def atomic_write_text(path: str | os.PathLike[str], text: str, mode: int = 0o644) -> None:
    """:func:`atomic_write_bytes` of ``text`` in UTF-8."""
    atomic_write_bytes(path, text.encode("utf-8"), mode)


#: Most ``-2``, ``-3`` … tried for a new file's name before giving up.
MAX_NUMBERED = 100_000


def atomic_write_new(folder: str | os.PathLike[str], stem: str, suffix: str, data: bytes, mode: int = 0o644) -> Path:
    """Write ``data`` to a **new** file ``<folder>/<stem><suffix>`` — or ``<stem>-2<suffix>``, ``-3`` … when that
    name is taken — and return its path; never over an existing file, even while other threads or processes pick
    names in the same folder at the same time. The bytes go to a temporary (written, ``fsync``), which then gets
    its name with a hard link, refused by the system if the name exists; where links are not supported an
    exclusive create takes the name first. A failure leaves no file and no temporary behind."""
    base = Path(folder)
    base.mkdir(parents=True, exist_ok=True)
    tmp = _temporary(base, stem + suffix, data, mode)
    try:
        target = name_new(tmp, base, stem, suffix, mode)
    finally:
        Path(tmp).unlink(missing_ok=True)  # (linked: the name stays; replaced: already gone)
    _sync_folder(base)
    return target


def name_new(tmp: str | os.PathLike[str], folder: Path, stem: str, suffix: str, mode: int = 0o644) -> Path:
    """Give the complete file ``tmp`` (in ``folder``) the first name of ``<stem><suffix>``, ``<stem>-2<suffix>`` …
    that nobody has, never over a file, and return it (see :func:`atomic_write_new`). ``tmp`` may stay behind
    (a hard link): the caller removes it."""
    for k in range(1, MAX_NUMBERED + 1):
        target = folder / (f"{stem}{suffix}" if k == 1 else f"{stem}-{k}{suffix}")
        if _claim(os.fspath(tmp), target, mode):
            return target
    raise FileExistsError(errno.EEXIST, f"{MAX_NUMBERED} files named {stem}…{suffix} exist", str(folder))


def _claim(tmp: str, target: Path, mode: int) -> bool:
    """Give the written temporary ``tmp`` the name ``target`` if nobody has it (True), else False."""
    try:
        os.link(tmp, target)
        return True
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links: take the name with an exclusive create, then fill it
        try:
            os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, mode))
        except FileExistsError:
            return False
        os.replace(tmp, target)
        return True


def _sync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def remove_temporaries(path: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporaries that writes of ``path`` interrupted by a kill left beside it (``.<name>.`` + the 8
    characters ``mkstemp`` draws + ``.tmp``; regular files only); returns them. Only for the file's one owner, at
    a time none of its writes runs (the server holding the state file's lock, at start)."""
    target = Path(path)
    pattern = re.compile(rf"\.{re.escape(target.name)}\.[a-z0-9_]{{8}}\.tmp")
    removed = []
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return []
    for entry in entries:
        if pattern.fullmatch(entry.name) and entry.is_file() and not entry.is_symlink():
            with contextlib.suppress(OSError):
                entry.unlink()
                removed.append(entry)
    return removed


def unwritable(path: str | os.PathLike[str]) -> str | None:
    """Why :func:`atomic_write_bytes` could not write ``path`` (its folder cannot be made or written to, or the
    path is a folder), tried with a temporary that is removed at once; None when it can."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        os.unlink(tmp)
    except OSError as err:
        return f"cannot write to {target.parent} ({err.strerror or err})"
    if target.is_dir():
        return f"{target} is a folder"
    return None


__all__ = [
    "MAX_NUMBERED",
    "atomic_write_bytes",
    "atomic_write_new",
    "atomic_write_text",
    "name_new",
    "remove_temporaries",
    "unwritable",
]
