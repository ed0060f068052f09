"""``rvae serve``: put the pieces together and keep them running until SIGINT/SIGTERM.

Data flows one way: models in memory → engine (planner, player on the clock) → outputs: the MIDI ports, sent
from a player process of their own (:mod:`rvae_server.session.midi`), and the built-in kit. The control surfaces
only call the engine's control methods and listen to its events: OSC, the MIDI controller input (Kaoss Pad map,
MIDI learn), the web page; live retraining runs in a separate process and hands its model to the engine at a bar
line; the state keeper saves the performance state and restores it at
the next start.

Start order: clock, outputs, engine (at a playable point), controller map, restored state (values the
performer gave in the config or on the command line win), engine threads, training, model watcher, OSC, web,
state saving, play. Close order is the reverse, the surfaces first, so nothing changes the engine while it
sends its all-notes-off. Whatever cannot be opened (no MIDI backend, no sound card, a port taken) is said
plainly and the rest runs; only a broken config, a clock that cannot be opened or no model at all stops the
start.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from rvae_server.core.config import ServeConfig
from rvae_server.engine.api import NoteSink, PatternModel
from rvae_server.engine.clock import Clock, InternalClock, LinkClock, MidiClockFollower
from rvae_server.engine.engine import Engine
from rvae_server.model.library import ModelWatcher, search_dirs
from rvae_server.outputs.capture import Capture, CaptureSink
from rvae_server.outputs.sinks import AudioSink
from rvae_server.session.melody import MelodyParts, open_melody
from rvae_server.session.melody import apply_explicit as apply_melody_config
from rvae_server.session.midi import PLAYER_PRIORITY, MidiOutputs, open_midi
from rvae_server.session.report import report

if TYPE_CHECKING:  # the parts opened later, imported when they open (start-up stays lazy)
    from rvae_server.core.tempdirs import OwnedTempDir
    from rvae_server.outputs.audio import AudioOutput
    from rvae_server.session.instance import InstanceClaim
    from rvae_server.session.state import StateKeeper
    from rvae_server.session.trainjobs import TrainingService
    from rvae_server.surfaces.controllers import CCMapper, ControllerInput
    from rvae_server.surfaces.follow import FollowInput
    from rvae_server.surfaces.osc.server import OscServer
    from rvae_server.web.server import WebServer

log = logging.getLogger(__name__)

#: Temporary upload folders (``<tmp>/rvae-uploads-<pid>-…``); those of servers that are gone are removed at start.
UPLOAD_PREFIX = "rvae-uploads-"


class _Closable(Protocol):
    def close(self) -> None: ...


def _close_each(*parts: _Closable | None) -> None:
    """Close each part that was opened; one that fails to close is logged and the others still close."""
    for part in parts:
        if part is not None:
            try:
                part.close()
            except Exception:
                log.exception("closing %r failed", part)


class StartError(RuntimeError):
    """The daemon cannot start (a clock source that cannot be opened); the message says why."""


def playable_start(model: Any, threshold: float = 0.5, min_onsets: int = 8, n: int = 30) -> tuple[float, float]:
    """The pad point to start on: the model's own start point (a training bar's location that plays a groove,
    :mod:`rvae_server.model.calibrate`) when its metadata has one; else, of an ``n``×``n`` grid (one batch decode),
    the point nearest the centre whose bar has at least ``min_onsets`` onsets at ``threshold`` (the centre
    itself often decodes an "average" bar too blurred to play); the busiest point if none has that many."""
    from rvae_server.model.planes import grid_points

    start = getattr(model, "start", None)
    if isinstance(start, tuple) and len(start) == 2:
        return float(start[0]), float(start[1])

    points = grid_points(n)
    counts = (model.decode_pad(points).probs >= threshold).sum(axis=(1, 2))
    distance = ((points - 0.5) ** 2).sum(axis=1)
    good = np.flatnonzero(counts >= min_onsets)
    index = int(good[distance[good].argmin()]) if good.size else int(counts.argmax())
    return round(float(points[index, 0]), 4), round(float(points[index, 1]), 4)


class Daemon:
    """The running instrument. ``models`` maps names to loaded models; ``default_model`` is played first."""

    def __init__(self, config: ServeConfig, models: Mapping[str, PatternModel], default_model: str) -> None:
        self.config = config
        self.models = dict(models)
        self.default_model = default_model
        self.problems: list[str] = []  # what could not be opened, in plain words
        self.clock: Clock | None = None
        self.engine: Engine | None = None
        self.midi = MidiOutputs()  # the MIDI ports (in the player process, or here)
        self.audio_out: AudioOutput | None = None
        self.sinks: list[NoteSink] = []
        self.watcher: ModelWatcher | None = None
        self.rendered: list[Path] = []  # demo files written when there was no output
        self.melody_parts: MelodyParts | None = None  # the melody layer and its outputs
        self.mapper: CCMapper | None = None  # the controller map
        self.controllers: ControllerInput | None = None  # the controller input port
        self.state_keeper: StateKeeper | None = None
        self.restored = False
        self.training: TrainingService | None = None
        self.capture_sink: CaptureSink | None = None
        self.capture: Capture | None = None
        self.follow_input: FollowInput | None = None
        self.osc: OscServer | None = None
        self.web: WebServer | None = None
        self.upload_dir: Path | None = None  # where the web page's uploads go (one of the clip folders)
        self.clip_dirs: list[Path] = []  # where retraining may read clips (OSC and the web page)
        self._upload_tmp: OwnedTempDir | None = None  # the uploads' folder, when no upload-dir is configured
        self.instance: InstanceClaim | None = None  # the state file's lock
        self.config_path: str | os.PathLike[str] | None = None  # the config file read (for the start-up report)
        self._closed = False

    # ------------------------------------------------------------------ start

    def open(self) -> Daemon:
        from rvae_server.core.tempdirs import remove_stale
        from rvae_server.session.instance import claim_instance
        from rvae_server.system.realtime import SWITCH_INTERVAL

        self.instance = claim_instance(self.config)  # a second server on these ports or state: refused here
        for folder in remove_stale(UPLOAD_PREFIX):  # uploads a killed server left behind
            log.info("removed %s (temporary uploads of a server that is gone)", folder)
        sys.setswitchinterval(SWITCH_INTERVAL)
        self.clock = self._open_clock()
        self.midi = open_midi(self.config, self.clock, self.config.melody, self._problem)
        self.sinks.extend(self.midi.sinks)
        if self.config.audio:
            self._open_audio()
        self.capture_sink = CaptureSink(self.clock, self.config.layers)  # always on: what was played, as sent
        # with the player process sending MIDI, the engine's own player only feeds the kit and the capture, which
        # place notes by their time: it sleeps to each note instead of spinning, at normal priority
        here = self.midi.player is None
        engine = Engine(
            self.models,
            self.clock,
            [*self.sinks, self.capture_sink],
            default_model=self.default_model,
            layers=self.config.layers,
            seed=self.config.seed,
            realtime_priority=PLAYER_PRIORITY if here else 0,
            precise=here,
        )
        start_x, start_y = playable_start(self.models[self.default_model])
        for layer in range(self.config.layers):
            engine.update(layer, channel=self.config.channel_of(layer), x=start_x, y=start_y)
        self.engine = engine
        if self.midi.player is not None:
            engine.add_plan_sink(self.midi.player)
        self.melody_parts = open_melody(self, engine)
        self._open_state()
        apply_melody_config(self)
        # the models and everything loaded so far live as long as the daemon: keep them out of the collector's
        # generations so a collection on another thread never walks them while the player waits for the GIL
        gc.collect()
        gc.freeze()
        engine.start()
        self._open_controllers()
        training = self._open_training()
        # one owner of "a model of this name changed": the watcher and training jobs both go through it
        self.watcher = ModelWatcher(search_dirs(self.config.models_dir), training.swaps.offer).start()
        self._open_follow()
        self._open_osc()
        self._open_web()
        self._attach_capture()
        if self.state_keeper is not None:
            self.state_keeper.start()
        if not self.sinks and "drums" not in self.midi.names:
            self.render_demo()
        if self.config.autoplay and self.config.clock == "internal":
            engine.play()
        log.info(
            "playing model %r on %d layers at %.1f BPM (%s clock); outputs: %s",
            self.default_model,
            self.config.layers,
            self.clock.bpm,
            self.config.clock,
            ", ".join([*(f"MIDI {n!r}" for n in self.midi.names.values()), *(repr(s) for s in self.sinks)]) or "none",
        )
        return self

    def render_demo(self, bars: int = 8) -> list[Path]:
        """With no output to play to, render what layer 1 would play (``bars`` bars, noise drawn per bar) to a
        WAV file (the built-in kit) and a MIDI file, so a machine without sound card or MIDI still shows it."""
        from rvae_server.core.midiwrite import write_bars
        from rvae_server.outputs.render import write_wav

        assert self.engine is not None and self.clock is not None
        rng = np.random.default_rng(self.config.seed)
        pattern = [self.engine.render(0, rng.standard_normal(2).astype(np.float32)) for _ in range(bars)]
        folder = Path(self.config.render_dir)
        written: list[Path] = []
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            self._problem(f"demo render: cannot make {folder}: {err}")
            return written
        for path, write in ((folder / "rvae-demo.wav", write_wav), (folder / "rvae-demo.mid", write_bars)):
            try:
                write(path, pattern, self.clock.bpm)
                written.append(path)
            except OSError as err:
                self._problem(f"demo render: could not write {path}: {err}")
        if written:
            self.rendered = written
            log.info("no output to play to: rendered %d bars of %r to %s", bars, self.default_model,
                     " and ".join(str(p) for p in written))  # fmt: skip
        return written

    def _problem(self, text: str) -> None:
        self.problems.append(text)
        log.warning("%s", text)

    def _open_clock(self) -> Clock:
        cfg = self.config
        try:
            if cfg.clock == "midi":
                assert cfg.clock_in is not None  # validated by the config
                return MidiClockFollower(cfg.clock_in, cfg.midi_backend, bpm_hint=cfg.bpm)
            if cfg.clock == "link":
                return LinkClock(cfg.bpm, start_stop_sync=cfg.link_start_stop, join=cfg.link_join)
        except Exception as err:  # the performer asked for this clock: without it there is no timing
            raise StartError(f"cannot open the {cfg.clock} clock: {err}") from None
        return InternalClock(cfg.bpm)

    def _open_audio(self) -> None:
        try:
            from rvae_server.outputs.audio import AudioOutput

            out = AudioOutput(self.config.audio_device, tones=self.config.melody)
            out.start()
        except Exception as err:
            self._problem(f"audio: could not open ({err}); playing without built-in sound")
            return
        self.audio_out = out
        self.sinks.append(AudioSink(out))
        log.info("audio: built-in drum kit playing")

    def _open_state(self) -> None:
        """The controller map and the saved performance state; then what the performer gave explicitly wins."""
        from rvae_server.core.notemaps import parse_note_map
        from rvae_server.session.state import StateKeeper
        from rvae_server.surfaces.controllers import CCMapper, MapError, kaoss_pad_map

        assert self.engine is not None
        cfg = self.config
        map_path = Path(cfg.controller_map).expanduser() if cfg.controller_map else None
        self.mapper = CCMapper(self.engine, kaoss_pad_map(cfg.controller_channel), map_path)
        try:
            self.mapper.load()
        except (MapError, OSError) as err:
            self._problem(f"controller map: {err}; using the Kaoss Pad map")
        path = cfg.state_path()
        if path is not None:
            self.state_keeper = StateKeeper(self.engine, path, self.mapper)
            self.restored = self.state_keeper.restore()
        if "bpm" in cfg.explicit:
            self.engine.set_bpm(cfg.bpm)
        for layer in range(self.engine.layer_count):
            changes: dict[str, Any] = {}
            if "layer_channels" in cfg.explicit:
                changes["channel"] = cfg.channel_of(layer)
            if "model" in cfg.explicit and layer == 0:
                changes["model"] = self.default_model
            if cfg.note_map:  # your drum machine's notes (core/notemaps.py): the config wins over the saved state
                chosen = parse_note_map(cfg.note_map)
                changes.update(notes=chosen.notes, channels=chosen.channels)
            if changes:
                self.engine.update(layer, **changes)

    def _open_controllers(self) -> None:
        from rvae_server.surfaces.controllers import ControllerInput

        assert self.mapper is not None  # made by _open_state
        try:
            self.controllers = ControllerInput(self.mapper, self.config.controller_in, self.midi.backend)
        except Exception as err:  # MidiError, or rtmidi's own errors for a missing backend
            self._problem(f"controller in: could not open ({err}); no MIDI controller input")

    def _open_training(self) -> TrainingService:
        from rvae_server.session.trainjobs import TrainingService

        assert self.engine is not None
        cfg = self.config
        if cfg.upload_dir is not None:
            upload = Path(cfg.upload_dir).expanduser()
        else:
            from rvae_server.core.tempdirs import OwnedTempDir

            self._upload_tmp = OwnedTempDir(UPLOAD_PREFIX)
            upload = self._upload_tmp.path
        self.upload_dir = upload
        self.clip_dirs = [Path(d).expanduser() for d in cfg.clip_dirs] + [upload]
        models_dir = search_dirs(cfg.models_dir)[0]
        training = TrainingService(
            self.engine,
            models_dir,
            self.clip_dirs,
            epochs=cfg.train_epochs,
            seed=cfg.seed if cfg.seed is not None else 0,
        )
        training.add_listener(self._on_training_event)
        self.training = training
        log.info("training: new models go to %s; clips from %s", models_dir, ", ".join(map(str, self.clip_dirs)))
        return training

    def _on_training_event(self, event: dict[str, Any]) -> None:
        """Training events on to OSC's feedback clients (the web page listens to the service itself)."""
        osc = self.osc
        if osc is None:
            return
        kind = event.get("type")
        if kind == "train-progress":
            osc.train_progress(event["epoch"], event["epochs"], event["train_loss"], event["val_loss"])
        elif kind == "train-done":
            report = event.get("report")
            if isinstance(report, dict):
                osc.train_report(event["name"], report)
            osc.train_done(event["name"], event.get("layers", []))
        elif kind == "train-failed":
            osc.train_failed(str(event["error"]))
        elif kind == "train-cancelled":
            osc.train_failed("cancelled")

    def _open_follow(self) -> None:
        from rvae_server.surfaces.follow import Follower, FollowInput

        assert self.engine is not None
        follower = Follower(self.engine)
        try:
            self.follow_input = FollowInput(follower, self.config.follow_in, self.midi.backend)
        except Exception as err:  # MidiError, or rtmidi's own errors for a missing backend
            follower.close()
            self._problem(f"follow in: could not open ({err}); no follow mode")

    def _attach_capture(self) -> None:
        from rvae_server.core.config import default_capture_dir

        assert self.capture_sink is not None
        folder = self.config.capture_dir or default_capture_dir()
        self.capture = Capture(self.capture_sink, folder)
        if self.osc is not None:
            self.osc.attach_capture(self.capture)
        if self.web is not None:
            self.web.attach_capture(self.capture)

    def _open_osc(self) -> None:
        from rvae_server.surfaces.osc.server import start_osc

        assert self.engine is not None
        cfg = self.config
        try:
            self.osc = start_osc(
                self.engine,
                host=cfg.osc_host,
                port=cfg.osc_port,
                allow=cfg.osc_allow,
                clip_dirs=self.clip_dirs,
                training=self.training,
                learner=self.mapper if self.controllers is not None else None,
                feedback_clients=cfg.feedback_clients(),
            )
        except OSError as err:
            self._problem(f"OSC: cannot listen on udp {cfg.osc_host}:{cfg.osc_port} ({err.strerror or err})")

    def _open_web(self) -> None:
        from rvae_server.web import start_web

        assert self.engine is not None
        cfg = self.config
        try:
            self.web = start_web(
                self.engine, host=cfg.http_host, port=cfg.http_port, training=self.training, upload_dir=self.upload_dir,
                allowed_hosts=cfg.http_allow_hosts, token=cfg.http_token,
            )  # fmt: skip
        except OSError as err:
            self._problem(f"web page: cannot listen on http {cfg.http_host}:{cfg.http_port} ({err.strerror or err})")

    def describe(self) -> list[str]:
        """What the daemon listens on and plays to, one line each (printed at start): see :mod:`.report`."""
        return report(self)

    # ------------------------------------------------------------------ run and stop

    def wait(self, stop: threading.Event) -> None:
        """Block until ``stop`` is set (by a signal handler)."""
        while not stop.wait(0.5):
            pass

    def close(self) -> None:
        """All notes off on every channel used, ports closed. Idempotent."""
        if self._closed:
            return
        self._closed = True
        _close_each(self.web, self.osc, self.controllers, self.follow_input, self.state_keeper, self.training)
        if self._upload_tmp is not None:
            self._upload_tmp.close()
        if self.watcher is not None:
            self.watcher.close()
        if self.engine is not None:
            self.engine.stop()
            self.engine.close()
        if self.audio_out is not None:
            stats = self.audio_out.stats()
            played = sum(s.notes for s in self.sinks if isinstance(s, AudioSink))
            log.info(
                "audio: %d notes played, %d callbacks, %d underflows, %d late notes, %d errors; callback p99 %.1f%% "
                "of the block period",
                played, stats["callbacks"], stats["underflows"], stats["late_events"], stats["errors"],
                100 * stats["callback_p99"],
            )  # fmt: skip
        _close_each(self.melody_parts, self.midi, self.audio_out)
        if self.clock is not None:
            self.clock.close()
        if self.instance is not None:
            self.instance.release()
        log.info("stopped: all notes off, ports closed")
