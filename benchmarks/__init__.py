"""The benchmarks: run each from the repository root as a module, ``python -m benchmarks.bench_engine`` (they use
the test kit, :mod:`rvae_server.testing`, and a few helpers of ``tests/``); see README.md's table."""
