"""Hardening, the web page (issue 11, items 6-8): DNS rebinding (only the Host names the server is bound to or was
given, and an Origin that matches one), a token for anything not on loopback (printed at start, in the page's URL,
carried by the page on its WebSocket and uploads; checked in headless Chromium), one upload quota for the whole
server, a clear error on a full disk, and a bound on the events of one MIDI file."""

from __future__ import annotations

import asyncio
import http.client
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

import pytest

from rvae_server.core.midifile import ClipError, read_clip
from rvae_server.web import start_web
from tests.test_web import DATA, Rig, _collect, _post

CLIP = (DATA / "drummer7/session2/26_rock_118_beat_4-4.mid").read_bytes()


def status(port: int, path: str, host: str, origin: str | None = None, method: str = "GET", **headers: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        sent = {"Host": host, **headers}
        if origin is not None:
            sent["Origin"] = origin
        conn.request(method, path, headers=sent)
        return conn.getresponse().status
    finally:
        conn.close()


def ws_status(port: int, host: str, origin: str | None, path: str = "/ws") -> int:
    """The status of a raw WebSocket handshake (101: opened)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        lines = [
            f"GET {path} HTTP/1.1", f"Host: {host}", "Upgrade: websocket", "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13",
        ]  # fmt: skip
        if origin is not None:
            lines.append(f"Origin: {origin}")
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n" not in head:
            chunk = sock.recv(1024)
            if not chunk:
                break
            head += chunk
    return int(head.split(b" ")[1])


# ------------------------------------------------------------------------------------------ 6. DNS rebinding


def test_dns_rebinding_is_refused():
    r = Rig()
    try:
        port = r.server.port
        evil = f"attacker.example:{port}"
        for path in ("/", "/api/state", "/api/osc", "/api/instruments"):
            assert status(port, path, evil, f"http://{evil}") == 403, path
            assert status(port, path, evil) == 403, path
        assert ws_status(port, evil, f"http://{evil}") == 403
        assert status(port, "/api/upload", evil, f"http://{evil}", "POST", **{"X-RVAE-Session": "x" * 24}) == 403
        # the names the server is bound to still work, with or without a matching Origin
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", "127.0.0.1"):
            assert status(port, "/api/state", host) == 200, host
        assert ws_status(port, f"localhost:{port}", f"http://localhost:{port}") == 101
        assert ws_status(port, f"127.0.0.1:{port}", f"http://localhost:{port}") == 403  # Origin of another host
        assert ws_status(port, f"127.0.0.1:{port}", "null") == 403
    finally:
        r.close()


def test_names_the_performer_configures_are_allowed(tmp_path):
    r = Rig()
    try:
        server = start_web(r.engine, port=0, allowed_hosts=["studio.local"], upload_dir=tmp_path)
        try:
            port = server.port
            assert status(port, "/api/state", f"studio.local:{port}") == 200
            assert ws_status(port, f"studio.local:{port}", f"http://studio.local:{port}") == 101
            assert status(port, "/api/state", f"other.local:{port}") == 403
        finally:
            server.close()
    finally:
        r.close()


# ------------------------------------------------------------------------------------------ 7. token off loopback


def test_a_network_bind_warns_and_requires_the_token(tmp_path):
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rvae_server.cli", "serve", "--http-host", "0.0.0.0", "--http-port", "0",
         "--osc-port", "0", "--no-state", "--midi-backend", "alsa", "--render-dir", str(tmp_path),
         "--controller-in", "none"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    err: list[str] = []
    threading.Thread(target=lambda: err.extend(proc.stderr or []), daemon=True).start()
    try:
        out = []
        assert proc.stdout is not None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line or "running; Ctrl-C stops" in line:
                break
            out.append(line)
        text = "".join(out)
        found = re.search(r"web page: http://0\.0\.0\.0:(\d+)/\?token=([A-Za-z0-9_-]{16,})", text)
        assert found, text + "".join(err)
        port, token = int(found[1]), found[2]
        assert any("open to the network" in line for line in err), "".join(err)
        host = f"127.0.0.1:{port}"
        assert status(port, "/", host) == 403
        assert status(port, "/api/state", host) == 403
        assert ws_status(port, host, f"http://{host}") == 403
        assert status(port, "/api/state?token=wrong" + "x" * 20, host) == 403
        assert status(port, f"/?token={token}", host) == 200
        assert status(port, "/api/state", host, **{"X-RVAE-Token": token}) == 200
        assert ws_status(port, host, f"http://{host}", f"/ws?token={token}") == 101
        assert status(port, "/static/style.css", host) == 200  # the page's own files are no secret
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_page_carries_its_token_on_its_websocket_and_uploads(browser, tmp_path):
    r = Rig()
    server = start_web(r.engine, port=0, token="s3cret-token-for-the-page", upload_dir=tmp_path / "up")
    try:
        assert server.url.endswith("/?token=s3cret-token-for-the-page")
        browser.navigate("about:blank")
        time.sleep(0.05)
        browser.console_errors.clear()
        browser.navigate(server.url)
        browser.wait_for("window.rvae && rvae.connected()", 15)
        clip = str(DATA / "drummer7/session2/26_rock_118_beat_4-4.mid")
        browser.set_files("#files", [clip])
        browser.wait_for("document.querySelectorAll('#file-list li').length === 1", 10)
        # the map panel asks /api/map with the token too (its models have no dataset: an ordinary answer)
        browser.wait_for("rvae.map().model !== null && !rvae.map().error.startsWith('loading')", 10)
        assert "token" not in browser.js("rvae.map().error"), browser.js("rvae.map()")
        assert browser.console_errors == []
        stored = [p for p in (tmp_path / "up").rglob("*.mid")]
        assert [p.read_bytes() for p in stored] == [CLIP]
    finally:
        browser.navigate("about:blank")
        server.close()
        r.close()


# ------------------------------------------------------------------------------------------ 8. uploads


def session_of(url: str) -> str:
    got = asyncio.run(_collect(url, [], lambda got: bool(got)))
    return next(m["session"] for m in got if isinstance(m, dict) and m["type"] == "welcome")


def test_one_upload_quota_for_the_whole_server(tmp_path):
    r = Rig(tmp=tmp_path / "up")
    try:
        url = r.server.url
        r.server.uploads.max_total = len(CLIP) * 3 + 100  # the 50 MB quota, scaled down
        stored = 0
        for _ in range(5):  # a fresh page session each time: sessions do not bring fresh quota
            code, _ = _post(url, session_of(url), [("clip.mid", CLIP)])
            stored += code == 200
        assert stored == 3
        code, body = _post(url, session_of(url), [("clip.mid", CLIP)])
        assert code == 413 and "uploads would exceed" in body["error"]
        total = sum(p.stat().st_size for p in (tmp_path / "up").rglob("*") if p.is_file() and p.suffix == ".mid")
        assert total <= r.server.uploads.max_total
    finally:
        r.close()


def test_a_full_disk_gives_a_clear_error_and_leaves_nothing(tmp_path, monkeypatch):
    r = Rig(tmp=tmp_path / "up")
    real = tempfile.mkstemp

    def full_disk(*args: Any, **kwargs: Any) -> tuple[int, str]:
        fd, name = real(*args, **kwargs)
        os.close(fd)
        return os.open("/dev/full", os.O_WRONLY), name  # every write: ENOSPC, from the kernel

    try:
        url = r.server.url
        session = session_of(url)
        monkeypatch.setattr(tempfile, "mkstemp", full_disk)
        code, body = _post(url, session, [("clip.mid", CLIP)])
        monkeypatch.setattr(tempfile, "mkstemp", real)
        assert code == 507 and "no space left" in body["error"].lower() and "clip.mid" in body["error"]
        assert [p for p in (tmp_path / "up").rglob("*") if p.is_file()] == []
        assert _post(url, session, [("clip.mid", CLIP)])[0] == 200  # and the next upload works
    finally:
        r.close()


def dense_clip(notes: int) -> bytes:
    body = bytes([0x00, 0x99, 36, 100]) + bytes([0, 36, 100]) * (notes - 1) + bytes([0x00, 0xFF, 0x2F, 0x00])
    return b"MThd" + struct.pack(">IHHH", 6, 0, 1, 96) + b"MTrk" + struct.pack(">I", len(body)) + body


def test_a_clip_with_millions_of_note_ons_on_one_tick_is_refused(tmp_path):
    path = tmp_path / "dense.mid"
    path.write_bytes(dense_clip(3_400_000))  # 10.2 MB
    with pytest.raises(ClipError, match="more than 200000 notes"):
        read_clip(path)
    many = tmp_path / "cc.mid"
    body = bytes([0x00, 0xB9, 4, 10]) + bytes([0, 4, 10]) * 1_100_000 + bytes([0x00, 0xFF, 0x2F, 0x00])
    many.write_bytes(b"MThd" + struct.pack(">IHHH", 6, 0, 1, 96) + b"MTrk" + struct.pack(">I", len(body)) + body)
    with pytest.raises(ClipError, match="more than 1000000 events"):
        read_clip(many)
    ordinary = tmp_path / "ok.mid"
    ordinary.write_bytes(dense_clip(1000))
    assert read_clip(ordinary).bars
