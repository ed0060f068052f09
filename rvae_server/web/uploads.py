"""Clips uploaded from the web page for retraining: one folder per page session, with size limits.

Rules: only ``.mid``/``.midi`` files that start with a MIDI header (``MThd``); each at most
:data:`MAX_FILE_BYTES`, a session's total at most :data:`MAX_SESSION_BYTES`; names reduced to their last path
component and to ``[A-Za-z0-9._-]`` (so nothing can escape the session folder), made unique. Files are written
to a temporary name in the same folder and renamed when complete, so a cut upload leaves nothing behind.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_SESSION_BYTES = 50 * 1024 * 1024
MAX_FILES = 500
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
    return f"{stem[:90]}.{suffix.lower()}"


class UploadStore:
    """Session folders under ``root`` (a fresh temporary folder, removed by :meth:`close`, when not given)."""

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        max_file: int = MAX_FILE_BYTES,
        max_total: int = MAX_SESSION_BYTES,
    ) -> None:
        self._own = root is None
        self.root = Path(tempfile.mkdtemp(prefix="rvae-uploads-")) if root is None else Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_file = max_file
        self.max_total = max_total
        self.sessions: set[str] = set()

    def new_session(self) -> str:
        session = secrets.token_urlsafe(18)
        self.sessions.add(session)
        return session

    def known(self, session: object) -> bool:
        return isinstance(session, str) and session in self.sessions

    def folder(self, session: str) -> Path:
        """The session's folder (created on first use). Raises :class:`UploadError` for an unknown session."""
        if not self.known(session) or not _SESSION_RE.match(session):
            raise UploadError("unknown session: reload the page", 403)
        path = self.root / session
        path.mkdir(exist_ok=True)
        return path

    def files(self, session: str) -> list[tuple[str, int]]:
        """``(name, bytes)`` of the session's clips, sorted by name."""
        folder = self.folder(session)
        return sorted(
            (p.name, p.stat().st_size) for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES
        )

    def total(self, session: str) -> int:
        return sum(size for _, size in self.files(session))

    def clear(self, session: str) -> None:
        folder = self.folder(session)
        for p in folder.iterdir():
            if p.is_file():
                p.unlink()

    async def save(self, session: str, filename: str, chunks: AsyncIterator[bytes]) -> tuple[str, int]:
        """Store one uploaded file from its byte chunks; returns ``(stored name, bytes)``. Enforces every rule;
        on any refusal the partial file is removed and :class:`UploadError` raised."""
        folder = self.folder(session)
        name = sanitise_name(filename)
        existing = self.files(session)
        if len(existing) >= MAX_FILES:
            raise UploadError(f"{name}: at most {MAX_FILES} files per session", 413)
        room = self.max_total - sum(size for _, size in existing)
        limit = min(self.max_file, room)
        target = _unique(folder, name)
        fd, tmp_name = tempfile.mkstemp(prefix=".upload-", dir=folder)
        tmp = Path(tmp_name)
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                head = b""
                async for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        if size > self.max_file:
                            raise UploadError(f"{name}: larger than {self.max_file // (1024 * 1024)} MB", 413)
                        raise UploadError(
                            f"{name}: the session's uploads would exceed {self.max_total // (1024 * 1024)} MB", 413
                        )
                    if len(head) < 4:
                        head += chunk[: 4 - len(head)]
                    out.write(chunk)
            if size == 0:
                raise UploadError(f"{name}: empty file")
            if head != b"MThd":
                raise UploadError(f"{name}: not a standard MIDI file (no MThd header)")
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return target.name, size

    def close(self) -> None:
        """Remove the folder if this store created it."""
        if self._own:
            shutil.rmtree(self.root, ignore_errors=True)


def _unique(folder: Path, name: str) -> Path:
    target = folder / name
    stem, _, suffix = name.rpartition(".")
    k = 2
    while target.exists():
        target = folder / f"{stem}-{k}.{suffix}"
        k += 1
    return target
