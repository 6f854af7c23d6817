"""``sweep()``: many parameter sets of one network, integrated in chunks, as an xarray Dataset."""

from __future__ import annotations

import contextlib
import fnmatch
import logging
import math
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from .._names import suggest
from .._units import to_time
from .._version import __version__
from ..compiler import OdeSystem, compile_network
from ..exceptions import ParameterError
from ..interventions import (
    Dose,
    Event,
    prepare,
    schedule_events,
    weight_scaled_doses,
    with_infusion_inputs,
)
from ..network import Network
from . import _storage
from ._backends import BACKENDS, ERROR, execute
from ._engine import ENSEMBLE_METHODS, OK, SCIPY_METHODS, WEIGHT, ChunkResult, Plan
from .metrics import extra_times, parse_metrics
from .spaces import Relative, design_points, resolve_space

log = logging.getLogger("cytosim.sweeps")

METHODS = (*ENSEMBLE_METHODS, *SCIPY_METHODS)


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
    method: str = "auto",
    rtol: float = 1e-6,
    atol: float = 1e-9,
    max_steps: int = 100_000,
    backend: str = "serial",
    workers: int | None = None,
    chunk_size: int = 1000,
    store: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    client: Any = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    interventions: Sequence[Any] = (),
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
        A name with ``*`` or ``?`` (shell-style, :mod:`fnmatch`) links every parameter
        whose stable name matches (not aliases, derived names or nodes): each point sets them
        all to its value (e.g. ``"P__*.transfers.*.rate"``, the exchange of P between all
        neighbouring sites of a tissue from :func:`cytosim.tissue`, or
        ``"*.growth_rate"``); they must share their bounds and unit, and a :class:`Relative`
        needs them to share their model value. A parameter may be set by one swept name
        only.
        ``body_weight`` (kg) is the body weight of each point: every dose given per body
        weight (``"3 mg/kg"``, ``"600000 IU/kg"``: amounts and the rates of infusions given
        a ``duration``) uses the point's weight instead of the dose's own ``weight``; doses
        in mg or IU are unchanged. A weight that is not finite and > 0 makes its point
        ``invalid_parameter``. Sweeping it without any per-kg dose, or with a per-kg
        infusion given a fixed ``rate`` (its duration would vary), raises
        :class:`ParameterError`.
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
    method : {"auto", "dopri5", "rodas5p", "BDF", "Radau", "LSODA", "RK45", "DOP853", "RK23"}
        cytosim's compiled per-member integrators (each point has its own step size and
        error control): ``"dopri5"`` (explicit), ``"rodas5p"`` (stiff, Rosenbrock) and
        ``"auto"``, where every point starts with DOPRI5 and goes on with Rodas5P once
        DOPRI5 finds it stiff (see :mod:`cytosim.solvers.auto`); the variables ``solver``
        (the method that finished each point) and ``t_switch`` (when it switched; NaN if it
        did not) say what happened. The others run scipy point by point (slow; a
        reference).
    rtol, atol : float
        Tolerances, per member.
    max_steps : int
        Step limit per member (compiled methods).
    backend : {"serial", "processes", "dask"}
        Where chunks run: this process, a pool of *workers* processes, or a Dask cluster
        (*client*, *scheduler*, or else a local cluster of *workers*, default 2, processes).
    workers : int, optional
        Processes of the ``"processes"`` pool (default: one per core) or of the local Dask
        cluster; ignored with *client* or *scheduler*.
    chunk_size : int
        Points integrated together (one task; one unit of storage). Memory is bounded by it.
    store : str or path, optional
        A Zarr store (a local folder such as ``"sweep.zarr"``) that every chunk is written to
        as it completes. Running the same sweep again resumes it: only the chunks missing
        from the store are computed. The Dataset returned is read from the store: per-point
        variables in memory, ``trajectory`` lazily (``ds.load()`` reads it). Needs the
        ``zarr`` extra.
    overwrite : bool
        Replace a *store* that holds a different sweep instead of raising
        :class:`~cytosim.StorageError` (a store of this same sweep is resumed either way).
    client : dask.distributed.Client, optional
        The Dask cluster to use (``backend="dask"``).
    scheduler : str, optional
        Address of a Dask scheduler to connect to (``backend="dask"``).
    interventions : sequence
        Doses, schedules, therapy presets and graph transformations applied to every point,
        as in :func:`~cytosim.simulate`; the integration restarts at each dose or step, for
        the compiled methods too. Conditional doses (``Dose(..., only_if="TNF > 20")``) are
        decided for each point at each dose time as :func:`~cytosim.simulate` decides them
        (on the state just before the dose; a skipped infusion is skipped whole); a
        condition that reads NaN or inf fails only its point (status
        ``"untestable_condition"``, the message names the condition, time and value).
    progress : bool, optional
        Show a progress bar (default: only on an interactive terminal).

    Returns
    -------
    xarray.Dataset
        Dimension ``point``; each swept name as a coordinate; one variable per metric;
        ``status`` (``"ok"``, ``"invalid_parameter"``, ``"max_steps"``...) and ``message``
        per point; ``n_rhs`` (right-hand-side evaluations), ``solver`` (the method that
        finished the point, ``""`` for a point not integrated) and ``t_switch`` (see
        *method*) per point; with conditional doses, ``n_skipped_doses`` (the point's
        doses not given because a condition did not hold); trajectories (``point``,
        ``time``, ``variable``) when asked; provenance in ``attrs`` (with *store*, also
        ``store``, its path). Results do not depend on backend, workers, chunk size or on
        whether and how often a stored sweep was interrupted.

    Raises
    ------
    ParameterError
        For an unknown name, an invalid dimension, metric, design or setting.
    StorageError
        If *store* holds a different sweep (the message names the settings that differ) and
        *overwrite* is False, or is not a sweep store at all.
    MissingDependencyError
        For *store* without zarr, or ``backend="dask"`` without dask.distributed.

    Examples
    --------
    >>> import cytosim as cs
    >>> net = cs.Network()
    >>> net.add_cytokine("X", initial=1.0, decay_rate=1.0, use_catalogue=False)
    >>> ds = cs.sweep(net, {"X.rate": cs.Values([0.5, 1.0])}, design="grid", t_end=2.0,
    ...               metrics=["final:X"], method="RK45")
    >>> ds["final:X"].values.round(3).tolist()
    [0.368, 0.135]

    A dose per kg follows each point's body weight; a conditional dose is decided per point:

    >>> pk = cs.pk_compartments(cs.Network(), "mAb", volume=3.0, clearance=0.3)
    >>> ds = cs.sweep(pk, {"body_weight": cs.Values([50.0, 100.0])}, design="grid",
    ...               t_end=1.0, metrics=["value_at:mAb@0"], method="RK45",
    ...               interventions=[cs.Dose("mAb", "2 mg/kg")])
    >>> ds["value_at:mAb@0"].values.tolist()
    [100.0, 200.0]
    >>> ds = cs.sweep(pk, {"mAb": cs.Values([0.0, 50.0])}, design="grid", t_end=1.0,
    ...               metrics=["final:mAb"], method="RK45",
    ...               interventions=[cs.Dose("mAb", 100.0, only_if="mAb < 10")])
    >>> ds["n_skipped_doses"].values.tolist()
    [0, 1]
    """
    events: tuple[Event, ...] = ()
    per_kg: list[Dose] = []  # dose records given per body weight
    if interventions:  # the same doses and transformations for every point
        system = compile_network(network)
        t0 = to_time(t_start, system.time_unit, "t_start")
        t1 = to_time(t_end, system.time_unit, "t_end")
        network, timed = prepare(interventions, network)
        events = tuple(schedule_events(timed, network, t0, t1))
        network = with_infusion_inputs(network, [e.target for e in events if e.rate_change])
        per_kg = weight_scaled_doses(timed)
    if WEIGHT in space:
        _check_weight_doses(per_kg)
    weights = {dose.weight for dose in per_kg}
    dose_weight = weights.pop() if len(weights) == 1 else None
    system = compile_network(network)
    plan, points = _plan(network, system, space, n=n, design=design, seed=seed, t_end=t_end,
                         t_start=t_start, n_points=n_points, metrics=metrics,
                         trajectories=trajectories, params=params, method=method, rtol=rtol,
                         atol=atol, max_steps=max_steps, dose_weight=dose_weight)
    plan = replace(plan, events=events)
    _check_execution(backend, chunk_size, client, scheduler)
    values = points.to_numpy(dtype=float)
    attrs = _provenance(system, plan, space, design, seed, n)
    starts = range(0, len(values), chunk_size)
    sink: _storage.SweepStore | None = None
    done: set[int] = set()
    path = None if store is None else os.fspath(store)
    if path is not None:
        key = _storage.fingerprint(system, plan, space, points, design=design, seed=seed, n=n,
                                   params=params, n_points=n_points, chunk_size=chunk_size)
        kept = plan.trajectory_index
        layout = _storage.Layout(points, tuple(m.name for m in plan.metrics),
                                 None if kept is None else plan.t_out[kept], plan.columns,
                                 chunk_size, attrs, skipped=plan.conditional)
        sink = _storage.open_store(path, key, layout, overwrite=overwrite)
        done = sink.completed()
        if done:
            log.info("resuming the sweep stored in %s: %d of %d chunks done", path, len(done),
                     len(starts))
    chunks = ((s, values[s:s + chunk_size]) for s in starts if s not in done)
    show = progress if progress is not None else sys.stderr.isatty()
    reused = sum(min(chunk_size, len(values) - s) for s in done)
    results: list[ChunkResult] = []
    with _progress(len(values), reused, show) as bar, contextlib.closing(
            execute(network, system, plan, chunks, backend, workers, client, scheduler)
    ) as stream:
        for result in stream:
            if sink is None:
                results.append(result)
            else:  # a chunk that raised is kept but not marked complete: a rerun retries it
                sink.write(result, complete=not np.all(result.status == ERROR))
            bar(len(result.status))
    if sink is not None:
        ds = sink.dataset()
        ds.attrs.update(backend=backend, n_failed=int(np.sum(ds["status"].values != OK)),
                        store=path)
        return ds
    results.sort(key=lambda r: r.start)
    return _dataset(plan, points, results, attrs, backend)


def _check_execution(backend: str, chunk_size: int, client: Any, scheduler: str | None) -> None:
    if backend not in BACKENDS:
        raise ParameterError(f"`backend` must be one of {BACKENDS}, got {backend!r}")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ParameterError(f"`chunk_size` must be a positive integer, got {chunk_size!r}")
    if backend != "dask" and (client is not None or scheduler is not None):
        raise ParameterError(f'`client` and `scheduler` need backend="dask", got '
                             f"backend={backend!r}")
    if client is not None and scheduler is not None:
        raise ParameterError("give `client` or `scheduler`, not both")
    if backend == "dask":
        from ._dask import import_distributed

        import_distributed()  # fail before any work is done


def _check_weight_doses(per_kg: Sequence[Dose]) -> None:
    """A swept body weight needs doses that follow it; per-kg infusions given a fixed `rate`
    cannot: their duration would depend on the weight, and every point shares the event
    times."""
    if not per_kg:  # an error, not a warning: a dimension that changes nothing is a mistake
        raise ParameterError(f"`{WEIGHT}` is swept but no dose is given per body weight "
                             "(mg/kg, IU/kg), so it would change nothing; give per-kg doses "
                             "in `interventions` or leave it out of the space")
    for dose in per_kg:
        if dose.rate is not None:
            raise ParameterError(f"the infusion into {dose.target!r} at t = {dose.time:g} has "
                                 f"a per-kg amount ({dose.amount}) and a fixed `rate`, so its "
                                 "duration would depend on the body weight, which varies "
                                 f"between points (a swept `{WEIGHT}` or a cohort's weight "
                                 "covariate); give the infusion's `duration` instead of its "
                                 "rate")


def _plan(network: Network, system: OdeSystem, space: Mapping[str, Any], *, n: int | None,
          design: str | pd.DataFrame, seed: int | None, t_end: Any, t_start: Any,
          n_points: int, metrics: Sequence[Any], trajectories: bool | Sequence[float],
          params: Mapping[str, float] | None, method: str, rtol: float, atol: float,
          max_steps: int, dose_weight: float | None = None) -> tuple[Plan, pd.DataFrame]:
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
    param_index, state_index = system.param_index, system.state_index
    targets: list[tuple[str, int]] = []
    groups: list[tuple[int, ...]] = []
    transforms: list[Callable[[float], float] | None] = []
    baseline: dict[str, float] = {}
    for name in space:
        canonical = aliases.get(name, name)
        if name == WEIGHT:
            clash = [n for n in (*param_index, *aliases, *state_index,
                                 *system.observable_names) if n == WEIGHT]
            if clash:
                raise ParameterError(f"the network has a node or parameter named {WEIGHT!r}, "
                                     "which the sweeps reserve for the body weight of per-kg "
                                     "doses; rename it to sweep either")
            targets.append(("weight", 0))
            transforms.append(None)
            if dose_weight is not None:  # the doses' own weight: the centre of a Relative
                baseline[name] = dose_weight
            elif isinstance(space[name], Relative):
                raise ParameterError(f"`Relative` for {WEIGHT!r} is centred on the doses' "
                                     "weight, but the per-kg doses give different weights; "
                                     "sweep it with `Range` or `Values` instead")
        elif canonical in system.derived_params:
            canonical_name, transform = system.derived_params[canonical]
            targets.append(("param", param_index[canonical_name]))
            transforms.append(transform)
            baseline[name] = transform(base_params[param_index[canonical_name]])
        elif canonical in param_index:
            targets.append(("param", param_index[canonical]))
            transforms.append(None)
            baseline[name] = base_params[param_index[canonical]]
        elif any(c in name for c in "*?[") and name not in param_index:
            group = _linked(name, system)
            targets.append(("params", len(groups)))
            groups.append(group)
            transforms.append(None)
            values = {float(base_params[i]) for i in group}
            if len(values) == 1:
                baseline[name] = values.pop()
            elif isinstance(space[name], Relative):
                raise ParameterError(f"`Relative` for {name!r} needs one model value, but the "
                                     f"{len(group)} parameters it links have {len(values)}")
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
    _one_name_per_parameter(list(space), targets, groups, system)
    plan = Plan(tuple(space), tuple(targets), tuple(transforms), base_params, base_initial, t0,
                t1, t_out, method, float(rtol), float(atol), int(max_steps), tuple(parsed),
                tuple(columns), trajectory_index, groups=tuple(groups))
    return plan, points


def _linked(pattern: str, system: OdeSystem) -> tuple[int, ...]:
    """The indices of the parameters whose stable names match *pattern* (fnmatch, case
    sensitive), which must share one spec and one unit."""
    nodes = [n for n in system.state_names if fnmatch.fnmatchcase(n, pattern)]
    if nodes:
        raise ParameterError(f"{pattern!r} matches nodes ({', '.join(nodes[:3])}): patterns "
                             "link parameters only; sweep initial values by node name")
    group = tuple(i for i, name in enumerate(system.param_names)
                  if fnmatch.fnmatchcase(name, pattern))
    if not group:
        raise ParameterError(f"cannot sweep {pattern!r}: the pattern matches no parameter "
                             "(patterns match stable names, not aliases or derived names). "
                             + suggest(pattern.replace("*", "").replace("?", ""),
                                       system.param_names))
    kinds = {(system.param_specs[i].lower, system.param_specs[i].upper,
              system.param_specs[i].positive, system.param_units[i]) for i in group}
    if len(kinds) > 1:
        names = sorted({f"{system.param_names[i].rsplit('.', 1)[-1]} "
                        f"[{system.param_units[i] or 'no unit'}]" for i in group})
        raise ParameterError(f"{pattern!r} links parameters with different bounds or units "
                             f"({', '.join(names[:4])}); narrow the pattern")
    return group


def _one_name_per_parameter(names: list[str], targets: list[tuple[str, int]],
                            groups: list[tuple[int, ...]], system: OdeSystem) -> None:
    """Refuse two swept names setting one parameter (the last one would silently win)."""
    owner: dict[int, str] = {}
    for name, (kind, index) in zip(names, targets, strict=True):
        indices = groups[index] if kind == "params" else (index,) if kind == "param" else ()
        for i in indices:
            if i in owner:
                raise ParameterError(f"{name!r} and {owner[i]!r} both set "
                                     f"{system.param_names[i]!r}; sweep it under one name")
            owner[i] = name


class _progress:
    """A tqdm bar when shown, a no-op otherwise."""

    def __init__(self, total: int, initial: int, show: bool):
        self.total, self.initial, self.show = total, initial, show
        self.bar: Any = None

    def __enter__(self) -> Callable[[int], None]:
        if self.show:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=self.total, initial=self.initial, unit="point", desc="sweep")
            return self.bar.update  # type: ignore[no-any-return]
        return lambda k: None

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


def _provenance(system: OdeSystem, plan: Plan, space: Mapping[str, Any], design: Any,
                seed: int | None, n: int | None) -> dict[str, Any]:
    """The attrs of a sweep's Dataset that do not depend on how it was run."""
    return {
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
    }


