"""MIDI CC mapping: the pure mapper (bytes in → engine state out) and a real JACK MIDI port end to end."""

from __future__ import annotations

import time

import pytest

from rvae_server.surfaces.controllers import (
    Binding,
    CCMapper,
    MapError,
    bindings_from_toml,
    bindings_to_toml,
    kaoss_pad_map,
    start_controllers,
)


def cc(channel: int, number: int, value: int) -> bytes:
    return bytes([0xB0 | (channel - 1), number, value])


def wait_for(predicate, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()


def test_kaoss_pad_xy_moves_only_while_touched(engine):
    mapper = CCMapper(engine, kaoss_pad_map(channel=2))
    mapper.feed(cc(2, 12, 127))  # not touched: ignored (the KP3 repeats its last X/Y after release)
    assert engine.state(0).x == 0.5
    mapper.feed(cc(2, 92, 127))  # touch
    mapper.feed(cc(2, 12, 127))
    mapper.feed(cc(2, 13, 0))
    assert (engine.state(0).x, engine.state(0).y) == (1.0, 0.0)
    mapper.feed(cc(1, 12, 64))  # another channel: not ours
    assert engine.state(0).x == 1.0
    mapper.feed(cc(2, 92, 0))  # release
    mapper.feed(cc(2, 12, 0))
    assert engine.state(0).x == 1.0


def test_every_kind_of_target(engine):
    mapper = CCMapper(
        engine,
        [
            Binding(0, 1, "threshold", 1),
            Binding(1, 2, "mute:snare"),
            Binding(1, 3, "play"),
            Binding(1, 4, "stop"),
            Binding(1, 5, "bpm", lo=100, hi=200),
            Binding(1, 6, "fixed_velocity"),
            Binding(1, 7, "enabled", 1),
        ],
    )
    mapper.feed(cc(9, 1, 127))  # channel 0 = any channel
    assert engine.state(1).threshold == 1.0
    mapper.feed(cc(1, 2, 100))
    assert engine.state(0).mutes[1]
    mapper.feed(cc(1, 2, 10))
    assert not engine.state(0).mutes[1]
    mapper.feed(cc(1, 5, 127))
    assert engine.clock.bpm == 200.0
    mapper.feed(cc(1, 6, 0))
    assert engine.state(0).fixed_velocity == 1
    mapper.feed(cc(1, 7, 127))
    assert engine.state(1).enabled
    mapper.feed(cc(1, 3, 127))
    assert engine.clock.running
    mapper.feed(cc(1, 4, 127))
    assert not engine.clock.running


@pytest.mark.parametrize(
    "message", [b"", b"\xb0", b"\xb0\x0c", b"\x90\x0c\x7f", b"\xb0\x0c\x7f\x00", b"\xb0\x8c\x7f", b"\xf8\x00\x00"]
)
def test_anything_else_is_ignored(engine, message):
    mapper = CCMapper(engine, [Binding(0, 12, "x")])
    before = engine.state(0)
    assert mapper.feed(message) == []
    assert engine.state(0) == before


def test_a_binding_to_a_missing_layer_is_logged_not_raised(engine):
    mapper = CCMapper(engine, [Binding(1, 12, "x", layer=5)])
    mapper.feed(cc(1, 12, 127))
    assert mapper.errors == 1


def test_midi_learn_binds_the_next_control_and_saves(engine, tmp_path):
    path = tmp_path / "maps" / "controller.toml"
    mapper = CCMapper(engine, kaoss_pad_map(), path)
    learned = []
    mapper.add_listener(learned.append)
    mapper.learn("noise", 1)
    mapper.feed(cc(1, 92, 127))  # the pad's touch is a gate: not learned
    assert mapper.learning == ("noise", 1)
    mapper.feed(cc(5, 74, 64))
    assert learned == [Binding(5, 74, "noise", 1)] and mapper.learning is None
    assert engine.state(1).noise == pytest.approx(64 / 127)
    reloaded = CCMapper(engine, [], path)
    assert reloaded.load() and reloaded.bindings == mapper.bindings
    # learning a control that is already bound replaces its binding
    mapper.learn("threshold")
    mapper.feed(cc(5, 74, 0))
    assert [b.target for b in mapper.bindings if b.cc == 74] == ["threshold"]
    with pytest.raises(ValueError, match="cannot learn"):
        mapper.learn("volume")
    with pytest.raises(ValueError, match="layer must be"):
        mapper.learn("x", 7)


def test_map_files_round_trip_and_bad_ones_are_named(engine, tmp_path):
    bindings = [*kaoss_pad_map(3), Binding(0, 20, "bpm", 0, lo=90.0, hi=150.0)]
    assert bindings_from_toml(bindings_to_toml(bindings)) == bindings
    for text, expect in [
        ("[[binding]]\ncc = 12\ntarget = 'x'\nchannel = 17", "channel must be"),
        ("[[binding]]\ncc = 12\ntarget = 'volume'\nchannel = 1", "target must be"),
        ("[[binding]]\ncc = 12\ntarget = 'x'\nchannel = 1\ncolour = 'red'", "unknown key"),
        ("binding = 3", "array of tables"),
        ("[[binding", "not valid TOML"),
    ]:
        with pytest.raises(MapError, match=expect):
            bindings_from_toml(text, "my.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[[binding]]\ncc = 500\n")
    mapper = CCMapper(engine, kaoss_pad_map(), broken)
    assert mapper.load() is False and mapper.bindings == kaoss_pad_map()  # kept the default


def test_a_kaoss_pad_on_a_jack_port_moves_the_pad(jack_server, engine, tmp_path):
    import rtmidi

    controllers = start_controllers(engine, None, "jack", tmp_path / "map.toml", channel=1)
    pad = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name="fake-kp3")
    try:
        pad.open_virtual_port("out")
        target = next(p for p in jack_server.ports() if p.endswith("controller in"))
        jack_server.connect("fake-kp3:out", target)
        pad.send_message([0xB0, 12, 127])  # not touched: ignored
        time.sleep(0.1)
        assert engine.state(0).x == 0.5
        for message in ([0xB0, 92, 127], [0xB0, 12, 127], [0xB0, 13, 32]):
            pad.send_message(message)
        assert wait_for(lambda: engine.state(0).y == pytest.approx(32 / 127))
        assert engine.state(0).x == 1.0
        # MIDI learn over the same port
        controllers.mapper.learn("threshold")
        pad.send_message([0xB0, 1, 0])
        assert wait_for(lambda: engine.state(0).threshold == 0.0)
        reloaded = CCMapper(engine, [], tmp_path / "map.toml")
        assert reloaded.load() and Binding(1, 1, "threshold") in reloaded.bindings
    finally:
        pad.close_port()
        pad.delete()
        controllers.close()


def test_controller_port_by_name(jack_server, engine):
    import rtmidi

    from rvae_server.system.midiports import MidiPortError

    pad = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name="kp3-named")
    try:
        pad.open_virtual_port("midi out")
        controllers = start_controllers(engine, "kp3-named", "jack")
        try:
            pad.send_message([0xB0, 92, 127])
            pad.send_message([0xB0, 12, 0])
            assert wait_for(lambda: engine.state(0).x == 0.0)
        finally:
            controllers.close()
        with pytest.raises(MidiPortError, match="no MIDI input port matches"):
            start_controllers(engine, "no-such-pad", "jack")
    finally:
        pad.close_port()
        pad.delete()
