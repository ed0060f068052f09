"""The melody model: training both networks on real pairs, model files (safetensors, atomic, checked, never a
pickle), the bundled model, and generation (settings, generate-until-pass within its bounds)."""

from __future__ import annotations

import json
import pickle
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from rvae_server.melody.families import FAMILIES
from rvae_server.melody.filters import judge_lines
from rvae_server.melody.generate import MelodyModel, MelodySettings, generate
from rvae_server.melody.keys import parse_key
from rvae_server.melody.modelfile import load_melody, load_melody_model, resolve_melody_model, save_melody_model
from rvae_server.melody.network import MelodyConfig, MelodyNet, SeedNet
from rvae_server.melody.pairs import PairSet, mine_pairs, split_by_song
from rvae_server.melody.training import train_melody, train_seed
from rvae_server.model.modeldirs import bundled_models_dir
from rvae_server.model.modelfile import ModelFileError

MELODY_DATA = Path(__file__).parent / "data" / "melody"  # songs copied from ../shared/data/melody
BUNDLED = bundled_models_dir() / "melody"


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> tuple[PairSet, PairSet]:
    root = tmp_path_factory.mktemp("songs") / "simutrans"
    root.mkdir()
    for name in ("01-Simutrans-Main-Theme.mid", "02-Gotta-catch-that-train.mid", "07-Transport-chaos.mid"):
        shutil.copy(MELODY_DATA / "simutrans" / name, root / name)
    train, val = split_by_song(mine_pairs([root.parent]), (2, 1), seed=1)
    return train.subset(np.arange(min(400, len(train)))), val.subset(np.arange(min(100, len(val))))


@pytest.fixture(scope="module")
def trained(pairs: tuple[PairSet, PairSet]) -> MelodyNet:
    torch.set_num_threads(1)
    result = train_melody(*pairs, MelodyConfig(hidden=32), epochs=2, seed=3)
    assert len(result.epochs) == 2 and result.best_epoch in (1, 2)
    assert all(np.isfinite([e.train_loss, e.val_loss]).all() for e in result.epochs)
    assert result.epochs[1].train_loss < result.epochs[0].train_loss
    assert isinstance(result.module, MelodyNet)
    return result.module


def test_the_seed_baseline_trains_on_four_bar_windows(pairs: tuple[PairSet, PairSet]):
    torch.set_num_threads(1)
    result = train_seed(*pairs, epochs=1, seed=0)
    assert isinstance(result.module, SeedNet) and np.isfinite(result.epochs[0].val_loss)
    logits = result.module(torch.zeros(2, 4, 96, 9), *(torch.zeros(2, dtype=torch.int64) for _ in range(3)))
    assert logits.shape == (2, 64, 128)


def test_same_seed_same_weights(pairs: tuple[PairSet, PairSet], trained: MelodyNet):
    again = train_melody(*pairs, MelodyConfig(hidden=32), epochs=2, seed=3).module
    pairs_of_tensors = zip(trained.state_dict().values(), again.state_dict().values(), strict=True)
    assert all(torch.equal(a, b) for a, b in pairs_of_tensors)


def test_save_and_load_round_trip_atomically(trained: MelodyNet, tmp_path: Path):
    meta = {"training": {"epochs": 2}, "licence": {"sources": [{"data": "simutrans", "licence": "Artistic 1.0"}]}}
    folder = save_melody_model(trained, meta, tmp_path, "tiny", dtype="float32")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny"]  # no temporary folder left
    assert sorted(p.name for p in folder.iterdir()) == ["meta.json", "weights.safetensors"]
    data = load_melody_model(folder)
    assert data.kind == "melody" and data.meta["licence"]["sources"][0]["data"] == "simutrans"
    module = data.to_module()
    x = (torch.rand(1, 96, 9), torch.zeros(1, 2), *(torch.tensor([1]) for _ in range(3)))
    assert torch.allclose(module(*x).onset_logits, trained.eval()(*x).onset_logits)
    # replacing it keeps exactly one complete model under the name
    save_melody_model(trained, meta, tmp_path, "tiny")
    assert load_melody_model(folder).meta["weights"]["dtype"] == "float16"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny"]


