"""MIDI output on a real JACK server: the virtual port, bytes and timing of notes, port choice, all notes
off, a port that disappears and returns, a JACK server that stops and restarts, and the ALSA message."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rvae_server.outputs.midiout import open_output
from rvae_server.system import midiports
from rvae_server.system.midiports import MidiError, MidiPortError, MidiUnavailable, list_ports, resolve_backend
from rvae_server.testing import Recorder
from tests.fixtures_jack import JackServer

ROOT = Path(__file__).resolve().parents[1]


def test_virtual_port_notes_and_note_off(jack_server: JackServer) -> None:
    out = open_output(backend="jack", client_name="R-VAE", note_length=0.08)
    try:
        assert out.name == "R-VAE:R-VAE"  # the name other applications see
        assert "R-VAE:R-VAE" in jack_server.ports()
        second = open_output(backend="jack", client_name="R-VAE")
        try:
            assert second.name in jack_server.ports() and second.name != out.name  # JACK renamed its client
        finally:
            second.close()
        rec = Recorder.jack("R-VAE:R-VAE", name="rec-virtual")
        try:
            when = time.perf_counter()
            out.send_note(36, 100, channel=10, when=when)
            out.send_note(42, 1, channel=1, when=when)
            msgs = rec.wait_for(4)
            assert msgs[:2] == [bytes([0x99, 36, 100]), bytes([0x90, 42, 1])]
            assert sorted(msgs[2:]) == sorted([bytes([0x89, 36, 0]), bytes([0x80, 42, 0])])
            timed = rec.timed()
            on = next(t for t, m in timed if m[0] == 0x99)
            off = next(t for t, m in timed if m[0] == 0x89)
            # note-off due at when + 0.08 s; JACK delivers at period boundaries (5.3 ms at 256/48 kHz)
            assert 0.08 - 0.008 < off - on < 0.08 + 0.015, off - on
            assert out.sounding() == []
            with pytest.raises(ValueError):
                out.send_note(36, 0)
            with pytest.raises(ValueError):
                out.send_note(36, 100, channel=17)
        finally:
            rec.close()
    finally:
        out.close()


def test_retrigger_ends_the_sounding_note_first(jack_server: JackServer) -> None:
    out = open_output(backend="jack", client_name="rvae-retrig", note_length=0.05)
    rec = Recorder.jack("rvae-retrig:rvae-retrig", name="rec-retrig")
    try:
        out.send_note(38, 90)
        out.send_note(38, 91)
        msgs = rec.wait_for(4)
        assert msgs == [bytes([0x99, 38, 90]), bytes([0x89, 38, 0]), bytes([0x99, 38, 91]), bytes([0x89, 38, 0])]
        time.sleep(0.1)
        assert len(rec.messages()) == 4  # the first note's own note-off was dropped: no double note-off
    finally:
        out.close()
        rec.close()


def test_choose_existing_port_by_substring(jack_server: JackServer) -> None:
    alpha = Recorder.jack(name="drums-alpha")
    beta = Recorder.jack(name="drums-beta")
    try:
        with pytest.raises(MidiPortError, match="ambiguous") as err:
            open_output("drums", backend="jack", client_name="rvae-sub")
        assert "drums-alpha:in" in str(err.value) and "drums-beta:in" in str(err.value)
        with pytest.raises(MidiPortError, match="no MIDI output port matches 'nothing-like-this'") as err:
            open_output("nothing-like-this", backend="jack", client_name="rvae-sub")
        assert "drums-alpha:in" in str(err.value)
        out = open_output("ALPHA", backend="jack", client_name="rvae-sub")
        try:
            assert out.name == "drums-alpha:in"
            out.send_note(36, 64)
            assert alpha.wait_for(1)[0] == bytes([0x99, 36, 64])
            time.sleep(0.05)
            assert beta.messages() == []
        finally:
            out.close()
    finally:
        alpha.close()
        beta.close()


def test_all_notes_off(jack_server: JackServer) -> None:
    out = open_output(backend="jack", client_name="rvae-anf", note_length=10.0)
    rec = Recorder.jack("rvae-anf:rvae-anf", name="rec-anf")
    try:
        out.send_note(36, 100, channel=10)
        out.send_note(38, 100, channel=10)
        out.send_note(60, 100, channel=2)
        assert out.sounding() == [(2, 60), (10, 36), (10, 38)]
        out.all_notes_off([10])
        msgs = rec.wait_for(6)
        assert msgs[3:] == [bytes([0x89, 36, 0]), bytes([0x89, 38, 0]), bytes([0xB9, 123, 0])]
        assert out.sounding() == [(2, 60)]
        out.all_notes_off()
        msgs = rec.wait_for(6 + 1 + 16)
        assert msgs[6] == bytes([0x81, 60, 0])
        assert msgs[7:] == [bytes([0xB0 | ch, 123, 0]) for ch in range(16)]
    finally:
        out.close()
        rec.close()


def test_target_port_disappears_and_returns(jack_server: JackServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="rvae_server.outputs.midiout")
    rec = Recorder.jack(name="flaky-synth")
    out = open_output("flaky-synth", backend="jack", client_name="rvae-flaky")
    try:
        out.send_note(36, 100)
        assert rec.wait_for(1)
        rec.close()
        deadline = time.monotonic() + 3.0
        while out.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not out.connected
        assert any(r.levelno == logging.ERROR and "lost" in r.getMessage() for r in caplog.records)
        out.send_note(38, 100)  # a no-op, no exception
        out.send_raw([0xF8])
        rec = Recorder.jack(name="flaky-synth")
        deadline = time.monotonic() + 3.0
        while not out.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert out.connected
        assert any("reconnected" in r.getMessage() for r in caplog.records)
        out.send_note(42, 99)
        assert bytes([0x99, 42, 99]) in rec.wait_for(1)
    finally:
        out.close()
        rec.close()


def test_list_ports_and_backends(jack_server: JackServer) -> None:
    rec = Recorder.jack(name="listed")
    out = open_output(backend="mido.backends.rtmidi/UNIX_JACK", client_name="rvae-listed")
    try:
        ports = list_ports("jack")
        # inputs = ports we can receive from (other clients' outputs), outputs = ports we can send to
        assert "listed:in" in ports["outputs"]
        assert "rvae-listed:rvae-listed" in ports["inputs"]
    finally:
        out.close()
        rec.close()
    import rtmidi

    assert resolve_backend("jack") == rtmidi.API_UNIX_JACK
    assert resolve_backend("ALSA") == rtmidi.API_LINUX_ALSA
    with pytest.raises(MidiError, match="unknown MIDI backend 'sndio'.*jack, alsa, coremidi, windows"):
        resolve_backend("sndio")


def test_no_alsa_sequencer_says_choose_jack(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not os.path.exists("/dev/snd/seq"), "this test expects a machine without an ALSA sequencer"
    monkeypatch.delenv("MIDO_BACKEND", raising=False)
    for backend in ("alsa", None):
        with pytest.raises(MidiUnavailable) as err:
            open_output(backend=backend)
        assert "no ALSA sequencer" in str(err.value) and "--midi-backend jack" in str(err.value)
    with pytest.raises(MidiUnavailable, match="--midi-backend jack"):
        list_ports("alsa")


# -- the JACK server stops and comes back (in a child process with its own server) ----------------------------
def _server_stop_child(server: str) -> None:
    """Start a private jackd, play into a recorder, stop jackd, keep sending, restart it: print JSON."""
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(f"{record.levelname} {record.getMessage()}")

    logging.getLogger("rvae_server").addHandler(Keep())
    logging.getLogger("rvae_server").setLevel(logging.INFO)
    os.environ["JACK_DEFAULT_SERVER"] = server
    cmd = ["jackd", "-n", server, "--no-realtime", "-d", "dummy", "-r", "48000", "-p", "256"]

    def start() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if subprocess.run(["jack_lsp"], capture_output=True, check=False).returncode == 0:
                return proc
            time.sleep(0.1)
        raise RuntimeError("jackd did not start")

    result: dict[str, object] = {}
    jackd = start()
    out = open_output(backend="jack", client_name="R-VAE")
    rec = Recorder.jack("R-VAE:R-VAE", name="rec")
    out.send_note(36, 100)
    result["before"] = [m.hex() for m in rec.wait_for(1)]
    rec.close()
    jackd.send_signal(signal.SIGTERM)
    jackd.wait(timeout=10)
    errors = []
    for _ in range(30):  # keep playing through the outage: nothing may raise
        try:
            out.send_note(38, 100)
            out.send_raw([0xF8])
        except Exception as err:
            errors.append(repr(err))
        time.sleep(0.05)
    result["errors"] = errors
    result["lost"] = not out.connected
    jackd = start()
    deadline = time.monotonic() + 5.0
    while not out.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    result["reconnected"] = out.connected
    rec = Recorder.jack("R-VAE:R-VAE", name="rec")
    out.send_note(42, 99)
    result["after"] = [m.hex() for m in rec.wait_for(1)]
    rec.close()
    out.close()
    jackd.send_signal(signal.SIGTERM)
    jackd.wait(timeout=10)
    result["log"] = records
    print(json.dumps(result))


def test_jack_server_stops_and_returns() -> None:
    server = f"rvae-stop-{os.getpid()}"
    code = f"from tests.test_midiout import _server_stop_child; _server_stop_child({server!r})"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["before"] == [bytes([0x99, 36, 100]).hex()], result
    assert result["errors"] == [], result
    assert result["lost"] is True, result
    assert any(line.startswith("ERROR") and "JACK server stopped" in line for line in result["log"]), result
    assert result["reconnected"] is True, result
    assert any("reconnected" in line for line in result["log"]), result
    assert result["after"] == [bytes([0x99, 42, 99]).hex()], result


def test_jack_server_stamp_tracks_the_server(jack_server: JackServer) -> None:
    assert midiports.jack_server_stamp() is not None
