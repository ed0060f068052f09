"""The map of the space: ``rvae map`` (PNG and HTML, from a dataset, from clips, from the dataset a model was
trained on), the web page's ``GET /api/map`` and its map (hover: the source file and bar; click: the pad goes
there) in a real headless Chromium."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
import torch

from rvae_server.core.dataset import file_sha256, read_dataset
from rvae_server.engine.clock import InternalClock
from rvae_server.engine.engine import Engine
from rvae_server.mining.pipeline import mine
from rvae_server.model.inference import LoadedModel
from rvae_server.model.modelfile import save_model
from rvae_server.model.network import ModelConfig, RhythmVAE
from rvae_server.model.spacemap import dataset_map
from rvae_server.web import start_web
from tests.browser import Browser
from tests.mining_corpus import write_corpus

DATA = Path(__file__).parent / "data"


def rvae(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rvae_server.cli", *args], capture_output=True, text=True,
                          timeout=300)  # fmt: skip


@pytest.fixture(scope="module")
def space(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A mined dataset (synthetic corpus, the test files, Groove clips) and a model saved with it recorded."""
    root = tmp_path_factory.mktemp("map")
    write_corpus(root / "songs")
    dataset = root / "models" / "space.dataset.npz"
    dataset.parent.mkdir()
    mine([(str(root / "songs"), None), (str(DATA / "mining"), "game"), (str(DATA / "groove"), None)], dataset,
         workers=1)  # fmt: skip
    torch.manual_seed(5)
    record = {"file": str(root / "moved-away.npz"), "name": dataset.name, "sha256": file_sha256(dataset)}
    save_model(RhythmVAE(ModelConfig()), {"training": {"datasets": [record]}}, root / "models", "spacey")
    save_model(RhythmVAE(ModelConfig()), {"training": {}}, root / "models", "clipsy")
    return {"root": root, "dataset": dataset, "models": root / "models"}


def test_map_png_from_the_dataset_the_model_was_trained_on(space, tmp_path):
    out = tmp_path / "map.png"
    done = rvae("map", "spacey", "--models-dir", str(space["models"]), "-o", str(out), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    ds = read_dataset(space["dataset"])
    used = int((ds.bars()[:, 0].sum(axis=(1, 2)) >= 2).sum())
    assert summary["points"] == used and summary["source"] == str(space["dataset"])  # found beside the model
    assert sum(summary["styles"].values()) == used and "game" in summary["styles"]
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1600, 840)


def test_map_html_holds_every_point_with_its_source_file_and_bar(space, tmp_path):
    out = tmp_path / "map.html"
    done = rvae("map", "spacey", str(space["dataset"]), "--models-dir", str(space["models"]), "-o", str(out))
    assert done.returncode == 0, done.stderr
    page = out.read_text()
    data = json.loads(page.split('<script id="data" type="application/json">')[1].split("</script>")[0])
    model = LoadedModel.load("spacey", [space["models"]])
    want = dataset_map(model, space["dataset"])
    assert data["count"] == len(want) == len(data["points"])
    x, y, style, file, bar = data["points"][0]
    assert data["styles"][style] == want.styles[want.style[0]]
    assert [x, y] == pytest.approx(want.xy[0].tolist(), abs=1e-4)
    assert data["files"][file] == want.files[want.file[0]] and bar == want.bar[0]
    assert set(data["centroids"]) == {want.styles[s] for s in set(want.style.tolist())}
    assert "data:image/png;base64," in page


def test_map_from_clip_folders_and_errors(space, tmp_path):
    out = tmp_path / "clips.png"
    done = rvae("map", "clipsy", str(DATA / "groove"), "--models-dir", str(space["models"]), "-o", str(out), "--json")
    assert done.returncode == 0, done.stderr
    styles = json.loads(done.stdout.strip().splitlines()[-1])["styles"]
    assert {"rock", "funk", "jazz", "hiphop"} <= set(styles)
    no_data = rvae("map", "clipsy", "--models-dir", str(space["models"]), "-o", str(out), "--json")
    assert no_data.returncode == 1 and "records neither a dataset nor training clips" in no_data.stdout
    bad = rvae("map", "spacey", "--models-dir", str(space["models"]), "-o", str(tmp_path / "map.jpg"), "--json")
    assert bad.returncode == 1 and ".png or .html" in bad.stdout


class Rig:
    def __init__(self, models: Path) -> None:
        self.clock = InternalClock(bpm=120)
        self.models = {n: LoadedModel.load(n, [models]) for n in ("spacey", "clipsy")}
        self.engine = Engine(self.models, self.clock, [], default_model="spacey", layers=1, seed=3)
        self.engine.start()
        self.server = start_web(self.engine, port=0, prewarm=False)

    def close(self) -> None:
        self.server.close()
        self.engine.close()
        self.clock.close()


@pytest.fixture
def rig(space):
    r = Rig(space["models"])
    yield r
    r.close()


async def _get(url: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.json()


def test_the_map_endpoint_serves_the_points_of_a_models_dataset(rig, space):
    status, data = asyncio.run(_get(rig.server.url + "api/map?model=spacey"))
    assert status == 200
    want = dataset_map(rig.models["spacey"], space["dataset"])
    assert data["count"] == len(want) and len(data["points"]) == len(want)
    assert data["points"][3][:2] == pytest.approx(want.xy[3].tolist(), abs=1e-4)
    status, data = asyncio.run(_get(rig.server.url + "api/map?model=clipsy"))
    assert status == 200 and "records neither a dataset nor training clips" in data["unavailable"]
    status, data = asyncio.run(_get(rig.server.url + "api/map?model=nope"))
    assert status == 404 and "not loaded" in data["error"]
    status, _ = asyncio.run(_get(rig.server.url + "api/map"))
    assert status == 400


@pytest.mark.browser  # (its own Chromium)
def test_hovering_a_point_names_its_source_and_clicking_it_moves_the_pad(rig):
    with Browser() as browser:
        browser.navigate(rig.server.url)
        browser.wait_for("window.rvae && rvae.connected() && rvae.map().points > 0", 20)
        browser.js("rvae.tab('map')")
        browser.frames(3)
        points = browser.js("rvae.map().points")
        seen = set()
        for index in (0, points // 2, points - 1):
            p = browser.js(f"rvae.mapPoint({index})")
            if (round(p["x"]), round(p["y"])) in seen:
                continue
            seen.add((round(p["x"]), round(p["y"])))
            browser.call("Input.dispatchMouseEvent", type="mouseMoved", x=p["x"], y=p["y"])
            hover = browser.wait_for("rvae.map().hover", 5)
            # the point under the pointer (or one drawn on the same pixel) is named: file · bar · style
            assert hover.count(" · ") == 2 and " · bar " in hover
            if hover == p["text"]:
                break
        else:
            pytest.fail("no hovered point named its own source")
        browser.click(p["x"], p["y"])
        want = p["xy"]
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            s = rig.engine.state(0)
            if abs(s.x - want[0]) < 0.01 and abs(s.y - want[1]) < 0.01:
                break
            time.sleep(0.05)
        s = rig.engine.state(0)
        assert abs(s.x - want[0]) < 0.01 and abs(s.y - want[1]) < 0.01
        assert browser.js("rvae.map().info").startswith("playing ")
        assert browser.console_errors == []
