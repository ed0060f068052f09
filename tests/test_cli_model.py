"""``rvae train / encode / render / models`` end to end, in subprocesses, on real GMD clips."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from rvae_server.cli import build_parser, main
from rvae_server.core.bar import parse_instruments
from rvae_server.core.midifile import read_clip
from rvae_server.model.inference import LoadedModel
from rvae_server.model.planes import mutes_from_indices

GROOVE = Path(__file__).parent / "data" / "groove"
CLIPS = [
    GROOVE / "drummer7/session2/79_funk_100_beat_4-4.mid",
    GROOVE / "drummer7/session3/130_soul_105_beat_4-4.mid",
]


@pytest.fixture(autouse=True)
def one_thread() -> None:
    torch.set_num_threads(1)  # as the server runs; 2 threads crawl when the cores are busy


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``rvae ARGS`` in this process (fast); returns (status, stdout, stderr)."""
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def rvae(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "rvae_server.cli", *args],
        capture_output=True, text=True, timeout=180, cwd=cwd, env=env,
    )  # fmt: skip


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    models = tmp_path_factory.mktemp("models")
    proc = rvae("train", *map(str, CLIPS), "--name", "cli-test", "--epochs", "4", "--seed", "1",
                "--models-dir", str(models), "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return models, json.loads(proc.stdout.strip().splitlines()[-1])


def test_train_json_summary_and_progress(trained: tuple[Path, dict[str, object]]) -> None:
    models, summary = trained
    assert set(summary) == {
        "model", "bars", "epochs", "best_epoch", "recipe", "train_loss", "val_loss", "seconds", "evaluation", "report"
    }  # fmt: skip
    report = summary["report"]
    assert isinstance(report, dict) and report["kept_epoch"] == summary["best_epoch"]
    assert report["kept_val_loss"] == pytest.approx(summary["val_loss"], abs=1e-3)  # the kept epoch's loss
    assert Path(str(summary["model"])) == models / "cli-test"
    assert summary["epochs"] == 4 and 1 <= int(summary["best_epoch"]) <= 4  # type: ignore[call-overload]
    assert summary["recipe"] == "v3"
    evaluation = summary["evaluation"]
    assert isinstance(evaluation, dict) and evaluation == LoadedModel.load(models / "cli-test").evaluation
    assert summary["bars"] == sum(len(read_clip(c).used_bars()) for c in CLIPS)
    assert isinstance(summary["val_loss"], float) and isinstance(summary["seconds"], float)
    assert sorted(os.listdir(models)) == ["cli-test"]


def test_train_progress_lines_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = cli(capsys, "train", str(CLIPS[0]), "--name", "p", "--epochs", "2", "--models-dir", str(tmp_path))
    assert status == 0, err
    assert "epoch 1/2" in err and "epoch 2/2" in err  # one line per epoch when not a TTY
    assert "val F1" in err and "kept epoch" in err and "doubles per 100" in err  # the report and the feel
    assert "split by bar" in err
    bad = tmp_path / "junk.mid"
    bad.write_bytes(b"junk")
    status, out, err = cli(capsys, "train", str(bad), "--name", "q", "--models-dir", str(tmp_path / "out"), "--json")
    assert status == 1
    assert "no usable bars" in json.loads(out.strip().splitlines()[-1])["error"]
    assert "junk.mid" in err
    assert not (tmp_path / "out" / "q").exists()
    status, _, err = cli(capsys, "train", str(CLIPS[0]), "--name", "bad/name", "--models-dir", str(tmp_path))
    assert status == 1 and "invalid model name" in err


def _default_sigint() -> None:
    """Ctrl-C as at a terminal: a suite started in the background by a shell (``tests &``) ignores SIGINT, and
    a child inherits that, so Python would never raise KeyboardInterrupt in it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_leaves_previous_model_untouched(trained: tuple[Path, dict[str, object]], tmp_path: Path) -> None:
    models, _ = trained
    shutil.copytree(models / "cli-test", tmp_path / "cli-test")
    before = {p.name: p.read_bytes() for p in (tmp_path / "cli-test").iterdir()}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rvae_server.cli", "train", *map(str, CLIPS), "--name", "cli-test", "--epochs", "50000",
         "--models-dir", str(tmp_path), "--force"],
        stderr=subprocess.PIPE, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"},
        preexec_fn=_default_sigint,
    )  # fmt: skip
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("epoch 1/50000"):  # minutes of training: still running when the signal comes
            break
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=60)  # read on: a full stderr pipe would block the child's last words
    assert proc.returncode == 130
    assert "no model written" in rest
    assert sorted(os.listdir(tmp_path)) == ["cli-test"]
    assert {p.name: p.read_bytes() for p in (tmp_path / "cli-test").iterdir()} == before


def test_encode_json(trained: tuple[Path, dict[str, object]], capsys: pytest.CaptureFixture[str]) -> None:
    models, _ = trained
    status, out, err = cli(
        capsys, "encode", "--model", "cli-test", "--models-dir", str(models), str(CLIPS[0]), "--json"
    )
    assert status == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    clip = read_clip(CLIPS[0])
    assert [d["index"] for d in lines] == [b.index for b in clip.bars if b.used]
    xy = np.array([d["xy"] for d in lines])
    assert ((xy >= 0) & (xy <= 1)).all()
    model = LoadedModel.load(models / "cli-test")
    expected = model.encode(np.stack([b.bar.planes() for b in clip.bars if b.used]))
    assert np.allclose(xy, expected, atol=1e-5)


def test_render_matches_pattern(trained: tuple[Path, dict[str, object]], tmp_path: Path) -> None:
    models, _ = trained
    out = tmp_path / "out.mid"
    proc = rvae(
        "render", "--model", str(models / "cli-test"), "--xy", "0.3", "0.6", "--threshold", "0.3", "--noise", "0.5",
        "--seed", "9", "--bars", "3", "--bpm", "100", "--mute", "ride,crash", "-o", str(out),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    clip = read_clip(out)
    assert len(clip.bars) == 3 and all(abs(b.bpm - 100) < 1e-6 for b in clip.bars)
    model = LoadedModel.load(models / "cli-test")
    rng = np.random.default_rng(9)
    mutes = mutes_from_indices(parse_instruments("ride,crash"))
    expected = [model.pattern((0.3, 0.6), 0.3, 0.5, rng, mutes) for _ in range(3)]
    assert any(e.onset_count() for e in expected)
    for got, want in zip(clip.bars, expected, strict=True):
        assert np.array_equal(got.bar.onsets, want.onsets)
        assert np.abs(got.bar.velocities - want.velocities).max() <= 0.5 / 127 + 1e-6
        assert np.abs(got.bar.microtiming - want.microtiming).max() <= 0.06
        assert got.bar.onsets[:, 7:].sum() == 0  # crash, ride muted


def test_render_wav_and_bad_arguments(
    trained: tuple[Path, dict[str, object]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    models, _ = trained
    wav = tmp_path / "out.wav"
    status, _, err = cli(capsys, "render", "--model", "cli-test", "--models-dir", str(models), "--xy", "0.5", "0.5",
                         "--threshold", "0.2", "-o", str(wav))  # fmt: skip
    assert status == 0, err
    assert wav.read_bytes()[:4] == b"RIFF"
    x_mid = str(tmp_path / "x.mid")
    for extra, message in (
        (["--xy", "1.5", "0.5"], "--xy must be two numbers in [0, 1]"),
        (["--xy", "0.5", "0.5", "--mute", "cowbell"], "unknown instrument 'cowbell'"),
        (["--xy", "0.5", "0.5", "--noise", "2"], "--noise must be in [0, 1]"),
    ):
        status, _, err = cli(capsys, "render", "--model", "cli-test", "--models-dir", str(models), *extra, "-o", x_mid)
        assert status == 1 and message in err, err
    status, _, err = cli(
        capsys, "render", "--model", "nope", "--models-dir", str(models), "--xy", "0", "0", "-o", x_mid
    )
    assert status == 1 and "no model of this name" in err and "cli-test" in err
    assert not (tmp_path / "x.mid").exists()


def test_models_listing(
    trained: tuple[Path, dict[str, object]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    models, _ = trained
    status, out, err = cli(capsys, "models", "--models-dir", str(models), "--json")
    assert status == 0, err
    (entry,) = [json.loads(line) for line in out.splitlines()]
    assert entry["name"] == "cli-test" and entry["default"] is True and entry["epochs"] == 4
    assert entry["kept_epoch"] == entry["report"]["kept_epoch"] and "val_f1" in entry
    status, out, _ = cli(capsys, "models", "--models-dir", str(models))
    assert status == 0 and "cli-test" in out and "kept epoch" in out and "val F1" in out
    status, _, err = cli(capsys, "models", "--models-dir", str(tmp_path / "empty"))
    assert status == 1 and "no models found" in err


def test_only_the_command_asked_for_is_imported() -> None:
    code = (
        "import sys; from rvae_server.cli import build_parser; p = build_parser('train'); "
        "print(sorted(m for m in sys.modules if m.startswith('rvae_server.cli.')), 'rvae_server.session.daemon' in "
        "sys.modules, 'rvae_server.mining.mapfigure' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
    assert out.split("]")[1].split() == ["False", "False"]  # rvae train: no server, no miner, no map
    assert "'rvae_server.cli.serve'" not in out and "'rvae_server.cli.train'" in out
    full = build_parser()  # without arguments (rvae --help): every command
    names = set(next(a for a in full._actions if a.dest == "command").choices)  # type: ignore[arg-type]
    assert {"train", "serve", "osc", "eval", "map"} <= names
