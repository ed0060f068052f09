"""rvae_server: a real-time latent-space drum instrument.

Data flows one way: clips (:mod:`rvae_server.core.midifile`) → model (:mod:`rvae_server.model.network`) →
engine → outputs (MIDI, audio, OSC/web feedback). :mod:`rvae_server.core.bar` owns the bar format and the
instrument table that everything else derives from.
"""

__version__ = "0.1.0"
