"""Hardening, round 2 (issue 24), for mining and datasets: every test here failed on the code before its fix.

* a file replaced by a FIFO between reading and hashing never hangs ``rvae mine`` (the bytes read are hashed);
* ``-o x.json`` is refused (the summary would overwrite the dataset); a second run with the same output is
  refused while one runs (a lock); resuming re-reads a file changed since its result was checkpointed;
* a dataset's arrays are bounded by what they declare before anything is read; crafted meta (nested 100,000
  deep, a 100,000-digit integer) and headers (10¹² items) are one-line errors;
* one-line errors, never tracebacks: folders nested 1,200 deep, ``-o`` into a missing, read-only or full folder,
  a killed local worker (and the run resumes), ``rvae jam --seed -1``.
"""

from __future__ import annotations

import io
import json
import os
import resource
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from rvae_server.core.dataset import DatasetError, read_dataset
from rvae_server.core.midiwrite import write_bars
from rvae_server.mining import work
from rvae_server.mining.pipeline import KILL_AFTER_ENV
from rvae_server.mining.work import Job, Settings, mine_file
from tests.mining_corpus import FUNK_A, FUNK_B, ROCK, write_corpus

DATA = Path(__file__).parent / "data"


def rvae(*args: str, env: dict[str, str] | None = None, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rvae_server.cli", *args], capture_output=True, text=True, timeout=300,
        env={**os.environ, **(env or {})}, **kw,  # type: ignore[call-overload]
    )  # fmt: skip


def one_line_error(done: subprocess.CompletedProcess[str] | tuple[int, str, str]) -> str:
    status, err = (done.returncode, done.stderr) if isinstance(done, subprocess.CompletedProcess) else done[::2]
    assert status == 1, err
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    return lines[0]


def arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as npz:
        return {k: npz[k] for k in npz.files if k != "meta"}


@pytest.fixture
def songs(tmp_path: Path) -> Path:
    root = tmp_path / "songs"
    write_corpus(root)
    return root


# ------------------------------------------------------------------------------------------------ reading once


def test_a_file_replaced_by_a_fifo_after_reading_is_hashed_from_the_bytes_read(tmp_path, monkeypatch):
    path = tmp_path / "loop.mid"
    write_bars(path, [ROCK] * 6)
    original = path.read_bytes()
    real_read_clip = work.read_clip

    def read_then_swap(*args: object, **kwargs: object) -> object:
        clip = real_read_clip(*args, **kwargs)  # type: ignore[arg-type]
        path.unlink()
        os.mkfifo(path)  # what a hostile folder does between the reader and the hashing
        return clip

    monkeypatch.setattr(work, "read_clip", read_then_swap)
    result: list[dict] = []
    worker = threading.Thread(target=lambda: result.append(mine_file(Job(str(path), str(tmp_path), "t"), Settings())))
    worker.start()
    worker.join(10)
    if worker.is_alive():  # unblock the reader stuck in open() so the test process can end
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        worker.join(5)
        pytest.fail("mining a file replaced by a FIFO hung")
    import hashlib

    assert result[0]["status"] == "ok" and result[0]["sha256"] == hashlib.sha256(original).hexdigest()
    assert len(result[0]["loops"]) == 1


# ------------------------------------------------------------------------------------------------ the output


def test_an_output_named_like_its_summary_is_refused_and_nothing_is_overwritten(rvae_here, songs, tmp_path):
    keep = tmp_path / "x.json"
    keep.write_text('{"mine": "do not overwrite"}')
    line = one_line_error(rvae_here("mine", str(songs), "-o", str(keep)))
    assert ".npz" in line and keep.read_text() == '{"mine": "do not overwrite"}'


