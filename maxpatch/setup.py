"""What the sections of the R-VAE patch share (:mod:`controls`, :mod:`training`, :mod:`feedback`): the layer and
feedback port (:class:`Setup`) and the box ids a later section wires to (:class:`Ui`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rvae_server.surfaces.osc.table import ADDRESSES

#: Which table verbs exist per layer (``/rvae/layer/N/<verb>``); the others are global.
PER_LAYER = {entry.verb: entry.per_layer for entry in ADDRESSES}


def layer_address(verb: str, layer: int) -> str:
    """The address of a table verb for ``layer`` (1-based): ``/rvae/<verb>`` for layer 1 and global verbs."""
    if layer != 1 and PER_LAYER[verb]:
        return f"/rvae/layer/{layer}/{verb}"
    return f"/rvae/{verb}"


@dataclass(frozen=True)
class Setup:
    """What every section needs: the layer the patch controls (1-based), its feedback port, and whether it is the
    Max for Live device (it then plays the notes itself by default)."""

    layer: int
    port: int
    device: bool = False

    def to(self, verb: str) -> str:
        """The address of a table verb for this layer (see :func:`layer_address`)."""
        return layer_address(verb, self.layer)


@dataclass
class Ui:
    """Boxes a later section wires to (ids, filled in by the section that makes them)."""

    gate: str = ""
    dial_x: str = ""
    dial_y: str = ""
    pad: str = ""
    saved_model: str = ""
    play_here: str = ""
    sequencer: str = ""
    dial_threshold: str = ""
    dial_noise: str = ""
    bpm: str = ""
    playing: str = ""
    mutes: list[str] = field(default_factory=list)
    fill: str = ""
    select_model: str = ""
    progress: str = ""
    train_events: dict[str, str] = field(default_factory=dict)
    row_layer: str = ""
    bar_layer: str = ""
