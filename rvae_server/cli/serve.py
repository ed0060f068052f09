"""``rvae serve``: the instrument. Loads the models, keeps time, decodes a bar each cycle and plays it.

Every option is also a key of the ``--config`` TOML file (see :mod:`rvae_server.core.config`); the command line wins.
Stops cleanly on SIGINT/SIGTERM (all notes off on every channel used, ports closed), or after ``--duration``.
Exit status 0, 2 for a config or start-up error, 3 when another server already uses these ports or this state
file (see :mod:`rvae_server.session.instance`).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from typing import Any

log = logging.getLogger("rvae.serve")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("serve", help="run the instrument (MIDI out, clock, control surfaces)")
    p.add_argument(
        "--config",
        metavar="FILE",
        help="a TOML file with any of these options (default: config.toml in "
        "rvae's config folder, if it exists; the start-up report says where)",
    )
    p.add_argument("--models-dir", action="append", metavar="DIR", help="extra model folder (repeatable)")
    p.add_argument("--model", help="the model to start with (default: the bundled default)")
    p.add_argument("--clock", choices=("internal", "midi", "link"), help="who keeps time (default internal)")
    p.add_argument("--bpm", type=float, help="tempo of the internal clock / first Link tempo (default 120)")
    p.add_argument("--midi-out", metavar="PORT", help="existing output port (substring); default: virtual 'R-VAE'")
    p.add_argument("--midi-backend", metavar="NAME", help="jack | alsa | coremidi | windows")
    p.add_argument("--clock-in", metavar="PORT", help="MIDI input port (substring) sending clock, for --clock midi")
    p.add_argument("--send-clock", action="store_true", default=None, help="be the MIDI clock master")
    p.add_argument("--note-length", type=float, metavar="SECONDS", help="note-on to note-off (default 0.1)")
    p.add_argument(
        "--player",
        choices=("process", "thread"),
        help="send MIDI from a player process of its own (default: nothing in the server can delay a note) or "
        "from a thread of the server",
    )
    p.add_argument("--layers", type=int, help="number of layers (default 2; layer 1 plays at start)")
    p.add_argument("--audio", action="store_true", default=None, help="play through the built-in drum kit")
    p.add_argument("--audio-device", metavar="NAME", help="audio output device (substring)")
    p.add_argument("--no-autoplay", dest="autoplay", action="store_false", default=None, help="wait for play")
    p.add_argument("--seed", type=int, help="seed of the noise draws")
    p.add_argument("--render-dir", metavar="DIR", help="where rvae-demo.wav/.mid go when nothing can play (default .)")
    p.add_argument("--osc-port", type=int, metavar="P", help="OSC control port (default 9000; 0: any free port)")
    p.add_argument("--osc-host", metavar="IP", help="address OSC listens on (default 127.0.0.1; 0.0.0.0: network)")
    p.add_argument("--osc-allow", action="append", metavar="IP", help="client IP/network allowed besides loopback")
    p.add_argument("--osc-feedback", action="append", metavar="IP:PORT", help="always send OSC feedback here")
    p.add_argument("--http-port", type=int, metavar="P", help="web page port (default 8080; 0: any free port)")
    p.add_argument("--http-host", metavar="IP", help="address the web page listens on (default 127.0.0.1)")
    p.add_argument(
        "--http-allow-host",
        dest="http_allow_hosts",
        action="append",
        metavar="NAME",
        help="a host name the page may be opened by (besides addresses and localhost; repeatable)",
    )
    p.add_argument("--http-token", metavar="TOKEN", help="the page's token (default: random when not on loopback)")
    p.add_argument("--clip-dir", dest="clip_dirs", action="append", metavar="DIR", help="folder retraining may read")
    p.add_argument("--upload-dir", metavar="DIR", help="where clips dropped on the web page go (default: temporary)")
    p.add_argument("--controller-in", metavar="PORT", help="MIDI controller input (substring); default: virtual")
    p.add_argument("--controller-map", metavar="FILE", help="TOML file of CC bindings (saved by MIDI learn)")
    p.add_argument("--controller-channel", type=int, metavar="N", help="MIDI channel of the Kaoss Pad map (1)")
    p.add_argument("--state-file", metavar="FILE", help="performance state file (default: rvae's state folder)")
    p.add_argument("--no-state", dest="state_file", action="store_const", const="", help="keep no state")
    p.add_argument("--train-epochs", type=int, metavar="N", help="epochs of live retraining (default: training's)")
    p.add_argument("--no-melody", dest="melody", action="store_false", default=None, help="no melody layer")
    p.add_argument("--melody-model", metavar="NAME_OR_PATH", help="melody model (default: the bundled 'default')")
    p.add_argument("--melody-out", metavar="PORT", help="melody output port (substring); default: 'R-VAE melody'")
    p.add_argument("--melody-channel", type=int, metavar="N", help="MIDI channel of the melody (default 1)")
    p.add_argument("--melody-layer", type=int, metavar="N", help="the drum layer the melody follows (default 1)")
    p.add_argument("--melody-key", metavar="KEY", help="key of the melody: Am, Eb, F#m … (default Am)")
    p.add_argument("--melody-family", metavar="NAME", help="bass | keys | guitar | pad | lead (default bass)")
    p.add_argument(
        "--link-join",
        choices=("play", "wait"),
        help="Link: on joining a session, play from its next bar line (default) or wait for a peer's start",
    )
    p.add_argument(
        "--no-link-start-stop",
        dest="link_start_stop",
        action="store_false",
        default=None,
        help="Link: do not share start/stop with the session (shared by default)",
    )
    p.add_argument(
        "--midi-out-latency",
        type=float,
        metavar="MS",
        help="send notes and clock to the MIDI output this "
        "many ms later (negative: earlier), to line up with the DAW's audio (default 0)",
    )
    p.add_argument("--capture-dir", metavar="DIR", help="where captures go (default: captures in your data folder)")
    p.add_argument("--follow-in", metavar="PORT", help="MIDI input (substring) of drums to follow; default: virtual")
    p.add_argument(
        "--note-map",
        action="append",
        metavar="MAP",
        help="your drum machine's notes: a preset (gm, drumrack, tr8s, digitakt, syntakt), then "
        "INSTRUMENT=NOTE[/CHANNEL] changes (repeatable, or comma-separated); every layer plays them",
    )
    p.add_argument("--duration", type=float, metavar="SECONDS", help="stop after this long (demos, tests)")
    p.set_defaults(func=run)


OPTION_KEYS = (
    "models_dir", "model", "clock", "bpm", "midi_out", "midi_backend", "clock_in", "send_clock", "note_length",
    "player", "layers", "audio", "audio_device", "autoplay", "seed", "render_dir", "osc_port", "osc_host", "osc_allow",
    "osc_feedback", "http_port", "http_host", "clip_dirs", "upload_dir", "controller_in", "controller_map",
    "controller_channel", "state_file", "train_epochs", "http_allow_hosts", "http_token",
    "melody", "melody_model", "melody_out", "melody_channel", "melody_layer", "melody_key", "melody_family",
    "link_join", "link_start_stop", "midi_out_latency",
    "capture_dir", "follow_in", "note_map",
)  # fmt: skip


def run(args: argparse.Namespace) -> int:
    import torch

    from rvae_server.core.config import ConfigError, default_config_file, load_config
    from rvae_server.model.library import NoModels, load_models
    from rvae_server.session.daemon import Daemon, StartError
    from rvae_server.session.instance import SECOND_INSTANCE_HINT, InstanceConflict

    torch.set_num_threads(1)  # the server decodes one bar at a time; more threads only steal the clock's core
    try:
        config_path = args.config if args.config is not None else default_config_file()
        config = load_config(config_path, {key: getattr(args, key) for key in OPTION_KEYS})
        models, default, problems = load_models(config.models_dir, config.model)
    except (ConfigError, NoModels) as err:
        print(f"rvae serve: {err}", file=sys.stderr)
        return 2
    for problem in problems:
        log.warning("%s", problem)

    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        log.info("%s: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    daemon = Daemon(config, models, default)
    daemon.config_path = config_path
    try:
        daemon.open()
        for line in daemon.describe():
            print(f"rvae serve: {line}", flush=True)
        print("rvae serve: running; Ctrl-C stops", flush=True)
        stop.wait(args.duration) if args.duration is not None else daemon.wait(stop)
    except InstanceConflict as err:
        print(f"rvae serve: {err}; {SECOND_INSTANCE_HINT}", file=sys.stderr)
        return 3
    except StartError as err:
        print(f"rvae serve: {err}", file=sys.stderr)
        return 2
    finally:
        daemon.close()
    return 0
