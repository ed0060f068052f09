"""A map for every model (rvae_server/model/mapsources.py): the bundled groove models from the clip-bars file of
their training clips labelled by style (scripts/make_groove_map.py, from the dataset's info.csv), a user model from
its own clips (a colour per clip; the page's hover names the clip and bar, a click plays it), mined models from their
dataset as before (tests/test_map.py); a model with nothing to map says what is missing, on the page too (never an
empty box). ``rvae map MODEL --pad`` draws the pad's still picture."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from pathlib import Path

import aiohttp
import numpy as np
import pytest
import torch

from rvae_server.cli import main as rvae_main
from rvae_server.core.dataset import file_sha256, read_dataset
from rvae_server.core.drumgroups import GROUPS, group_counts, mix_colours
from rvae_server.core.midifile import read_clip
from rvae_server.engine.clock import InternalClock
from rvae_server.engine.engine import Engine
from rvae_server.mining.mapfigure import pad_figure
from rvae_server.model.inference import LoadedModel
from rvae_server.model.mapsources import NoMap, model_map, per_clip, write_clip_bars
from rvae_server.model.modeldirs import bundled_models_dir
from rvae_server.model.modelfile import save_model
from rvae_server.model.network import ModelConfig, RhythmVAE
from rvae_server.web import start_web
from tests.browser import Browser, decode_png

BUNDLED = bundled_models_dir()
GROOVE = Path(__file__).parent / "data" / "groove"
CLIPS = sorted(p for p in GROOVE.rglob("*.mid") if "4-4" in p.name)[:4]


def test_every_bundled_groove_model_has_a_map_of_its_training_bars_by_style():
    bars_file = BUNDLED / "groove.clips.npz"
    dataset = read_dataset(bars_file)
    for folder in sorted(BUNDLED.glob("groove-*")):
        model = LoadedModel.load(folder)
        space = model_map(model)
        bars = model.meta["training"]["bars"]
        assert len(space) == bars["train"] + bars["validation"], model.name  # every bar it was trained on
        assert space.source == str(bars_file) and not per_clip(space)
        recorded = {c["sha256"] for c in model.meta["training"]["clips"]}
        shas = dataset.text("file_sha256")
        files = dataset.text("files")
        assert {shas[files.index(space.files[f])] for f in set(space.file.tolist())} <= recorded
        named = {space.styles[s] for s in space.style.tolist()}
        assert "other" not in named and len(named) >= 1
    rock = model_map(LoadedModel.load(BUNDLED / "groove-rock"))
    assert {rock.styles[s] for s in rock.style.tolist()} == {"rock"}  # its clips' info.csv style


def user_model(root: Path, name: str, clips: list[Path], seed: int = 7) -> LoadedModel:
    """A model whose metadata records ``clips`` (absolute paths and SHA-256), as ``rvae train`` writes them."""
    torch.manual_seed(seed)
    records = [{"path": str(c), "sha256": file_sha256(c), "bars": 1, "split": "train"} for c in clips]
    save_model(RhythmVAE(ModelConfig()), {"training": {"clips": records}}, root, name)
    return LoadedModel.load(root / name)


def test_a_user_model_is_mapped_from_its_clips_one_colour_per_clip(tmp_path):
    clips_dir = tmp_path / "clips"
    clips_dir.mkdir()
    copies = [Path(shutil.copy(c, clips_dir / c.name)) for c in CLIPS]
    model = user_model(tmp_path / "models", "mine", copies)
    space = model_map(model)
    assert per_clip(space) and sorted(space.styles) == sorted(c.stem for c in copies)
    want = sum(sum(1 for b in read_clip(c).bars if b.used) for c in copies)
    assert len(space) == want
    # a changed clip is not the one it learnt from: left out; all gone → a sentence saying what is missing
    copies[0].write_bytes(CLIPS[1].read_bytes())
    assert len(model_map(model).styles) == len(copies) - 1
    for c in copies:
        c.unlink()
    with pytest.raises(NoMap, match="none of its 4 training clips is on this machine"):
        model_map(model)
    # ... unless a clip-bars file beside it holds them (what a live-trained model gets)
    originals = [(c, str(d), c.stem, c.stem) for c, d in zip(CLIPS, copies, strict=True)]
    write_clip_bars(tmp_path / "models" / "mine.clips.npz", originals, colour="clip")
    kept = model_map(model)
    assert len(kept) == want and per_clip(kept)


def test_rvae_map_pad_draws_the_pads_still_picture(tmp_path, capsys):
    out = tmp_path / "pad.png"
    assert rvae_main(["map", "groove-rock", "--models-dir", str(BUNDLED), "--pad", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == {"pad": str(out)}
    rows = decode_png(out.read_bytes())
    colours = {px for row in rows[::4] for px in row[::4]}
    model = LoadedModel.load(BUNDLED / "groove-rock")
    mixed = {tuple(int(v) for v in c) for c in mix_colours(group_counts(model.decode_grid(30).probs))}
    near = sum(1 for c in mixed if any(max(abs(a - b) for a, b in zip(c, px, strict=True)) <= 6 for px in colours))
    assert near >= 0.8 * len(mixed)  # the points' colours are in the picture
    assert len(pad_figure(model, 10)) > 1000
    assert rvae_main(["map", "groove-rock", "--models-dir", str(BUNDLED)]) == 1
    assert "name what to draw" in capsys.readouterr().err
    assert [g.name for g in GROUPS] == ["kick", "snare", "hats", "toms", "cymbals"]


class Rig:
    def __init__(self, models: dict[str, LoadedModel]) -> None:
        self.clock = InternalClock(bpm=120)
        self.engine = Engine(models, self.clock, [], default_model=next(iter(models)), layers=1, seed=3)
        self.engine.start()
        self.server = start_web(self.engine, port=0, prewarm=False)

    def close(self) -> None:
        self.server.close()
        self.engine.close()
        self.clock.close()


async def _get(url: str) -> dict:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return await response.json()


@pytest.mark.browser  # (its own Chromium)
def test_the_pages_map_of_a_user_model_names_the_clip_and_bar_and_plays_it(tmp_path):
    clips_dir = tmp_path / "clips"
    clips_dir.mkdir()
    copies = [Path(shutil.copy(c, clips_dir / c.name)) for c in CLIPS]
    mine = user_model(tmp_path / "models", "mine", copies)
    gone = user_model(tmp_path / "models", "gone", copies[:1], seed=8)
    (tmp_path / "elsewhere").mkdir()
    shutil.move(str(copies[0]), tmp_path / "elsewhere" / copies[0].name)  # "gone" loses its only clip
    rig = Rig({"mine": mine, "gone": gone})
    try:
        data = asyncio.run(_get(rig.server.url + "api/map?model=mine"))
        assert data["kind"] == "clip" and len(data["styles"]) == len(CLIPS) - 1
        missing = asyncio.run(_get(rig.server.url + "api/map?model=gone"))
        assert "none of its 1 training clips is on this machine" in missing["unavailable"]
        with Browser(1366, 768) as browser:
            browser.navigate(rig.server.url)
            browser.wait_for("window.rvae && rvae.connected()", 20)
            browser.js("rvae.tab('map')")
            browser.wait_for("rvae.map().points > 0", 20)
            browser.frames(3)
            p = browser.js("rvae.mapPoint(0)")
            browser.call("Input.dispatchMouseEvent", type="mouseMoved", x=p["x"], y=p["y"])
            hover = browser.wait_for("rvae.map().hover", 5)
            clip, bar = hover.split(" · bar ")
            assert clip in data["styles"] and int(bar) >= 1  # the clip's name and its bar
            browser.click(p["x"], p["y"])
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                s = rig.engine.state(0)
                if abs(s.x - p["xy"][0]) < 0.01 and abs(s.y - p["xy"][1]) < 0.01:
                    break
                time.sleep(0.05)
            s = rig.engine.state(0)
            assert abs(s.x - p["xy"][0]) < 0.01 and abs(s.y - p["xy"][1]) < 0.01
            # a model with nothing to map: the sentence is in the map's place, not an empty black box
            browser.js("(() => { const e = document.getElementById('model'); e.value = 'gone';"
                       " e.dispatchEvent(new Event('change')); })()")  # fmt: skip
            browser.wait_for("rvae.map().model === 'gone' && rvae.map().error.includes('on this machine')", 20)
            browser.frames(3)
            box = browser.js("(() => { const b = document.getElementById('map').getBoundingClientRect();"
                             " return [b.left, b.top, b.width, b.height]; })()")  # fmt: skip
            rows = decode_png(browser.screenshot(*box))
            light = sum(1 for row in rows for px in row if min(px) > 150)
            assert light > 200, "no text drawn where the map would be"
            assert "on this machine" in browser.js("document.getElementById('map-info').textContent")
            assert browser.console_errors == []
    finally:
        rig.close()


def test_the_bundled_map_file_is_made_by_its_script_from_the_recorded_clips():
    dataset = read_dataset(BUNDLED / "groove.clips.npz")
    recorded = set()
    for folder in BUNDLED.glob("groove-*"):
        recorded |= {c["sha256"] for c in json.loads((folder / "meta.json").read_text())["training"]["clips"]}
    assert set(dataset.text("file_sha256")) == recorded
    assert dataset.text("styles") and all("/" not in s for s in dataset.text("styles"))
    assert np.all(dataset.arrays["pattern_length"] == 1)
