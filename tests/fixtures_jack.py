"""A running JACK server (dummy driver) for MIDI and audio tests: :func:`start_jack_server` and
:func:`stop_jack_server`, behind the session fixture ``jack_server`` of tests/conftest.py. A test asks for it by
name (the conftest marks it ``jack``)::

    def test_something(jack_server):
        import sounddevice  # import PortAudio/rtmidi clients *after* the server is up
        ...

What it does
    Starts a **private** server ``jackd -n rvae-test-<pid> -R -d dummy -r 48000 -p 256`` once per test
    session and points every JACK client at it by setting ``JACK_DEFAULT_SERVER`` in ``os.environ``
    (libjack reads it when a client opens: PortAudio, python-rtmidi's bundled libjack, and the ``jack_lsp`` /
    ``jack_connect`` tools in subprocesses all honour it). A private name means concurrent test runs, and
    anyone else's default server on the machine, cannot kill or confuse our server, nor we theirs.
    It waits until ``jack_lsp`` answers (polling every 0.1 s, up to 10 s) and **fails** the test, with
    jackd's own output, if the server cannot start. At the end of the session it restores the environment
    and stops only the jackd it started (SIGTERM, then SIGKILL after 5 s).

    To test against a server you run yourself, set ``RVAE_TEST_JACK_SERVER`` to its name (``default`` for
    the default server): the fixture then only checks that it answers and never stops it.

Realtime
    If this process may use SCHED_FIFO (``chrt -f 1 true`` succeeds: root, or an rtprio limit), the server
    runs with ``-R`` (realtime, JACK's default), else with ``--no-realtime``; force either with
    ``RVAE_TEST_JACK_REALTIME=1`` / ``=0``. Measured on a 2-core machine shared with other CPU-heavy
    processes: ``--no-realtime`` gave 1-2 PortAudio underflows a second (the dummy driver's own thread and
    the client thread both woke late); ``-R`` gave 0-1 per 10 s. Clients (PortAudio, rtmidi) get realtime
    process threads from a realtime server. ``JackServer.driver_xruns()`` / ``client_xruns()`` count the
    xruns jackd logged (its driver woke late / a client did not finish in time), to tell them apart.

Pitfalls (see /work/shared/RECIPES.md)
    PortAudio discovers host APIs when it initialises, so ``import sounddevice`` must happen after the fixture
    (import inside the test). Streams must use the server's rate (48000). A process that still holds a
    PortAudio/JACK client when jackd stops may abort, so close your ports and streams inside the test; the
    fixture also terminates PortAudio (``sounddevice._terminate()``) before it stops the server.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import pytest

SAMPLE_RATE = 48000
PERIOD = 256
START_TIMEOUT = 10.0
POLL = 0.1


@dataclass
class JackServer:
    """The running server: its ``name``, ``sample_rate`` (Hz), ``period`` (frames), whether this fixture
    ``started`` it, and ``env`` (a copy of ``os.environ`` that selects it, for subprocesses)."""

    name: str
    sample_rate: int = SAMPLE_RATE
    period: int = PERIOD
    started: bool = False
    env: dict[str, str] = field(default_factory=dict)
    realtime: bool = False
    process: subprocess.Popen[bytes] | None = None
    log_path: str = ""

    def log(self) -> str:
        """What jackd printed so far (empty for a server this fixture did not start)."""
        if not self.log_path:
            return ""
        with open(self.log_path, errors="replace") as fh:
            return fh.read()

    def driver_xruns(self) -> int:
        """XRuns jackd logged because its own (dummy) driver thread woke late."""
        return self.log().count("JackTimedDriver::Process XRun")

    def client_xruns(self, client: str = "") -> int:
        """XRuns jackd blamed on a client that did not finish its cycle in time (any client, or one whose
        name starts with ``client``; PortAudio's client is named ``PortAudio``)."""
        return self.log().count(f"client = {client}") if client else self.log().count("was not finished")

    def ports(self) -> list[str]:
        """The server's port names (``jack_lsp``)."""
        out = subprocess.run(["jack_lsp"], env=self.env, capture_output=True, text=True, timeout=5, check=False)
        return [line.strip() for line in out.stdout.splitlines() if line.strip()]

    def connect(self, source: str, destination: str) -> None:
        """``jack_connect source destination``; raises with jack's message if it fails."""
        out = subprocess.run(
            ["jack_connect", source, destination], env=self.env, capture_output=True, text=True, timeout=5
        )
        if out.returncode != 0:
            raise RuntimeError(f"jack_connect {source} {destination} failed: {out.stderr.strip()}")

    def alive(self) -> bool:
        """True while the server answers ``jack_lsp``."""
        return _answers(self.env)


def _answers(env: dict[str, str]) -> bool:
    try:
        out = subprocess.run(["jack_lsp"], env=env, capture_output=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and b"system:" in out.stdout


def _die_with_parent() -> None:
    """In the jackd child before exec: ask Linux to send it SIGTERM when the test process dies, so a test run
    that is killed (SIGKILL, or SIGTERM, which skips fixture teardown) never leaves a server behind."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG = 1
    except Exception:
        pass


def _use_realtime() -> bool:
    forced = os.environ.get("RVAE_TEST_JACK_REALTIME")
    if forced in ("0", "1"):
        return forced == "1"
    if shutil.which("chrt") is None:
        return False
    try:
        probe = subprocess.run(["chrt", "-f", "1", "true"], capture_output=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def _env_for(name: str) -> dict[str, str]:
    env = dict(os.environ)
    if name == "default":
        env.pop("JACK_DEFAULT_SERVER", None)
    else:
        env["JACK_DEFAULT_SERVER"] = name
    env.setdefault("JACK_NO_AUDIO_RESERVATION", "1")
    return env


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def _reinit_portaudio() -> None:
    """If sounddevice was imported before the server started, re-initialise PortAudio so it sees JACK."""
    sd = sys.modules.get("sounddevice")
    if sd is not None:
        try:
            sd._terminate()
            sd._initialize()
        except Exception as err:
            pytest.fail(f"could not re-initialise PortAudio after starting JACK: {err}")


def _terminate_portaudio() -> None:
    """Detach PortAudio from JACK before the server stops (if sounddevice was imported)."""
    sd = sys.modules.get("sounddevice")
    if sd is not None:
        with contextlib.suppress(Exception):
            sd._terminate()


def start_jack_server() -> JackServer:
    """Start (or, with ``RVAE_TEST_JACK_SERVER``, find) a server as described in the module docstring and
    select it in ``os.environ``. Calls ``pytest.fail`` if it cannot. Pair with :func:`stop_jack_server`."""
    if shutil.which("jackd") is None or shutil.which("jack_lsp") is None:
        pytest.fail("JACK is not installed: apt install jackd2 (jackd, jack_lsp are needed for these tests)")
    given = os.environ.get("RVAE_TEST_JACK_SERVER")
    name = given or f"rvae-test-{os.getpid()}"
    env = _env_for(name)
    server = JackServer(name=name, env=env)
    if given:
        if not _answers(env):
            pytest.fail(f"RVAE_TEST_JACK_SERVER={given!r}: no JACK server of that name answers jack_lsp")
        _select(name)
        return server
    if _answers(env):  # a leftover server of ours (same pid): reuse it, do not stop it
        _select(name)
        return server
    log = tempfile.NamedTemporaryFile(prefix="rvae-jackd-", suffix=".log", delete=False)  # noqa: SIM115
    server.realtime = _use_realtime()
    mode = "-R" if server.realtime else "--no-realtime"
    cmd = ["jackd", "-n", name, mode, "-d", "dummy", "-r", str(SAMPLE_RATE), "-p", str(PERIOD)]
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )
    log.close()
    server.process, server.started, server.log_path = proc, True, log.name
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if _answers(env):
            _select(name)
            return server
        time.sleep(POLL)
    _stop(proc)
    with open(log.name, errors="replace") as fh:
        output = fh.read()[-2000:]
    pytest.fail(
        f"could not start JACK ({' '.join(cmd)}), exit code {proc.returncode}, within {START_TIMEOUT:.0f} s; "
        f"its output:\n{output}"
    )


_saved_env: list[str | None] = []


def _select(name: str) -> None:
    _saved_env.append(os.environ.get("JACK_DEFAULT_SERVER"))
    if name == "default":
        os.environ.pop("JACK_DEFAULT_SERVER", None)
    else:
        os.environ["JACK_DEFAULT_SERVER"] = name
    _reinit_portaudio()


def stop_jack_server(server: JackServer) -> None:
    """Undo :func:`start_jack_server`: restore ``JACK_DEFAULT_SERVER`` and stop the server if we started it."""
    _terminate_portaudio()
    if _saved_env:
        previous = _saved_env.pop()
        if previous is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = previous
    if server.started and server.process is not None:
        _stop(server.process)
        with contextlib.suppress(OSError):
            os.unlink(server.log_path)
