"""What the server and its player process say to each other (session/player/wire.py): every message reads back as
it was written, and a message that cannot be read is refused with a reason, never half-applied."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest

from rvae_server.core.bar import Bar
from rvae_server.engine.clock.base import Transport
from rvae_server.engine.clock.mirror import Timeline
from rvae_server.engine.plans import Plan
from rvae_server.session.player import wire


def a_plan(channels: bool = False, lengths: bool = False) -> Plan:
    n = 5
    return Plan(
        1, 7, Bar.empty(), 7 * 96 + np.array([-0.4, 0.0, 12.5, 48.0, 95.2]), np.array([0, 0, 12, 48, 95]),
        np.array([0, 2, 1, 0, 2]), np.array([36, 42, 38, 36, 42]), np.array([100, 64, 90, 127, 1]), 10, "groove-all",
        lengths=np.full(n, 6.0) if lengths else None,
        channels=np.array([10, 3, 10, 10, 3]) if channels else None,
    )  # fmt: skip


@pytest.mark.parametrize(("channels", "lengths"), [(False, False), (True, False), (False, True)])
def test_a_plan_reads_back_as_it_was_written(channels: bool, lengths: bool) -> None:
    item = a_plan(channels, lengths)
    message = wire.plan(wire.LINES if lengths else wire.DRUMS, item)
    table, back = wire.read_plan(message[1:])
    assert table == (wire.LINES if lengths else wire.DRUMS)
    assert (back.layer, back.bar_number, back.channel, back.model) == (1, 7, 10, "groove-all")
    for field in ("positions", "ticks", "instruments", "notes", "velocities"):
        assert np.array_equal(getattr(back, field), getattr(item, field)), field
    assert (back.channels is None) == (not channels)
    if channels:
        assert back.channels is not None and back.channels.tolist() == [10, 3, 10, 10, 3]
    assert (back.lengths is None) == (not lengths)


def test_timelines_specs_and_frames_read_back() -> None:
    line = Timeline(4, True, 123.25, 96.0, 68.0, 3.5, 170.0)
    assert wire.read_timeline(wire.timeline(line, Transport.START)[1:]) == (line, Transport.START)
    assert wire.read_timeline(wire.timeline(line)[1:]) == (line, None)
    spec = wire.PlayerSpec(wire.PortSpec("Live", "R-VAE", "jack", 0.08, -0.02), None, wire.FollowSpec("clk"), True, 9)
    assert wire.PlayerSpec.from_json(spec.to_json()) == spec
    read, write = os.pipe()
    wire.write_frame(write, b"hello")
    os.close(write)
    with os.fdopen(read, "rb") as stream:
        assert wire.read_frame(stream) == b"hello" and wire.read_frame(stream) is None


def test_what_cannot_be_read_is_refused_with_a_reason() -> None:
    good = wire.plan(wire.DRUMS, a_plan())[1:]
    with pytest.raises(wire.WireError, match="bytes"):
        wire.read_plan(good[:-3])  # cut short
    with pytest.raises(wire.WireError, match="order"):
        wire.read_plan(_reversed())  # positions out of playing order
    with pytest.raises(wire.WireError, match="velocities"):
        wire.read_plan(_with(velocities=np.array([100, 0, 90, 127, 1])))
    with pytest.raises(wire.WireError, match="timeline"):
        wire.read_timeline(b"\x00" * 3)
    with pytest.raises(wire.WireError, match="player spec"):
        wire.PlayerSpec.from_json('{"drums": {"port": 1}}')
    with pytest.raises(wire.WireError, match="frame"):
        wire.read_frame(io.BytesIO((wire.MAX_FRAME + 1).to_bytes(4, "little")))


def _with(**changes: object) -> bytes:
    from dataclasses import replace

    return wire.plan(wire.DRUMS, replace(a_plan(), **changes))[1:]


def _reversed() -> bytes:
    item = a_plan()
    return _with(positions=item.positions[::-1].copy())


def test_the_process_silences_every_channel_its_plans_use() -> None:
    """All notes off at a stop reaches an instrument on a channel of its own, as in the server's player."""
    from rvae_server.session.player.child import Mirror

    mirror = Mirror()
    mirror.put(wire.DRUMS, wire.read_plan(wire.plan(wire.DRUMS, a_plan(channels=True))[1:])[1])
    assert mirror.channels() == [3, 10]
    mirror.put(wire.LINES, a_plan(lengths=True))  # the melody's lines have their own port and channel
    assert mirror.channels() == [3, 10]
