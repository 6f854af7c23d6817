"""``sweep()``: many parameter sets of one network, integrated in chunks, as an xarray Dataset."""

from __future__ import annotations

import logging
import math
import pickle
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from .._names import suggest
from .._units import to_time
from .._version import __version__
from ..compiler import OdeSystem, compile_network
from ..exceptions import ParameterError
from ..network import Network
from ._engine import OK, SCIPY_METHODS, ChunkResult, Plan, run_chunk
from .metrics import extra_times, parse_metrics
from .spaces import design_points, resolve_space

log = logging.getLogger("cytosim.sweeps")

BACKENDS = ("serial", "processes")
METHODS = ("dopri5", *SCIPY_METHODS)


def sweep(
    network: Network,
    space: Mapping[str, Any],
    *,
    n: int | None = None,
    design: str | pd.DataFrame = "sobol",
    seed: int | None = 0,
    t_end: Any,
    t_start: Any = 0.0,
    n_points: int = 201,
    metrics: Sequence[str | Callable[..., Any]] = (),
    trajectories: bool | Sequence[float] = False,
    params: Mapping[str, float] | None = None,
    method: str = "dopri5",
    rtol: float = 1e-6,
    atol: float = 1e-9,
    max_steps: int = 100_000,
    backend: str = "serial",
    workers: int | None = None,
    chunk_size: int = 1000,
    progress: bool | None = None,
) -> xr.Dataset:
    """Integrate *network* at every point of a design over *space* and summarise each run.

    Parameters
    ----------
    network : Network
        The model.
    space : mapping
        ``{name: dimension}``: stable parameter names, aliases, derived names
        (``TNF.half_life``) or node names (initial values), each a :class:`Range`,
        :class:`Values`, :class:`Relative`, list or frozen scipy.stats distribution.
    n : int
        Number of points (per dimension for ``design="grid"``).
    design : {"sobol", "lhs", "halton", "random", "grid"} or DataFrame
        How points are chosen (see :mod:`cytosim.sweeps.spaces`).
    seed : int or None
        Seed of the design; the same seed gives the same points everywhere.
    t_end, t_start : float or pint.Quantity
        Time span in the model's time unit.
    n_points : int
        Output grid (evenly spaced, ends included) on which metrics are evaluated.
    metrics : sequence
        ``"peak:TNF"``, ``"time_of_peak:IL6"``, ``"auc:IL10"``, ``"final:MA"``,
        ``"value_at:TNF@4"``, ``"below:TNF<20"``, ``"above:X>c"``, ``"trough:X"`` or
        vectorised callables (see :mod:`cytosim.sweeps.metrics`).
    trajectories : bool or sequence of float
        Keep full trajectories (True: on the output grid; a sequence: at those times).
    params : mapping, optional
        Fixed parameter values applied to every point.
    method : {"dopri5", "BDF", "Radau", "LSODA", "RK45", "DOP853", "RK23"}
        ``"dopri5"``: cytosim's compiled per-member integrator (each point has its own step
        size and error control). The others run scipy point by point (slow; a reference).
    rtol, atol : float
        Tolerances, per member.
    max_steps : int
        Step limit per member (``dopri5``).
    backend : {"serial", "processes"}
        Where chunks run: this process, or a pool of *workers* processes.
    chunk_size : int
        Points integrated together; memory is bounded by it.
    progress : bool, optional
        Show a progress bar (default: only on an interactive terminal).

    Returns
    -------
    xarray.Dataset
        Dimension ``point``; each swept name as a coordinate; one variable per metric;
        ``status`` (``"ok"``, ``"invalid_parameter"``, ``"max_steps"``...) and ``message``
        per point; ``n_rhs`` (right-hand-side evaluations); trajectories (``point``,
        ``time``, ``variable``) when asked; provenance in ``attrs``. Results do not depend on
        backend, workers or chunk size.

    Examples
    --------
    >>> import cytosim as cs
    >>> net = cs.Network()
    >>> net.add_cytokine("X", initial=1.0, decay_rate=1.0, use_catalogue=False)
    >>> ds = cs.sweep(net, {"X.rate": cs.Values([0.5, 1.0])}, design="grid", t_end=2.0,
    ...               metrics=["final:X"], method="RK45")
    >>> ds["final:X"].values.round(3).tolist()
    [0.368, 0.135]
    """
    system = compile_network(network)
    plan, points = _plan(network, system, space, n=n, design=design, seed=seed, t_end=t_end,
                         t_start=t_start, n_points=n_points, metrics=metrics,
                         trajectories=trajectories, params=params, method=method, rtol=rtol,
                         atol=atol, max_steps=max_steps)
    if backend not in BACKENDS:
        raise ParameterError(f"`backend` must be one of {BACKENDS}, got {backend!r}")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ParameterError(f"`chunk_size` must be a positive integer, got {chunk_size!r}")
    values = points.to_numpy(dtype=float)
    starts = list(range(0, len(values), chunk_size))
    chunks = ((s, values[s:s + chunk_size]) for s in starts)
    show = progress if progress is not None else sys.stderr.isatty()
    results: list[ChunkResult] = []
    with _progress(len(values), show) as bar:
        for result in _execute(network, system, plan, chunks, backend, workers):
            results.append(result)
            bar(len(result.status))
    results.sort(key=lambda r: r.start)
    return _dataset(network, system, plan, points, results, space, design, seed, n, backend)


