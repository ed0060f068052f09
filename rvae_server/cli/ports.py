"""``rvae ports [--midi-backend NAME] [--json]``: the MIDI inputs/outputs and audio devices this machine offers.

Each section says plainly when it cannot be listed (no ALSA sequencer, no PortAudio) and what to do instead.
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("ports", help="list MIDI ports and audio devices")
    parser.add_argument("--midi-backend", help="jack | alsa | coremidi | windows (default: the platform's)")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.set_defaults(func=run)


def collect(backend: str | None) -> dict[str, Any]:
    from rvae_server.outputs.audio import list_audio_devices
    from rvae_server.system.midiports import MidiUnavailable, jack_running, list_ports

    report: dict[str, Any] = {"midi_backend": backend or "default"}
    try:
        report["midi"] = list_ports(backend)
    except MidiUnavailable as err:
        # as `rvae serve` does: with no ALSA sequencer but a JACK server running, the ports are JACK's
        if backend is None and jack_running():
            try:
                report["midi"] = list_ports("jack")
                report["midi_backend"] = "jack"
                report["midi_note"] = f"{err}; a JACK server is running, so these are its ports (as serve uses)"
            except Exception as jack_err:
                report["midi_error"] = f"{err}; JACK: {jack_err}"
        else:
            report["midi_error"] = str(err)
    except Exception as err:  # rtmidi errors: the message says what to do
        report["midi_error"] = str(err)
    try:
        report["audio"] = [d for d in list_audio_devices() if d["outputs"] > 0 or d["inputs"] > 0]
    except Exception as err:
        report["audio_error"] = str(err)
    return report


def run(args: argparse.Namespace) -> int:
    report = collect(args.midi_backend)
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"MIDI ({report['midi_backend']} backend)")
    if "midi_note" in report:
        print(f"  note: {report['midi_note']}")
    if "midi_error" in report:
        print(f"  cannot list MIDI ports: {report['midi_error']}")
    else:
        for kind in ("inputs", "outputs"):
            names = report["midi"][kind]
            print(f"  {kind}: " + (", ".join(repr(n) for n in names) if names else "none"))
    print("Audio devices")
    if "audio_error" in report:
        print(f"  cannot list audio devices: {report['audio_error']}")
    elif not report["audio"]:
        print("  none (no sound card; start a JACK server to get one)")
    for dev in report.get("audio", []):
        mark = " (default)" if dev["default_output"] else ""
        print(f"  {dev['index']}: {dev['name']} [{dev['hostapi']}] {dev['outputs']} out, {dev['inputs']} in{mark}")
    return 0
