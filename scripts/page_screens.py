"""Screenshots of the web page for docs/screens/, in headless Chromium (tests/browser.py), on the bundled models:

    python scripts/page_screens.py [--out docs/screens]

Writes ``page-1366x768.png`` (a laptop: everything a performer plays lies above the fold; the Map tab open),
``page-1920x1080.png`` (the Motion tab open), ``page-1366x768-glow.png`` (the pad's time-glow view) and
``pad-groove-all.png`` (``rvae map groove-all --pad``: the same still picture from the command line).
tests/test_web_fold.py checks what these show (the essentials within the window at both sizes).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rvae_server.engine.clock import InternalClock  # noqa: E402
from rvae_server.engine.engine import Engine  # noqa: E402
from rvae_server.mining.mapfigure import write_pad_png  # noqa: E402
from rvae_server.model.inference import LoadedModel  # noqa: E402
from rvae_server.model.modeldirs import bundled_models_dir  # noqa: E402
from rvae_server.web import start_web  # noqa: E402
from tests.browser import Browser  # noqa: E402

SHOTS = [((1366, 768), "map", "still", "page-1366x768.png"), ((1920, 1080), "motion", "still", "page-1920x1080.png"),
         ((1366, 768), "shape", "glow", "page-1366x768-glow.png")]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screens")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    bundled = bundled_models_dir()
    names = ("groove-all", "groove-rock", "groove-funk", "mined-all")
    models = {n: LoadedModel.load(bundled / n) for n in names}
    write_pad_png(models["groove-all"], args.out / "pad-groove-all.png")
    clock = InternalClock(bpm=112.0)
    engine = Engine(models, clock, [], default_model="groove-all", layers=2, seed=3)
    engine.start()
    x, y = models["groove-all"].start or (0.55, 0.55)
    engine.update(0, x=x, y=y)
    engine.play()
    server = start_web(engine, port=0)
    try:
        for (width, height), tab, view, name in SHOTS:
            with Browser(width, height) as browser:
                browser.navigate(server.url)
                browser.wait_for("window.rvae && rvae.connected() && rvae.grid() !== null", 30)
                browser.js(f"rvae.view('{view}'); rvae.tab('{tab}')")
                if tab == "map":
                    browser.wait_for("rvae.map().points > 0", 30)
                time.sleep(1.0)
                (args.out / name).write_bytes(browser.screenshot())
                print(f"wrote {args.out / name}")
    finally:
        server.close()
        engine.close()
        clock.close()
    print(f"wrote {args.out / 'pad-groove-all.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
