"""The Dask backend: a sweep on a local cluster of worker processes equals the serial sweep,
with or without a store, and survives a worker that dies."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

import cytosim as cs

distributed = pytest.importorskip("distributed")

SPACE = {"k_pg": cs.Range(0.3, 0.6), "mu_n": cs.Range(0.03, 0.08)}
ARGS: dict[str, Any] = {"n": 12, "seed": 9, "t_end": 60.0, "method": "dopri5",
                        "chunk_size": 3}  # 12 points in 4 chunks


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as local:
        yield local


def final_p(log: Path | None = None, die_once: Path | None = None) -> Callable[..., np.ndarray]:
    """A custom metric (P at the end) that logs each chunk it sees to *log* and, the first
    time it runs anywhere, kills its process (a worker dying) if *die_once* is given."""

    def final_P(t: np.ndarray, values: np.ndarray) -> np.ndarray:  # noqa: N802
        if die_once is not None:
            try:
                os.close(os.open(die_once, os.O_CREAT | os.O_EXCL))
                os._exit(1)  # only the first caller: the flag file exists now
            except FileExistsError:
                pass
        if log is not None:
            with log.open("a") as f:
                f.write(f"{float(values[0, -1, 0])!r}\n")
        return values[:, -1, 0]

    return final_P


def test_a_dask_sweep_equals_the_serial_sweep(cluster: Any) -> None:
    net = cs.load_model("acute_inflammation")
    args = {**ARGS, "metrics": ["peak:P", "auc:Nstar"], "trajectories": [30.0, 60.0]}
    serial = cs.sweep(net, SPACE, **args)
    with distributed.Client(cluster) as client:
        on_dask = cs.sweep(net, SPACE, backend="dask", client=client, **args)
        deadline = time.monotonic() + 10  # releases reach the client asynchronously
        while client.futures and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not client.futures  # the sweep left nothing on a cluster it does not own
    assert on_dask.attrs["backend"] == "dask"
    # bit-identical: the same compiled integrator on the same points
    xr.testing.assert_identical(on_dask.drop_attrs(), serial.drop_attrs())


def test_a_stored_sweep_interrupted_in_process_is_finished_on_dask(cluster: Any,
                                                                   tmp_path: Path) -> None:
    net = cs.load_model("acute_inflammation")
    store, log = tmp_path / "s.zarr", tmp_path / "calls.log"

    def interrupt_after_two(t: np.ndarray, values: np.ndarray) -> np.ndarray:
        if log.exists() and len(log.read_text().splitlines()) == 2:
            raise KeyboardInterrupt  # Ctrl-C in the third chunk
        return final_p(log)(t, values)

    interrupt_after_two.__name__ = "final_P"
    with pytest.raises(KeyboardInterrupt):
        cs.sweep(net, SPACE, store=store, metrics=["peak:P", interrupt_after_two], **ARGS)
    on_dask = cs.sweep(net, SPACE, store=store, metrics=["peak:P", final_p(log)],
                       backend="dask", scheduler=cluster.scheduler_address, **ARGS)
    assert len(log.read_text().splitlines()) == 4  # 2 chunks here, the 2 missing on dask
    serial = cs.sweep(net, SPACE, metrics=["peak:P", final_p()], **ARGS)
    xr.testing.assert_identical(on_dask.drop_attrs(), serial.drop_attrs())


def test_a_dying_worker_has_its_chunk_computed_again(cluster: Any, tmp_path: Path) -> None:
    net = cs.load_model("acute_inflammation")
    flag = tmp_path / "died"
    with distributed.Client(cluster) as client:
        on_dask = cs.sweep(net, SPACE, metrics=[final_p(die_once=flag)], backend="dask",
                           client=client, **ARGS)
    assert flag.exists()  # a worker died computing a chunk; the chunk was computed again
    serial = cs.sweep(net, SPACE, metrics=[final_p()], **ARGS)
    xr.testing.assert_identical(on_dask.drop_attrs(), serial.drop_attrs())
    assert (on_dask["status"] == "ok").all()


def test_without_client_or_scheduler_a_local_cluster_is_made_and_closed(
        cluster: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[dict[str, Any]] = []
    closed: list[bool] = []

    class Made:
        """Stands for the LocalCluster the sweep makes (starting one costs ~10 s here)."""

        def __init__(self, **kwargs: Any):
            made.append(kwargs)

        def __getattr__(self, name: str) -> Any:
            return getattr(cluster, name)

        def close(self) -> None:
            closed.append(True)

    monkeypatch.setattr(distributed, "LocalCluster", Made)
    net = cs.load_model("acute_inflammation")
    args = {**ARGS, "metrics": ["peak:P"]}
    on_dask = cs.sweep(net, SPACE, backend="dask", workers=3, **args)
    assert made == [{"n_workers": 3, "threads_per_worker": 1, "processes": True}]
    assert closed == [True]
    xr.testing.assert_identical(on_dask.drop_attrs(), cs.sweep(net, SPACE, **args).drop_attrs())
    cs.sweep(net, SPACE, backend="dask", **args)
    assert made[-1]["n_workers"] == 2


def test_dask_arguments_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    net = cs.Network("decay")
    net.add_cytokine("X", initial=1.0, decay_rate=1.0, use_catalogue=False)
    args = {"design": "grid", "t_end": 1.0, "metrics": ["final:X"], "method": "RK45"}
    with pytest.raises(cs.ParameterError, match=r'`client` and `scheduler` need backend="dask"'):
        cs.sweep(net, {"X.rate": [1.0]}, scheduler="tcp://127.0.0.1:8786", **args)
    with pytest.raises(cs.ParameterError, match=r"give `client` or `scheduler`, not both"):
        cs.sweep(net, {"X.rate": [1.0]}, backend="dask", client=object(),
                 scheduler="tcp://127.0.0.1:8786", **args)
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now fails
    with pytest.raises(cs.MissingDependencyError,
                       match=r'pip install "cytosim-networks\[dask\]"'):
        cs.sweep(net, {"X.rate": [1.0]}, backend="dask", **args)