def _plan(network: Network, system: OdeSystem, space: Mapping[str, Any], *, n: int | None,
          design: str | pd.DataFrame, seed: int | None, t_end: Any, t_start: Any,
          n_points: int, metrics: Sequence[Any], trajectories: bool | Sequence[float],
          params: Mapping[str, float] | None, method: str, rtol: float, atol: float,
          max_steps: int) -> tuple[Plan, pd.DataFrame]:
    if method not in METHODS:
        raise ParameterError(f"`method` must be one of {METHODS}, got {method!r}")
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if not (isinstance(tol, int | float) and math.isfinite(tol) and tol > 0):
            raise ParameterError(f"`{name}` must be a positive number, got {tol!r}")
    t0 = to_time(t_start, system.time_unit, "t_start")
    t1 = to_time(t_end, system.time_unit, "t_end")
    if not t1 > t0:
        raise ParameterError(f"`t_end` ({t1:g}) must be greater than `t_start` ({t0:g})")
    if isinstance(n_points, bool) or not isinstance(n_points, int) or n_points < 2:
        raise ParameterError(f"`n_points` must be an integer >= 2, got {n_points!r}")
    aliases = network.parameter_aliases()
    base_params = system.param_vector(params, aliases=aliases)
    base_initial = system.initial_vector()
    param_index = {name: i for i, name in enumerate(system.param_names)}
    state_index = {name: i for i, name in enumerate(system.state_names)}
    targets: list[tuple[str, int]] = []
    transforms: list[Callable[[float], float] | None] = []
    baseline: dict[str, float] = {}
    for name in space:
        canonical = aliases.get(name, name)
        if canonical in system.derived_params:
            canonical_name, transform = system.derived_params[canonical]
            targets.append(("param", param_index[canonical_name]))
            transforms.append(transform)
            baseline[name] = transform(base_params[param_index[canonical_name]])
        elif canonical in param_index:
            targets.append(("param", param_index[canonical]))
            transforms.append(None)
            baseline[name] = base_params[param_index[canonical]]
        elif name in state_index:
            targets.append(("initial", state_index[name]))
            transforms.append(None)
            baseline[name] = base_initial[state_index[name]]
        else:
            valid = [*param_index, *system.derived_params, *aliases, *state_index]
            raise ParameterError(f"cannot sweep {name!r}: not a parameter, derived parameter, "
                                 f"alias or node. {suggest(name, valid)}")
    dims = resolve_space(space, baseline)
    points = design_points(dims, n, design, seed)
    columns = system.state_names + system.observable_names
    parsed = parse_metrics(list(metrics), columns)
    grid = np.linspace(t0, t1, n_points)
    keep: Sequence[float] = []
    if trajectories is True:
        keep = list(grid)
    elif trajectories is not False:
        keep = [to_time(x, system.time_unit, "trajectories") for x in trajectories]
    requested = [*extra_times(parsed), *keep]
    outside = [x for x in requested if not t0 <= x <= t1]
    if outside:
        raise ParameterError(f"output times {outside} lie outside [t_start, t_end] = "
                             f"[{t0:g}, {t1:g}]")
    t_out = np.unique(np.concatenate([grid, np.asarray(requested, dtype=float)]))
    trajectory_index = np.searchsorted(t_out, np.asarray(keep, dtype=float)) if keep else None
    plan = Plan(tuple(space), tuple(targets), tuple(transforms), base_params, base_initial, t0,
                t1, t_out, method, float(rtol), float(atol), int(max_steps), tuple(parsed),
                tuple(columns), trajectory_index)
    return plan, points


