"""Models in memory: loading at start, the watcher that loads models saved later, the playable start point."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rvae_server.model.inference import LoadedModel
from rvae_server.model.library import ModelWatcher, NoModels, load_models
from rvae_server.model.modeldirs import bundled_models_dir, default_model
from rvae_server.session.daemon import playable_start


@pytest.fixture(scope="module")
def bundled() -> Path:
    info = default_model([bundled_models_dir()])
    assert info is not None, f"no bundled model in {bundled_models_dir()}"
    return info.path


def test_load_models_skips_a_damaged_one_and_names_the_default(bundled, tmp_path):
    shutil.copytree(bundled, tmp_path / "good")
    shutil.copytree(bundled, tmp_path / "bad")
    (tmp_path / "bad" / "weights.safetensors").write_bytes(b"\x00" * 10)
    models, default, problems = load_models([tmp_path], "good")
    assert "good" in models and "bad" not in models and default == "good"
    assert any("'bad'" in p for p in problems)
    with pytest.raises(NoModels, match="'nope' is not among"):
        load_models([tmp_path], "nope")


def test_watcher_loads_new_models_and_ignores_broken_ones(bundled, tmp_path):
    arrived: list[tuple[str, LoadedModel]] = []
    watcher = ModelWatcher([tmp_path], lambda name, model: arrived.append((name, model)))
    assert watcher.check() == []
    shutil.copytree(bundled, tmp_path / ".fresh.tmp-1")  # a save in progress is never picked up
    assert watcher.check() == []
    (tmp_path / ".fresh.tmp-1").rename(tmp_path / "fresh")
    assert watcher.check() == ["fresh"] and arrived[0][0] == "fresh"
    assert watcher.check() == []  # once
    shutil.copytree(bundled, tmp_path / "broken")
    (tmp_path / "broken" / "weights.safetensors").write_bytes(b"junk")
    assert watcher.check() == []


def test_playable_start_is_near_the_centre_and_plays(bundled):
    model = LoadedModel.load(bundled)
    x, y = playable_start(model)
    assert 0 <= x <= 1 and 0 <= y <= 1
    assert model.pattern((x, y)).onset_count() >= 8
