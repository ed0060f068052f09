"""The mining checkpoint: resuming after a kill.

While ``rvae mine … -o DATASET`` runs, every finished file's result (:func:`rvae_server.mining.work.mine_file`) is
appended as one JSON line to ``DATASET.partial.jsonl`` and flushed, so a kill loses at most the files in flight
(a torn last line is ignored on reading). The first line records the settings; a checkpoint made with other
settings is refused (``--fresh`` discards it). The next run with the same output takes the files already done
from it and mines only the rest; when the dataset is written the checkpoint is removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import IO, Any

KIND = "rvae-mine-checkpoint"
VERSION = 1
SYNC_EVERY = 2.0  # seconds between fsyncs (every line is flushed at once)


class CheckpointError(Exception):
    """The checkpoint cannot be used (other settings, unreadable)."""


def checkpoint_path(dataset: str | os.PathLike[str]) -> Path:
    return Path(f"{os.fspath(dataset)}.partial.jsonl")


def load(path: Path, settings: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The results recorded in a checkpoint, by file path (empty if there is none)."""
    if not path.exists():
        return {}
    done: dict[str, dict[str, Any]] = {}
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().split("\n")
    except (OSError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{path}: cannot read the checkpoint ({err}); remove it or pass --fresh") from None
    try:
        header = json.loads(lines[0])
    except (json.JSONDecodeError, IndexError):
        header = None
    if not isinstance(header, dict) or header.get("kind") != KIND:
        raise CheckpointError(f"{path}: not a mining checkpoint; remove it or pass --fresh")
    if header.get("version") != VERSION or header.get("settings") != settings:
        raise CheckpointError(
            f"{path}: made with other settings ({header.get('settings')}, now {settings}); "
            "pass --fresh to discard it and start over"
        )
    for line in lines[1:]:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # the torn last line of a killed run (or an empty one)
        if isinstance(record, dict) and isinstance(record.get("path"), str):
            done[record["path"]] = record
    return done


class Writer:
    """Appends results to a checkpoint (creating it with its header if needed)."""

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
            data = fh.read()
            if data and not data.endswith(b"\n"):
                fh.truncate(data.rfind(b"\n") + 1)

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
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()


def discard(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


__all__ = ["CheckpointError", "Writer", "checkpoint_path", "discard", "load"]
