"""Whether the engine can play a model: checked once, when a model is handed to the engine, so that a model that
cannot play is refused there with a clear message instead of failing at every bar on the planner thread."""

from __future__ import annotations

import numpy as np

from rvae_server.core.bar import N_INSTRUMENTS, TICKS
from rvae_server.engine.api import ControlError, PatternModel
from rvae_server.model.planes import PLAYABLE


def check_playable(name: str, model: PatternModel) -> None:
    """Raise :class:`ControlError` naming ``name`` and the reason unless ``model`` decodes a latent point ``(1, 2)``
    into finite planes ``(1, 3, 96, 9)`` (and its config, if it has one, says 96 ticks, 9 instruments, latent 2)."""
    config = getattr(model, "config", None)
    if config is not None:
        wrong = [f"{key} {getattr(config, key, None)!r}" for key, want in PLAYABLE.items()
                 if getattr(config, key, want) != want]  # fmt: skip
        if wrong:
            raise ControlError(
                f"model {name!r}: the engine cannot play it: its config has {', '.join(wrong)} "
                f"(it plays {TICKS} ticks x {N_INSTRUMENTS} instruments with a 2-D latent)"
            )
    try:
        planes = np.asarray(model.decode_latent(np.zeros((1, 2), dtype=np.float32)).planes)
    except Exception as err:
        reason = f"decoding fails ({type(err).__name__})"
        raise ControlError(f"model {name!r}: the engine cannot play it: {reason}") from None
    if planes.shape != (1, 3, TICKS, N_INSTRUMENTS) or not np.isfinite(planes).all():
        raise ControlError(
            f"model {name!r}: the engine cannot play it: it decodes planes of shape {planes.shape} "
            f"(expected (1, 3, {TICKS}, {N_INSTRUMENTS}), finite)"
        )