def _dataset(plan: Plan, points: pd.DataFrame, results: Sequence[ChunkResult],
             attrs: Mapping[str, Any], backend: str) -> xr.Dataset:
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
    data["solver"] = ("point", cat(lambda r: r.solver).astype(str))
    data["t_switch"] = ("point", cat(lambda r: r.t_switch))
    if plan.conditional:
        data["n_skipped_doses"] = ("point", cat(lambda r: r.skipped_doses()))
    if plan.trajectory_index is not None:
        data["trajectory"] = (("point", "time", "variable"),
                              cat(lambda r: r.trajectories))
        coords["time"] = plan.t_out[plan.trajectory_index]
        coords["variable"] = list(plan.columns)
    n_failed = int(np.sum(cat(lambda r: r.status) != OK))
    return xr.Dataset(data, coords=coords,
                      attrs={**attrs, "backend": backend, "n_failed": n_failed})


def to_dataframe(ds: xr.Dataset) -> pd.DataFrame:
    """A tidy table of a sweep: one row per point, swept values, metrics, status."""
    columns = [c for c in ds.coords if c not in ("point", "time", "variable")]
    variables = [v for v in ds.data_vars if "time" not in ds[v].dims]
    frame = ds[variables].to_dataframe()
    return frame[[*columns, *variables]] if columns else frame[variables]
