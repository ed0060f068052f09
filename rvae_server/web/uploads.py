"""Clips uploaded from the web page for retraining: one folder per page session (made on its first upload, removed
when it is emptied or its last page leaves with nothing in it), with size limits.

Rules: only ``.mid``/``.midi`` files that start with a MIDI header (``MThd``); each at most
:data:`MAX_FILE_BYTES`, and **all uploads of the server together** at most :data:`MAX_TOTAL_BYTES` (one quota:
opening more pages or sessions brings no more room; bytes are counted as they arrive, so uploads running at once
share it too); names reduced to their last path component and to ``[A-Za-z0-9._-]`` (so nothing can escape the
session folder), made unique (``-2``, ``-3`` …; two uploads of one name at once never replace each other:
:func:`rvae_server.core.atomic.name_new`); a name Windows keeps for a device (``CON.mid``, ``nul.midi``:
:func:`rvae_server.core.names.is_reserved_name`) is refused. Files are written to a temporary name in the same
folder and named when complete, so a cut upload leaves nothing behind. A disk that is full (or any write error)
refuses the file with a message saying so (HTTP 507), never a server error.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from rvae_server.core.atomic import name_new
from rvae_server.core.names import RESERVED_RULE, is_reserved_name
from rvae_server.core.tempdirs import OwnedTempDir

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_TOTAL_BYTES = 50 * 1024 * 1024
MAX_FILES = 500
#: Sessions remembered with no page and nothing uploaded (the oldest are forgotten beyond).
MAX_IDLE = 1000
SUFFIXES = (".mid", ".midi")
_SESSION_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class UploadError(ValueError):
    """An upload that was refused; ``str(err)`` names the file and the reason. ``status`` is the HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def sanitise_name(name: str) -> str:
    """The file name to store an upload under: last path component, unsafe characters replaced by ``_``, no
    leading dots, at most 100 characters, suffix kept. Raises :class:`UploadError` if it is not a MIDI name."""
    base = re.split(r"[\\/]", name or "")[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot or "." + suffix.lower() not in SUFFIXES:
        raise UploadError(f"{base[:80]!r}: only .mid and .midi files can be uploaded")
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", stem).lstrip(".") or "clip"
    if is_reserved_name(stem):
        raise UploadError(f"{base[:80]!r} is {RESERVED_RULE}: no file on Windows can have it; rename it")
    return f"{stem[:90]}.{suffix.lower()}"


class UploadStore:
    """Session folders under ``root`` (a fresh temporary folder, removed by :meth:`close`, when not given)."""

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        max_file: int = MAX_FILE_BYTES,
        max_total: int = MAX_TOTAL_BYTES,
    ) -> None:
        self._own = OwnedTempDir("rvae-uploads-") if root is None else None
        self.root = self._own.path if self._own is not None else Path(root)  # type: ignore[arg-type]
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_file = max_file
        self.max_total = max_total  #: the quota of all uploads together (bytes)
        self.sessions: set[str] = set()
        self._pages: dict[str, int] = {}  # session → pages connected with it
        self._idle: dict[str, None] = {}  # sessions with no page and no folder, oldest first
        self.used = self._stored_bytes()  #: bytes stored and arriving, in all sessions

    def new_session(self) -> str:
        session = secrets.token_urlsafe(18)
        self.sessions.add(session)
        return session

    def known(self, session: object) -> bool:
        return isinstance(session, str) and session in self.sessions

    def join(self, session: str) -> None:
        """A page connected with ``session`` (see :meth:`leave`)."""
        self._pages[session] = self._pages.get(session, 0) + 1
        self._idle.pop(session, None)

    def leave(self, session: str) -> None:
        """A page of ``session`` went away. When it was the session's last page and the session holds nothing,
        its folder is removed and the session is idle: still known (an upload right after may use it), but only
        the :data:`MAX_IDLE` latest idle sessions are remembered. A session holding clips stays, for the page to
        come back to and for training. So pages that come and go leave no folder and no memory behind."""
        left = self._pages.get(session, 1) - 1
        if left > 0:
            self._pages[session] = left
            return
        self._pages.pop(session, None)
        path = self.root / session
        try:
            if path.is_dir():
                path.rmdir()  # only when empty (OSError otherwise: kept)
        except OSError:
            return
        self._idle[session] = None
        while len(self._idle) > MAX_IDLE:
            oldest = next(iter(self._idle))
            del self._idle[oldest]
            if not (self.root / oldest).exists():  # (an upload made after its page left keeps it)
                self.sessions.discard(oldest)

    def check(self, session: str) -> Path:
        """The session's folder, made or not; raises :class:`UploadError` (403) for an unknown session."""
        if not self.known(session) or not _SESSION_RE.match(session):
            raise UploadError("unknown session: reload the page", 403)
        return self.root / session

    def folder(self, session: str) -> Path:
        """The session's folder (created on first use). Raises :class:`UploadError` for an unknown session."""
        path = self.check(session)
        path.mkdir(exist_ok=True)
        return path

    def files(self, session: str) -> list[tuple[str, int]]:
        """``(name, bytes)`` of the session's clips, sorted by name (none: no folder is made for asking)."""
        folder = self.check(session)
        if not folder.is_dir():
            return []
        return sorted(
            (p.name, p.stat().st_size) for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES
        )

    def total(self, session: str) -> int:
        return sum(size for _, size in self.files(session))

    def _stored_bytes(self) -> int:
        """The clips already under the root (a kept upload folder counts against the quota)."""
        total = 0
        for folder in (p for p in self.root.iterdir() if p.is_dir() and _SESSION_RE.match(p.name)):
            total += sum(p.stat().st_size for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
        return total

    def clear(self, session: str) -> None:
        """Remove the session's clips (and its folder, once empty)."""
        folder = self.check(session)
        if not folder.is_dir():
            return
        for p in folder.iterdir():
            if p.is_file() and not p.name.startswith(".upload-"):  # (an upload arriving keeps its temporary)
                size = p.stat().st_size
                p.unlink()
                if p.suffix.lower() in SUFFIXES:
                    self.used = max(0, self.used - size)
        with contextlib.suppress(OSError):
            folder.rmdir()

    async def save(self, session: str, filename: str, chunks: AsyncIterator[bytes]) -> tuple[str, int]:
        """Store one uploaded file from its byte chunks; returns ``(stored name, bytes)``. Enforces every rule;
        on any refusal the partial file is removed and :class:`UploadError` raised."""
        folder = self.folder(session)
        name = sanitise_name(filename)
        existing = self.files(session)
        if len(existing) >= MAX_FILES:
            raise UploadError(f"{name}: at most {MAX_FILES} files per session", 413)
        size = 0
        reserved = 0  # bytes of this file counted in self.used
        tmp: Path | None = None
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=".upload-", dir=folder)
            tmp = Path(tmp_name)
            with os.fdopen(fd, "wb") as out:
                head = b""
                async for chunk in chunks:
                    size += len(chunk)
                    if size > self.max_file:
                        raise UploadError(f"{name}: larger than {self.max_file // (1024 * 1024)} MB", 413)
                    if self.used + len(chunk) > self.max_total:
                        raise UploadError(
                            f"{name}: the uploads would exceed {self.max_total // (1024 * 1024)} MB (the server's "
                            "quota for all pages); clear some first",
                            413,
                        )
                    self.used += len(chunk)
                    reserved += len(chunk)
                    if len(head) < 4:
                        head += chunk[: 4 - len(head)]
                    out.write(chunk)
            if size == 0:
                raise UploadError(f"{name}: empty file")
            if head != b"MThd":
                raise UploadError(f"{name}: not a standard MIDI file (no MThd header)")
            stem, _, suffix = name.rpartition(".")
            target = name_new(tmp, folder, stem, "." + suffix)
            tmp.unlink(missing_ok=True)
        except OSError as err:  # a full disk, a folder removed: say so, keep nothing
            self._forget(tmp, reserved)
            raise UploadError(f"{name}: not stored: {err.strerror or err}", 507) from None
        except BaseException:
            self._forget(tmp, reserved)
            raise
        return target.name, size

    def _forget(self, tmp: Path | None, reserved: int) -> None:
        """A refused upload: its bytes leave the quota, its temporary goes, and its folder if that left it empty."""
        self.used = max(0, self.used - reserved)
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                tmp.parent.rmdir()  # (only when empty)

    def close(self) -> None:
        """Remove the folder if this store created it."""
        if self._own is not None:
            self._own.close()
