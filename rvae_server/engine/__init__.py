"""The engine: layers of performance state, planning bars ahead of the clock, the player; the clock sources.

Deliberately empty: importing ``rvae_server.engine.clock`` must not import the model (and torch) through here.
"""
