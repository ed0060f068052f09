"""What each incoming address does: the handlers of the address table. They only call the engine's control API
and the server's hooks, and answer through :meth:`Call.reply`."""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rvae_server.core.names import InvalidName, model_name
from rvae_server.model.clip_folders import TrainingRefused, resolve_clip_folder
from rvae_server.surfaces.osc.clipsend import clip_messages
from rvae_server.surfaces.osc.feedback import state_messages
from rvae_server.surfaces.osc.spec import PREFIX, Call, Handler, Host, OscArgError


def confine_folder(folder: str, allowed: Sequence[str | os.PathLike[str]]) -> Path:
    """The existing folder ``folder`` names inside one of the ``allowed`` clip folders, resolved (symlinks
    followed): :func:`rvae_server.model.clip_folders.resolve_clip_folder` (the one rule for clip folders from the
    network), which must name a folder here. Refusals raise :class:`OscArgError` with its message."""
    try:
        real = resolve_clip_folder(folder, allowed)
    except TrainingRefused as err:
        raise OscArgError(str(err)) from None
    if not real.is_dir():
        raise OscArgError(f"{folder!r} is not a folder")
    return real


def set(field_name: str) -> Handler:
    def handler(server: Host, call: Call) -> None:
        call.warn(server.engine.update(call.layer, **{field_name: call.args[0]}))

    return handler


def xy(server: Host, call: Call) -> None:
    call.warn(server.engine.update(call.layer, x=call.args[0], y=call.args[1]))


def mute(server: Host, call: Call) -> None:
    call.warn(server.engine.set_mute(call.layer, call.args[0], call.args[1]))


def model(server: Host, call: Call) -> None:
    server.engine.update(call.layer, model=call.args[0])


def enable(server: Host, call: Call) -> None:
    server.engine.update(call.layer, enabled=call.args[0])


def velocity(server: Host, call: Call) -> None:
    changes: dict[str, Any] = {"velocity_mode": call.args[0]}
    if len(call.args) > 1:
        changes["fixed_velocity"] = call.args[1]
    call.warn(server.engine.update(call.layer, **changes))


def bpm(server: Host, call: Call) -> None:
    call.warn(server.engine.set_bpm(call.args[0]))


def play(server: Host, call: Call) -> None:
    if _external_transport(server, call):
        return
    if not server.engine.clock.running:
        server.engine.play()


def stop(server: Host, call: Call) -> None:
    if _external_transport(server, call):
        return
    server.engine.stop()


def _external_transport(server: Host, call: Call) -> bool:
    """Under a clock whose transport belongs to another device (the MIDI clock follower), say so instead."""
    if not getattr(server.engine.clock, "external_transport", False):
        return False
    verb = call.address.rpartition("/")[2]
    call.warn([f"the transport follows the MIDI clock master: {verb} it there (this server only follows)"])
    return True


def state(server: Host, call: Call) -> None:
    snapshot = server.engine.snapshot()
    call.reply(f"{PREFIX}/state/json", json.dumps(snapshot, separators=(",", ":")))
    call.replies.extend(state_messages(snapshot, None))


def models(server: Host, call: Call) -> None:
    call.reply(f"{PREFIX}/models", *sorted(server.engine.models))


def train(server: Host, call: Call) -> None:
    if server.training is None:
        raise OscArgError("training is not available in this server")
    folder = confine_folder(call.args[0], server.clip_dirs)
    try:
        name = model_name(call.args[1])  # the name enters here: the training service trusts it
    except InvalidName as err:
        raise OscArgError(str(err)) from None
    try:
        job = server.training.start(str(folder), name, [call.layer])
    except (ValueError, RuntimeError, OSError) as err:
        raise OscArgError(str(err)) from None
    call.reply(f"{PREFIX}/train/started", str(job), name, call.layer + 1)


def train_cancel(server: Host, call: Call) -> None:
    if server.training is None:
        raise OscArgError("training is not available in this server")
    cancelled = server.training.cancel()
    call.reply(f"{PREFIX}/train/cancelled", 1 if cancelled else 0)


def undo_model(server: Host, call: Call) -> None:
    if server.training is None:
        raise OscArgError("training is not available in this server (nothing to undo)")
    try:
        name = server.training.undo_model(call.layer)
    except (ValueError, RuntimeError) as err:
        raise OscArgError(str(err)) from None
    call.reply(f"{PREFIX}/undone", call.layer + 1, str(name))


def learn(server: Host, call: Call) -> None:
    if server.learner is None:
        raise OscArgError("no MIDI controller input is open on this server (controller-in)")
    target = call.args[0]
    if target in ("cancel", "none"):
        call.reply(f"{PREFIX}/learn/cancelled", 1 if server.learner.cancel_learn() else 0)
        return
    try:
        server.learner.learn(target, call.layer)
    except ValueError as err:
        raise OscArgError(str(err)) from None
    call.reply(f"{PREFIX}/learn/armed", target, call.layer + 1)


def feedback(server: Host, call: Call) -> None:
    if len(call.args) == 1:
        raise OscArgError("give host and port, or no arguments (feedback to this sender's address)")
    if not call.args:
        if call.client is None:
            raise OscArgError("no sender address to send feedback to")
        dest = call.client
    else:
        host, port = call.args
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            raise OscArgError(f"host must be an IP address (no names are looked up), not {host!r}") from None
        if not 0 <= port <= 65535:
            raise OscArgError(f"port must be 0..65535, not {port}")
        sender = call.client[0] if call.client else None
        if str(ip) != sender and not server.allowed(str(ip)):
            raise OscArgError(f"feedback only to this sender's host or an allowed host, not {host}")
        dest = (str(ip), port)
        if port == 0:  # removes what this sender registered for that host, nobody else's
            removed = server.remove_client(dest[0], call.client)
            call.reply(f"{PREFIX}/feedback/removed", dest[0], removed)
            return
    try:
        server.add_client(dest, call.client)
    except ValueError as err:
        raise OscArgError(str(err)) from None
    call.reply(f"{PREFIX}/feedback/added", dest[0], dest[1])
    state(server, call)


