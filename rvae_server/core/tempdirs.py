"""Temporary folders a process owns for its lifetime (the web page's uploads), and removing those of processes that
died without removing theirs (``kill -9``, a power cut).

An owned folder is ``<tmp>/<prefix><pid>-<random>`` holding ``.owner.lock``, on which the owner keeps an exclusive
``flock`` while it lives: the kernel releases it when the process ends, however it ends. At the next start,
:func:`remove_stale` removes every folder of that prefix (in the same temporary folder, owned by this user, not a
link) whose lock nobody holds. A folder of the older layout (no lock file) is removed when the pid in its name is
no longer alive, or — with no pid in its name — when nothing in it changed for a day.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import stat
import tempfile
import time
from pathlib import Path

LOCK_NAME = ".owner.lock"
#: A folder of the older layout (no lock, no pid in its name) untouched this long is stale.
LEGACY_AGE = 24 * 3600.0


class OwnedTempDir:
    """A fresh temporary folder locked by this process until :meth:`close` (which removes it). Idempotent."""

    def __init__(self, prefix: str, base: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=base))
        self._fd: int | None = os.open(self.path / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (one of another user's counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(folder: Path, prefix: str) -> bool:
    lock = folder / LOCK_NAME
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:  # the older layout
        match = re.match(rf"{re.escape(prefix)}(\d+)-", folder.name)
        if match:
            return not pid_alive(int(match[1]))
        return time.time() - folder.stat().st_mtime > LEGACY_AGE
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # its owner lives
    finally:
        os.close(fd)
    return True


def remove_stale(prefix: str, base: str | os.PathLike[str] | None = None) -> list[Path]:
    """Remove the folders ``<base>/<prefix>*`` (default base: the temporary folder) of processes that are gone;
    returns them. Never raises."""
    root = Path(base) if base is not None else Path(tempfile.gettempdir())
    removed: list[Path] = []
    try:
        entries = [p for p in root.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return removed
    for folder in entries:
        try:
            info = folder.lstat()
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or not _stale(folder, prefix):
                continue
        except OSError:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            removed.append(folder)
    return removed


__all__ = ["LOCK_NAME", "OwnedTempDir", "pid_alive", "remove_stale"]
