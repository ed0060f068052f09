"""``rvae mine`` as a command (a subprocess; the checks of bad arguments run it in this process): the JSON summary
line, resuming after a kill, broken files counted, and the executor seam (local processes, a Dask LocalCluster of 2
workers, a local Ray) giving the same dataset."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rvae_server.core.midifile import find_clips
from rvae_server.mining.pipeline import KILL_AFTER_ENV, KILL_AT_ENV, RUN_FIELDS, select
from rvae_server.mining.work import jobs_for
from tests.mining_corpus import EXPECTED, write_corpus

DATA = Path(__file__).parent / "data"


def rvae(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rvae_server.cli", *args], capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as npz:
        return {k: npz[k] for k in npz.files if k != "meta"}


def assert_same_dataset(a: Path, b: Path) -> None:
    x, y = arrays(a), arrays(b)
    assert x.keys() == y.keys()
    for k in x:
        np.testing.assert_array_equal(x[k], y[k], err_msg=k)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    root = tmp_path_factory.mktemp("cli") / "songs"
    write_corpus(root)
    return [str(root), str(DATA / "groove"), str(DATA / "mining")]


def test_mine_prints_the_summary_as_the_last_line_and_writes_dataset_and_summary(corpus, tmp_path):
    out = tmp_path / "d.npz"
    done = rvae("mine", *corpus, "-o", str(out), "--workers", "2", "--style", f"{DATA / 'mining'}=game", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["patterns"] >= EXPECTED["patterns"] and summary["files"] == 13 + 17 + 4
    assert summary["broken"]["corrupt MIDI file"] == 1 and summary["executor"] == "local"
    assert summary["workers"] == 2
    assert json.loads(out.with_suffix(".json").read_text())["patterns"] == summary["patterns"]
    assert "34/34 files" in done.stderr  # the progress
    assert not Path(f"{out}.partial.jsonl").exists()
    table = rvae("mine", *corpus, "-o", str(tmp_path / "e.npz"), "--workers", "1")
    assert table.returncode == 0 and "unique patterns (phase shifts removed)" in table.stdout


def test_a_killed_run_resumes_from_its_checkpoint_and_gives_the_same_dataset(corpus, tmp_path):
    out = tmp_path / "d.npz"
    killed = rvae("mine", *corpus, "-o", str(out), "--workers", "1", "--json", env={KILL_AFTER_ENV: "7"})
    assert killed.returncode == -9  # SIGKILL: nothing ran after the kill
    assert not out.exists()
    lines = Path(f"{out}.partial.jsonl").read_text().splitlines()
    assert len(lines) == 1 + 7 and json.loads(lines[0])["kind"] == "rvae-mine-checkpoint"
    with open(f"{out}.partial.jsonl", "a") as fh:
        fh.write('{"file": "torn by the kill", "pa')  # a half-written line is ignored
    resumed = rvae("mine", *corpus, "-o", str(out), "--workers", "2", "--json")
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout.strip().splitlines()[-1])
    assert summary["resumed"] == 7 and summary["files"] == 34
    fresh = rvae("mine", *corpus, "-o", str(tmp_path / "fresh.npz"), "--workers", "2", "--json")
    assert json.loads(fresh.stdout.strip().splitlines()[-1])["patterns"] == summary["patterns"]
    assert_same_dataset(out, tmp_path / "fresh.npz")


@pytest.mark.parametrize(
    "kill",
    [{KILL_AFTER_ENV: "1"}, {KILL_AFTER_ENV: "34"}, {KILL_AT_ENV: "merged"}, {KILL_AT_ENV: "dataset"},
     {KILL_AT_ENV: "summary"}],
    ids=["after-1-file", "after-the-last-file", "merged", "dataset-written", "summary-written"],
)  # fmt: skip
def test_a_run_killed_at_any_point_resumes_to_the_same_dataset(corpus, tmp_path, kill):
    fresh = tmp_path / "fresh.npz"
    assert rvae("mine", *corpus, "-o", str(fresh), "--workers", "2").returncode == 0
    out = tmp_path / "d.npz"
    assert rvae("mine", *corpus, "-o", str(out), "--workers", "2", env=kill).returncode == -9
    resumed = rvae("mine", *corpus, "-o", str(out), "--workers", "2", "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert_same_dataset(out, fresh)
    with np.load(out) as a, np.load(fresh) as b:
        meta_a, meta_b = json.loads(str(a["meta"])), json.loads(str(b["meta"]))
    assert {**meta_a, "created": None} == {**meta_b, "created": None}
    summary = json.loads(resumed.stdout.strip().splitlines()[-1])
    want = json.loads(fresh.with_suffix(".json").read_text())
    drop = {*RUN_FIELDS, "dataset", "summary"}
    assert {k: v for k, v in summary.items() if k not in drop} == {k: v for k, v in want.items() if k not in drop}
    assert not Path(f"{out}.partial.jsonl").exists() and not Path(f"{out}.lock").exists()


def test_a_checkpoint_of_other_settings_is_refused_until_fresh(corpus, tmp_path):
    out = tmp_path / "d.npz"
    rvae("mine", *corpus, "-o", str(out), "--workers", "1", env={KILL_AFTER_ENV: "3"})
    other = rvae("mine", *corpus, "-o", str(out), "--min-repeats", "2", "--json")
    assert other.returncode == 1
    assert "other settings" in json.loads(other.stdout.strip().splitlines()[-1])["error"]
    again = rvae("mine", *corpus, "-o", str(out), "--min-repeats", "2", "--fresh", "--json")
    assert again.returncode == 0 and json.loads(again.stdout.splitlines()[-1])["resumed"] == 0


def test_limit_takes_the_first_files_and_sample_draws_them_with_a_seed(rvae_here, corpus, tmp_path):
    def mined(*args: str) -> dict:
        status, out, err = rvae_here("mine", *corpus, "-o", str(tmp_path / "x.npz"), "--workers", "1", "--fresh",
                                     "--json", *args)  # fmt: skip
        assert status == 0, err
        return json.loads(out.strip().splitlines()[-1])

    jobs = jobs_for([(c, None) for c in corpus], find_clips)
    assert [j.path for j in select(jobs, limit=5)] == [j.path for j in jobs[:5]]
    drawn = [j.path for j in select(jobs, sample=7, seed=1)]
    assert drawn == [j.path for j in select(jobs, sample=7, seed=1)] != [j.path for j in select(jobs, sample=7, seed=2)]
    assert drawn == [j.path for j in jobs if j.path in set(drawn)]  # kept in path order
    assert mined("--limit", "5")["files"] == 5 and mined("--limit", "500")["files"] == 34
    assert mined("--sample", "7", "--seed", "1")["files"] == 7
    status, out, _ = rvae_here(
        "mine", *corpus, "-o", str(tmp_path / "y.npz"), "--limit", "2", "--sample", "2", "--json"
    )
    assert status == 1 and "give one" in json.loads(out.strip().splitlines()[-1])["error"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/no/such/folder"], "no such file or folder"),
        (["{corpus}", "--style", "/elsewhere=rock"], "not mined"),
        (["{corpus}", "--min-repeats", "1"], "at least 2"),
        (["{corpus}", "--workers", "0"], "at least 1"),
        (["{corpus}", "--executor", "local", "--address", "tcp://127.0.0.1:1"], "--address is for"),
        (["{corpus}", "--limit", "0"], "at least 1"),
    ],
)
def test_bad_arguments_are_errors_naming_the_cause(rvae_here, corpus, tmp_path, args, message):
    status, out, _ = rvae_here(
        "mine", *[a.format(corpus=corpus[0]) for a in args], "-o", str(tmp_path / "x.npz"), "--json"
    )
    assert status == 1
    assert message in json.loads(out.strip().splitlines()[-1])["error"]


@pytest.mark.parametrize("executor", ["dask", "ray"])
def test_the_executor_seam_gives_the_same_dataset_on_dask_and_ray(corpus, tmp_path, executor):
    local = tmp_path / "local.npz"
    assert rvae("mine", *corpus, "-o", str(local), "--workers", "2").returncode == 0
    out = tmp_path / f"{executor}.npz"
    done = rvae("mine", *corpus, "-o", str(out), "--executor", executor, "--workers", "2", "--batch", "4", "--json",
                timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["executor"] == executor and summary["workers"] == 2
    assert_same_dataset(local, out)


def test_rvae_train_trains_on_a_dataset_and_records_it(corpus, tmp_path):
    out = tmp_path / "d.npz"
    assert rvae("mine", *corpus, "-o", str(out), "--workers", "1", "--min-repeats", "2").returncode == 0
    done = rvae("train", str(out), "--name", "from-dataset", "--epochs", "2", "--models-dir", str(tmp_path), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    meta = json.loads((tmp_path / "from-dataset" / "meta.json").read_text())
    summary = json.loads(out.with_suffix(".json").read_text())
    record = meta["training"]["datasets"][0]
    assert record["name"] == "d.npz" and record["patterns"] == summary["patterns"]
    assert result["bars"] == record["bars"] == sum(c["bars"] for c in meta["training"]["clips"])
    assert {c["path"].split("/")[0] for c in meta["training"]["clips"]} <= {"songs", "groove", "mining"}
    assert meta["training"]["split"] == "clip"  # by source file
    # rvae eval reads the model's own bars back from the dataset (recorded path, else beside the model's folder)
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    (tmp_path / "from-dataset").rename(moved / "from-dataset")
    out.rename(moved / "d.npz")
    evaluated = rvae("eval", str(moved / "from-dataset"), "--points", "50", "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    figures = json.loads(evaluated.stdout.strip().splitlines()[-1])
    splits = {c["split"] for c in meta["training"]["clips"]}
    assert figures["train"]["bars"] == sum(c["bars"] for c in meta["training"]["clips"] if c["split"] == "train")
    assert "validation" not in splits or figures["validation"]["bars"] > 0
    assert not [n for n in figures["notes"] if "cannot read" in n], figures["notes"]
