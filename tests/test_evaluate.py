"""``rvae_server.model.evaluate``: the round trip's F1 (exact and ±1 tick), errors, the pad figures, warnings, table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from rvae_server.core.bar import TICKS, stack
from rvae_server.core.midifile import read_clip
from rvae_server.model.evaluate import evaluate_model, grid_figures, reconstruction, table, warnings
from rvae_server.model.inference import LoadedModel
from rvae_server.model.network import ModelConfig, RhythmVAE
from rvae_server.model.planes import DecodedPlanes

GROOVE = Path(__file__).parent / "data" / "groove"
CLIP = GROOVE / "drummer7/session2/79_funk_100_beat_4-4.mid"


@pytest.fixture(autouse=True)
def one_thread() -> None:
    torch.set_num_threads(1)


class Lookup:
    """A stand-in model that stores bars at pad points: bar i lies at x = (i + 0.5) / n and decodes to
    ``decoded[i]`` (shifted by ``shift`` ticks) as probabilities 0/1."""

    def __init__(self, bars: np.ndarray, shift: int = 0, outside: bool = False) -> None:
        self.bars = bars
        self.decoded = bars.copy()
        self.decoded[:, 0] = 0.0
        self.decoded[:, 0, shift:] = bars[:, 0, : TICKS - shift]  # each onset ``shift`` ticks late
        self.outside = outside
        self.default_threshold = 0.5
        self.meta: dict[str, Any] = {}

    def encode(self, bars: np.ndarray, clip: bool = True) -> np.ndarray:
        n = len(self.bars)
        xy = np.stack([(np.arange(n) + 0.5) / n, np.full(n, 1.5 if self.outside else 0.5)], axis=1)
        return np.clip(xy, 0, 1) if clip else xy

    def decode_pad(self, xy: np.ndarray) -> DecodedPlanes:
        xy = np.asarray(xy).reshape(-1, 2)
        index = np.clip((xy[:, 0] * len(self.bars)).astype(int), 0, len(self.bars) - 1)
        return DecodedPlanes(self.decoded[index].astype(np.float32))


def test_round_trip_scores() -> None:
    bars = stack(read_clip(CLIP).used_bars())
    exact = reconstruction(Lookup(bars), bars, peaks=False)  # type: ignore[arg-type]
    assert exact["f1"] == exact["f1_tick"] == 1.0
    picked = reconstruction(Lookup(bars), bars)  # type: ignore[arg-type]
    assert 0.9 < picked["f1"] < 1.0 and picked["f1_tick"] > 0.99  # the drummer's own flams are played once
    assert exact["velocity_error"] == exact["microtiming_error"] == 0.0
    assert exact["inside"] == 1.0
    late = reconstruction(Lookup(bars, shift=1), bars, peaks=False)  # type: ignore[arg-type]
    assert late["f1"] < 0.3 and late["f1_tick"] > 0.95  # (onsets on the last tick fall off the bar)
    off = reconstruction(Lookup(bars, shift=3, outside=True), bars)  # type: ignore[arg-type]
    assert off["f1_tick"] < 0.5 and off["inside"] == 0.0


def test_grid_figures() -> None:
    n = 4
    onsets = np.zeros((n * n, TICKS, 9), bool)
    onsets[:, 0, 0] = True
    assert grid_figures(onsets, n) == {"distinct": 1, "step": 0.0}
    onsets[n * n - 1, 1, 0] = True  # one corner point differs by one cell from its 2 neighbours
    figures = grid_figures(onsets, n)
    assert figures["distinct"] == 2
    assert figures["step"] == pytest.approx(2 / (2 * n * (n - 1)))


def test_evaluate_untrained_model_is_poor_and_said_so() -> None:
    bars = stack(read_clip(CLIP).used_bars())
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = LoadedModel.from_module(RhythmVAE(ModelConfig()))
    figures = evaluate_model(model, bars, bars[:3], points=200)
    assert set(figures) >= {"filter", "threshold", "random", "grid", "train", "validation", "warnings", "poor"}
    assert figures["random"]["points"] == 200 and figures["grid"]["n"] == 30
    assert figures["train"]["bars"] == len(bars) and figures["validation"]["bars"] == 3
    assert 0 <= figures["random"]["pass"] <= 1 and figures["grid"]["distinct"] >= 1
    assert figures["poor"] is True and figures["warnings"]  # a random network does not play the clips back
    text = table(figures)
    assert "30x30 grid" in text and "train" in text and "warning:" in text


def test_warnings_name_what_is_wrong() -> None:
    good = {"random": {"pass": 0.9, "silent": 0.0, "density": 1.0}, "train": {"f1_tick": 0.95, "inside": 1.0}}
    assert warnings(good) == []
    bad = {"random": {"pass": 0.3, "silent": 0.4, "density": 0.3}, "train": {"f1_tick": 0.4, "inside": 0.5, "bars": 9}}
    text = " | ".join(warnings(bad))
    assert "30 % of the pad sounds like" in text and "40 % of the pad is silent" in text
    assert "0.3x as many notes" in text and "40 % right" in text and "50 % of the training clips lie off" in text
    bad["train"]["bars"] = 5000  # thousands of bars are not expected back from a 2-D pad
    assert not any("right" in w for w in warnings(bad))
