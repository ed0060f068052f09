"""The start-up report of ``rvae serve``: what it listens on and plays to, where its files are, what it could
not open — one line each."""

from __future__ import annotations

from typing import Any

from rvae_server.model.library import search_dirs
from rvae_server.session.melody import describe as describe_melody


def report(daemon: Any) -> list[str]:
    """What the daemon (:class:`rvae_server.session.daemon.Daemon`, opened) listens on and plays to, one line each
    (printed at start)."""
    assert daemon.clock is not None
    lines = [f"clock: {daemon.config.clock} at {daemon.clock.bpm:.1f} BPM"]
    lines.append(f"models: {', '.join(sorted(daemon.models))} (default {daemon.default_model!r})")
    if daemon.engine is not None:
        for k in range(daemon.engine.layer_count):
            st = daemon.engine.state(k)
            playing = "playing" if st.enabled else "silent"
            lines.append(
                f"layer {k + 1}: {playing} model {st.model!r} at XY ({st.x:g}, {st.y:g}), "
                f"threshold {st.threshold:g}, channel {st.channel}"
            )
    midi = daemon.midi
    if "drums" in midi.names:
        shift = f", latency offset {daemon.config.midi_out_latency:+g} ms" if daemon.config.midi_out_latency else ""
        clock = " (with MIDI clock)" if midi.sends_clock else ""
        lines.append(f"MIDI out: {midi.names['drums']!r}{clock}{shift}, sent from {midi.describe()}")
    if daemon.audio_out is not None:
        lines.append("audio: built-in drum kit")
    if daemon.osc is not None:
        lines.append(f"OSC: listening on udp {daemon.osc.host}:{daemon.osc.port}")
    if daemon.web is not None:
        lines.append(f"web page: {daemon.web.url}")
    if daemon.controllers is not None:
        lines.append(f"controller in: {daemon.controllers.name!r} ({len(daemon.mapper.bindings)} bindings)")
    if daemon.follow_input is not None:
        lines.append(f"follow in: {daemon.follow_input.name!r} (drums to follow: /rvae/follow 1)")
    if daemon.capture is not None:
        lines.append(f"capture: to {daemon.capture.folder} (/rvae/capture/last BARS NAME)")
    if daemon.training is not None:
        lines.append(f"training: clip folders {', '.join(map(str, daemon.clip_dirs))}")
    if daemon.state_keeper is not None:
        lines.append(_state(daemon))
    lines.extend(_places(daemon))
    lines.extend(describe_melody(daemon))
    lines.extend(f"not available: {p}" for p in daemon.problems)
    if daemon.rendered:
        lines.append(f"no MIDI or audio output: rendered {', '.join(map(str, daemon.rendered))} to listen to")
    return lines


def _state(daemon: Any) -> str:
    """Where the performance state comes from and goes to — or plainly that it is not saved, and that a second
    server on the same state file goes unnoticed when its lock could not be taken."""
    keeper = daemon.state_keeper
    locked = daemon.instance is not None and daemon.instance.lock_path is not None
    unlocked = "" if locked else "; a second server on this state file is not detected (no lock)"
    if keeper.problem is not None:
        restored = f"restored from {keeper.path}, " if daemon.restored else ""
        return f"state: {restored}not saved: {keeper.problem}: the performance is not kept for the next start{unlocked}"
    how = "restored from" if daemon.restored else "saved to"
    return f"state: {how} {keeper.path}{unlocked}"


def _places(daemon: Any) -> list[str]:
    """Where this machine keeps rvae's files (the config read, trained models), for the start-up report."""
    from rvae_server.core import places

    default = places.config_file()
    if daemon.config_path is not None:
        config = f"config: read {daemon.config_path}"
    else:
        config = f"config: none (rvae reads {default} when it exists; --config FILE)"
    new_models = search_dirs(daemon.config.models_dir)[0]
    return [config, f"models: trained models are saved to {new_models} (rvae models lists them)"]