def test_a_second_mine_with_the_same_output_is_refused_while_the_first_runs(songs, tmp_path):
    out = tmp_path / "d.npz"
    other = tmp_path / "other"
    other.mkdir()
    write_bars(other / "funk.mid", [FUNK_A, FUNK_B] * 4)
    first = subprocess.Popen(
        [sys.executable, "-m", "rvae_server.cli", "mine", str(songs), str(DATA / "groove"), "-o", str(out),
         "--workers", "1", "--batch", "1", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        ckpt = Path(f"{out}.partial.jsonl")
        deadline = time.monotonic() + 60
        while not (ckpt.exists() and ckpt.stat().st_size > 0) and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(first.pid, signal.SIGSTOP)  # the first run holds its lock, mid-way
        try:
            second = rvae("mine", str(other), "-o", str(out), "--json")
        finally:
            os.kill(first.pid, signal.SIGCONT)
        stdout, stderr = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
    assert "being mined by pid" in one_line_error(second)
    assert first.returncode == 0, stderr
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["files"] == 13 + 17 and json.loads(out.with_suffix(".json").read_text()) == summary
    assert not Path(f"{out}.lock").exists()


def test_resuming_mines_again_a_file_changed_since_its_result_was_checkpointed(songs, tmp_path):
    out = tmp_path / "d.npz"
    killed = rvae("mine", str(songs), "-o", str(out), "--workers", "1", env={KILL_AFTER_ENV: "3"})
    assert killed.returncode == -9
    first_files = [json.loads(line)["path"] for line in Path(f"{out}.partial.jsonl").read_text().splitlines()[1:]]
    changed = Path(next(f for f in first_files if f.endswith("two-bar-late.mid")))  # the 2-bar funk pattern
    write_bars(changed, [ROCK, FUNK_B] * 3)  # now another pattern, the same size in bars
    resumed = rvae("mine", str(songs), "-o", str(out), "--workers", "1", "--json")
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout.strip().splitlines()[-1])
    assert summary["resumed"] == 2 and summary["changed"] == 1
    fresh = rvae("mine", str(songs), "-o", str(tmp_path / "fresh.npz"), "--workers", "1")
    assert fresh.returncode == 0, fresh.stderr
    x, y = arrays(out), arrays(tmp_path / "fresh.npz")
    for k in x:
        np.testing.assert_array_equal(x[k], y[k], err_msg=k)


# ------------------------------------------------------------------------------------------------ datasets


def _npy(header: dict[str, object], body: bytes = b"") -> bytes:
    text = repr(header).encode("latin1")
    text += b" " * (63 - (10 + len(text)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + body


def _npz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(f"{name}.npy", data)
    return buffer.getvalue()


def _real_members(dataset: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(dataset) as zf:
        return {n[:-4]: zf.read(n) for n in zf.namelist()}


@pytest.fixture(scope="module")
def real_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from rvae_server.mining.pipeline import mine

    root = tmp_path_factory.mktemp("real")
    write_corpus(root / "songs")
    out = root / "d.npz"
    mine([(str(root / "songs"), None)], out, workers=1)
    return out


def test_a_header_claiming_a_trillion_items_is_a_one_line_error(real_dataset, tmp_path):
    members = _real_members(real_dataset)
    members["note_bar"] = _npy({"descr": "<i4", "fortran_order": False, "shape": (10**12,)})
    crafted = tmp_path / "trillion.npz"
    crafted.write_bytes(_npz(members))
    with pytest.raises(DatasetError, match="note_bar.*declares 1000000000000 items"):
        read_dataset(crafted)


@pytest.mark.parametrize(
    ("meta", "message"),
    [("[" * 100_000 + "]" * 100_000, "nested too deep"), ('{"format": ' + "9" * 100_000 + "}", "digits")],
    ids=["nested-100000-deep", "a-100000-digit-integer"],
)
def test_crafted_meta_is_a_one_line_error(real_dataset, tmp_path, meta, message):
    members = _real_members(real_dataset)
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(meta))
    members["meta"] = buffer.getvalue()
    crafted = tmp_path / "meta.npz"
    crafted.write_bytes(_npz(members))
    with pytest.raises(DatasetError, match=message) as caught:
        read_dataset(crafted)
    assert "\n" not in str(caught.value)


def test_a_small_file_declaring_a_huge_array_is_refused_before_it_is_read(real_dataset, tmp_path):
    """~300 MB of zeros compressed into ~0.3 MB: refused from its header, the reader stays small."""
    members = _real_members(real_dataset)
    crafted = tmp_path / "zeros.npz"
    size = 300 * 1024**2
    header = _npy({"descr": "<i4", "fortran_order": False, "shape": (size // 4,)})
    with zipfile.ZipFile(crafted, "w", zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            if name != "note_bar":
                zf.writestr(f"{name}.npy", data)
        info = zipfile.ZipInfo("note_bar.npy")
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as fh:
            fh.write(header)
            chunk = bytes(16 * 1024**2)
            for _ in range(size // len(chunk)):
                fh.write(chunk)
    assert crafted.stat().st_size < 5 * 1024**2
    probe = (  # VmHWM: this process's peak (ru_maxrss would keep the peak of the test process that forked it)
        "import sys\n"
        "from rvae_server.core.dataset import DatasetError, read_dataset\n"
        "try:\n    read_dataset(sys.argv[1]); print('read')\n"
        "except DatasetError as err:\n    print('error:', err)\n"
        "print([line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM')][0])\n"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(crafted)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    said, peak_kb = done.stdout.strip().splitlines()
    assert said.startswith("error:") and "note_bar" in said and "declares" in said
    assert int(peak_kb) < 200 * 1024


def test_rvae_map_names_a_bounded_dataset_in_one_line(rvae_here, real_dataset, tmp_path):
    members = _real_members(real_dataset)
    members["note_cell"] = _npy({"descr": "<u2", "fortran_order": False, "shape": (10**12,)})
    crafted = tmp_path / "cells.npz"
    crafted.write_bytes(_npz(members))
    line = one_line_error(rvae_here("map", "groove-all", str(crafted), "-o", str(tmp_path / "m.png")))
    assert "note_cell" in line


# ------------------------------------------------------------------------------------------------ one line


def test_folders_nested_1200_deep_are_listed_by_mine_clip_and_key(tmp_path, rvae_here):
    deep = tmp_path / "deep"
    levels = [str(deep)]
    for _ in range(1200):  # one level at a time: os.makedirs (and shutil.rmtree) recurse
        levels.append(os.path.join(levels[-1], "d"))
    for level in levels:
        os.mkdir(level)
    try:
        write_bars(Path(levels[-1]) / "loop.mid", [ROCK] * 6)
        _mine_clip_and_key(deep, tmp_path, rvae_here)
    finally:
        os.unlink(os.path.join(levels[-1], "loop.mid"))
        for level in reversed(levels):
            os.rmdir(level)


def _mine_clip_and_key(deep: Path, tmp_path: Path, rvae_here) -> None:  # type: ignore[no-untyped-def]
    status, out, err = rvae_here("mine", str(deep), "-o", str(tmp_path / "deep.npz"), "--workers", "1", "--json")
    assert status == 0, err
    assert json.loads(out.strip().splitlines()[-1])["patterns"] == 1
    status, out, err = rvae_here("clip", str(deep), "--json")
    assert status == 0 and "Traceback" not in err
    status, out, err = rvae_here("key", str(deep))
    assert "Traceback" not in err and "RecursionError" not in err


def test_mine_into_a_missing_folder_is_one_line(rvae_here, songs, tmp_path):
    line = one_line_error(rvae_here("mine", str(songs), "-o", str(tmp_path / "nowhere" / "d.npz")))
    assert "does not exist" in line


def test_mine_into_a_read_only_folder_is_one_line(rvae_here, songs, tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    immutable = os.geteuid() == 0 and shutil.which("chattr") is not None
    if immutable:  # root writes through permissions: make the folder immutable instead
        subprocess.run(["chattr", "+i", str(folder)], check=True)
    try:
        line = one_line_error(rvae_here("mine", str(songs), "-o", str(folder / "d.npz"), "--workers", "1"))
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)
    assert str(folder) in line
    assert list(folder.iterdir()) == []


def test_mine_into_a_full_folder_is_one_line_and_resumes_once_there_is_room(songs, tmp_path):
    out = tmp_path / "d.npz"

    def small_files() -> None:  # every file this process writes is limited to 3 kB: a disk that fills up
        resource.setrlimit(resource.RLIMIT_FSIZE, (3000, 3000))

    full = rvae("mine", str(songs), "-o", str(out), "--workers", "1", preexec_fn=small_files)
    assert "File too large" in one_line_error(full)
    room = rvae("mine", str(songs), "-o", str(out), "--workers", "1", "--json")
    assert room.returncode == 0, room.stderr
    assert json.loads(room.stdout.strip().splitlines()[-1])["resumed"] > 0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def test_a_killed_local_worker_is_one_line_and_the_run_resumes(songs, tmp_path):
    for k in range(8):  # enough files that work is still queued when a worker dies
        shutil.copytree(DATA / "groove", songs / f"copy{k}")
    out = tmp_path / "d.npz"
    run = subprocess.Popen(
        [sys.executable, "-m", "rvae_server.cli", "mine", str(songs), "-o", str(out), "--workers", "2", "--batch", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    ckpt = Path(f"{out}.partial.jsonl")
    deadline = time.monotonic() + 60
    while not (ckpt.exists() and ckpt.read_text().count("\n") > 2) and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(run.pid, signal.SIGSTOP)
    try:
        workers = [p for p in _children(run.pid) if "python" in Path(f"/proc/{p}/cmdline").read_text(errors="replace")]
        assert workers, "no worker process found"
        os.kill(workers[0], signal.SIGKILL)
    finally:
        os.kill(run.pid, signal.SIGCONT)
    _, stderr = run.communicate(timeout=120)
    line = one_line_error(subprocess.CompletedProcess([], run.returncode, "", stderr))
    assert "worker" in line and "resume" in line
    again = rvae("mine", str(songs), "-o", str(out), "--workers", "2", "--json")
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout.strip().splitlines()[-1])
    assert summary["resumed"] > 0 and summary["files"] == 13 + 8 * 17


def test_jam_with_a_negative_seed_is_one_line(rvae_here, tmp_path):
    args = ["--model", "groove-all", "--xy", "0.5", "0.5", "--key", "Am", "--bars", "1", "--seed", "-1"]
    line = one_line_error(rvae_here("jam", *args, "-o", str(tmp_path / "j.mid")))
    assert "--seed" in line
