"""Sweep stores: a stored sweep reads back equal to one in memory, resumes after a crash or
an interrupt computing only the missing chunks, and refuses a store of another sweep."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

import cytosim as cs

zarr = pytest.importorskip("zarr")

SPACE = {"X.rate": cs.Values(np.linspace(0.1, 1.0, 10).tolist())}
ARGS: dict[str, Any] = {"design": "grid", "t_end": 2.0, "n_points": 21, "method": "RK45",
                        "chunk_size": 2}  # 10 points in 5 chunks


def decay_network() -> cs.Network:
    net = cs.Network("decay")
    net.add_cytokine("X", initial=2.0, decay_rate=0.5, use_catalogue=False)
    net.add_observable("double", "2 * X")
    return net


def counting_metric(log: Path, interrupt_at: int | None = None) -> Callable[..., np.ndarray]:
    """A custom metric (X at the end) that logs one line per chunk it is evaluated on, and
    raises KeyboardInterrupt (a Ctrl-C) on the chunk numbered *interrupt_at*."""

    def counter(t: np.ndarray, values: np.ndarray) -> np.ndarray:
        seen = len(log.read_text().splitlines()) if log.exists() else 0
        if seen == interrupt_at:
            raise KeyboardInterrupt
        with log.open("a") as f:
            f.write(f"{float(values[0, -1, 0])!r}\n")
        return values[:, -1, 0]

    return counter


def calls(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def without_store(ds: xr.Dataset) -> xr.Dataset:
    """A stored sweep's attrs are those of a sweep in memory plus ``store``, its path."""
    ds = ds.copy()
    ds.attrs.pop("store")
    return ds


def test_a_stored_sweep_reads_back_equal_to_one_in_memory(tmp_path: Path) -> None:
    space = {"X.rate": cs.Values([-1.0, 0.5, 1.0]), "X": cs.Values([1.0, 2.0])}
    args = {**ARGS, "metrics": ["final:X", "below:X<1", "value_at:X@0.5", "auc:double"],
            "trajectories": True}
    in_memory = cs.sweep(decay_network(), space, **args)
    stored = cs.sweep(decay_network(), space, store=tmp_path / "s.zarr", **args)
    assert stored.attrs["store"] == str(tmp_path / "s.zarr")
    # identical: values, dtypes of the strings (fixed-width unicode), coordinates and attrs
    xr.testing.assert_identical(without_store(stored), in_memory)
    assert stored["status"].dtype == in_memory["status"].dtype
    # a point with a negative rate is stored with its status and message
    status = dict(zip(stored["X.rate"].values.tolist(), stored["status"].values.tolist(),
                      strict=False))
    assert status[-1.0] == "invalid_parameter"
    assert "X.rate = -1 must be >= 0" in stored["message"].values.tolist()
    # names that are not file names are stored under encoded keys
    assert (tmp_path / "s.zarr" / "below%3AX%3C1").is_dir()
    # running it again reads the finished store back
    again = cs.sweep(decay_network(), space, store=tmp_path / "s.zarr", **args)
    xr.testing.assert_identical(again, stored)


@pytest.mark.skipif(int(zarr.__version__.split(".")[0]) < 3,
                    reason="recent xarray reads Zarr stores with zarr 3 only")
def test_a_store_is_readable_with_xarray(tmp_path: Path) -> None:
    cs.sweep(decay_network(), SPACE, store=tmp_path / "s.zarr", metrics=["final:X"], **ARGS)
    raw = xr.open_zarr(tmp_path / "s.zarr", consolidated=False)
    assert "X.rate" in raw.coords and raw["final%3AX"].dims == ("point",)
    assert raw["point"].values.tolist() == list(range(10))


RUN_AND_DIE = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    import numpy as np
    import cytosim as cs

    store, log, die_at = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])

    def counter(t, values):
        seen = len(log.read_text().splitlines()) if log.exists() else 0
        if seen == die_at:  # killed while computing this chunk: no cleanup at all
            os._exit(17)
        with log.open("a") as f:
            f.write(f"{float(values[0, -1, 0])!r}\\n")
        return values[:, -1, 0]

    net = cs.Network("decay")
    net.add_cytokine("X", initial=2.0, decay_rate=0.5, use_catalogue=False)
    net.add_observable("double", "2 * X")
    cs.sweep(net, {"X.rate": cs.Values(np.linspace(0.1, 1.0, 10).tolist())}, design="grid",
             t_end=2.0, n_points=21, method="RK45", chunk_size=2,
             metrics=["final:X", counter], trajectories=[1.0, 2.0], store=store)
