"""Hardening, round 2 (issue 24, item 7): captures never replace each other — captures of one name made at the same
time are each a file of their own —, ``/rvae/capture/stop`` on a full disk keeps the take so that the next stop
writes it, and names Windows keeps for devices (CON, PRN, AUX, NUL, COM1-9, LPT1-9, in any case, with or without
an extension) are refused for captures and uploads alike (one rule: rvae_server.core.names)."""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

import mido
import pytest

from rvae_server.core.names import is_reserved_name
from rvae_server.core.notewrite import TimedNote
from rvae_server.outputs.capture import Capture, CaptureError, CaptureSink, Take
from rvae_server.testing import SteppedClock
from rvae_server.web.uploads import UploadError, UploadStore, sanitise_name

RESERVED = ["CON", "con", "Nul", "AUX", "prn", "COM1", "com9", "LPT1", "lpt9", "NUL.mid", "con.txt", "Aux.tar.gz"]
NOT_RESERVED = ["CONSOLE", "con_", "nul2", "COM0", "COM10", "LPT", "auxiliary", "my-con", "x.con"]


def velocities(path: Path) -> list[int]:
    return [m.velocity for t in mido.MidiFile(path).tracks for m in t if m.type == "note_on" and m.velocity]


def test_captures_of_one_name_made_at_once_are_each_their_own_file(tmp_path):
    capture = Capture(sink=None, folder=tmp_path)  # type: ignore[arg-type]  (write needs no sink)
    count = 48
    gate = threading.Barrier(count)
    results: dict[int, tuple[str, int]] = {}
    errors: list[BaseException] = []

    def one(k: int) -> None:
        take = Take([TimedNote(0.0, 0, 36, k + 1, 10)], [(0.0, 120.0)], 1, 1)
        gate.wait()
        try:
            results[k] = capture.write(take, "same")
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=one, args=(k,)) for k in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors[:3]
    paths = [Path(results[k][0]) for k in range(count)]
    assert len(set(paths)) == count  # every success reported its own file ...
    assert sorted(p.name for p in tmp_path.glob("*.mid")) == sorted(p.name for p in paths)
    for k, path in enumerate(paths):
        assert velocities(path) == [k + 1]  # ... holding its own take
    assert not [p for p in tmp_path.iterdir() if p.suffix != ".mid"]  # no temporary left


def test_stop_on_a_full_disk_keeps_the_take_for_the_next_stop(tmp_path, monkeypatch):
    clock = SteppedClock(bpm=120.0)
    sink = CaptureSink(clock, layers=1)
    capture = Capture(sink, tmp_path)
    clock.start()
    capture.start()
    for k, position in enumerate((0.0, 24.0, 48.0, 72.0, 96.0)):
        clock.step_to(position)
        sink.note(clock.time_at(position), 0, 0, 36, 60 + k, 10)
    clock.step_to(200.0)
    real_fsync = os.fsync

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(CaptureError, match="No space left") as refused:
        capture.stop("take")
    assert "kept" in str(refused.value)
    assert not list(tmp_path.glob("*.mid")) and not list(tmp_path.iterdir())  # nothing half-written
    capture.start()  # a second take while the disk is still full
    clock.step_to(288.0)
    sink.note(clock.time_at(288.0), 0, 0, 38, 99, 10)
    clock.step_to(400.0)
    with pytest.raises(CaptureError, match="2 kept"):
        capture.stop("second")
    monkeypatch.setattr(os, "fsync", real_fsync)  # room again
    written, notes = capture.stop("take")  # the oldest first
    assert notes == 5 and velocities(Path(written)) == [60, 61, 62, 63, 64]
    written, notes = capture.stop("second")
    assert notes == 1 and velocities(Path(written)) == [99]
    with pytest.raises(CaptureError, match="no capture is running"):
        capture.stop("take")  # each written once: nothing kept any more
    clock.close()


def test_names_windows_keeps_for_devices_are_refused_for_captures_and_uploads(tmp_path):
    for name in RESERVED:
        assert is_reserved_name(name), name
    for name in NOT_RESERVED:
        assert not is_reserved_name(name), name
    capture = Capture(sink=None, folder=tmp_path)  # type: ignore[arg-type]
    for name in RESERVED:
        with pytest.raises(CaptureError, match="Windows"):
            capture.path_for(name)
        with pytest.raises(CaptureError, match="Windows"):
            capture.write(Take([TimedNote(0.0, 0, 36, 100, 10)], [(0.0, 120.0)], 1, 1), name)
    for name in NOT_RESERVED:
        assert capture.path_for(name).name == f"{name}.mid"
    store = UploadStore(tmp_path / "uploads")
    for name in ("CON.mid", "nul.midi", "Com1.MID", "lpt9.mid", "aux.mid", "dir/PRN.mid"):
        with pytest.raises(UploadError, match="Windows"):
            sanitise_name(name)
    assert sanitise_name("console.mid") == "console.mid"
    store.close()
    assert not list(tmp_path.glob("*.mid"))


def test_uploads_of_one_name_at_once_never_replace_each_other(tmp_path):
    import asyncio

    store = UploadStore(tmp_path)
    session = store.new_session()

    async def body(k: int):
        yield b"MThd"
        await asyncio.sleep(0.01)  # the other upload of the same name arrives meanwhile
        yield bytes([k]) * 10

    async def both() -> list[tuple[str, int]]:
        return list(await asyncio.gather(*(store.save(session, "clip.mid", body(k)) for k in range(2))))

    stored = asyncio.run(both())
    assert sorted(name for name, _ in stored) == ["clip-2.mid", "clip.mid"]
    contents = {(tmp_path / session / name).read_bytes()[4:] for name, _ in stored}
    assert contents == {bytes([0]) * 10, bytes([1]) * 10}
