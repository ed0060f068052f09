"""The core: the bar format and instrument table, reading and writing MIDI files, atomic files, settings.

Imports nothing else of the project (``tests/test_architecture.py`` checks): everything else builds on it.
"""