""")


def test_a_killed_sweep_resumes_computing_only_the_missing_chunks(tmp_path: Path) -> None:
    store, log = tmp_path / "s.zarr", tmp_path / "first.log"
    script = tmp_path / "run_and_die.py"
    script.write_text(RUN_AND_DIE)
    died = subprocess.run([sys.executable, str(script), str(store), str(log), "2"],
                          capture_output=True, text=True, timeout=120)
    assert died.returncode == 17, died.stderr
    assert calls(log) == 2  # two chunks finished before the process died in the third
    done = zarr.open_group(str(store), mode="r")["_chunk_done"][:]
    assert done.tolist() == [1, 1, 0, 0, 0]
    # a crash after writing part of chunk 3 but before its marker leaves garbage without a
    # marker: write some, and check the resumed sweep recomputes it
    zarr.open_group(str(store), mode="r+")["final%3AX"][4:6] = [-9.0, -9.0]

    again = tmp_path / "resume.log"
    args = {**ARGS, "trajectories": [1.0, 2.0]}
    resumed = cs.sweep(decay_network(), SPACE, store=store,
                       metrics=["final:X", counting_metric(again)], **args)
    assert calls(again) == 3  # chunks 3 to 5 only: no finished chunk is computed twice
    first_points = [float(x) for x in (log.read_text() + again.read_text()).split()]
    assert len(set(first_points)) == 5  # each chunk's first point once over the two runs
    uninterrupted = cs.sweep(decay_network(), SPACE,
                             metrics=["final:X", counting_metric(tmp_path / "ref.log")], **args)
    xr.testing.assert_identical(without_store(resumed), uninterrupted)


def test_an_interrupted_sweep_resumes(tmp_path: Path) -> None:
    store, log = tmp_path / "s.zarr", tmp_path / "calls.log"
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C while the fourth chunk runs
        cs.sweep(decay_network(), SPACE, store=store,
                 metrics=[counting_metric(log, interrupt_at=3)], **ARGS)
    assert calls(log) == 3
    resumed = cs.sweep(decay_network(), SPACE, store=store, metrics=[counting_metric(log)],
                       **ARGS)
    assert calls(log) == 5
    uninterrupted = cs.sweep(decay_network(), SPACE,
                             metrics=[counting_metric(tmp_path / "ref.log")], **ARGS)
    xr.testing.assert_identical(without_store(resumed), uninterrupted)


def test_a_store_of_another_sweep_is_refused_unless_overwritten(tmp_path: Path) -> None:
    store = tmp_path / "s.zarr"
    cs.sweep(decay_network(), SPACE, store=store, metrics=["final:X"], **ARGS)
    with pytest.raises(cs.StorageError, match=r"holds a different sweep: rtol \(store: 1e-06, "
                                              r"now: 1e-08\)\. Pass `overwrite=True`"):
        cs.sweep(decay_network(), SPACE, store=store, metrics=["final:X"], rtol=1e-8, **ARGS)
    with pytest.raises(cs.StorageError, match=r"metrics .*; chunk_size \(store: 2, now: 5\)\."):
        cs.sweep(decay_network(), SPACE, store=store, metrics=["auc:X"],
                 **{**ARGS, "chunk_size": 5})
    changed = decay_network()
    changed.set_initial("X", 3.0)  # the model's values count, not only its structure
    with pytest.raises(cs.StorageError, match=r"different sweep: model_hash .*; model_values"):
        cs.sweep(changed, SPACE, store=store, metrics=["final:X"], **ARGS)
    replaced = cs.sweep(decay_network(), SPACE, store=store, metrics=["final:X"], rtol=1e-8,
                        overwrite=True, **ARGS)
    expected = cs.sweep(decay_network(), SPACE, metrics=["final:X"], rtol=1e-8, **ARGS)
    xr.testing.assert_identical(without_store(replaced), expected)


def test_something_else_is_never_overwritten(tmp_path: Path) -> None:
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    with pytest.raises(cs.StorageError, match=r"exists and is not a cytosim sweep store"):
        cs.sweep(decay_network(), SPACE, store=folder, metrics=["final:X"], overwrite=True,
                 **ARGS)
    assert (folder / "notes.txt").read_text() == "keep me"


def test_a_missing_zarr_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "zarr", None)  # import zarr now raises ImportError
    with pytest.raises(cs.MissingDependencyError,
                       match=r'pip install "cytosim-networks\[zarr\]"'):
        cs.sweep(decay_network(), SPACE, store=tmp_path / "s.zarr", metrics=["final:X"],
                 **ARGS)


def test_a_chunk_that_raised_is_stored_and_computed_again_on_the_next_run(tmp_path: Path
                                                                          ) -> None:
    store, log = tmp_path / "s.zarr", tmp_path / "calls.log"

    def counter(t: np.ndarray, values: np.ndarray) -> np.ndarray:
        if not log.exists():  # the first chunk fails once, unexpectedly
            log.write_text("")
            raise MemoryError("transient")
        return counting_metric(log)(t, values)

    first = cs.sweep(decay_network(), SPACE, store=store, metrics=[counter], **ARGS)
    assert first["status"].values.tolist()[:3] == ["error", "error", "ok"]
    assert first["message"].values[0] == "MemoryError: transient"
    assert calls(log) == 4
    second = cs.sweep(decay_network(), SPACE, store=store, metrics=[counter], **ARGS)
    assert calls(log) == 5  # only the chunk that raised
    assert (second["status"] == "ok").all()
    reference = cs.sweep(decay_network(), SPACE,
                         metrics=[counting_metric(tmp_path / "ref.log")], **ARGS)
    xr.testing.assert_identical(without_store(second), reference)


def test_a_stored_sweep_on_processes_equals_the_serial_sweep(tmp_path: Path) -> None:
    args = {**ARGS, "metrics": ["final:X", "auc:double"], "trajectories": [1.0]}
    # one worker, two chunks in flight: chunks are waited for while others are submitted
    stored = cs.sweep(decay_network(), SPACE, store=tmp_path / "s.zarr", backend="processes",
                      workers=1, **args)
    serial = cs.sweep(decay_network(), SPACE, **args)
    xr.testing.assert_identical(stored.drop_attrs(), serial.drop_attrs())
