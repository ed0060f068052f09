"""A hostile-input and fault campaign against a running `rvae serve` (issue 11): what a hostile page, a bad file or an
unlucky kill can do, and whether the music goes on. Loopback only; everything in a temporary folder.

Phases, against one server (internal clock, no MIDI backend: it plays into nothing, its bars are watched over OSC
feedback), each followed by a check that it still answers ``/rvae/state`` and still plays bars:

1. ``osc``: ``--datagrams`` random, mutated, truncated, nested and oversized OSC datagrams (tests/test_osc_fuzz's
   generator), plus feedback aimed at the server's own port, port 0, addresses holding newlines and terminal
   escapes, and a ``/rvae/state`` flood (reply datagrams counted: the amplification).
2. ``files``: 64 hostile MIDI files uploaded through the page (its WebSocket session) and put in the clip folder,
   then a retrain on them over OSC (it must fail with a reason, nothing saved).
3. ``models``: 35 broken model folders dropped into the watched models dir (deep or huge metadata, wrong types,
   configs the engine cannot play, a FIFO, a link to /dev/zero, a folder linked from outside, damaged weights,
   a folder written in two steps …); the good ones must load, the broken ones never.
4. ``web``: DNS-rebinding requests (foreign Host and Origin), and uploads from 20 sessions against the quota.
5. the hostile classes of issue 24 (``benchmarks/hostile_classes.py``: state, sequencer, plan stream, capture,
   errors), each printed as tries / crashes / tracebacks / files written outside their folder / data lost.
6. ``second``: a second server on the same ports and state (must be refused, exit 3); then ``kill -9`` and a
   restart (its upload folder must be gone).

Figures: datagrams sent, crashes (server gone or a traceback in its log), RSS before/after, bars played per
phase, refused requests, models loaded; the classes' table. ``--classes-only`` runs phase 5 alone.

    python -m benchmarks.bench_hostile [--datagrams 232000] [--seed 1] [--classes-only]
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import random
import shutil
import signal
import socket
import tempfile
import time
from pathlib import Path

from benchmarks.hostile_classes import Kit, run_all, table
from benchmarks.hostile_kit import GROOVE, Listener, Server, cleanup, raw_status, smf, upload
from rvae_server.model.modeldirs import bundled_models_dir, default_model
from rvae_server.surfaces.osc.packets import build_message
from tests.test_osc_fuzz import datagrams

WEIGHTS = "weights.safetensors"


# ------------------------------------------------------------------------------------------ hostile material


def hostile_midi(rng: random.Random) -> list[tuple[str, bytes]]:
    real = sorted(GROOVE.rglob("*.mid"))[0].read_bytes()
    end = b"\x00\xff\x2f\x00"
    fixed = [
        b"", b"MThd", b"MThd" + b"\xff" * 10, smf([end], declared=65535), smf([end], division=0x8000 | 25),
        smf([end], division=0), smf([b"\x00\x99\x24\x64" + b"\x00\x24\x64" * 3_290_000 + end]),
        smf([b"\x00\xb9\x04\x0a" + b"\x00\x04\x0a" * 1_100_000 + end]),
        smf([b"\xff\xff\xff\xff\x7f\x99\x24\x64" + end]),
        smf([b"\x00\x24\x64" + end]), smf([b"\x00\xf0\xff\xff\xff\x7f" + end]), smf([b"\x00\xff\x51\x7f\x00"]),
        smf([b"\x00\xff\x58\x04\x04\xc8\x18\x08" + end]), smf([b"\x00\xff\x51\x03\x00\x00\x00" + end]),
        smf([end], fmt=2), smf([b"\x00\x90\x24\x64" * 1000 + end]),
        smf([b"\x8f\xff\xff\x7f\x99\x24\x64" * 2000 + end]), real[: len(real) // 2], real[:20] + b"\xff" * 40,
        b"MThd" + os.urandom(200),
    ]  # fmt: skip
    files = [(f"fixed{k}.mid", data) for k, data in enumerate(fixed)]
    while len(files) < 64:
        raw = bytearray(real)
        for _ in range(rng.randint(1, 20)):
            raw[rng.randrange(14, len(raw))] = rng.randrange(256)
        files.append((f"mutated{len(files)}.mid", bytes(raw)))
    return files


def broken_models(base: Path, where: Path, outside: Path) -> list[str]:
    """35 broken model folders built in ``where`` (a staging folder: each is then moved into the watched dir in one
    rename, as a save does, so that the watcher never sees one half-made); returns their names."""
    import hashlib

    import numpy as np
    import safetensors.numpy
    import torch

    from rvae_server.model.modelfile import save_model
    from rvae_server.model.network import ModelConfig, RhythmVAE

    def copy(name: str) -> Path:
        shutil.copytree(base, where / name)
        return where / name

    def meta(name: str, text: str) -> None:
        (copy(name) / "meta.json").write_text(text)

    def edit(folder: str, **changes: object) -> None:
        data = json.loads((base / "meta.json").read_text())
        data.update(changes)
        meta(folder, json.dumps(data))

    broken: list[str] = []
    deep = '{"format": "rvae-model", "format_version": 1, "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    for k, text in enumerate([deep, '{"format": "rvae-model", "format_version": 1, "n": ' + "9" * 5000 + "}",
                              "{", "[]", '"x"', "NaN", "\xff\xfe", '{"format": "rvae-model", "format_version": 99}',
                              '{"format": "keras"}']):  # fmt: skip
        meta(f"meta{k}", text)
        broken.append(f"meta{k}")
    for field in ("config", "training", "weights", "licence", "instruments", "name"):
        edit(f"type-{field}", **{field: ["big"] if field == "name" else "big"})
        broken.append(f"type-{field}")
    edit("config-huge", config={"hidden": 10**17, "latent": 2})
    edit("config-fields", config={f"f{i}": i for i in range(100)})
    broken += ["config-huge", "config-fields"]
    for cfg in ({"latent": 3}, {"ticks": 48}, {"instruments": 5}):
        torch.manual_seed(0)
        name = "odd-" + next(iter(cfg))
        save_model(RhythmVAE(ModelConfig(hidden=32, **cfg)), {}, where, name)
        broken.append(name)
    specials = {
        "fifo-weights": lambda p: ((p / "weights.safetensors").unlink(), os.mkfifo(p / "weights.safetensors")),
        "zero-link": lambda p: ((p / WEIGHTS).unlink(), (p / WEIGHTS).symlink_to("/dev/zero")),
        "passwd-meta": lambda p: ((p / "meta.json").unlink(), (p / "meta.json").symlink_to("/etc/passwd")),
        "fifo-meta": lambda p: ((p / "meta.json").unlink(), os.mkfifo(p / "meta.json")),
        "truncated": lambda p: (p / "weights.safetensors").write_bytes((p / "weights.safetensors").read_bytes()[:999]),
        "sparse-huge": lambda p: os.truncate(p / "weights.safetensors", 600 * 1024 * 1024),
        "weights-dir": lambda p: ((p / "weights.safetensors").unlink(), (p / "weights.safetensors").mkdir()),
        "pickle": lambda p: (p / "weights.safetensors").write_bytes(b"\x80\x04" + os.urandom(100)),
        "big-meta": lambda p: (p / "meta.json").write_bytes(b" " * (17 * 1024 * 1024)),
        "no-weights": lambda p: (p / "weights.safetensors").unlink(),
    }  # fmt: skip
    for name, damage in specials.items():
        damage(copy(name))
        broken.append(name)
    shutil.copytree(base, outside / "real")
    (where / "linked-outside").symlink_to(outside / "real")
    (where / "empty").mkdir()  # (not a model at all)
    edit("instruments-short", instruments=[{"name": "kick"}])
    meta("new\nline\x1b[31m", deep)  # a folder name that would forge log lines
    flipped = copy("flipped-byte")
    raw = bytearray((flipped / "weights.safetensors").read_bytes())
    raw[-1] ^= 0xFF
    (flipped / "weights.safetensors").write_bytes(bytes(raw))
    nan = copy("nan")
    tensors = safetensors.numpy.load((nan / "weights.safetensors").read_bytes())
    tensors["decoder.hidden.bias"][0] = np.nan
    data = safetensors.numpy.save(tensors)
    (nan / "weights.safetensors").write_bytes(data)
    info = json.loads((nan / "meta.json").read_text())
    info["weights"]["sha256"] = hashlib.sha256(data).hexdigest()
    (nan / "meta.json").write_text(json.dumps(info))
    broken += ["linked-outside", "instruments-short", "new\nline\x1b[31m", "flipped-byte", "nan"]
    assert len(broken) == 35, len(broken)
    return broken


# ------------------------------------------------------------------------------------------ the campaign


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datagrams", type=int, default=232_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--classes-only", action="store_true", help="only the hostile classes of issue 24")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    info = default_model([bundled_models_dir()])
    assert info is not None
    tmp = Path(tempfile.mkdtemp(prefix="rvae-hostile-"))
    atexit.register(cleanup, tmp)
    watched, clips, outside, captures = tmp / "models", tmp / "clips", tmp / "outside", tmp / "captures"
    for d in (watched, clips, outside):
        d.mkdir()
    shutil.copytree(info.path, watched / "base")
    state = tmp / "state.json"
    common = ("--models-dir", str(watched), "--model", "base", "--clip-dir", str(clips), "--train-epochs", "2",
              "--state-file", str(state), "--capture-dir", str(captures))  # fmt: skip
    server = Server(tmp, "--osc-port", "0", "--http-port", "0", *common)
    assert server.osc and server.url, server.out + "".join(server.err)
    listen = Listener(server.osc)
    time.sleep(3.0)
    rss_before = server.rss_mb()
    figures: dict[str, object] = {"RSS before (MB)": round(rss_before, 1)}
    allowed = [watched, clips, outside, captures, tmp / "staging", *tmp.glob("rvae-uploads-*"), state,
               tmp / "state.json.lock", tmp / "rvae-demo.wav", tmp / "rvae-demo.mid"]  # fmt: skip
    kit = Kit(tmp, server, listen, watched, captures, clips, allowed)
    if args.classes_only:
        print(table(run_all(kit)))
        return

    def check(phase: str, started_bars: int) -> None:
        alive = server.alive() and listen.state() is not None
        with listen.lock:
            bars = listen.bars - started_bars
        rss = server.rss_mb() if server.alive() else float("nan")
        figures[f"{phase}: answers /rvae/state, bars fed back during it, RSS MB"] = f"{alive}, {bars}, {rss:.1f}"

    # 1. OSC
    bars0 = listen.bars
    target = ("127.0.0.1", server.osc)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sent = 0
    start = time.monotonic()
    for data in datagrams(rng):
        sock.sendto(data[:65000], target)
        sent += 1
        if sent % 200 == 0:
            time.sleep(0.01)
        if sent >= args.datagrams:
            break
    specials = [("/rvae/feedback", ["127.0.0.1", server.osc]), ("/rvae/feedback", ["127.0.0.1", 0]),
                ("/rvae/x\nINFO forged line\x1b[2J", [0.5]), ("/rvae/\x1b]0;title\x07", [])]  # fmt: skip
    for address, params in specials:
        sock.sendto(build_message(address, params), target)
        sent += 1
    listen.send("/rvae/feedback")  # (port 0 above removed nothing of the listener's: another sender)
    flood = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    flood.bind(("127.0.0.1", 0))
    flood.settimeout(1.0)
    for _ in range(1000):
        flood.sendto(build_message("/rvae/state", []), target)
    sent += 1000
    got = 0
    try:
        while True:
            flood.recvfrom(65536)
            got += 1
    except TimeoutError:
        pass
    figures["OSC datagrams sent"] = sent
    figures["OSC send time (s)"] = round(time.monotonic() - start, 1)
    figures["/rvae/state flood: 1000 requests (16 B each) answered with datagrams"] = got
    check("osc", bars0)

    # 2. hostile MIDI files: uploads and a retrain on them
    bars0 = listen.bars
    files = hostile_midi(rng)
    (clips / "hostile").mkdir()
    for name, data in files:
        (clips / "hostile" / name).write_bytes(data)
    os.mkfifo(clips / "hostile" / "fifo.mid")
    (clips / "hostile" / "leak.mid").symlink_to("/etc/passwd")
    _, codes = upload(server.url, files)
    figures["hostile MIDI files uploaded (HTTP 200 / refused)"] = (
        f"{codes.count(200)} / {len(codes) - codes.count(200)}"
    )
    listen.send("/rvae/train", "hostile", "hostile-model")
    done = listen.wait_for("/rvae/train/failed", 120) or listen.wait_for("/rvae/train/done", 1)
    figures["retrain on them"] = f"failed: {str(done[0])[:80]}" if done else "no answer"
    figures["hostile-model saved"] = (watched / "hostile-model").exists()
    check("files", bars0)

    # 3. broken model folders in the watched dir, then two good ones
    bars0 = listen.bars
    base = info.path
    staging = tmp / "staging"
    staging.mkdir()
    broken = broken_models(base, staging, outside)
    for name in broken:
        os.rename(staging / name, watched / name)
    time.sleep(6.0)  # three polls of the watcher
    figures["broken model folders dropped"] = len(broken)
    figures["RSS after the broken folders (MB)"] = round(server.rss_mb(), 1)
    shutil.copytree(base, staging / "good-copy")
    os.rename(staging / "good-copy", watched / "good-copy")
    late = watched / "late-good"
    late.mkdir()
    shutil.copy(base / "meta.json", late / "meta.json")  # meta first: the weights arrive seconds later
    time.sleep(3.0)
    shutil.copy(base / "weights.safetensors", late / "weights.safetensors")
    time.sleep(5.0)
    snap = listen.state() or {}
    models = set(snap.get("models", []))
    figures["broken ones loaded"] = sorted(models & set(broken))
    figures["good ones loaded (a copy, one written in two steps)"] = sorted(models & {"good-copy", "late-good"})
    check("models", bars0)

    # 4. web: rebinding and the quota
    bars0 = listen.bars
    evil = f"attacker.example:{server.http}"
    refused = sum(raw_status(server.http, evil, f"http://{evil}", p) == 403 for p in ("/ws", "/api/state", "/"))
    figures["DNS-rebinding requests refused"] = f"{refused} / 3"
    clip = sorted(GROOVE.rglob("*.mid"))[0].read_bytes()
    big = clip + b"\0" * (9 * 1024 * 1024)  # MThd, 9 MB
    stored = 0
    for _ in range(20):
        stored += upload(server.url, [("big.mid", big)])[1].count(200)
    held = sum(p.stat().st_size for p in tmp.glob("rvae-uploads-*/*/*.mid"))
    figures["20 sessions x 9 MB uploads: stored / bytes held (quota 50 MB)"] = f"{stored} / {held / 2**20:.1f} MB"
    check("web", bars0)

    rss_after = server.rss_mb()
    figures["RSS after (MB)"] = round(rss_after, 1)
    kit.allowed += tmp.glob("rvae-uploads-*")
    rows = run_all(kit)  # 5. the classes of issue 24

    # 5. a second server, then kill -9 and a restart
    second = Server(tmp, "--osc-port", str(server.osc), "--http-port", str(server.http), *common)
    second.proc.wait(timeout=60)
    figures["second server on the same ports and state: exit code"] = second.proc.returncode
    figures["server alive through all phases"] = server.alive()
    figures["tracebacks in the server's log"] = server.tracebacks()
    listen.stop.set()
    left = {p.name for p in tmp.glob("rvae-uploads-*")}
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(timeout=30)
    again = Server(tmp, "--osc-port", "0", "--http-port", "0", *common)
    now = {p.name for p in tmp.glob("rvae-uploads-*")}
    figures["after kill -9 and a restart: stale upload folders left"] = len(left & now)
    again.proc.send_signal(signal.SIGTERM)
    again.proc.wait(timeout=30)
    figures["restarted server: exit code, tracebacks"] = f"{again.proc.returncode}, {again.tracebacks()}"

    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
    print(table(rows))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
