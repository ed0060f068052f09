"""The verdict on a model's space from its figures (:mod:`rvae_server.model.evaluate`, stored in ``meta.json`` as
``evaluation``): plain-language warnings for every target missed, and whether the space plays poorly. Torch-free,
so ``rvae models``, the model watcher and the page read it off the stored figures without loading a model.

:func:`warnings`: under half the pad passing the pattern filter, training bars (of a set under 1000 bars: a
performer's own clips) coming back below 0.7 F1 within ±1 tick, or under 80 % of them inside; and every target of
issue 21 missed (:func:`rvae_server.model.feel.feel_warnings`: "doubled hits", "too busy", "machine gun at …", "no
kick on 30 % of the pad" …). Without ``feel`` figures (older evaluations): more than 5 % of the pad silent, a
density off by more than ×0.6–×1.6.

:func:`problems`, :func:`is_poor`: of those, what a performer hears at once — the space is called poor (listed
apart, never the default) for those only, not for a pass rate a few points below its clips' or a distribution that
differs (:func:`rvae_server.model.feel.feel_problems`).
"""

from __future__ import annotations

import math
from typing import Any

from rvae_server.model.feel import feel_problems, feel_warnings

# a space is called poor below these (see warnings())
POOR_PASS = 0.5
POOR_SILENT = 0.05
POOR_DENSITY = (0.6, 1.6)
POOR_F1 = 0.7
POOR_INSIDE = 0.8
POOR_F1_BARS = 1000  # the round trip is a promise for a performer's own clips, not for thousands of bars


def warnings(figures: dict[str, Any]) -> list[str]:
    """Plain-language warnings for every target the space misses (empty when it plays well)."""
    return _base(figures) + feel_warnings(_feel(figures))


def problems(figures: dict[str, Any]) -> list[str]:
    """The warnings that call the space poor (see the module docstring)."""
    return _base(figures) + feel_problems(_feel(figures))


def is_poor(figures: Any) -> bool:
    """Whether stored figures (``meta.json``'s ``evaluation``) call the space poor; False for none."""
    return isinstance(figures, dict) and isinstance(figures.get("random"), dict) and bool(problems(figures))


def _feel(figures: dict[str, Any]) -> dict[str, Any]:
    feel = figures.get("feel")
    return feel if isinstance(feel, dict) else {}


def _base(figures: dict[str, Any]) -> list[str]:
    found: list[str] = []
    rand = figures.get("random") or {}
    train = figures.get("train") or {}
    feel = figures.get("feel")
    if rand.get("pass", 1.0) < POOR_PASS:
        found.append(f"only {rand['pass'] * 100:.0f} % of the pad sounds like a drum pattern")
    if not isinstance(feel, dict) and rand.get("silent", 0.0) > POOR_SILENT:
        found.append(f"{rand['silent'] * 100:.0f} % of the pad is silent")
    density = rand.get("density")
    if (
        not isinstance(feel, dict)
        and isinstance(density, float)
        and math.isfinite(density)
        and not POOR_DENSITY[0] <= density <= POOR_DENSITY[1]
    ):
        found.append(f"the pad plays {density:.1f}x as many notes as the training clips")
    if train.get("f1_tick", 1.0) < POOR_F1 and train.get("bars", 0) < POOR_F1_BARS:
        found.append(f"the training clips come back only {train['f1_tick'] * 100:.0f} % right (onset F1, ±1 tick)")
    if train.get("inside", 1.0) < POOR_INSIDE:
        found.append(f"{(1 - train['inside']) * 100:.0f} % of the training clips lie off the pad")
    return found


__all__ = ["is_poor", "problems", "warnings"]
