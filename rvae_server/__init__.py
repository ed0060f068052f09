"""rvae_server: a real-time latent-space drum instrument.

Data flows one way: clips (:mod:`rvae_server.core`) → model (:mod:`rvae_server.model`) → engine
(:mod:`rvae_server.engine`) → outputs (:mod:`rvae_server.outputs`: MIDI, audio). The control surfaces
(:mod:`rvae_server.surfaces`, :mod:`rvae_server.web`) reach the engine through :mod:`rvae_server.engine.api`;
:mod:`rvae_server.session` puts it all together for ``rvae serve``. :mod:`rvae_server.core.bar` owns the bar
format and the instrument table that everything else derives from. :mod:`rvae_server.testing` is the test kit (tests
and benchmarks only).
"""

__version__ = "0.1.0"
