"""The OSC surface over real UDP on loopback: a real server (port 0), a real Engine on an InternalClock with the
kit's synthetic model, and the kit's OSC client (python-osc's SimpleUDPClient for the plain case); the server rig is
the ``osc_rig`` fixture (tests/conftest.py)."""

from __future__ import annotations

import math
import os
import struct
import time
from pathlib import Path

import pytest
from pythonosc.udp_client import SimpleUDPClient

from rvae_server.engine.clock import InternalClock
from rvae_server.engine.engine import Engine
from rvae_server.surfaces.controllers import CCMapper
from rvae_server.surfaces.osc.handlers import confine_folder
from rvae_server.surfaces.osc.packets import build_message
from rvae_server.surfaces.osc.server import MAX_DATAGRAM, start_osc
from rvae_server.surfaces.osc.spec import OscArgError
from rvae_server.surfaces.osc.table import ADDRESSES, handles, table_as_dict, table_as_json, table_as_markdown
from rvae_server.testing import FakeTraining, OscClient, SyntheticModel

ROOT = Path(__file__).resolve().parents[1]


def errors(messages):
    return [args for address, args in messages if address == "/rvae/error"]


def wait_for(predicate, timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()


# ------------------------------------------------------------------------------------------ the table


def test_the_table_is_the_single_source():
    assert (ROOT / "docs" / "osc.md").read_text(encoding="utf-8") == table_as_markdown()
    table = table_as_dict()
    assert [e["address"] for e in table["addresses"]] == [e.address for e in ADDRESSES]
    assert '"/rvae/xy"' in table_as_json()
    required = ["xy", "x", "y", "threshold", "noise", "mute", "model", "bpm", "play", "stop", "velocity"]
    required += ["timing", "train", "train/cancel", "state", "models", "learn", "feedback", "undo/model"]
    for verb in required:
        assert handles(f"/rvae/{verb}"), verb
    assert handles("/rvae/layer/2/xy") and handles("/rvae/layer/8/mute")
    assert not handles("/rvae/layer/2/bpm")  # global
    assert not handles("/rvae/layer/0/xy") and not handles("/rvae/layer/9/xy") and not handles("/rvae/nothing")
    assert not handles("/rvae/*")


# ------------------------------------------------------------------------------------------ controls


def test_controls_change_the_engine(osc_rig):
    engine, server, client, _ = osc_rig
    sc = SimpleUDPClient("127.0.0.1", server.port)
    sc.send_message("/rvae/xy", [0.25, 0.75])
    sc.send_message("/rvae/threshold", 0.3)
    sc.send_message("/rvae/noise", 0.1)
    sc.send_message("/rvae/layer/2/x", 0.9)
    sc.send_message("/rvae/layer/2/enable", 1)
    sc.send_message("/rvae/mute", ["snare", 1])
    sc.send_message("/rvae/mute", [2, 1])
    sc.send_message("/rvae/layer/2/model", "b")
    sc.send_message("/rvae/velocity", ["fixed", 90])
    sc.send_message("/rvae/timing", 0.5)
    sc.send_message("/rvae/channel", 11)
    sc.send_message("/rvae/bpm", 140)
    assert wait_for(lambda: engine.clock.bpm == 140.0)
    s0, s1 = engine.state(0), engine.state(1)
    assert (s0.x, s0.y, s0.threshold, s0.noise) == (0.25, 0.75, pytest.approx(0.3), pytest.approx(0.1))
    assert s0.mutes[1] and s0.mutes[2] and not s0.mutes[0]
    assert (s0.velocity_mode, s0.fixed_velocity, s0.timing, s0.channel) == ("fixed", 90, 0.5, 11)
    assert (s1.x, s1.enabled, s1.model) == (pytest.approx(0.9), True, "b")
    client.send("/rvae/play")
    assert wait_for(lambda: engine.clock.running)
    client.send("/rvae/stop")
    assert wait_for(lambda: not engine.clock.running)
    assert server.handled == 14


def test_state_and_models_replies(osc_rig):
    engine, _, client, _ = osc_rig
    engine.update(1, x=0.125)
    replies = client.ask("/rvae/state")
    addresses = [a for a, _ in replies]
    assert addresses[0] == "/rvae/state/json"
    import json

    snapshot = json.loads(replies[0][1][0])
    assert snapshot["layers"][1]["x"] == 0.125 and snapshot["models"] == ["a", "b"]
    assert ["/rvae/state/layer", [2, "x", 0.125]] in [[a, p] for a, p in replies]
    assert ("/rvae/state/models", ["a", "b"]) in replies
    assert client.ask("/rvae/models") == [("/rvae/models", ["a", "b"])]


def test_out_of_range_is_clamped_and_reported(osc_rig):
    engine, _, client, _ = osc_rig
    replies = client.ask("/rvae/x", 1.5)
    assert engine.state(0).x == 1.0
    assert replies and replies[0][0] == "/rvae/warning" and replies[0][1][0] == "/rvae/x"
    assert "clamped to 1" in replies[0][1][1]


@pytest.mark.parametrize(
    ("address", "args", "expect"),
    [
        ("/rvae/x", [], "takes 1 argument"),
        ("/rvae/x", [0.1, 0.2], "takes 1 argument"),
        ("/rvae/x", ["high"], "must be a number"),
        ("/rvae/x", [float("nan")], "finite"),
        ("/rvae/xy", [float("inf"), 0.5], "finite"),
        ("/rvae/mute", ["cowbell", 1], "unknown instrument"),
        ("/rvae/mute", [12, 1], "out of range"),
        ("/rvae/model", ["nope"], "unknown model"),
        ("/rvae/velocity", ["loud"], "must be one of model, fixed"),
        ("/rvae/channel", [2.5], "whole number"),
        ("/rvae/nothing", [], "unknown address"),
        ("/rvae/layer/3/x", [0.5], "layer 3 does not exist"),
        ("/rvae/*", [], "patterns are not supported"),
        ("/rvae/train", ["set1", "m"], "training is not available in this server"),
        ("/rvae/learn", ["x"], "no MIDI controller input"),
        ("/rvae/feedback", ["example.com", 9001], "IP address"),
        ("/rvae/feedback", ["10.1.2.3", 9001], "sender's host or an allowed host"),
    ],
)
def test_bad_messages_get_an_error_naming_the_address(osc_rig, address, args, expect):
    engine, _, client, _ = osc_rig
    before = engine.state(0)
    replies = client.ask(address, *args)
    errs = errors(replies)
    assert len(errs) == 1, replies
    assert errs[0][0] == address and expect in errs[0][1], errs
    assert engine.state(0) == before


def test_malformed_datagrams_get_errors_and_the_server_goes_on(osc_rig):
    engine, _, client, _ = osc_rig
    good = build_message("/rvae/x", [0.3])
    cases = {
        b"": "not an OSC message",
        b"hello world": "not an OSC message",
        good[:-2]: "truncated",  # truncated float
        b"/rvae/x\x00,f\x00\x00": "truncated",  # a tag without its value
        b"/rv\xffae\x00\x00\x00\x00": "UTF-8",  # invalid UTF-8 in the address
        build_message("/rvae/model", ["x"])[:-4] + b"\xc3\x28\x00\x00": "UTF-8",  # invalid UTF-8 in an argument
        b"/rvae/x\x00,q\x00\x00": "unsupported OSC type tag",
        b"#bundle\x00\x00\x00": "truncated",
        b"#bundle\x00" + bytes(8) + struct.pack(">i", 400) + good: "does not fit",
        b"/" + b"a" * (MAX_DATAGRAM + 10): "larger than",
    }
    for data, expect in cases.items():
        replies = _ask_raw(client, data)
        errs = errors(replies)
        assert len(errs) == 1 and expect in errs[0][1], (data[:40], replies)
    # and it still works
    client.send("/rvae/x", 0.3)
    assert wait_for(lambda: abs(engine.state(0).x - 0.3) < 1e-6)


def _ask_raw(client: OscClient, data: bytes):
    client.drain()
    client.raw(data)
    return client.receive()


def test_a_bundle_applies_in_order_at_once_even_when_timetagged_in_the_future(osc_rig):
    engine, _, client, _ = osc_rig
    from pythonosc.osc_bundle_builder import OscBundleBuilder
    from pythonosc.osc_message_builder import OscMessageBuilder

    later = time.time() + 5.0
    bundle = OscBundleBuilder(later)
    for value in (0.1, 0.2, 0.7):
        msg = OscMessageBuilder("/rvae/y")
        msg.add_arg(value)
        bundle.add_content(msg.build())
    client.raw(bundle.build().dgram)
    assert wait_for(lambda: abs(engine.state(0).y - 0.7) < 1e-6, timeout=1.0)


# ------------------------------------------------------------------------------------------ feedback


def test_feedback_clients_get_bars_and_state_changes(osc_rig):
    engine, server, client, _ = osc_rig
    replies = client.ask("/rvae/feedback", until="/rvae/state/json")
    assert ("/rvae/feedback/added", ["127.0.0.1", client.port]) in replies
    listener = OscClient(server.port)
    try:
        client.send("/rvae/feedback", "127.0.0.1", listener.port)
        listener.receive(until="/rvae/state/json")
        client.drain()
        client.send("/rvae/layer/2/threshold", 0.25)
        got = listener.receive(until="/rvae/state/layer")
        assert ("/rvae/state/layer", [2, "x", 0.5]) in got or any(a == "/rvae/state/layer" for a, _ in got)
        engine.update(0, x=0.9, y=0.9)
        client.send("/rvae/play")
        got = listener.receive(timeout=2.0, until="/rvae/bar/row")
        got += listener.receive(timeout=0.5)
        heads = [p for a, p in got if a == "/rvae/bar"]
        rows = [p for a, p in got if a == "/rvae/bar/row" and p[0] == 1]
        assert heads and heads[0][0] == 1 and heads[0][2] == "a"
        assert len(rows) >= 9 and all(len(r) == 2 + 96 for r in rows[:9])
        bar = engine.current_bar(0)
        kick = next(r for r in rows if r[1] == 0)
        expected = [round(v * 127) if o else 0 for v, o in zip(bar.velocities[:, 0], bar.onsets[:, 0], strict=True)]
        assert kick[2:] == expected and any(expected)
        # the sender's own error replies also reach its host's feedback port
        listener.drain()
        client.send("/rvae/x", "bad")
        assert errors(listener.receive(until="/rvae/error"))
        # unregister the host
        client.send("/rvae/feedback", "127.0.0.1", 0)
        client.receive(until="/rvae/feedback/removed")
        assert server.clients == []
    finally:
        listener.close()


def test_training_progress_is_broadcast(osc_rig):
    _, server, client, _ = osc_rig
    client.ask("/rvae/feedback", until="/rvae/state/json")
    server.train_progress(3, 20, 0.5, float("nan"))
    server.train_done("mine", [0, 1])
    server.train_failed("cancelled")
    got = client.receive(until="/rvae/train/failed")
    assert ("/rvae/train/done", ["mine", 1, 2]) in got and ("/rvae/train/failed", ["cancelled"]) in got
    progress = next(p for a, p in got if a == "/rvae/train/progress")
    assert progress[:2] == [3, 20] and math.isclose(progress[2], 0.5) and progress[3] == -1.0


def test_training_report_is_broadcast(osc_rig):
    _, server, client, _ = osc_rig
    client.ask("/rvae/feedback", until="/rvae/state/json")
    report = {"kept_epoch": 93, "epochs": 160, "kept_val_loss": 537.9, "kept_val_f1": 0.6, "best_val_loss": 90.1,
              "best_val_loss_epoch": 5, "train_f1": 0.95, "validation_f1": None, "warning": "add variety"}  # fmt: skip
    server.train_report("mine", report)
    server.train_done("mine", [0])
    got = dict(client.receive(until="/rvae/train/done"))
    args = got["/rvae/train/report"]
    assert args[:3] == ["mine", 93, 160] and args[6] == 5 and args[8] == -1.0 and args[9] == "add variety"
    assert math.isclose(args[3], 537.9, rel_tol=1e-6) and math.isclose(args[5], 90.1, rel_tol=1e-6)


# ------------------------------------------------------------------------------------------ training and learn


def test_train_is_confined_to_the_clip_folders(osc_rig, tmp_path):
    _, server, client, clips = osc_rig
    service = FakeTraining(previous={0: "a"})
    server.attach_training(service)
    outside = tmp_path / "secret"
    outside.mkdir()
    os.symlink(outside, clips / "escape")
    (clips / "set1" / "deeper").mkdir()
    replies = client.ask("/rvae/layer/2/train", "set1", "groove-2")
    assert ("/rvae/train/started", ["job-1", "groove-2", 2]) in replies
    assert service.started == [(str((clips / "set1").resolve()), "groove-2", [1])]
    assert ("/rvae/train/started", ["job-1", "x", 1]) in client.ask("/rvae/train", str(clips / "set1" / "deeper"), "x")
    for folder, expect in [
        ("../secret", "'..'"),
        ("set1/../../secret", "'..'"),
        (str(outside), "outside the clip folders"),
        ("escape", "outside the clip folders"),
        ("/etc", "outside the clip folders"),
        ("missing", "no folder"),
    ]:
        errs = errors(client.ask("/rvae/train", folder, "m"))
        assert errs and expect in errs[0][1], (folder, errs)
    errs = errors(client.ask("/rvae/train", "set1", "../evil"))
    assert errs and "model name" in errs[0][1]
    assert len(service.started) == 2
    assert client.ask("/rvae/train/cancel") == [("/rvae/train/cancelled", [1])]
    assert client.ask("/rvae/undo/model") == [("/rvae/undone", [1, "a"])]
    assert "no previous model" in errors(client.ask("/rvae/layer/2/undo/model"))[0][1]


def test_confine_folder_without_clip_dirs():
    with pytest.raises(OscArgError, match="no clip folders"):
        confine_folder("x", [])


def test_learn_through_osc(osc_rig):
    engine, server, client, _ = osc_rig
    mapper = CCMapper(engine, bindings=[])
    server.attach_learner(mapper)
    client.ask("/rvae/feedback", until="/rvae/state/json")
    learn = lambda msgs: [m for m in msgs if m[0].startswith("/rvae/learn")]  # noqa: E731
    assert learn(client.ask("/rvae/layer/2/learn", "threshold")) == [("/rvae/learn/armed", ["threshold", 2])]
    mapper.feed(bytes([0xB3, 21, 127]))  # channel 4, CC 21
    got = client.receive(until="/rvae/learned")
    assert ("/rvae/learned", ["threshold", 2, 4, 21]) in got
    assert engine.state(1).threshold == 1.0
    assert errors(client.ask("/rvae/learn", "volume"))
    assert learn(client.ask("/rvae/learn", "cancel")) == [("/rvae/learn/cancelled", [0])]


# ------------------------------------------------------------------------------------------ the network


def test_allow_list_drops_other_hosts(osc_rig):
    engine, _, _, _ = osc_rig
    server = start_osc(engine, host="127.0.0.1", port=0, allow=["192.168.1.0/24"])
    try:
        assert server.allowed("192.168.1.77") and server.allowed("127.0.0.1") and not server.allowed("10.0.0.1")
        assert not server.accept_from(("10.0.0.1", 5000)) and server.dropped_datagrams == 1
        assert server.accept_from(("192.168.1.77", 5000))
    finally:
        server.close()


def test_error_replies_and_logs_are_rate_limited(osc_rig, caplog):
    _, server, client, _ = osc_rig
    client.drain()
    caplog.set_level("WARNING", logger="rvae_server.surfaces.osc")
    for _ in range(300):
        client.raw(b"garbage")
    got = client.receive(timeout=1.0)
    assert 40 <= len(got) <= 120  # a burst of 50 plus the refill during the flood
    assert wait_for(lambda: server.errors >= 300)
    assert len([r for r in caplog.records if r.name == "rvae_server.surfaces.osc"]) <= 21


# ------------------------------------------------------------------------------------------ rvae osc


def test_rvae_osc_sends_and_prints_replies(osc_rig, capsys):
    from rvae_server.cli import main
    from rvae_server.cli.osc_send import parse_arg

    engine, server, _, _ = osc_rig
    assert [parse_arg(a) for a in ("3", "0.5", "s:3", "kick")] == [3, 0.5, "3", "kick"]
    assert main(["osc", "/rvae/xy", "0.25", "0.75", "--port", str(server.port), "--wait-reply", "0.3"]) == 0
    assert (engine.state(0).x, engine.state(0).y) == (0.25, 0.75)
    assert main(["osc", "/rvae/models", "--port", str(server.port), "--wait-reply", "0.3"]) == 0
    assert "/rvae/models a b" in capsys.readouterr().out
    assert main(["osc", "/rvae/x", "high", "--port", str(server.port), "--wait-reply", "0.3"]) == 1
    assert "/rvae/error /rvae/x" in capsys.readouterr().out


def test_rvae_osc_prints_what_comes_back_by_default_and_no_wait_fires_and_forgets(osc_rig, capsys):
    from rvae_server.cli import main
    from rvae_server.cli.osc_send import DEFAULT_WAIT

    engine, server, _, _ = osc_rig
    start = time.monotonic()
    assert main(["osc", "/rvae/models", "--port", str(server.port)]) == 0  # no flag: waits briefly, prints
    assert "/rvae/models a b" in capsys.readouterr().out
    assert time.monotonic() - start < DEFAULT_WAIT + 1.0
    assert main(["osc", "/rvae/state", "--port", str(server.port)]) == 0
    out = capsys.readouterr().out
    assert "/rvae/state/bpm" in out, out
    assert main(["osc", "/rvae/threshold", "0.3", "--port", str(server.port)]) == 0  # replies only on error
    assert abs(engine.state(0).threshold - 0.3) < 1e-6 and capsys.readouterr().out == ""
    assert main(["osc", "/rvae/x", "high", "--port", str(server.port)]) == 1
    assert "/rvae/error /rvae/x" in capsys.readouterr().out
    start = time.monotonic()
    assert main(["osc", "/rvae/models", "--port", str(server.port), "--no-wait"]) == 0
    assert capsys.readouterr().out == "" and time.monotonic() - start < DEFAULT_WAIT


# ------------------------------------------------------------------------------------------ never blocking


def test_engine_listeners_never_wait_for_the_network():
    from rvae_server.engine.api import EngineEvent
    from rvae_server.surfaces.osc.feedback import QUEUE_SIZE
    from rvae_server.surfaces.osc.server import OscServer

    clock = InternalClock(bpm=120.0)
    engine = Engine({"a": SyntheticModel("a")}, clock, [], default_model="a", layers=1)
    server = OscServer(engine, port=0, feedback_clients=[("127.0.0.1", 9)])  # not started: nothing drains
    try:
        bar = engine.render(0)
        start = time.perf_counter()
        for k in range(QUEUE_SIZE + 500):
            server.feedback.on_engine_event(EngineEvent("bar", {"layer": 0, "bar_number": k, "bar": bar}))
        elapsed = time.perf_counter() - start
        assert server.dropped_feedback == 500 and elapsed < 1.0
        for _ in range(1000):  # state changes coalesce into one pending marker
            server.feedback.on_engine_event(EngineEvent("state", {"layer": 0}))
        assert server.dropped_feedback == 501
    finally:
        server.close()
        clock.close()


def test_a_datagram_for_a_layer_address_reaches_that_layer(osc_rig):
    """The one dispatch path: a datagram is parsed, looked up in the address table and handled
    (:meth:`OscServer.handle_datagram`, what the UDP server calls for each datagram)."""
    engine, server, _, _ = osc_rig
    server.handle_datagram(build_message("/rvae/layer/2/y", [0.125]), ("127.0.0.1", 9))
    assert engine.state(1).y == 0.125 and engine.state(0).y != 0.125
