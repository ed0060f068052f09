"""One `rvae serve` per set of ports and state file.

A second server started with the same OSC or web port, or the same state file, as one that is running would play
a duplicate stream on its own MIDI port (``R-VAE-01``) with neither OSC nor the page, and write over the first
one's state. Before it opens anything (clock, MIDI, audio), :func:`claim_instance` therefore

* takes an exclusive lock on ``<state file>.lock`` (held for the server's life; the kernel releases it when the
  process ends, even after ``kill -9``) — unless the server keeps no state;
* checks that the OSC port (UDP) and the web port (TCP) can be bound — unless they are 0 (any free port).

Either refusal raises :class:`InstanceConflict` naming what is taken (and the pid of the server holding the
state file) and how to start a second instance on purpose: its own ports and its own state file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import ipaddress
import logging
import os
import socket
from pathlib import Path

from rvae_server.core.config import ServeConfig

log = logging.getLogger(__name__)

SECOND_INSTANCE_HINT = (
    "stop it first, or start a second instance with its own ports and state: "
    "--osc-port P --http-port P --state-file FILE (or --no-state)"
)


class InstanceConflict(RuntimeError):
    """Another server holds this one's ports or state file; the message says which and what to do."""


class InstanceClaim:
    """What a running server holds: the lock on its state file (if any). :meth:`release` lets go. Idempotent."""

    def __init__(self, lock_path: Path | None, fd: int | None) -> None:
        self.lock_path = lock_path
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    close = release


def _lock_state(state: Path) -> tuple[int | None, str | None]:
    """The locked file descriptor of ``<state>.lock`` (None if it cannot be made: no lock, no refusal), or the
    conflict when another process holds it."""
    lock_path = state.with_name(state.name + ".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except OSError as err:
        log.warning("state: cannot make the lock file %s (%s); a second server is not detected", lock_path, err)
        return None, None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as err:
        holder = ""
        with contextlib.suppress(OSError, ValueError):
            holder = os.pread(fd, 32, 0).decode().strip()
        os.close(fd)
        if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            who = f" by rvae serve pid {holder}" if holder.isdigit() else " by another rvae serve"
            return None, f"the state file {state} (in use{who})"
        log.warning("state: cannot lock %s (%s); a second server is not detected", lock_path, err)
        return None, None
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd, None


def _port_taken(host: str, port: int, kind: int) -> bool:
    family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    with socket.socket(family, kind) as sock:
        if kind == socket.SOCK_STREAM:  # as aiohttp binds: a port in TIME_WAIT is free, one listening is not
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as err:
            return err.errno == errno.EADDRINUSE
    return False


def claim_instance(config: ServeConfig) -> InstanceClaim:
    """Take the state file's lock and check the ports (see the module docstring). Raises :class:`InstanceConflict`
    naming everything that is taken."""
    state = config.state_path()
    fd, conflict = _lock_state(state) if state is not None else (None, None)
    claim = InstanceClaim(state.with_name(state.name + ".lock") if fd is not None and state else None, fd)
    taken = [conflict] if conflict else []
    if config.osc_port and _port_taken(config.osc_host, config.osc_port, socket.SOCK_DGRAM):
        taken.append(f"udp {config.osc_host}:{config.osc_port} (OSC)")
    if config.http_port and _port_taken(config.http_host, config.http_port, socket.SOCK_STREAM):
        taken.append(f"http {config.http_host}:{config.http_port} (the web page)")
    if taken:
        claim.release()
        raise InstanceConflict(f"already in use, most likely by another rvae serve: {'; '.join(taken)}")
    return claim


__all__ = ["SECOND_INSTANCE_HINT", "InstanceClaim", "InstanceConflict", "claim_instance"]
