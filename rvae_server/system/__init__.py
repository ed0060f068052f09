"""What the machine offers, behind small helpers: MIDI ports and backends, real-time thread priority.

Imports nothing else of the project but :mod:`rvae_server.core`.
"""
