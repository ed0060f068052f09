"""Where the per-file jobs run: the seam between the mining pipeline and a (possibly distributed) executor.

Mining is embarrassingly parallel per file, so an executor only has to run :func:`rvae_server.mining.work.mine_batch`
on batches of jobs and hand back each batch's results as it finishes, in any order:

``local`` (default)
    ``concurrent.futures.ProcessPoolExecutor`` with ``workers`` processes (1: in this process, no pool); a
    worker ends by itself when the run that started it is killed.
``dask``
    a ``distributed.Client``: of the scheduler at ``address`` (``tcp://host:8786``), or of a ``LocalCluster`` of
    ``workers`` single-threaded worker processes started for the run (``pip install 'dask[distributed]'``).
``ray``
    ``ray.remote`` tasks on the cluster at ``address`` (``ray://host:10001`` or ``auto``), or on a local Ray
    started for the run with ``workers`` CPUs (``pip install ray``).

The libraries are imported only when their executor is chosen; a missing one is an :class:`ExecutorError`
saying what to install. At most ``2 × workers`` batches are in flight, so results (and the checkpoint) advance
steadily and memory stays bounded however many files there are.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Protocol

from rvae_server.mining.work import Job, Settings, mine_batch

EXECUTORS = ("local", "dask", "ray")
Batch = list[Job]
Results = list[dict[str, Any]]


class ExecutorError(Exception):
    """The executor could not be started (library missing, cluster unreachable)."""


class Executor(Protocol):
    name: str
    workers: int

    def run(self, batches: Iterable[Batch], settings: Settings) -> Iterator[Results]:
        """Mine every batch; yield each batch's results as it completes (any order)."""
        ...

    def close(self) -> None: ...


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


class LocalExecutor:
    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or default_workers()
        self._pool: ProcessPoolExecutor | None = None

    def run(self, batches: Iterable[Batch], settings: Settings) -> Iterator[Results]:
        if self.workers == 1:
            for batch in batches:
                yield mine_batch(batch, settings)
            return
        self._pool = ProcessPoolExecutor(max_workers=self.workers, initializer=_follow_parent, initargs=(os.getpid(),))
        pending: set[Future[Results]] = set()
        for batch in batches:
            pending.add(self._pool.submit(mine_batch, batch, settings))
            if len(pending) >= 2 * self.workers:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (f.result() for f in done)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            yield from (f.result() for f in done)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _follow_parent(parent: int) -> None:
    """In a local worker: end when the process that started it is gone (killed with ``kill -9``, its workers
    would otherwise wait for work for ever)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="follow-parent", daemon=True).start()


class DaskExecutor:
    name = "dask"

    def __init__(self, workers: int | None = None, address: str | None = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as err:
            hint = "pip install 'dask[distributed]'"
            raise ExecutorError(f"--executor dask needs dask.distributed: {hint} ({err})") from None
        logging.getLogger("distributed").setLevel(logging.WARNING)  # its INFO lines would bury the progress
        self.workers = workers or default_workers()
        self._cluster: Any = None
        try:
            if address:
                self._client = Client(address, timeout="30s")
            else:
                self._cluster = LocalCluster(
                    n_workers=self.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                    host="127.0.0.1", memory_limit=0,  # no memory monitor polling: a task's memory is bounded
                )  # fmt: skip
                self._client = Client(self._cluster)
        except (OSError, TimeoutError) as err:
            self.close()
            raise ExecutorError(f"cannot reach the Dask scheduler {address or '(local cluster)'}: {err}") from err
        if address:
            self.workers = max(1, sum(w.get("nthreads", 1) for w in self._client.scheduler_info()["workers"].values()))

    def run(self, batches: Iterable[Batch], settings: Settings) -> Iterator[Results]:
        from distributed import as_completed

        settings_future = self._client.scatter(settings, broadcast=True)
        window = as_completed()
        in_flight = 0
        for batch in batches:
            window.add(self._client.submit(mine_batch, batch, settings_future, pure=False))
            in_flight += 1
            if in_flight >= 2 * self.workers:
                yield next(window).result()
                in_flight -= 1
        for future in window:
            yield future.result()

    def close(self) -> None:
        client = getattr(self, "_client", None)
        if client is not None:
            client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


class RayExecutor:
    name = "ray"

    def __init__(self, workers: int | None = None, address: str | None = None) -> None:
        try:
            import ray
        except ImportError as err:
            raise ExecutorError(f"--executor ray needs Ray: pip install ray ({err})") from None
        self._ray = ray
        self.workers = workers or default_workers()
        try:
            if address:
                ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
                self.workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
            else:
                ray.init(num_cpus=self.workers, include_dashboard=False, ignore_reinit_error=True, log_to_driver=False)
        except (ConnectionError, RuntimeError, OSError) as err:
            raise ExecutorError(f"cannot start or reach Ray {address or '(local)'}: {err}") from err
        self._remote = ray.remote(num_cpus=1)(mine_batch)

    def run(self, batches: Iterable[Batch], settings: Settings) -> Iterator[Results]:
        ray = self._ray
        settings_ref = ray.put(settings)
        pending: list[Any] = []
        for batch in batches:
            pending.append(self._remote.remote(batch, settings_ref))
            if len(pending) >= 2 * self.workers:
                done, pending = ray.wait(pending, num_returns=1)
                yield ray.get(done[0])
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])

    def close(self) -> None:
        self._ray.shutdown()


def make_executor(name: str, workers: int | None = None, address: str | None = None) -> Executor:
    """The executor called ``name`` (one of :data:`EXECUTORS`); raises :class:`ExecutorError`."""
    if name == "local":
        if address:
            raise ExecutorError("--address is for --executor dask or ray, not local")
        return LocalExecutor(workers)
    if name == "dask":
        return DaskExecutor(workers, address)
    if name == "ray":
        return RayExecutor(workers, address)
    raise ExecutorError(f"unknown executor {name!r}: choose one of {', '.join(EXECUTORS)}")


__all__ = ["EXECUTORS", "DaskExecutor", "Executor", "ExecutorError", "LocalExecutor", "RayExecutor", "make_executor"]