def test_bad_model_files_are_refused_by_name(trained: MelodyNet, tmp_path: Path):
    folder = save_melody_model(trained, {}, tmp_path, "m")
    weights = folder / "weights.safetensors"
    weights.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ModelFileError, match="pickle"):
        load_melody_model(folder)
    folder = save_melody_model(trained, {}, tmp_path, "m2")
    raw = bytearray((folder / "weights.safetensors").read_bytes())
    raw[-1] ^= 0xFF
    (folder / "weights.safetensors").write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match="damaged"):
        load_melody_model(folder)
    meta = json.loads((bundled_models_dir() / "groove-all" / "meta.json").read_text())
    assert meta["format"] == "rvae-model"
    with pytest.raises(ModelFileError, match="not a melody model"):
        load_melody_model(bundled_models_dir() / "groove-all")
    with pytest.raises(ModelFileError, match="never loaded"):
        load_melody_model(tmp_path / "model.pt")
    with pytest.raises(ModelFileError, match="no melody model"):
        resolve_melody_model("nope", [tmp_path])


def test_the_bundled_model_loads_with_its_licences():
    model = load_melody()
    assert model.name == "default" and isinstance(model.module, MelodyNet)
    licence = model.meta["licence"]
    assert {s["data"] for s in licence["sources"]} == {"freedoom", "openttd_openmsx", "simutrans"}
    assert all(s["licence"] for s in licence["sources"])
    split = model.meta["training"]["songs"]
    assert split["train"] and split["validation"] and split["test"]
    assert not set(split["train"]) & set(split["test"])
    seed = load_melody_model(BUNDLED / "seed-baseline")
    assert seed.kind == "seed"
    with pytest.raises(ModelFileError, match="baseline"):
        load_melody("seed-baseline")


def _drums() -> tuple[np.ndarray, np.ndarray]:
    drums = np.zeros((1, 96, 9), dtype=np.float32)
    drums[0, ::24, 0] = 0.9
    drums[0, 24::48, 1] = 0.8
    drums[0, ::12, 2] = 0.6
    return drums, np.zeros((1, 2), dtype=np.float32)


def test_settings_shape_what_is_drawn():
    model = load_melody()
    drums, latent = _drums()
    rng = np.random.default_rng(0)
    locked = MelodySettings.make(key="Eb", family="lead", octave=5, scale_lock=True)
    dist = model.distributions(drums, latent, locked)
    lines = [c[0] for c in model.sample(dist, locked, rng, 30)]
    pitches = np.concatenate([line.pitches for line in lines])
    assert pitches.size > 30 and set((pitches % 12).tolist()) <= set(parse_key("Eb").scale)
    assert abs(pitches - (3 + 12 * 6)).max() <= 12  # within the register around Eb5
    sparse = MelodySettings.make(key="Eb", family="lead", octave=5, density=0.0)
    busy = MelodySettings.make(key="Eb", family="lead", octave=5, density=1.0)
    count = {s.density: sum(len(c[0]) for c in model.sample(dist, s, rng, 30)) for s in (sparse, busy)}
    assert count[0.0] < count[1.0]
    with pytest.raises(ValueError, match="unknown key"):
        MelodySettings.make(key="H")
    assert MelodySettings.make(temperature=99).temperature == 3.0 and MelodySettings.make(octave=-2).octave == 0
    assert MelodySettings().to_dict() == {"key": "A minor", "family": FAMILIES[0], "octave": 2, "density": 0.5,
                                          "temperature": 1.0, "scale_lock": True}  # fmt: skip


