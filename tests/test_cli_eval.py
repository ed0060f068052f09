"""``rvae eval``: the table and JSON, on a model's own clips (read back from its metadata) or on clips given."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from rvae_server.cli import main
from rvae_server.model.inference import LoadedModel
from rvae_server.model.training import GMD_LICENCE, train_and_save

GROOVE = Path(__file__).parent / "data" / "groove"
CLIPS = sorted(GROOVE.rglob("*_beat_4-4.mid"))[:7]


@pytest.fixture(autouse=True)
def one_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("models")
    train_and_save([str(p) for p in CLIPS], "ev", str(out), epochs=20, licence=GMD_LICENCE, clip_root=str(GROOVE))
    return out


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_eval_own_clips_json_matches_the_stored_figures(models: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = cli(capsys, "eval", "ev", "--models-dir", str(models), "--clip-root", str(GROOVE), "--json")
    assert status == 0, err
    figures = json.loads(out)
    stored = LoadedModel.load(models / "ev").evaluation
    assert stored is not None
    assert figures["model"] == "ev" and figures["notes"] == []
    for key in ("random", "grid", "train", "validation"):  # the same bars, points and threshold as at training
        assert set(figures[key]) == set(stored[key])
        for name, value in stored[key].items():  # (stored from float32 weights; the file holds float16)
            assert figures[key][name] == pytest.approx(value, rel=0.03, abs=0.02), (key, name)
    assert figures["train"]["bars"] + figures["validation"]["bars"] == sum(
        c["bars"] for c in LoadedModel.load(models / "ev").meta["training"]["clips"]
    )


def test_eval_table_on_given_clips_and_threshold(models: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clip = str(CLIPS[0])
    status, out, err = cli(capsys, "eval", "ev", clip, "--models-dir", str(models), "--threshold", "0.3")
    assert status == 0, err
    assert out.startswith("model ev\nthreshold 0.3")
    assert "1000 random" in out and "30x30 grid" in out and "train" in out and "validation" not in out
    dense = json.loads(cli(capsys, "eval", "ev", clip, "--models-dir", str(models), "--threshold", "0.3", "--json")[1])
    sparse = json.loads(cli(capsys, "eval", "ev", clip, "--models-dir", str(models), "--threshold", "0.8", "--json")[1])
    assert dense["random"]["onsets"] > sparse["random"]["onsets"]


def test_eval_without_clips_and_errors(models: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = cli(capsys, "eval", "ev", "--models-dir", str(models), "--clip-root", str(tmp_path), "--json")
    assert status == 0, err
    figures = json.loads(out)
    assert "train" not in figures and figures["random"]["density"] > 0  # against the recorded onsets per bar
    assert any("cannot read" in n for n in figures["notes"]) and any("pad figures only" in n for n in figures["notes"])
    status, out, err = cli(capsys, "eval", "nope", "--models-dir", str(models), "--json")
    assert status == 1 and "no model of this name" in json.loads(out)["error"]
    status, _, err = cli(capsys, "eval", "ev", "--models-dir", str(models), "--threshold", "2")
    assert status == 1 and "--threshold must be in [0, 1]" in err
    junk = tmp_path / "junk.mid"
    junk.write_bytes(b"junk")
    status, _, err = cli(capsys, "eval", "ev", str(junk), "--models-dir", str(models))
    assert status == 1 and "no usable bars" in err
