"""The fixtures tests share (pytest finds them here by name), and the markers of what a test needs.

Fixtures
    ``jack_server`` (session): a private JACK dummy server (tests/fixtures_jack.py); ``browser`` (module): a
    headless Chromium (tests/browser.py); ``models_dir`` (module): a folder holding a copy of the bundled model as
    ``loop``; ``engine``: a started engine on an internal clock at 120 BPM with the synthetic model ``a``;
    ``osc_rig``: an OSC server on port 0 over an engine at 300 BPM (models ``a`` and ``b``, no snare), a clip
    folder ``set1`` and an :class:`~rvae_server.testing.OscClient`, as ``(engine, server, client, clips)``;
    ``plan_inline``: turns off the engine's coalescing of control changes (see its docstring); ``stepped_engine``:
    makes started engines on a :class:`~rvae_server.testing.SteppedClock` with a :class:`~rvae_server.testing.Recorder`
    as their sink, as ``(engine, stepper, recorder)``, with ``plan_inline``; ``rvae_here``: runs
    ``rvae ARGS`` in this process (no interpreter to start: for the many checks of a bad argument), giving
    ``(status, stdout, stderr)``.

Markers (registered in pyproject.toml; none skips anything: CI runs everything)
    ``jack``: needs a JACK server; ``browser``: needs Chromium. Given here to every test that uses the
    ``jack_server`` or ``browser`` fixture; a test that starts its own Chromium carries the marker itself.
    ``-m "not jack and not browser"`` runs what needs neither.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rvae_server.cli import main as rvae_main
from rvae_server.engine.api import PatternModel
from rvae_server.engine.clock import InternalClock
from rvae_server.engine.engine import Engine
from rvae_server.model.modeldirs import bundled_models_dir, default_model
from rvae_server.surfaces.osc.server import OscServer, start_osc
from rvae_server.testing import EngineStepper, OscClient, Recorder, SteppedClock, SyntheticModel
from tests.browser import Browser
from tests.fixtures_jack import JackServer, start_jack_server, stop_jack_server

#: Which fixture means which marker.
MARKED_BY = {"jack_server": "jack", "browser": "browser"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture, marker in MARKED_BY.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(marker)


@pytest.fixture(scope="session")
def jack_server() -> Iterator[JackServer]:
    """A running JACK dummy server at 48000 Hz / 256 frames, selected through ``JACK_DEFAULT_SERVER``; see
    tests/fixtures_jack.py. Fails (never skips) when JACK cannot start."""
    server = start_jack_server()
    try:
        yield server
    finally:
        stop_jack_server(server)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with Browser() as b:  # raises (the test fails) if Chromium cannot start
        yield b


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    bundled = default_model([bundled_models_dir()])
    assert bundled is not None
    folder = tmp_path_factory.mktemp("models")
    shutil.copytree(bundled.path, folder / "loop")
    return folder


@pytest.fixture
def engine() -> Iterator[Engine]:
    clock = InternalClock(bpm=120.0)
    eng = Engine({"a": SyntheticModel("a")}, clock, [], default_model="a", layers=2)
    eng.start()
    yield eng
    eng.close()
    clock.close()


@pytest.fixture
def osc_rig(tmp_path: Path) -> Iterator[tuple[Engine, OscServer, OscClient, Path]]:
    clock = InternalClock(bpm=300.0)
    models = {"a": SyntheticModel("a"), "b": SyntheticModel("b", snare=False)}
    eng = Engine(models, clock, [], default_model="a", layers=2, seed=3)
    eng.start()
    clips = tmp_path / "clips"
    (clips / "set1").mkdir(parents=True)
    server = start_osc(eng, port=0, clip_dirs=[clips])
    client = OscClient(server.port)
    yield eng, server, client, clips
    client.close()
    server.close()
    eng.close()
    clock.close()


@pytest.fixture
def plan_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    """For a test that steps the clock: the engine plans a control change made within a few milliseconds of
    planning a bar in motion together with the next ones, on its planner thread, at a moment the test cannot
    see; with coalescing off, every change is planned on the caller's thread and heard from the next step.
    (tests/test_kit.py checks that this still turns it off.)"""
    from rvae_server.engine import planner

    monkeypatch.setattr(planner, "COALESCE", 0.0)


@pytest.fixture
def rvae_here(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    def run(*args: str) -> tuple[int, str, str]:
        status = rvae_main(list(args))
        out, err = capsys.readouterr()
        return status, out, err

    return run


@pytest.fixture
def stepped_engine(plan_inline: None) -> Iterator[Callable[..., tuple[Engine, EngineStepper, Recorder]]]:
    """``make(models=None, *, bpm=300.0, layers=2, seed=7)``: a started engine (default model: the first given;
    default models: the synthetic ``a``) on a stepped clock, its stepper and its recorder; closed after the test."""
    made: list[tuple[Engine, SteppedClock]] = []

    def make(
        models: dict[str, PatternModel] | None = None, *, bpm: float = 300.0, layers: int = 2, seed: int | None = 7
    ) -> tuple[Engine, EngineStepper, Recorder]:
        models = models or {"a": SyntheticModel("a")}
        clock = SteppedClock(bpm=bpm)
        recorder = Recorder()
        engine = Engine(models, clock, [recorder], default_model=next(iter(models)), layers=layers, seed=seed)
        stepper = EngineStepper(engine, clock)
        engine.start()
        made.append((engine, clock))
        return engine, stepper, recorder

    yield make
    for engine, clock in made:
        engine.close()
        clock.close()
