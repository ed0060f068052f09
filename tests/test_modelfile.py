"""Model files: round trip, atomic replacement (crashes at every step), damaged and foreign files, finding and
resolving models."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import safetensors.numpy
import torch

import rvae_server.model.modelfile as mf
from rvae_server.model.inference import LoadedModel
from rvae_server.model.modeldirs import default_model, find_models, resolve_model
from rvae_server.model.modelfile import ModelFileError, load_model, save_model
from rvae_server.model.network import ModelConfig, RhythmVAE, expected_tensors

META = {"training": {"epochs": 1, "bars": {"train": 5, "validation": 1}, "clips": []}, "licence": {"attribution": "x"}}


def model(seed: int = 0) -> RhythmVAE:
    torch.manual_seed(seed)
    return RhythmVAE(ModelConfig(hidden=32))


def folder_bytes(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


def test_round_trip_float16_and_float32(tmp_path: Path) -> None:
    m = model()
    p16 = save_model(m, META, tmp_path, "m16")
    p32 = save_model(m, META, tmp_path, "m32", dtype="float32")
    assert sorted(os.listdir(p16)) == ["meta.json", "weights.safetensors"]
    d16, d32 = load_model(p16), load_model(p32 / "meta.json")
    assert d16.config == d32.config == m.config
    for key, value in m.state_dict().items():
        assert d32.tensors[key].dtype == np.float32 and np.array_equal(d32.tensors[key], value.numpy())
        assert np.allclose(d16.tensors[key], value.numpy(), atol=1e-3, rtol=1e-3)
    meta = d16.meta
    assert meta["format"] == "rvae-model" and meta["format_version"] == 1 and meta["name"] == "m16"
    assert [i["name"] for i in meta["instruments"]][:2] == ["kick", "snare"]
    assert meta["weights"]["dtype"] == "float16" and meta["training"]["epochs"] == 1
    assert d16.to_module().state_dict().keys() == m.state_dict().keys()


def test_replace_is_atomic_and_leaves_nothing_behind(tmp_path: Path) -> None:
    save_model(model(0), META, tmp_path, "m")
    save_model(model(1), META, tmp_path, "m")
    assert sorted(os.listdir(tmp_path)) == ["m"]
    assert np.allclose(
        load_model(tmp_path / "m").tensors["decoder.hidden.bias"],
        model(1).state_dict()["decoder.hidden.bias"],
        atol=1e-3,
    )


@pytest.mark.parametrize("where", ["weights", "meta", "install"])
def test_crash_mid_save_keeps_old_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    old = save_model(model(0), META, tmp_path, "m")
    before = folder_bytes(old)
    real_write = mf._write_synced

    def write(path: Path, data: bytes) -> None:
        if (where == "weights" and path.name == "weights.safetensors") or (
            where == "meta" and path.name == "meta.json"
        ):
            real_write(path, data[: len(data) // 2])
            raise KeyboardInterrupt  # Ctrl-C in the middle of writing
        real_write(path, data)

    def install(tmp: Path, target: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(mf, "_write_synced", write)
    monkeypatch.setattr(mf, "_install", install)
    with pytest.raises((KeyboardInterrupt, ModelFileError)):
        save_model(model(1), META, tmp_path, "m")
    assert folder_bytes(old) == before
    assert sorted(os.listdir(tmp_path)) == ["m"]  # no partial folder
    load_model(old)


def test_fallback_without_exchange(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mf, "_exchange", lambda a, b: False)
    save_model(model(0), META, tmp_path, "m")
    new = save_model(model(1), META, tmp_path, "m")
    assert sorted(os.listdir(tmp_path)) == ["m"]
    load_model(new)
    before = folder_bytes(new)
    real_rename = os.rename
    calls: list[Any] = []

    def rename(a: Any, b: Any) -> None:
        calls.append((a, b))
        if len(calls) == 2:  # new → name fails after old → backup
            raise OSError(5, "I/O error")
        real_rename(a, b)

    monkeypatch.setattr(mf.os, "rename", rename)
    with pytest.raises(ModelFileError, match="I/O error"):
        save_model(model(2), META, tmp_path, "m")
    monkeypatch.setattr(mf.os, "rename", real_rename)
    assert folder_bytes(tmp_path / "m") == before
    assert sorted(os.listdir(tmp_path)) == ["m"]


def test_interrupted_fallback_is_restored(tmp_path: Path) -> None:
    """A crash between 'old → backup' and 'new → name' leaves only the backup: the next lookup restores it."""
    save_model(model(0), META, tmp_path, "m")
    dead_pid = 2**22 + 12345  # above pid_max on Linux: never alive
    os.rename(tmp_path / "m", tmp_path / f".m.old-{dead_pid}-abcd1234")
    os.mkdir(tmp_path / f".m.tmp-{dead_pid}-00ff00ff")  # a crashed save's temporary folder
    assert resolve_model("m", [tmp_path]) == tmp_path / "m"
    load_model(tmp_path / "m")
    save_model(model(1), META, tmp_path, "m")
    assert sorted(os.listdir(tmp_path)) == ["m"]


def test_non_model_folder_is_not_replaced(tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"x")
    with pytest.raises(ModelFileError, match="not a model folder"):
        save_model(model(), META, tmp_path, "photos")
    assert os.listdir(tmp_path / "photos") == ["cat.jpg"]
    with pytest.raises(ModelFileError, match="invalid model name"):
        save_model(model(), META, tmp_path, "../evil")


def _rewrite_weights(path: Path, data: bytes) -> None:
    (path / "weights.safetensors").write_bytes(data)
    meta = json.loads((path / "meta.json").read_text())
    meta["weights"]["sha256"] = hashlib.sha256(data).hexdigest()
    (path / "meta.json").write_text(json.dumps(meta))


def _edit_meta(path: Path, **changes: Any) -> None:
    meta = json.loads((path / "meta.json").read_text())
    meta.update(changes)
    (path / "meta.json").write_text(json.dumps(meta))


def damage_truncated_unchecked(p: Path) -> None:
    data = (p / "weights.safetensors").read_bytes()
    (p / "weights.safetensors").write_bytes(data[:1000])


def damage_truncated(p: Path) -> None:
    _rewrite_weights(p, (p / "weights.safetensors").read_bytes()[:1000])


def damage_wrong_shape(p: Path) -> None:
    tensors = safetensors.numpy.load((p / "weights.safetensors").read_bytes())
    tensors["decoder.onsets.weight"] = np.zeros((10, 32), np.float16)
    _rewrite_weights(p, safetensors.numpy.save(tensors))


def damage_missing_tensor(p: Path) -> None:
    tensors = safetensors.numpy.load((p / "weights.safetensors").read_bytes())
    del tensors["encoder.mean.bias"]
    _rewrite_weights(p, safetensors.numpy.save(tensors))


def damage_wrong_dtype(p: Path) -> None:
    tensors = safetensors.numpy.load((p / "weights.safetensors").read_bytes())
    tensors = {k: v.astype(np.float64) for k, v in tensors.items()}
    _rewrite_weights(p, safetensors.numpy.save(tensors))


def damage_nan(p: Path) -> None:
    tensors = safetensors.numpy.load((p / "weights.safetensors").read_bytes())
    tensors["decoder.hidden.bias"][0] = np.nan
    _rewrite_weights(p, safetensors.numpy.save(tensors))


def damage_pickle(p: Path) -> None:
    _rewrite_weights(p, pickle.dumps({"decoder.hidden.bias": [1, 2, 3]}))


def damage_torch_save(p: Path) -> None:
    torch.save(model().state_dict(), p / "weights.safetensors")
    _rewrite_weights(p, (p / "weights.safetensors").read_bytes())


def damage_bad_json(p: Path) -> None:
    (p / "meta.json").write_text('{"format": "rvae-model", ')


def damage_version(p: Path) -> None:
    _edit_meta(p, format_version=99)


def damage_foreign(p: Path) -> None:
    _edit_meta(p, format="keras")


def damage_config(p: Path) -> None:
    _edit_meta(p, config={"hidden": 32})


def damage_instruments(p: Path) -> None:
    _edit_meta(p, instruments=[{"name": "kick"}])


def damage_no_weights(p: Path) -> None:
    (p / "weights.safetensors").unlink()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (damage_truncated_unchecked, "weights.safetensors: damaged: its SHA-256 differs"),
        (damage_truncated, "weights.safetensors: not a valid safetensors file"),
        (damage_wrong_shape, "tensor decoder.onsets.weight has shape (10, 32), expected (864, 32)"),
        (damage_missing_tensor, "missing encoder.mean.bias"),
        (damage_wrong_dtype, "dtype float64"),
        (damage_nan, "NaN"),
        (damage_pickle, "pickle"),
        (damage_torch_save, "pickle or torch checkpoint"),
        (damage_bad_json, "meta.json: invalid JSON"),
        (damage_version, "format version 99 is not supported"),
        (damage_foreign, "not an rvae model"),
        (damage_config, "model config lacks fields"),
        (damage_instruments, "instrument table differs"),
        (damage_no_weights, "weights.safetensors: missing"),
    ],
)
def test_damaged_or_foreign_files_give_clear_errors(tmp_path: Path, damage: Any, message: str) -> None:
    path = save_model(model(), META, tmp_path, "m")
    damage(path)
    before = folder_bytes(path)
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    assert message in str(info.value)
    assert str(info.value).startswith(str(path))
    assert "\n" not in str(info.value)
    assert folder_bytes(path) == before  # nothing touched


def test_pickle_files_are_refused_unread(tmp_path: Path) -> None:
    pt = tmp_path / "model.pt"
    torch.save(model().state_dict(), pt)
    for p in (pt, tmp_path / "x.pkl"):
        with pytest.raises(ModelFileError, match="never loaded"):
            load_model(p)
        with pytest.raises(ModelFileError, match="never loaded"):
            resolve_model(str(p), [tmp_path])
    other = tmp_path / "notes.txt"
    other.write_text("hi")
    with pytest.raises(ModelFileError, match="not a model"):
        load_model(other)


def test_find_resolve_and_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    save_model(model(), META, a, "zeta")
    save_model(model(), META, a, "alpha")
    save_model(model(), META, b, "beta")
    save_model(model(), META, b, "alpha")
    broken = save_model(model(), META, b, "broken")
    (broken / "meta.json").write_text("{")
    (a / ".hidden").mkdir()
    (a / "notamodel").mkdir()
    found = find_models([a, b])
    assert [(m.name, m.path.parent.name) for m in found] == [
        ("alpha", "a"), ("zeta", "a"), ("alpha", "b"), ("beta", "b"), ("broken", "b")
    ]  # fmt: skip
    assert found[-1].error is not None and "invalid JSON" in found[-1].error
    assert found[0].default  # no README: the first model
    assert found[0].summary()["bars"] == 6 and found[0].summary()["epochs"] == 1
    (b / "README.md").write_text("# Models\n\nDefault model: `beta`\n")
    assert default_model([a, b]).path == b / "beta"  # type: ignore[union-attr]
    assert [m.name for m in find_models([a, b]) if m.default] == ["beta"]
    assert resolve_model("alpha", [a, b]) == a / "alpha"  # first dir wins
    assert resolve_model("beta", [a, b]) == b / "beta"
    assert resolve_model(str(b / "alpha"), [a]) == b / "alpha"
    with pytest.raises(ModelFileError, match=r"no model of this name .*available: alpha, beta, zeta"):
        resolve_model("gamma", [a, b])
    with pytest.raises(ModelFileError, match="no such model folder"):
        resolve_model(str(tmp_path / "nowhere" / "m"), [a])
    monkeypatch.chdir(tmp_path)
    shutil.copytree(a, tmp_path / "models")
    assert resolve_model("zeta") == tmp_path / "models" / "zeta"  # ./models is searched by default


def test_a_model_file_from_before_the_new_config_fields_still_loads(tmp_path: Path) -> None:
    """Models written before decoder_layers / onset_pos_weight / regularizer / encoder_hidden existed: their
    config lacks those fields and their weights hold one decoder layer and an encoder as wide as ``hidden``."""
    old = RhythmVAE(ModelConfig(hidden=32, decoder_layers=1, encoder_hidden=0, onset_pos_weight=1.0, regularizer="vae"))
    path = save_model(old, META, tmp_path, "old")
    meta = json.loads((path / "meta.json").read_text())
    meta["config"] = {k: meta["config"][k] for k in ("ticks", "instruments", "hidden", "latent", "beta", "leaky_slope")}
    (path / "meta.json").write_text(json.dumps(meta))
    loaded = load_model(path)
    assert loaded.config.decoder_layers == 1 and loaded.config.encoder_units == 32
    assert loaded.config.regularizer == "vae" and loaded.config.onset_pos_weight == 1.0
    assert set(loaded.tensors) == set(old.state_dict())
    model = LoadedModel.from_data(loaded)
    assert model.start is None and model.default_threshold is None and model.evaluation is None
    assert model.decode_pad(np.array([0.5, 0.5], np.float32)).probs.shape == (1, 96, 9)


def test_tensor_table_follows_the_config(tmp_path: Path) -> None:
    deep = RhythmVAE(ModelConfig(hidden=32, decoder_layers=3, encoder_hidden=16))
    assert "decoder.hidden_3.weight" in expected_tensors(deep.config)
    assert expected_tensors(deep.config)["encoder.hidden.weight"] == (16, 2592)
    path = save_model(deep, META, tmp_path, "deep")
    assert set(load_model(path).tensors) == set(deep.state_dict())
    _edit_meta(path, config={**deep.config.to_json(), "decoder_layers": 2})  # the file holds 3 layers
    with pytest.raises(ModelFileError, match="unexpected decoder.hidden_3"):
        load_model(path)
