"""The test kit: what the tests and benchmarks use to drive the instrument without hardware, a model or real time.
Imported by no module of the instrument, and free of torch to import (the synthetic model loads the inference
module only when it decodes).

* :class:`SyntheticModel` / :class:`PlainModel` (``models``): stand-in models with predictable bars; the
  instruments they play, :data:`KICK`, :data:`SNARE`, :data:`CH`, :data:`OH`.
* :class:`Recorder` (``recorder``): an engine sink that records every note, line, transport change and "all notes
  off"; or (:meth:`Recorder.jack`) a JACK MIDI input port that records every message. :func:`position_of`: a note's
  position from its time on a clock's timeline.
* :class:`SteppedClock` (``clock``): the engine's clock protocol on a position only the test moves;
  :class:`EngineStepper` (``stepping``): steps an engine on it bar line by bar line, waiting for the player and the
  planner, so a test asserts exactly which notes were sent up to a position.
* :class:`OscClient` (``osc``): a UDP OSC client with send, receive-with-timeout and ask.
* :class:`FakeTraining` (``training``): a training service that records the jobs asked of it.
"""

from rvae_server.testing.clock import SteppedClock
from rvae_server.testing.models import CH, KICK, OH, SNARE, PlainModel, SyntheticModel
from rvae_server.testing.osc import OscClient
from rvae_server.testing.recorder import Recorder, position_of
from rvae_server.testing.stepping import EngineStepper
from rvae_server.testing.training import FakeTraining

__all__ = [
    "CH",
    "KICK",
    "OH",
    "SNARE",
    "EngineStepper",
    "FakeTraining",
    "OscClient",
    "PlainModel",
    "Recorder",
    "SteppedClock",
    "SyntheticModel",
    "position_of",
]
