"""Sweep stores: every finished chunk written to a Zarr store as it completes, and resume.

Layout of ``sweep.zarr`` (Zarr format 2, which zarr 2 and zarr 3 both read and write)::

    .zattrs         {"cytosim_sweep": {"fingerprint": {...}, "layout": {...}, "attrs": {...}}}
    point           (point,) int64                      written when the store is created
    <swept name>    (point,) float64 coordinates        written when the store is created
    time, variable  trajectory coordinates (when kept)  written when the store is created
    <metric>        (point,) float64                    one Zarr chunk per sweep chunk
    status, message (point,) variable-length UTF-8      one Zarr chunk per sweep chunk
    n_rhs           (point,) int64                      one Zarr chunk per sweep chunk
    solver          (point,) variable-length UTF-8      one Zarr chunk per sweep chunk
    t_switch        (point,) float64                    one Zarr chunk per sweep chunk
    n_skipped_doses (point,) int64, with conditional doses  one Zarr chunk per sweep chunk
    trajectory      (point, time, variable) float64     one Zarr chunk per sweep chunk
    _chunk_done     (chunk,) uint8, one object per sweep chunk: 1 once the chunk is complete

Array keys are the names percent-encoded (``peak:TNF`` is stored as ``peak%3ATNF``) so that
any file system takes them; each array carries ``_ARRAY_DIMENSIONS``, so ``xr.open_zarr`` can
read a store too (under the encoded names).

Atomicity. A store is built in ``<path>.creating`` and renamed into place, so a store either
exists whole (coordinates, empty arrays, fingerprint) or not at all. The Zarr chunks along
``point`` are the sweep's chunks, so writing one sweep chunk writes exactly one object per
array and never touches a neighbour; each object is written to a temporary file and renamed
(zarr's local store). The chunk's marker in ``_chunk_done`` is written last: a process that
dies mid-chunk leaves no marker, and the chunk is computed again on resume. (Guaranteed for a
process that dies, is killed or interrupted; the files are not fsync'ed, so a machine that
loses power may lose recent chunks' data while keeping their marker.) Only the process that
called ``sweep()`` writes.

Fingerprint. A store remembers what produced it: everything the results depend on. Running
a sweep on an existing store resumes it when the fingerprints are equal and raises
:class:`~cytosim.StorageError`, naming the fields that differ, when they are not. The
interventions are recorded as the repr of each event: time, target, amount, rate change,
amount and rate per kg, parameter step and conditions, all as data; a swept
``body_weight`` is a coordinate like any other.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray
from xarray.backends import BackendArray
from xarray.core import indexing

from .._version import __version__
from ..compiler import OdeSystem
from ..exceptions import MissingDependencyError, StorageError
from ._engine import ChunkResult, Plan
from .spaces import Range, Relative, Values

FORMAT = 3  # version of the layout above; part of the fingerprint
HEADER = "cytosim_sweep"
DONE = "_chunk_done"


def import_zarr() -> Any:
    """zarr, or an error naming the extra to install."""
    try:
        import zarr
    except ImportError as err:
        raise MissingDependencyError('storing a sweep (`store=`) needs zarr: '
                                     'pip install "cytosim-networks[zarr]"') from err
    return zarr


def fingerprint(system: OdeSystem, plan: Plan, space: Mapping[str, Any], points: pd.DataFrame,
                *, design: Any, seed: int | None, n: int | None,
                params: Mapping[str, float] | None, n_points: int, chunk_size: int
                ) -> dict[str, Any]:
    """Everything a sweep's stored results depend on, as plain JSON values.

    ``model_values`` is a digest of the parameter and initial values in force (the model's,
    with ``params`` applied), so a store stays safe should ``model_hash`` ever cover the
    structure alone; ``points`` is a digest of the design's points (it covers DataFrame
    designs and distributions). Custom metric callables are known by their name only.
    """
    fields = {
        "format": FORMAT,
        "cytosim_version": __version__,
        "model_hash": system.model_hash,
        "model_values": _digest(plan.base_params, plan.base_initial),
        "space": {name: _describe(dim) for name, dim in space.items()},
        "design": design if isinstance(design, str) else "DataFrame",
        "seed": seed,
        "n": n,
        "points": _digest(points.to_numpy(dtype=float)),
        "metrics": [metric.name for metric in plan.metrics],
        "trajectories": (None if plan.trajectory_index is None
                         else plan.t_out[plan.trajectory_index].tolist()),
        "params": {str(k): float(v) for k, v in sorted((params or {}).items())},
        # the key pairs each infusion stop with its start (the repr leaves it out)
        "interventions": [f"{event!r} {event.key!r}" for event in plan.events],
        "method": plan.method,
        "rtol": plan.rtol,
        "atol": plan.atol,
        "max_steps": plan.max_steps,
        "t_start": plan.t0,
        "t_end": plan.t1,
        "n_points": n_points,
        "chunk_size": chunk_size,
    }
    # exactly what reading it back from a store gives (numpy scalars as Python numbers)
    return json.loads(json.dumps(fields, default=_plain))


def _plain(value: Any) -> Any:
    return np.asarray(value).tolist()


def _digest(*arrays: NDArray[Any]) -> str:
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a, dtype=np.float64)
        h.update(repr(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:32]


def _describe(dim: Any) -> str:
    """A stable text for one sweep dimension (a distribution's repr holds an address)."""
    if isinstance(dim, Range):  # Range(1, 2) and Range(1.0, 2.0) are one range
        return f"Range({float(dim.lo)!r}, {float(dim.hi)!r}, scale={dim.scale!r})"
    if isinstance(dim, Relative):
        return f"Relative({float(dim.fraction)!r}, scale={dim.scale!r})"
    if isinstance(dim, Values):
        return f"Values({list(dim.values)!r})"
    if isinstance(dim, list | tuple | np.ndarray):
        return _describe(Values(list(dim)))
    if hasattr(dim, "dist") and hasattr(dim, "args"):  # a frozen scipy.stats distribution
        return f"{dim.dist.name}{json.dumps([dim.args, dim.kwds], default=_plain)}"
    return type(dim).__name__


@dataclass(frozen=True)
class Layout:
    """What a new store holds, besides its fingerprint."""

    points: pd.DataFrame  # the design: one column per swept name
    metrics: tuple[str, ...]
    times: NDArray[np.float64] | None  # trajectory times, None without trajectories
    variables: tuple[str, ...]  # trajectory variables
    chunk_size: int
    attrs: dict[str, Any]  # provenance, restored on the Dataset read back
    skipped: bool = False  # whether n_skipped_doses is stored (sweeps with conditional doses)


def key(name: str) -> str:
    """The array key of a variable or coordinate name."""
    return quote(name, safe="")


class SweepStore:
    """An open sweep store: which chunks are complete, write one, read the Dataset back."""

    def __init__(self, path: Path, zarr: Any):
        self.path = path
        self.zarr = zarr
        self.group = zarr.open_group(str(path), mode="r+")
        header = self.group.attrs[HEADER]
        self.layout: dict[str, Any] = header["layout"]
        self.attrs: dict[str, Any] = header["attrs"]

    def completed(self) -> set[int]:
        """Start points of the chunks already complete."""
        done = np.asarray(self.group[DONE][:])
        return {int(i) * self.layout["chunk_size"] for i in np.flatnonzero(done)}

    def write(self, result: ChunkResult, *, complete: bool = True) -> None:
        """Write one chunk's results into their region, then (if *complete*) its marker."""
        g, start = self.group, result.start
        stop = start + len(result.status)
        for name in self.layout["metrics"]:
            g[key(name)][start:stop] = result.metrics[name]
        g["status"][start:stop] = np.asarray(result.status, dtype=str)
        g["message"][start:stop] = np.asarray(result.message, dtype=str)
        g["n_rhs"][start:stop] = result.n_rhs
        g["solver"][start:stop] = np.asarray(result.solver, dtype=str)
        g["t_switch"][start:stop] = result.t_switch
        if self.layout.get("skipped"):
            g["n_skipped_doses"][start:stop] = result.skipped_doses()
        if self.layout["trajectory"]:
            g["trajectory"][start:stop] = result.trajectories
        if complete:  # last: a chunk with a marker has all its data
            g[DONE][start // self.layout["chunk_size"]] = 1

    def dataset(self) -> xr.Dataset:
        """The sweep as an xarray Dataset: per-point variables in memory, trajectories lazy."""
        g = self.zarr.open_group(str(self.path), mode="r")
        coords: dict[str, Any] = {"point": np.asarray(g["point"][:])}
        for name in self.layout["coords"]:
            coords[name] = ("point", np.asarray(g[key(name)][:]))
        data: dict[str, Any] = {}
        for name in self.layout["metrics"]:
            data[name] = ("point", np.asarray(g[key(name)][:]))
        data["status"] = ("point", _text(g["status"][:]))
        data["message"] = ("point", _text(g["message"][:]))
        data["n_rhs"] = ("point", np.asarray(g["n_rhs"][:]))
        data["solver"] = ("point", _text(g["solver"][:]))
        data["t_switch"] = ("point", np.asarray(g["t_switch"][:]))
        if self.layout.get("skipped"):
            data["n_skipped_doses"] = ("point", np.asarray(g["n_skipped_doses"][:]))
        if self.layout["trajectory"]:
            lazy = indexing.LazilyIndexedArray(_ZarrArray(g["trajectory"]))
            data["trajectory"] = xr.Variable(("point", "time", "variable"), lazy)
            coords["time"] = np.asarray(g["time"][:])
            coords["variable"] = _text(g["variable"][:])
        return xr.Dataset(data, coords=coords, attrs=dict(self.attrs))


def _text(values: Any) -> NDArray[np.str_]:
    """Stored strings (object or StringDType) as fixed-width unicode, as a sweep in memory."""
    return np.asarray(values).astype(object).astype(str)


class _ZarrArray(BackendArray):
    """A Zarr array that xarray indexes lazily (the pattern of xarray's backend guide)."""

    def __init__(self, array: Any):
        self.array = array
        self.shape = tuple(array.shape)
        self.dtype = np.dtype(array.dtype)

    def __getitem__(self, k: Any) -> Any:
        return indexing.explicit_indexing_adapter(k, self.shape, indexing.IndexingSupport.BASIC,
                                                  self._get)

    def _get(self, k: tuple[Any, ...]) -> NDArray[Any]:
        return np.asarray(self.array[k])


def open_store(path: str | os.PathLike[str], fingerprint: dict[str, Any], layout: Layout, *,
               overwrite: bool) -> SweepStore:
    """Resume the store at *path* if it holds this sweep, else create it.

    Raises
    ------
    StorageError
        If *path* holds another sweep (unless *overwrite*) or something that is not a sweep
        store (never deleted, even with *overwrite*).
    MissingDependencyError
        Without zarr.
    """
    zarr = import_zarr()
    target = Path(os.fspath(path))
    stored = _stored_fingerprint(zarr, target)
    if stored is not None:
        if stored == fingerprint:
            return SweepStore(target, zarr)
        if not overwrite:
            raise StorageError(_mismatch(target, stored, fingerprint))
    _create(zarr, target, fingerprint, layout)
    return SweepStore(target, zarr)


def _stored_fingerprint(zarr: Any, path: Path) -> dict[str, Any] | None:
    """The fingerprint of the store at *path*; None when nothing (or an empty folder) is there."""
    if not path.exists() or (path.is_dir() and not any(path.iterdir())):
        return None
    try:
        header = zarr.open_group(str(path), mode="r").attrs[HEADER]
        return dict(header["fingerprint"])
    except Exception as err:  # zarr raises several types for "not a Zarr group"
        raise StorageError(f"{str(path)!r} exists and is not a cytosim sweep store; choose "
                           "another `store` path or remove it yourself") from err


def _mismatch(path: Path, stored: Mapping[str, Any], current: Mapping[str, Any]) -> str:
    names = [f for f in dict.fromkeys([*current, *stored]) if stored.get(f) != current.get(f)]

    def short(value: Any) -> str:
        text = repr(value)
        return text if len(text) <= 60 else text[:57] + "..."

    fields = "; ".join(f"{f} (store: {short(stored.get(f))}, now: {short(current.get(f))})"
                       for f in names)
    return (f"the sweep store {str(path)!r} holds a different sweep: {fields}. Pass "
            "`overwrite=True` to replace it, or choose another `store` path")


def _create(zarr: Any, path: Path, fingerprint: dict[str, Any], layout: Layout) -> None:
    """Build the store beside *path* and rename it into place."""
    building = path.with_name(path.name + ".creating")
    if building.exists():  # left by a process that died while creating a store
        shutil.rmtree(building)
    group = _new_group(zarr, building)
    n = len(layout.points)
    size = max(1, min(layout.chunk_size, n))
    n_chunks = -(-n // layout.chunk_size)

    # point variables name their coordinates, so that xr.open_zarr finds them
    coordinates = {"coordinates": " ".join(key(c) for c in layout.points.columns)}

    def array(name: str, dims: tuple[str, ...], shape: tuple[int, ...], dtype: Any,
              fill: Any, chunks: tuple[int, ...] | None = None,
              attrs: dict[str, Any] | None = None) -> Any:
        out = _new_array(zarr, group, key(name), shape, chunks or shape, dtype, fill)
        out.attrs.update({"_ARRAY_DIMENSIONS": list(dims), **(attrs or {})})
        return out

    # integers have no fill value: xarray would read one as missing
    array("point", ("point",), (n,), "i8", None)[:] = np.arange(n)
    for name in layout.points.columns:
        array(name, ("point",), (n,), "f8", np.nan, (size,))[:] = layout.points[name].to_numpy()
    for name in layout.metrics:
        array(name, ("point",), (n,), "f8", np.nan, (size,), coordinates)
    array("status", ("point",), (n,), str, "", (size,), coordinates)
    array("message", ("point",), (n,), str, "", (size,), coordinates)
    array("n_rhs", ("point",), (n,), "i8", None, (size,), coordinates)
    array("solver", ("point",), (n,), str, "", (size,), coordinates)
    array("t_switch", ("point",), (n,), "f8", np.nan, (size,), coordinates)
    if layout.skipped:
        array("n_skipped_doses", ("point",), (n,), "i8", None, (size,), coordinates)
    if layout.times is not None:
        k, v = len(layout.times), len(layout.variables)
        array("time", ("time",), (k,), "f8", np.nan)[:] = layout.times
        array("variable", ("variable",), (v,), str, "")[:] = np.asarray(layout.variables)
        array("trajectory", ("point", "time", "variable"), (n, k, v), "f8", np.nan,
              (size, k, v), coordinates)
    array(DONE, ("chunk",), (max(n_chunks, 1),), "u1", 0, (1,))
    group.attrs[HEADER] = {
        "fingerprint": fingerprint,
        "layout": {"coords": list(layout.points.columns), "metrics": list(layout.metrics),
                   "trajectory": layout.times is not None, "chunk_size": layout.chunk_size,
                   "skipped": layout.skipped},
        "attrs": layout.attrs,
    }
    if path.exists():  # an empty folder, or a sweep store being overwritten
        shutil.rmtree(path)
    os.replace(building, path)


def _zarr3(zarr: Any) -> bool:
    return int(zarr.__version__.split(".")[0]) >= 3


def _new_group(zarr: Any, path: Path) -> Any:
    if _zarr3(zarr):
        return zarr.open_group(str(path), mode="w", zarr_format=2)
    return zarr.open_group(str(path), mode="w")


def _new_array(zarr: Any, group: Any, name: str, shape: tuple[int, ...],
               chunks: tuple[int, ...], dtype: Any, fill: Any) -> Any:
    """One array, in the API of zarr 3 or zarr 2 (strings: variable-length UTF-8)."""
    shape_chunks = tuple(max(c, 1) for c in chunks)
    marker = name == DONE  # one raw byte per chunk: nothing to compress
    if _zarr3(zarr):
        extra: dict[str, Any] = {"compressors": None} if marker else {}
        out = group.create_array(name, shape=shape, chunks=shape_chunks, dtype=dtype,
                                 fill_value=fill, **extra)
    else:
        extra = {"compressor": None} if marker else {}
        if dtype is str:
            import numcodecs

            dtype, extra["object_codec"] = object, numcodecs.VLenUTF8()
        out = group.create_dataset(name, shape=shape, chunks=shape_chunks, dtype=dtype,
                                   fill_value=fill, **extra)
    return out
