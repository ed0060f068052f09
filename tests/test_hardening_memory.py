"""Hardening, round 2 (issue 24, item 9): what a long hostile run leaves behind. Pages that come and go leave no
upload folder and no session behind (54 empty folders were left by a 10-minute soak), and the capture's ring
buffer is made once, so a long run's memory does not grow as it fills (benchmarks/bench_soak.py measures the
whole server over 30 minutes)."""

from __future__ import annotations

import asyncio
import json
import time
import tracemalloc

import aiohttp

from rvae_server.outputs.capture import MAX_NOTES, CaptureSink
from rvae_server.testing import SteppedClock
from rvae_server.web.uploads import MAX_IDLE, UploadStore
from tests.test_web import DATA, Rig

CLIP = (DATA / "drummer7/session2/26_rock_118_beat_4-4.mid").read_bytes()


async def a_page(url: str, k: int) -> None:
    """One page's visit: asks for its uploads, uploads (or not), clears, leaves."""
    async with aiohttp.ClientSession() as http, http.ws_connect(url + "ws") as ws:
        session = json.loads((await ws.receive()).data)["session"]
        await ws.send_str(json.dumps({"type": "uploads"}))
        headers = {"X-RVAE-Session": session}
        for name, data in ([("clip.mid", CLIP)] if k % 2 else []) + ([("bad.mid", b"RIFF....")] if k % 3 == 0 else []):
            form = aiohttp.FormData()
            form.add_field("clip", data, filename=name, content_type="audio/midi")
            async with http.post(url + "api/upload", data=form, headers=headers) as response:
                await response.read()
        cleared = k != 7  # the 7th page keeps its clip
        if cleared:
            await ws.send_str(json.dumps({"type": "uploads_clear"}))
        await ws.send_str(json.dumps({"type": "uploads"}))
        answers = 0
        while answers < (3 if cleared else 2):  # every "uploads" answer: all it sent was handled
            msg = await ws.receive(timeout=10)
            if msg.type == aiohttp.WSMsgType.TEXT and json.loads(msg.data)["type"] == "uploads":
                answers += 1


def test_pages_that_come_and_go_leave_no_folder_and_no_session(tmp_path):
    rig = Rig(tmp=tmp_path / "up")
    try:
        url = rig.server.url

        async def visits() -> None:
            await asyncio.gather(*(a_page(url, k) for k in range(40)))

        asyncio.run(visits())
        time.sleep(0.3)  # the server sees the last pages leave
        folders = [p for p in (tmp_path / "up").iterdir() if p.is_dir()]
        assert len(folders) == 1 and [f.name for f in folders[0].iterdir()] == ["clip.mid"], folders
        assert folders[0].name in rig.server.uploads.sessions  # the session holding a clip stays
    finally:
        rig.close()


def test_idle_sessions_are_bounded(tmp_path):
    store = UploadStore(tmp_path)
    for _ in range(MAX_IDLE + 500):
        session = store.new_session()
        store.join(session)
        store.files(session)  # asking makes no folder
        store.leave(session)
    assert len(store.sessions) == MAX_IDLE
    assert not list(tmp_path.iterdir())


def test_the_capture_ring_buffer_is_made_once(tmp_path):
    clock = SteppedClock(bpm=120.0)
    clock.start()
    tracemalloc.start()
    try:
        sink = CaptureSink(clock, layers=2)
        made, _ = tracemalloc.get_traced_memory()
        for k in range(MAX_NOTES // 4):
            sink.note(clock.time_at(k * 0.5), k % 2, k % 9, 36 + k % 9, 1 + k % 127, 10)
        full, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        clock.close()
    assert full - made < 256 * 1024, (made, full)  # a quarter of the ring filled: no growth
    take = sink.last_bars(4)
    assert take.notes and take.notes[-1].velocity == 1 + (MAX_NOTES // 4 - 1) % 127


def test_the_note_store_keeps_the_newest_notes_exactly():
    from rvae_server.core.notewrite import TimedNote
    from rvae_server.outputs.notestore import NoteStore

    ring = NoteStore(5, ring=True)
    for k in range(12):
        ring.add(float(k), k % 3, 36 + k, 1 + k, 10)
    want = [TimedNote(float(k), k % 3, 36 + k, 1 + k, 10) for k in range(7, 12)]
    assert ring.notes() == want and ring.oldest() == 7.0
    assert ring.newest(3).notes() == want[-3:]  # across the ring's end
    assert ring.newest(99).notes() == want
    grown = NoteStore(3, ring=False)
    assert [grown.add(float(k), 0, 36, 100, 10) for k in range(5)] == [True, True, True, False, False]
    assert [n.position for n in grown.newest(2).notes()] == [1.0, 2.0]
