"""The MIDI binding (system/midiports.py ``binding``): python-rtmidi when installed, else supriya-midi through
system/midibackend_supriya.py — what a Python 3.13 or 3.14 gets from wheels alone (python-rtmidi has none there).

What can be checked here (no ALSA sequencer, jackd2 1.9.21): the choice of binding, the same backend numbers, the
adapter's python-rtmidi API on RtMidi's dummy backend, a backend that cannot work turned into the same
MidiUnavailable message (ALSA: no /dev/snd/seq), and against the private JACK server the known limit said plainly —
supriya-midi's wheel carries jack2 1.9.14's client library, which this jackd's protocol refuses — by ``rvae ports``
with python-rtmidi hidden too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rvae_server.system import midibackend_supriya as supriya
from rvae_server.system import midiports
from rvae_server.system.midiports import MidiUnavailable
from tests.fixtures_jack import JackServer

HIDE_RTMIDI = "import sys; sys.modules['rtmidi'] = None; "


def python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", HIDE_RTMIDI + code], capture_output=True, text=True, timeout=60,
                          env=env, check=False)  # fmt: skip


@pytest.fixture
def hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    """python-rtmidi absent, as on Python 3.13 and 3.14."""
    monkeypatch.setattr(midiports, "binding", lambda: supriya)


def test_python_rtmidi_first_else_supriya_midi():
    import rtmidi

    assert midiports.binding() is rtmidi
    probe = python("from rvae_server.system.midiports import binding; print(binding().BINDING)")
    assert probe.returncode == 0 and probe.stdout.startswith("supriya-midi "), probe.stderr
    for name in ("API_UNSPECIFIED", "API_MACOSX_CORE", "API_LINUX_ALSA", "API_UNIX_JACK", "API_WINDOWS_MM"):
        assert getattr(supriya, name) == getattr(rtmidi, name), name
    assert {supriya.API_UNIX_JACK, supriya.API_LINUX_ALSA} <= set(supriya.get_compiled_api())


def test_the_adapter_speaks_python_rtmidis_api():
    out = supriya.MidiOut(rtapi=supriya.API_RTMIDI_DUMMY, name="probe")
    assert out.get_current_api() == supriya.API_RTMIDI_DUMMY and out.get_ports() == []
    out.open_virtual_port("R-VAE")
    out.send_message([0x99, 36, 100])
    out.close_port()
    out.delete()
    heard = []
    inp = supriya.MidiIn(rtapi=supriya.API_RTMIDI_DUMMY, name="probe in")
    inp.ignore_types(sysex=True, timing=False, active_sense=True)
    assert inp.get_message() is None
    inp.set_callback(lambda event, data: heard.append((event, data)), "data")
    inp.cancel_callback()
    inp.delete()


def test_a_backend_that_cannot_work_says_what_to_do(hidden):
    if Path("/dev/snd/seq").exists():
        pytest.fail("this test needs a machine without an ALSA sequencer")
    with pytest.raises(MidiUnavailable, match="--midi-backend jack"):  # the same message as with python-rtmidi
        midiports.new_client("output", midiports.resolve_backend("alsa"), "probe")


def test_jack_says_plainly_when_the_bundled_client_cannot_talk_to_jackd(jack_server: JackServer, hidden):
    with pytest.raises(MidiUnavailable) as caught:
        midiports.new_client("output", midiports.resolve_backend("jack"), "probe")
    assert supriya.JACK_NOTE in str(caught.value)
    # rvae ports without python-rtmidi: the same refusal, no traceback
    probe = python("from rvae_server.cli import main; sys.exit(main(['ports', '--midi-backend', 'jack']))",
                   jack_server.env)  # fmt: skip
    assert "Traceback" not in probe.stderr and "protocol" in probe.stdout + probe.stderr, probe
