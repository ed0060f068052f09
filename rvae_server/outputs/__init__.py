"""Outputs: MIDI out, the built-in drum kit and its audio output, and the note sinks the engine's player sends to."""
