"""Control surfaces: OSC and MIDI controllers (the web page is :mod:`rvae_server.web`). They reach the engine only
through its public control API, :mod:`rvae_server.engine.api`."""
