"""Undo after any model change (session/modelswap.py): a model chosen by hand, by a training job or by the watcher
is remembered per layer, :data:`HISTORY_DEPTH` deep, and ``/rvae/undo/model`` steps back through it — checked on a
real engine, and over real OSC (UDP) against a server whose undo goes to the one owner of model changes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rvae_server.engine.api import ControlError
from rvae_server.engine.clock import InternalClock
from rvae_server.engine.engine import Engine
from rvae_server.session.modelswap import HISTORY_DEPTH, PREVIOUS_SUFFIX, ModelSwaps
from rvae_server.surfaces.osc.server import start_osc
from rvae_server.testing import OscClient, SyntheticModel

NAMES = [f"m{k}" for k in range(12)]


class Undoer:
    """What the OSC server asks of a training service for ``/rvae/undo/model``: the swaps' undo."""

    def __init__(self, swaps: ModelSwaps) -> None:
        self.swaps = swaps

    def start(self, folder: str, name: str, layers: list[int]) -> str:
        raise ControlError("no training here")

    def cancel(self) -> bool:
        return False

    def undo_model(self, layer: int) -> str:
        return self.swaps.undo(layer)


@pytest.fixture
def rig() -> Iterator[tuple[Engine, ModelSwaps]]:
    clock = InternalClock(bpm=300.0)
    engine = Engine({n: SyntheticModel(n) for n in NAMES}, clock, [], default_model="m0", layers=2)
    engine.start()
    swaps = ModelSwaps(engine)
    yield engine, swaps
    engine.close()
    clock.close()


def test_a_model_chosen_by_hand_is_undone_step_by_step_on_its_own_layer(rig):
    engine, swaps = rig
    with pytest.raises(ControlError, match="no model to go back to"):
        swaps.undo(0)
    for name in NAMES[1:10]:  # nine changes by hand on layer 1
        engine.update(0, model=name)
    engine.update(1, model="m11")  # one on layer 2: its own history
    assert swaps.history(0) == NAMES[:9] and swaps.history(1) == ["m0"]
    for want in reversed(NAMES[:9]):  # at least 8 deep
        assert swaps.undo(0) == want and engine.state(0).model == want
    with pytest.raises(ControlError):
        swaps.undo(0)
    assert swaps.undo(1) == "m0" and engine.state(1).model == "m0"


def test_the_history_keeps_the_newest_changes(rig):
    engine, swaps = rig
    for k in range(HISTORY_DEPTH + 5):
        engine.update(0, model=NAMES[(k + 1) % len(NAMES)])
    assert len(swaps.history(0)) == HISTORY_DEPTH >= 8


def test_hand_and_training_changes_share_one_history(rig):
    engine, swaps = rig
    engine.update(0, model="m1")  # by hand
    retrained = SyntheticModel("m1", snare=False)
    assert swaps.offer("m1", retrained)  # a retrain of the model playing: the old weights kept
    assert swaps.offer("fresh", SyntheticModel("fresh"), layers=[0])  # a new model for layer 1
    assert swaps.history(0) == ["m0", f"m1{PREVIOUS_SUFFIX}", "m1"]
    assert swaps.undo(0) == "m1" and engine.models["m1"] is retrained
    assert swaps.undo(0) == f"m1{PREVIOUS_SUFFIX}" and engine.models["m1"] is retrained  # never replaced back
    assert swaps.undo(0) == "m0"


def test_undo_model_over_osc_after_a_change_by_hand(rig):
    engine, swaps = rig
    server = start_osc(engine, port=0, training=Undoer(swaps))
    client = OscClient(server.port)
    try:
        client.send("/rvae/model", "m3")
        client.send("/rvae/model", "m5")
        client.ask("/rvae/models")  # both applied once this is answered
        assert engine.state(0).model == "m5"
        assert client.ask("/rvae/undo/model") == [("/rvae/undone", [1, "m3"])]
        assert engine.state(0).model == "m3"
        assert client.ask("/rvae/undo/model") == [("/rvae/undone", [1, "m0"])]
        errors = [m for m in client.ask("/rvae/undo/model") if m[0] == "/rvae/error"]
        assert errors and "no model to go back to" in str(errors[0][1])
    finally:
        client.close()
        server.close()
