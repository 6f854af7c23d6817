"""Where sweep chunks run: in this process, in a pool of processes, or on a Dask cluster."""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Generator, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from functools import lru_cache
from typing import Any

import numpy as np

from ..compiler import OdeSystem, compile_network
from ..network import Network
from ._engine import ChunkResult, Plan, run_chunk

log = logging.getLogger("cytosim.sweeps")

BACKENDS = ("serial", "processes", "dask")
ERROR = "error"  # status of the points of a chunk that raised unexpectedly


def execute(network: Network, system: OdeSystem, plan: Plan,
            chunks: Iterator[tuple[int, np.ndarray]], backend: str, workers: int | None,
            client: Any, scheduler: str | None) -> Generator[ChunkResult, None, None]:
    """Chunk results in completion order."""
    if backend == "serial":
        for start, values in chunks:
            yield _guarded(system, plan, start, values)
        return
    payload = pickle.dumps(network)  # once per sweep; workers compile it once each
    if backend == "dask":
        from ._dask import run_chunks

        yield from run_chunks(_worker_chunk, (payload, plan), chunks, client=client,
                              scheduler=scheduler, workers=workers)
        return
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # numba's threads do not survive fork
    window = 2 * (workers or os.cpu_count() or 1)  # chunks in flight: bounds memory
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        pending: set[Future[ChunkResult]] = set()
        for start, values in chunks:
            pending.add(pool.submit(_worker_chunk, payload, plan, start, values))
            if len(pending) >= window:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (future.result() for future in finished)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            yield from (future.result() for future in finished)
    finally:
        pool.shutdown(cancel_futures=True)


def _worker_chunk(payload: bytes, plan: Plan, start: int, values: np.ndarray) -> ChunkResult:
    return _guarded(_system_from(payload), plan, start, values)


@lru_cache(maxsize=4)
def _system_from(payload: bytes) -> OdeSystem:
    """One compiled system per model and worker process."""
    return compile_network(pickle.loads(payload))  # noqa: S301 - our own payload


def _guarded(system: OdeSystem, plan: Plan, start: int, values: np.ndarray) -> ChunkResult:
    """Run a chunk; an unexpected error marks its points failed instead of ending the sweep."""
    try:
        return run_chunk(system, plan, start, values)
    except Exception as err:  # the sweep goes on; the points say why they failed
        log.exception("sweep chunk starting at point %d failed", start)
        m = len(values)
        nan = np.full(m, np.nan)
        trajectories = None
        if plan.trajectory_index is not None:
            trajectories = np.full((m, len(plan.trajectory_index), len(plan.columns)), np.nan)
        return ChunkResult(start, {metric.name: nan.copy() for metric in plan.metrics},
                           np.full(m, ERROR, dtype=object),
                           np.full(m, f"{type(err).__name__}: {err}", dtype=object),
                           trajectories, np.zeros(m, dtype=np.int64),
                           np.full(m, "", dtype=object), np.full(m, np.nan))