def melody(field_name: str) -> Handler:
    """A melody layer setting (the engine checks and clamps; no melody layer is an error)."""

    def handler(server: Host, call: Call) -> None:
        call.warn(server.engine.update_melody(**{field_name: call.args[0]}))

    return handler


def melody_layer(server: Host, call: Call) -> None:
    layer = call.args[0]
    if not 1 <= layer <= server.engine.layer_count:
        raise OscArgError(f"layer must be 1..{server.engine.layer_count}, not {layer}")
    server.engine.update_melody(layer=layer - 1)


def plans(server: Host, call: Call) -> None:
    if call.client is None:
        raise OscArgError("no sender address to send plans to")
    on = call.args[0]
    port = call.args[1] if len(call.args) > 1 else call.client[1]
    if not 1 <= port <= 65535:
        raise OscArgError(f"port must be 1..65535, not {port}")
    dest = (call.client[0], port)
    try:  # refused: too many subscribers, or a stop asked by a socket that did not subscribe
        server.subscribe_plans(dest, call.layer, on, call.client)
    except ValueError as err:
        raise OscArgError(str(err)) from None
    call.reply(f"{PREFIX}/plans/subscribed", call.layer + 1, port, 1 if on else 0)


# ------------------------------------------------------------------ motion, shaping, presets, follow, capture


def lfo(target: str) -> Handler:
    def handler(server: Host, call: Call) -> None:
        call.warn(server.engine.set_lfo(call.layer, target, *call.args))

    return handler


def path(server: Host, call: Call) -> None:
    shape, bars, size, points = (*call.args, None, None, None)[:4]
    call.warn(server.engine.set_path(call.layer, shape, bars, size, points))


def touch(server: Host, call: Call) -> None:
    server.engine.touch(call.layer, call.args[0])


def gesture(action: str) -> Handler:
    def handler(server: Host, call: Call) -> None:
        call.warn(server.engine.gesture(call.layer, action, call.args[0] if call.args else None))

    return handler


def swing(server: Host, call: Call) -> None:
    call.warn(server.engine.set_swing(call.layer, *call.args))


def density(server: Host, call: Call) -> None:
    call.warn(server.engine.set_density(call.layer, call.args[0], call.args[1]))


def preset_store(server: Host, call: Call) -> None:
    server.engine.preset_store(call.layer, call.args[0])
    call.reply(f"{PREFIX}/preset/stored", call.layer + 1, call.args[0])


def preset_recall(server: Host, call: Call) -> None:
    call.warn(server.engine.preset_recall(call.layer, *call.args))


def preset_morph(server: Host, call: Call) -> None:
    call.warn(server.engine.set_morph(call.layer, *call.args))


def follow(server: Host, call: Call) -> None:
    call.warn(server.engine.set_follow(call.layer, *call.args))


def glide(server: Host, call: Call) -> None:
    call.warn(server.engine.glide(call.layer, *call.args))


def encode(server: Host, call: Call) -> None:
    from rvae_server.surfaces.encoding import encode_clip

    points = encode_clip(server.engine, call.layer, call.args[0], server.clip_dirs)
    call.reply(f"{PREFIX}/encoded", call.layer + 1, points[0][0], points[0][1], len(points))


def _capture(server: Host) -> Any:
    if server.capture is None:
        raise OscArgError("capture is not available in this server")
    return server.capture


def capture_last(server: Host, call: Call) -> None:
    try:
        written, count = _capture(server).last(call.args[0], call.args[1])
    except ValueError as err:
        raise OscArgError(str(err)) from None
    call.reply(f"{PREFIX}/captured", written, count)


def capture_start(server: Host, call: Call) -> None:
    _capture(server).start()
    call.reply(f"{PREFIX}/capture/started", 1)


def capture_stop(server: Host, call: Call) -> None:
    try:
        written, count = _capture(server).stop(call.args[0])
    except ValueError as err:
        raise OscArgError(str(err)) from None
    call.reply(f"{PREFIX}/captured", written, count)


def note(server: Host, call: Call) -> None:
    """One instrument's output note (and channel: 0 = the layer's)."""
    from rvae_server.core.notemaps import NoteMap

    state = server.engine.state(call.layer)
    try:
        changed = NoteMap(state.notes, state.channels).with_entry(
            call.args[0], call.args[1], call.args[2] if len(call.args) > 2 else None
        )
    except ValueError as err:
        raise OscArgError(str(err)) from None
    call.warn(server.engine.update(call.layer, notes=changed.notes, channels=changed.channels))


def notes(server: Host, call: Call) -> None:
    """Every instrument's note and channel from a preset note map."""
    from rvae_server.core.notemaps import preset

    try:
        chosen = preset(call.args[0])
    except ValueError as err:
        raise OscArgError(str(err)) from None
    call.warn(server.engine.update(call.layer, notes=chosen.notes, channels=chosen.channels))


def capture_clip(server: Host, call: Call) -> None:
    """The last bars of this layer from the capture's ring buffer, as ``/rvae/clip`` datagrams (for a Live clip)."""
    try:
        bars, played = _capture(server).last_notes(call.args[0], call.layer)
    except ValueError as err:
        raise OscArgError(str(err)) from None
    for address, args in clip_messages(call.layer, bars, played):
        call.reply(address, *args)
