"""The mining checkpoint (resuming after a kill) and the lock that lets one run at a time write an output.

While ``rvae mine … -o DATASET`` runs, every finished file's result (:func:`rvae_server.mining.work.mine_file`) is
appended as one JSON line to ``DATASET.partial.jsonl`` and flushed, so a kill loses at most the files in flight
(a torn last line is ignored on reading). The first line records the format and the settings; a checkpoint made
with other settings is refused (``--fresh`` discards it). The next run with the same output takes the files
already done from it — :func:`index` finds the last line of each file and the signature of the file as it was
read (size, times, inode), the run keeps only those whose file is unchanged and mines the rest — and when the
dataset is written the checkpoint is removed. The checkpoint is read twice, line by line (first the index, then
the lines kept), never whole: its size does not matter.

:class:`OutputLock` holds ``DATASET.lock`` (an exclusive ``flock``, released by the kernel even after ``kill
-9``) for the whole run: a second ``rvae mine`` with the same output stops at once with an error instead of
writing the same checkpoint and dataset.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

KIND = "rvae-mine-checkpoint"
VERSION = 2
SYNC_EVERY = 2.0  # seconds between fsyncs (every line is flushed at once)


class CheckpointError(Exception):
    """The checkpoint cannot be used (other settings, unreadable), or the output is locked by another run."""


def checkpoint_path(dataset: str | os.PathLike[str]) -> Path:
    return Path(f"{os.fspath(dataset)}.partial.jsonl")


def lock_path(dataset: str | os.PathLike[str]) -> Path:
    return Path(f"{os.fspath(dataset)}.lock")


@dataclass(frozen=True, slots=True)
class Entry:
    """Where a file's last result lies in the checkpoint (0-based line) and the signature of the file it read."""

    line: int
    sig: tuple[int, ...] | None


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with open(path, "rb") as fh:
        yield from enumerate(fh)


def _record(line: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):
        return None  # the torn last line of a killed run (or an empty one)
    return record if isinstance(record, dict) and isinstance(record.get("path"), str) else None


def index(path: Path, settings: dict[str, Any]) -> dict[str, Entry]:
    """The files a checkpoint holds a result for: path → its last line and signature (empty if there is none)."""
    if not path.exists():
        return {}
    done: dict[str, Entry] = {}
    try:
        lines = _lines(path)
        header = _record_header(next(lines, (0, b""))[1])
        if header is None:
            raise CheckpointError(f"{path}: not a mining checkpoint; remove it or pass --fresh")
        if header.get("version") != VERSION or header.get("settings") != settings:
            raise CheckpointError(
                f"{path}: made by another version or with other settings ({header.get('settings')}, now "
                f"{settings}); pass --fresh to discard it and start over"
            )
        for number, line in lines:
            record = _record(line)
            if record is not None:
                sig = record.get("sig")
                ok = isinstance(sig, list) and all(isinstance(v, int) for v in sig)
                done[record["path"]] = Entry(number, tuple(sig) if ok and sig is not None else None)
    except OSError as err:
        why = err.strerror or err
        raise CheckpointError(f"{path}: cannot read the checkpoint ({why}); remove it or pass --fresh") from None
    return done


def _record_header(line: bytes) -> dict[str, Any] | None:
    try:
        header = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return header if isinstance(header, dict) and header.get("kind") == KIND else None


def records(path: Path, wanted: set[int]) -> Iterator[dict[str, Any]]:
    """The records on the lines ``wanted`` (see :func:`index`), in file order."""
    if not wanted:
        return
    try:
        for number, line in _lines(path):
            if number in wanted:
                record = _record(line)
                if record is not None:
                    yield record
    except OSError as err:
        raise CheckpointError(f"{path}: cannot read the checkpoint ({err.strerror or err})") from None


class Writer:
    """Appends results to a checkpoint (creating it with its header if needed). Raises ``OSError``."""

    def __init__(self, path: Path, settings: dict[str, Any]) -> None:
        self.path = path
        new = not path.exists()
        if not new:
            self._trim_torn_line()
        self._fh: IO[str] = open(path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the run
        if new:
            self._write({"kind": KIND, "version": VERSION, "settings": settings})
        self._synced = time.monotonic()

    def _trim_torn_line(self) -> None:
        """Cut a partial last line left by a kill, so the next record starts on a line of its own."""
        with open(self.path, "rb+") as fh:
            end = fh.seek(0, os.SEEK_END)
            if end == 0:
                return
            fh.seek(end - 1)
            if fh.read(1) == b"\n":
                return
            pos = end
            while pos > 0:  # back to the last newline, a block at a time
                step = min(pos, 1 << 16)
                fh.seek(pos - step)
                cut = fh.read(step).rfind(b"\n")
                if cut >= 0:
                    fh.truncate(pos - step + cut + 1)
                    return
                pos -= step
            fh.truncate(0)

    def _write(self, record: dict[str, Any]) -> None:
        self._fh.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._fh.flush()

    def add(self, record: dict[str, Any]) -> None:
        self._write(record)
        now = time.monotonic()
        if now - self._synced >= SYNC_EVERY:
            os.fsync(self._fh.fileno())
            self._synced = now

    def close(self) -> None:
        if not self._fh.closed:
            try:
                self._fh.flush()
                os.fsync(self._fh.fileno())
            finally:
                self._fh.close()


def discard(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


class OutputLock:
    """An exclusive lock on ``DATASET.lock`` for one run (see the module docstring). Raises
    :class:`CheckpointError` when another run holds it, ``OSError`` when it cannot be made."""

    def __init__(self, dataset: str | os.PathLike[str]) -> None:
        self.path = lock_path(dataset)
        self._fd: int | None = None
        for _ in range(10):  # the holder may remove the file between our open and our lock: take the new one
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
            if not _try_lock(fd):
                holder = ""
                with contextlib.suppress(OSError, ValueError):
                    os.lseek(fd, 0, os.SEEK_SET)
                    holder = os.read(fd, 32).decode().strip()
                os.close(fd)
                who = f"pid {holder}" if holder.isdigit() else "another process"
                raise CheckpointError(
                    f"{dataset} is being mined by {who} (lock {self.path}); wait for it, or mine to another file"
                )
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self._fd = fd
                with contextlib.suppress(OSError):
                    os.lseek(fd, 0, os.SEEK_SET)
                    os.write(fd, f"{os.getpid()}\n".ljust(16).encode())
                return
            os.close(fd)
        raise CheckpointError(f"{self.path}: cannot take the lock (it keeps being replaced)")

    def release(self) -> None:
        """Remove the lock file and let go (idempotent). POSIX removes it while still holding it (a run waiting
        for it then sees it replaced and takes the next one); Windows cannot remove an open file: close first."""
        if self._fd is not None:
            if os.name == "nt":
                with contextlib.suppress(OSError):
                    os.close(self._fd)
            with contextlib.suppress(OSError):
                self.path.unlink()
            if os.name != "nt":
                with contextlib.suppress(OSError):
                    os.close(self._fd)
            self._fd = None


def _try_lock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


__all__ = [
    "CheckpointError",
    "Entry",
    "OutputLock",
    "Writer",
    "checkpoint_path",
    "discard",
    "index",
    "lock_path",
    "records",
]
