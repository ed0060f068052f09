"""``rvae clip`` end to end, as a subprocess."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from rvae_server.core.bar import INSTRUMENT_NAMES

DATA = Path(__file__).parent / "data" / "groove"


def rvae(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rvae_server.cli", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_json_lines_for_a_folder_with_a_bad_file(tmp_path):
    shutil.copytree(DATA / "drummer6", tmp_path / "clips" / "drummer6")
    (tmp_path / "clips" / "broken.mid").write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x02")
    (tmp_path / "clips" / "notes.txt").write_text("not a clip")
    result = rvae("clip", str(tmp_path / "clips"), "--json")
    assert result.returncode == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    by_name = {Path(r["file"]).name: r for r in rows}
    assert set(by_name) == {"broken.mid"} | {p.name for p in (DATA / "drummer6").rglob("*.mid")}
    assert "corrupt" in by_name["broken.mid"]["error"]
    good = by_name["1_rock_70_beat_6-8.mid"]
    assert good["error"] is None and good["meter"] == "6/8"
    first = good["bars"][0]
    assert first["index"] == 0 and first["used"] is True
    assert list(first["onsets"]) == list(INSTRUMENT_NAMES)
    assert sum(first["onsets"].values()) > 10


def test_exit_zero_when_all_read_and_a_readable_table():
    result = rvae("clip", str(DATA / "drummer7/session2/26_rock_118_beat_4-4.mid"), str(DATA / "drummer1"))
    assert result.returncode == 0, result.stderr
    assert "meter 4/4  18 bars" in result.stdout
    assert "meter 3/4  0 bars" in result.stdout and "skipped: meter 3/4 (simple, 3 beats a bar)" in result.stdout
    assert " KK  SN  CH" in result.stdout


def test_missing_file_and_empty_folder_are_errors(tmp_path):
    result = rvae("clip", str(tmp_path / "nope.mid"), str(tmp_path), "--json")
    assert result.returncode == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[0]["error"] == "no such file"
    assert "no .mid or .midi files" in rows[1]["error"]
