"""Hardening, round 2 (issue 24, item 8, beside mining): one-line errors, never a traceback. ``rvae clip`` and
``rvae key`` on folders nested 1,000 deep read what is there; a negative ``--seed`` (``jam``, ``render``, ``serve``)
is named; an OSC address with a part over 255 bytes is answered with a clear error (not "internal error:
OSError"); a request line over 8,190 bytes gets its 400 and at most a one-line log, rate-limited (never an ERROR
traceback each time)."""

from __future__ import annotations

import logging
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from rvae_server.core.config import ConfigError, ServeConfig
from rvae_server.core.midifile import find_clips
from rvae_server.testing import FakeTraining
from rvae_server.web import start_web

DEPTH = 1000
GROOVE_CLIP = sorted((Path(__file__).parent / "data" / "groove").rglob("*.mid"))[0]


@pytest.fixture(scope="module")
def deep(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder holding a clip, and a chain of 1,000 folders holding another at the bottom (made one by one:
    ``os.makedirs`` itself recurses too deep for it)."""
    root = tmp_path_factory.mktemp("deep")
    shutil.copy(GROOVE_CLIP, root / "top.mid")
    here = str(root)
    for _ in range(DEPTH):
        here = os.path.join(here, "d")
        os.mkdir(here)
    shutil.copy(GROOVE_CLIP, os.path.join(here, "bottom.mid"))
    yield root
    os.unlink(os.path.join(here, "bottom.mid"))  # taken down folder by folder (shutil.rmtree recurses too deep)
    for _ in range(DEPTH):
        os.rmdir(here)
        here = os.path.dirname(here)


def test_folders_nested_1000_deep_are_searched_without_recursion(deep):
    found = find_clips([deep])
    assert [p.name for p in found] == ["bottom.mid", "top.mid"]  # sorted by path, as before
    assert len(found[0].parts) - len(deep.parts) == DEPTH + 1


@pytest.mark.parametrize("command", ["clip", "key"])
def test_clip_and_key_on_folders_nested_1000_deep(rvae_here, deep, command):
    status, out, err = rvae_here(command, str(deep), "--json")
    assert "Traceback" not in err and "RecursionError" not in err
    assert out.count('"file"') == 2, out  # both files reported, the one 1,000 folders down too
    assert status == (0 if command == "clip" else 1), err  # (drum clips hold no melody for `key`: one line each)


@pytest.mark.parametrize("command", ["jam", "render"])
def test_a_negative_seed_is_named(rvae_here, tmp_path, command):
    args = ["--model", "groove-all", "--xy", "0.5", "0.5", "--bars", "1", "--seed", "-1", "-o", str(tmp_path / "x.mid")]
    if command == "jam":
        args += ["--key", "Am"]
    status, _, err = rvae_here(command, *args)
    assert status == 1 and "--seed" in err and "Traceback" not in err, err
    assert not (tmp_path / "x.mid").exists()


def test_a_negative_seed_in_the_server_settings_is_named():
    with pytest.raises(ConfigError, match="seed"):
        ServeConfig().merged({"seed": -1}, "--seed")  # as the command line gives it


def test_an_osc_path_part_over_255_bytes_is_a_clear_error(osc_rig):
    _, server, client, clips = osc_rig
    server.attach_training(FakeTraining())
    for address, args in [
        ("/rvae/encode", ["a" * 300 + ".mid"]),
        ("/rvae/encode", ["set1/" + "b" * 256]),
        ("/rvae/encode", [str(clips / ("c" * 300) / "x.mid")]),
        ("/rvae/train", ["x" * 300, "name"]),
        ("/rvae/train", ["set1/" + "y" * 256, "name"]),
        ("/rvae/" + "p" * 300, [1]),  # an address part, too
    ]:
        reply = client.ask(address, *args, until="/rvae/error")
        assert reply and reply[-1][0] == "/rvae/error", (address[:20], reply)
        reason = reply[-1][1][1]
        assert "internal error" not in reason, reason
        assert "too long" in reason or "unknown address" in reason, reason
    assert client.ask("/rvae/state", until="/rvae/state/json")  # still answering


def test_a_request_line_over_8190_bytes_is_answered_without_a_traceback(engine, caplog):
    caplog.set_level(logging.DEBUG)
    web = start_web(engine, port=0, prewarm=False)
    try:
        for _ in range(50):
            with socket.create_connection(("127.0.0.1", web.port), timeout=10) as sock:
                sock.sendall(b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                assert sock.recv(1024).split(b" ")[1] == b"400"
    finally:
        web.close()
    noisy = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [r for r in noisy if r.exc_info], [r.getMessage()[:80] for r in noisy][:3]
    assert len(noisy) <= 2, [r.getMessage()[:120] for r in noisy]  # one line, rate-limited