def test_generate_until_pass_is_bounded_and_returns_the_best_it_found():
    model = load_melody()
    drums, latent = _drums()
    settings = MelodySettings.make(key="Am", family="bass")
    out = generate(model, drums, latent, settings, np.random.default_rng(1), max_attempts=64)
    assert out.verdict.passed and out.verdict == judge_lines(out.lines, settings.key) and out.attempts <= 64
    assert len(out.lines) == 1 and len(out.lines[0]) >= 3
    # settings that give (almost) no notes never pass: every attempt is spent, or the time budget ends it
    tight = MelodySettings.make(key="Am", family="bass", temperature=0.05, density=0.0)
    started = time.perf_counter()
    capped = generate(model, drums, latent, tight, np.random.default_rng(2), max_attempts=5, batch=2)
    assert capped.attempts == 5 and time.perf_counter() - started < 5.0
    budget = generate(model, drums, latent, tight, np.random.default_rng(2), max_attempts=10_000, time_budget=0.0)
    assert budget.attempts == 8  # one batch, then the time budget ends it
    four = generate(model, np.repeat(drums, 4, 0), np.repeat(latent, 4, 0), settings, np.random.default_rng(3))
    assert len(four.lines) == 4


def test_the_melody_moves_with_the_latent_point():
    model = load_melody()
    drums, _ = _drums()
    settings = MelodySettings.make(key="Am", family="bass")
    a = model.distributions(drums, np.array([[-2.5, -2.5]]), settings)
    b = model.distributions(drums, np.array([[2.5, 2.5]]), settings)
    assert not np.allclose(a.onset_logits, b.onset_logits) and not np.allclose(a.pitch_logits, b.pitch_logits)


def test_a_melody_model_from_a_module_plays(trained: MelodyNet):
    model = MelodyModel(trained, name="tiny")
    drums, latent = _drums()
    out = generate(model, drums, latent, MelodySettings(), np.random.default_rng(0), max_attempts=4)
    assert out.attempts <= 4 and all(0 <= t < 96 for t in out.lines[0].ticks)


def test_the_melody_model_carries_the_drum_encoder_it_was_trained_with(trained: MelodyNet, tmp_path: Path):
    """The latent point the network hears comes from the encoder its training pairs came from (groove-all's at
    training), whatever drum model plays: the same bar gives the same point from any layer."""
    from rvae_server.core.bar import Bar
    from rvae_server.melody.drumencoder import DrumEncoder
    from rvae_server.model.inference import LoadedModel

    drum_model = LoadedModel.load("groove-all", [bundled_models_dir()])
    encoder = DrumEncoder.from_drum_model(drum_model)
    bars = np.stack([drum_model.pattern(np.array([x, 0.5], dtype=np.float32)).planes() for x in (0.2, 0.8)])
    assert np.allclose(encoder.encode(bars), drum_model.encode_latent(bars), atol=1e-5)
    folder = save_melody_model(trained, {}, tmp_path, "carrying", drum_encoder=encoder)
    model = load_melody(folder)
    assert model.drum_encoder is not None and model.meta["drum_encoder"]["model"] == "groove-all"
    given = np.array([[9.0, -9.0], [9.0, -9.0]], dtype=np.float32)  # a layer's own point is not what it hears
    heard = model.latent_for(bars, given)
    assert np.allclose(heard, drum_model.encode_latent(bars), atol=1e-4) and not np.allclose(heard, given)
    assert not np.allclose(heard[0], heard[1])  # moving the pad (another bar) moves what the melody hears
    older = save_melody_model(trained, {}, tmp_path, "older")  # no encoder: the layer's point is used as before
    assert np.allclose(load_melody(older).latent_for(bars, given), given)
    assert Bar.empty().planes().shape == (3, 96, 9)
    # a damaged encoder is refused by name
    meta = json.loads((folder / "meta.json").read_text())
    meta["drum_encoder"]["leaky_slope"] = "steep"
    (folder / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="leaky_slope"):
        load_melody_model(folder)


def test_the_bundled_melody_model_hears_its_own_drum_encoder():
    assert load_melody().drum_encoder is not None
