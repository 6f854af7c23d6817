"""The Dask backend: sweep chunks as tasks on a ``dask.distributed`` cluster.

The network (pickled once) and the plan are each put into the graph once, as the result of a
tiny task every chunk task depends on: workers fetch them from each other, a worker that joins
later (an adaptive or job-queue cluster) gets them too, and if every copy is lost with its
worker the scheduler recomputes them. Results stream back as chunks complete. A chunk whose
worker dies is rescheduled by the scheduler (``distributed.scheduler.allowed-failures``), and a
task that raises is retried (``retries=2``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from ..exceptions import MissingDependencyError

RETRIES = 2


def import_distributed() -> Any:
    """dask.distributed, or an error naming the extra to install."""
    try:
        import distributed
    except ImportError as err:
        raise MissingDependencyError('`backend="dask"` needs dask.distributed: '
                                     'pip install "cytosim-networks[dask]"') from err
    return distributed


def run_chunks(function: Callable[..., Any], shared: tuple[Any, ...],
               chunks: Iterable[tuple[int, np.ndarray]], *, client: Any, scheduler: str | None,
               workers: int | None) -> Iterator[Any]:
    """Yield ``function(*shared, start, values)`` for every chunk, in completion order.

    With neither *client* nor *scheduler*, a local cluster of *workers* (default 2)
    single-threaded processes is created, and closed at the end.
    """
    distributed = import_distributed()
    owned: list[Any] = []  # closed at the end, last created first
    pending: dict[str, Any] = {}
    try:
        if client is None:
            if scheduler is None:
                cluster = distributed.LocalCluster(n_workers=workers or 2, threads_per_worker=1,
                                                   processes=True)
                owned.append(cluster)
                scheduler = cluster
            client = distributed.Client(scheduler)
            owned.append(client)
        token = uuid.uuid4().hex[:12]
        inputs = [client.submit(_identity, item, key=f"cytosim-sweep-input-{token}-{i}",
                                pure=False)
                  for i, item in enumerate(shared)]
        for start, values in chunks:
            future = client.submit(function, *inputs, start, values, retries=RETRIES,
                                   pure=False, key=f"cytosim-sweep-chunk-{token}-{start}")
            pending[future.key] = future
        del inputs  # the chunk tasks hold the inputs as long as they need them
        for future in distributed.as_completed(list(pending.values())):
            result = future.result()
            del pending[future.key]  # let the cluster forget the chunk's result
            del future
            yield result
    finally:
        if pending and not owned:  # a cluster we keep: stop what we started
            client.cancel(list(pending.values()))
        for item in reversed(owned):
            item.close()


def _identity(value: Any) -> Any:
    return value