def _execute(network: Network, system: OdeSystem, plan: Plan,
             chunks: Iterator[tuple[int, np.ndarray]], backend: str, workers: int | None
             ) -> Iterator[ChunkResult]:
    if backend == "serial":
        for start, values in chunks:
            yield _guarded(system, plan, start, values)
        return
    import multiprocessing

    payload = pickle.dumps(network)
    context = multiprocessing.get_context("spawn")  # numba's threads do not survive fork
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(_worker_chunk, payload, plan, start, values)
                   for start, values in chunks]
        for future in futures:
            yield future.result()


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
        return ChunkResult(start, {metric.name: nan.copy() for metric in plan.metrics},
                           np.full(m, "error", dtype=object),
                           np.full(m, f"{type(err).__name__}: {err}", dtype=object), None,
                           np.zeros(m, dtype=np.int64))


class _progress:
    """A tqdm bar when shown, a no-op otherwise."""

    def __init__(self, total: int, show: bool):
        self.total, self.show = total, show
        self.bar: Any = None

    def __enter__(self) -> Callable[[int], None]:
        if self.show:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=self.total, unit="point", desc="sweep")
            return self.bar.update  # type: ignore[no-any-return]
        return lambda k: None

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


def _dataset(network: Network, system: OdeSystem, plan: Plan, points: pd.DataFrame,
             results: Sequence[ChunkResult], space: Mapping[str, Any], design: Any,
             seed: int | None, n: int | None, backend: str) -> xr.Dataset:
    def cat(get: Callable[[ChunkResult], Any]) -> np.ndarray:
        return np.concatenate([get(r) for r in results]) if results else np.empty(0)

    coords: dict[str, Any] = {"point": np.arange(len(points))}
    for name in points.columns:
        coords[name] = ("point", points[name].to_numpy())
    data: dict[str, Any] = {}
    for metric in plan.metrics:
        data[metric.name] = ("point", np.concatenate([r.metrics[metric.name] for r in results]))
    data["status"] = ("point", cat(lambda r: r.status).astype(str))
    data["message"] = ("point", cat(lambda r: r.message).astype(str))
    data["n_rhs"] = ("point", cat(lambda r: r.n_rhs))
    if plan.trajectory_index is not None:
        data["trajectory"] = (("point", "time", "variable"),
                              cat(lambda r: r.trajectories))
        coords["time"] = plan.t_out[plan.trajectory_index]
        coords["variable"] = list(plan.columns)
    attrs = {
        "model": system.name,
        "model_hash": system.model_hash,
        "cytosim_version": __version__,
        "design": design if isinstance(design, str) else "user DataFrame",
        "seed": -1 if seed is None else seed,
        "n": -1 if n is None else n,
        "space": repr(dict(space)),
        "method": plan.method,
        "rtol": plan.rtol,
        "atol": plan.atol,
        "t_start": plan.t0,
        "t_end": plan.t1,
        "time_unit": system.time_unit,
        "n_points": len(plan.t_out),
        "backend": backend,
        "n_failed": int(np.sum(cat(lambda r: r.status) != OK)),
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def to_dataframe(ds: xr.Dataset) -> pd.DataFrame:
    """A tidy table of a sweep: one row per point, swept values, metrics, status."""
    columns = [c for c in ds.coords if c not in ("point", "time", "variable")]
    variables = [v for v in ds.data_vars if "time" not in ds[v].dims]
    frame = ds[variables].to_dataframe()
    return frame[[*columns, *variables]] if columns else frame[variables]
