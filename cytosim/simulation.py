"""``simulate()``: integrate a network for one parameter set and return a TimeCourse."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.integrate import BDF, DOP853, LSODA, RK23, RK45, OdeSolver, Radau

from ._jit import numba_available
from ._units import to_time
from ._version import __version__
from .compiler import OdeSystem, compile_network
from .exceptions import ParameterError, SolverError, UntestableCondition
from .interventions import (
    Event,
    InfusionKey,
    decide_doses,
    prepare,
    schedule_events,
    with_infusion_inputs,
)
from .network import Network
from .result import TimeCourse
from .solvers import auto, dopri5, rodas

__all__ = ["simulate"]

METHODS: dict[str, type[OdeSolver]] = {"BDF": BDF, "Radau": Radau, "LSODA": LSODA,
                                        "RK45": RK45, "DOP853": DOP853, "RK23": RK23}
STIFF_METHODS = ("BDF", "Radau", "LSODA")
COMPILED_METHODS = ("auto", "dopri5", "rodas5p")  # cytosim's own per-point solvers (numba)
ENGINES = ("auto", "numpy", "numba")
SPARSE_FROM = 32  # states; below this a dense LU is faster than a sparse one
DENSE_LU_MAX = 500  # states; cytosim's Rodas5P factors a dense matrix (n^3/3 flops per step)


def simulate(
    network: Network,
    t_end: Any,
    *,
    t_start: Any = 0.0,
    t_eval: ArrayLike | None = None,
    n_points: int = 201,
    params: Mapping[str, float] | None = None,
    initial: Mapping[str, float] | TimeCourse | None = None,
    method: str = "BDF",
    rtol: float = 1e-6,
    atol: float = 1e-9,
    max_step: float = np.inf,
    engine: str = "auto",
    raise_on_failure: bool = True,
    interventions: Sequence[Any] | None = (),
) -> TimeCourse:
    """Integrate *network* from *t_start* to *t_end* and return the trajectories.

    Parameters
    ----------
    network : Network
        The model; compiled once and cached until it changes.
    t_end, t_start : float or pint.Quantity
        Times in the model's ``time_unit`` (hours unless the model says otherwise), or pint
        quantities of time, converted.
    t_eval : array_like, optional
        Output times, increasing, within ``[t_start, t_end]``. Default: *n_points* evenly
        spaced times including both ends.
    params : mapping, optional
        Parameter values by stable name, paper alias or derived name (``TNF.half_life``).
    initial : mapping or TimeCourse, optional
        Initial values by node name, or a TimeCourse to continue from its last state.
    method : {"BDF", "Radau", "LSODA", "RK45", "DOP853", "RK23", "auto", "dopri5", "rodas5p"}
        scipy ``solve_ivp`` method (the stiff ones get the analytic Jacobian, sparse from 32
        states on, dense below), or one of cytosim's compiled solvers (the sweeps' kernels
        for one point: ``"auto"`` switches from DOPRI5 to Rodas5P when stiff; numba compiles
        the model's kernel once, cached on disk; fastest for repeated small simulations).
        Rodas5P factors a dense matrix, so ``"rodas5p"`` is refused above 500 states and
        ``"auto"`` is slow there if the model turns out stiff: use ``"BDF"`` (sparse), or
        ``"dopri5"`` for a large non-stiff model such as a tissue graph.
    rtol, atol : float
        Relative and absolute tolerances.
    max_step : float
        Largest step, in the model's time unit.
    engine : {"auto", "numpy", "numba"}
        How the right-hand side is evaluated: generated numpy code, or the numba-compiled
        kernel (cached on disk). ``"auto"`` uses numba when it is available.
    raise_on_failure : bool
        Raise :class:`SolverError` when the integration fails (default); with False,
        return the partial TimeCourse with ``status`` -1 and a ``message``.
    interventions : sequence
        Doses and schedules (:class:`~cytosim.interventions.Dose`), and graph
        transformations such as :class:`~cytosim.interventions.Knockout`,
        :class:`~cytosim.interventions.Block` and timed
        :class:`~cytosim.interventions.SetParameter`, applied to a copy of the network in
        order. Doses: the integration restarts at every bolus and infusion start or stop, so the
        solver never steps over a discontinuity. Rows are right-continuous (a row at a dose
        time shows the state after the dose; a dose at ``t_end`` appears in the last row);
        repeated doses past ``t_end`` are dropped, and a record starting after ``t_end``
        gives a warning.

    Returns
    -------
    TimeCourse

    Raises
    ------
    ParameterError
        For unknown names or invalid values, times or settings.
    SolverError
        When the solver fails or produces non-finite values, with the time reached and the
        offending states.

    Examples
    --------
    >>> import cytosim as cs
    >>> net = cs.Network()
    >>> net.add_cytokine("X", initial=1.0, half_life=2.0, use_catalogue=False)
    >>> round(float(cs.simulate(net, t_end=2.0, engine="numpy")["X"][-1]), 4)
    0.5
    """
    system = compile_network(network)
    time_unit = system.time_unit
    t0 = to_time(t_start, time_unit, "t_start")
    t1 = to_time(t_end, time_unit, "t_end")
    if not t1 > t0:
        raise ParameterError(f"`t_end` ({t1:g}) must be greater than `t_start` ({t0:g})")
    times = _output_times(t_eval, n_points, t0, t1)
    if method not in METHODS and method not in COMPILED_METHODS:
        raise ParameterError(f"`method` must be one of {(*METHODS, *COMPILED_METHODS)}, got "
                             f"{method!r}")
    if engine not in ENGINES:
        raise ParameterError(f"`engine` must be one of {ENGINES}, got {engine!r}")
    if method == "rodas5p" and system.n_states > DENSE_LU_MAX:
        raise ParameterError(f"`method='rodas5p'` factors a dense {system.n_states} x "
                             f"{system.n_states} matrix at each step; use 'BDF' (sparse "
                             f"Jacobian) or, if the model is not stiff, 'dopri5'")
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if not (isinstance(tol, int | float) and np.isfinite(tol) and tol > 0):
            raise ParameterError(f"`{name}` must be a positive number, got {tol!r}")
    p = system.param_vector(params, aliases=network.parameter_aliases())
    if isinstance(initial, TimeCourse):
        y0 = _continue_from(system, initial)
    else:
        y0 = system.initial_vector(initial)
    use_numba = engine == "numba" or (engine == "auto" and numba_available())
    interventions = list(interventions or ())
    if interventions:
        network, timed = prepare(interventions, network)
        events = schedule_events(timed, network, t0, t1)
        network = with_infusion_inputs(network, [e.target for e in events if e.rate_change])
        base, system = system, compile_network(network)
        if system is not base:
            p = _extend(p, base, system)
            y0 = _carry_initial(y0, base, system, network)
    else:
        events = []
    skipped = _Skipped()
    t, y, status, message, stats, reached, y_reached = _integrate_with_events(
        system, p, y0, t0, t1, times, events, use_numba, method,
        {"rtol": rtol, "atol": atol, "max_step": max_step}, skipped)
    bad_rows = ~np.all(np.isfinite(y), axis=0)
    if bad_rows.any():
        first = int(np.argmax(bad_rows))
        t, y = t[:first], y[:, :first]
        status, message = -1, "The solver produced non-finite values."
        reached, y_reached = (float(t[-1]), y[:, -1]) if len(t) else (t0, y0)
    if status < 0:
        offending = _offending_states(system, reached, y_reached, p)
        message = (f"{message} Integration stopped at t = {reached:g} {time_unit} (t_end = "
                   f"{t1:g}); offending states: "
                   + ", ".join(f"{k} = {v:.6g}" for k, v in offending.items()))
        if raise_on_failure:
            raise SolverError(message, t=reached, states=offending)
    with np.errstate(divide="ignore", invalid="ignore"):  # a ratio over 0 is inf, say so
        observed = system.observe(t, y, parameters_in_force(system, events, t, p)) if (
            system.observable_names and len(t)) else (
            np.empty((len(system.observable_names), len(t))))
    values = np.vstack([y, observed]).T.copy()
    provenance = {
        "model": system.name,
        "model_hash": system.model_hash,
        "structure_key": system.structure_key,
        "parameters": dict(zip(system.param_names, p.tolist(), strict=True)),
        "initial": dict(zip(system.state_names, y0.tolist(), strict=True)),
        "solver": (f"cytosim.solvers ({method}, compiled)" if method in COMPILED_METHODS
                   else f"scipy.integrate.solve_ivp({method})"),
        "engine": "numba" if use_numba else "numpy",
        "rtol": rtol,
        "atol": atol,
        "t_start": t0,
        "t_end": t1,
        "time_unit": time_unit,
        "cytosim_version": __version__,
        "interventions": repr(list(interventions)),
    }
    if any(e.conditions for e in events):
        provenance["skipped_doses"] = list(skipped.doses)
    return TimeCourse(
        t=t, values=values, names=system.state_names + system.observable_names,
        units=system.state_units + system.observable_units, n_states=system.n_states,
        time_unit=time_unit, status=status, message=message, provenance=provenance,
        stats=stats,
    )


def _extend(p: NDArray[np.float64], base: OdeSystem, system: OdeSystem) -> NDArray[np.float64]:
    """The caller's parameter values carried into the transformed *system*: values the
    interventions changed win; the rest keep the caller's overrides."""
    out = system.default_params.copy()
    index = system.param_index
    for j, name in enumerate(base.param_names):
        if name in index and system.default_params[index[name]] == base.default_params[j]:
            out[index[name]] = p[j]
    return out


def _carry_initial(y0: NDArray[np.float64], base: OdeSystem, system: OdeSystem,
                   network: Network) -> NDArray[np.float64]:
    """Initial values of *base* carried into *system* unless an intervention changed them."""
    out = system.default_initial.copy()
    index = system.state_index
    for j, name in enumerate(base.state_names):
        if name in index and system.default_initial[index[name]] == base.default_initial[j]:
            out[index[name]] = y0[j]
    return out


def parameters_in_force(system: OdeSystem, events: Sequence[Event], t: NDArray[np.float64],
                        p: NDArray[np.float64]) -> NDArray[np.float64]:
    """The parameters at each output time *t*, with the parameter steps
    (:class:`~cytosim.SetParameter`) among *events* applied from their time on: *p* itself
    when there are none, else shape ``(n_params, len(t))`` for *p* of shape ``(n_params,)``
    and ``(n_params, m, len(t))`` for *p* of shape ``(m, n_params)`` (sweep members), ready
    for :meth:`OdeSystem.observe`."""
    steps = sorted((e for e in events if e.parameter), key=lambda e: e.time)
    if not steps:
        return p if p.ndim == 1 else p.T[:, :, None]
    rows = np.repeat(np.atleast_2d(p).T[:, :, None], len(t), axis=2)  # (n_params, m, k)
    for event in steps:
        rows[system.param_index[event.parameter], :, t >= event.time] = event.value
    return rows[:, 0, :] if p.ndim == 1 else rows


def _integrate_with_events(system: OdeSystem, p: NDArray[np.float64], y0: NDArray[np.float64],
                           t0: float, t1: float, times: NDArray[np.float64],
                           events: Sequence[Event], use_numba: bool, method: str,
                           options: dict[str, Any], skipped: _Skipped | None = None
                           ) -> tuple[NDArray[np.float64], NDArray[np.float64], int, str,
                                      dict[str, int], float, NDArray[np.float64]]:
    """Integrate piecewise between event times; events at a boundary apply before its rows.
    Conditional doses that do not apply are recorded in *skipped*."""
    skipped = skipped if skipped is not None else _Skipped()
    state, param = system.state_index, system.param_index
    p, y = p.copy(), y0.copy()
    boundaries = sorted({e.time for e in events if t0 < e.time < t1} | {t1})
    start = t0
    pieces_t, pieces_y = [], []
    stats = {"nfev": 0, "njev": 0, "nlu": 0}
    status, message = 0, "The integration reached t_end."
    reached, y_reached = t0, y
    for stop in boundaries:
        for event in _due(events, start, system, p, y, skipped):
            if event.parameter:
                p[param[event.parameter]] = event.value
                continue
            y[state[event.target]] += event.amount
            if event.rate_change:
                p[param[f"{event.target}.infusion_rate"]] += event.rate_change
        last = stop == t1
        mask = (times >= start) & ((times <= stop) if last else (times < stop))
        if method in COMPILED_METHODS:
            t, out, status, message, seg_stats, reached, y_reached = _integrate_compiled(
                system, p, method, start, stop, y, times[mask], options)
        else:
            fun, jac = _callbacks(system, p, use_numba, method)
            seg_options = dict(options, **({"jac": jac} if method in STIFF_METHODS else {}))
            t, out, status, message, seg_stats, reached, y_reached = _integrate(
                fun, method, start, stop, y, times[mask], seg_options)
        pieces_t.append(t)
        pieces_y.append(out)
        for key in stats:
            stats[key] += seg_stats[key]
        if status < 0:
            break
        y, start = y_reached.copy(), stop
    else:
        at_end = _due(events, t1, system, p, y, skipped)
        if at_end:  # doses at t_end show in the last row, once
            for event in at_end:
                if event.target:
                    y[state[event.target]] += event.amount
            if len(pieces_t[-1]) and pieces_t[-1][-1] == t1:
                pieces_y[-1][:, -1] = y
            y_reached = y
    t_all = np.concatenate(pieces_t)
    y_all = np.concatenate(pieces_y, axis=1) if pieces_y else np.empty((len(y0), 0))
    return t_all, y_all, status, message, stats, reached, y_reached


@dataclass
class _Skipped:
    """Conditional doses not given in one run: ``(time, target)`` and their event keys."""

    doses: list[tuple[float, str]] = field(default_factory=list)
    # per infusion key: skipped starts not yet matched by their stop (one member here)
    pending: dict[InfusionKey, NDArray[np.int64]] = field(default_factory=dict)


def _due(events: Sequence[Event], time: float, system: OdeSystem, p: NDArray[np.float64],
         y: NDArray[np.float64], skipped: _Skipped) -> list[Event]:
    """The events at *time* that apply: conditional doses are tested on the state before any
    event at that time; an infusion whose start was skipped has its stop skipped too."""
    now = [e for e in events if e.time == time]
    if not any(e.conditions for e in now) and not any(c.any() for c in skipped.pending.values()):
        return now
    values = condition_values(system, now, time, y[None, :], p[None, :])
    given, skipped_now, error = decide_doses(now, time, values, skipped.pending, 1)
    if error[0]:
        raise UntestableCondition(error[0])
    skipped.doses.extend((time, e.target) for e, s in zip(now, skipped_now[:, 0], strict=True)
                         if s)
    return [e for e, g in zip(now, given[:, 0], strict=True) if g]


def condition_values(system: OdeSystem, now: Sequence[Event], time: float,
                     y: NDArray[np.float64], p: NDArray[np.float64]
                     ) -> dict[str, NDArray[np.float64]]:
    """The states and observables the conditions of the events *now* read, one value per
    member (the rows of *y* and *p*), at *time*."""
    names = {condition.name for event in now for condition in event.conditions}
    values = {name: y[:, system.state_index[name]] for name in names
              if name in system.state_index}
    if names - set(values):
        with np.errstate(divide="ignore", invalid="ignore"):
            observed = system.observe(np.full(len(y), time), y.T, p.T)
        values.update((name, observed[i]) for i, name in enumerate(system.observable_names)
                      if name in names)
    return values


def _integrate_compiled(system: OdeSystem, p: NDArray[np.float64], method: str, t0: float,
                        t1: float, y0: NDArray[np.float64], times: NDArray[np.float64],
                        options: dict[str, Any]
                        ) -> tuple[NDArray[np.float64], NDArray[np.float64], int, str,
                                   dict[str, int], float, NDArray[np.float64]]:
    """One point with a compiled ensemble solver, from *t0* to *t1*; returns what
    :func:`_integrate` returns (the end state is an extra output row, dropped)."""
    solver = {"auto": auto, "dopri5": dopri5, "rodas5p": rodas}[method]
    grid = np.append(times, t1) if not len(times) or times[-1] < t1 else times
    result = solver.integrate_ensemble(system, t0, t1, y0[None, :], p[None, :], grid,
                                       rtol=options["rtol"], atol=options["atol"],
                                       h_max=options["max_step"])
    out = result.y[0].T[:, :len(times)].copy()
    code = int(result.status[0])
    stats = {"nfev": int(result.n_rhs[0]), "njev": 0, "nlu": 0}
    if code == 0:
        return times.copy(), out, 0, "The integration reached t_end.", stats, t1, result.y[
            0, -1].copy()
    ok = np.all(np.isfinite(out), axis=0)
    rows = int(np.argmin(ok)) if not ok.all() else len(times)
    kept = out[:, :rows]
    reached = float(result.t_reached[0])
    last = kept[:, -1].copy() if rows else y0.copy()
    return (times[:rows].copy(), kept, -1, solver.MESSAGES[code], stats, reached, last)


def _integrate(fun: Callable[..., Any], method: str, t0: float, t1: float,
               y0: NDArray[np.float64], times: NDArray[np.float64], options: dict[str, Any]
               ) -> tuple[NDArray[np.float64], NDArray[np.float64], int, str, dict[str, int],
                          float, NDArray[np.float64]]:
    """Step a scipy solver from *t0* to *t1*, interpolating onto *times*.

    Unlike ``solve_ivp`` this keeps the rows computed before a failure, and turns an
    exception inside the solver (a singular or non-finite Jacobian) into a failure status.
    Returns the output times and states, status, message, statistics, and the time and
    state the solver last reached.
    """
    solver = METHODS[method](fun, t0, y0, t1, **options)
    out = np.empty((len(y0), len(times)))
    filled = 0
    while filled < len(times) and times[filled] <= t0:
        out[:, filled] = y0
        filled += 1
    status, message = 0, "The integration reached t_end."
    while solver.status == "running":
        t_before = solver.t
        try:
            step_message = solver.step()
        except (ValueError, ArithmeticError, np.linalg.LinAlgError) as err:
            status, message = -1, f"The solver raised {type(err).__name__}: {err}."
            break
        if solver.status == "failed":
            status, message = -1, f"The solver failed: {step_message}"
            break
        if not np.all(np.isfinite(solver.y)):
            status, message = -1, "The solver produced non-finite values."
            break
        stop = filled
        while stop < len(times) and times[stop] <= solver.t:
            stop += 1
        if stop > filled:
            if times[stop - 1] == solver.t and stop - filled == 1:
                out[:, filled] = solver.y
            else:
                out[:, filled:stop] = solver.dense_output()(times[filled:stop])
            filled = stop
        if solver.t == t_before:
            status, message = -1, "The solver made no progress."
            break
    stats = {"nfev": int(solver.nfev), "njev": int(solver.njev), "nlu": int(solver.nlu)}
    return (times[:filled].copy(), out[:, :filled], status, message, stats, float(solver.t),
            np.array(solver.y))


def _output_times(t_eval: ArrayLike | None, n_points: int, t0: float, t1: float
                  ) -> NDArray[np.float64]:
    if t_eval is None:
        if isinstance(n_points, bool) or not isinstance(n_points, int) or n_points < 2:
            raise ParameterError(f"`n_points` must be an integer >= 2, got {n_points!r}")
        return np.linspace(t0, t1, n_points)
    times = np.asarray(t_eval, dtype=np.float64).reshape(-1)
    if times.size == 0 or not np.all(np.isfinite(times)):
        raise ParameterError("`t_eval` must be a non-empty array of finite times")
    if np.any(np.diff(times) <= 0):
        raise ParameterError("`t_eval` must be strictly increasing")
    if times[0] < t0 or times[-1] > t1:
        raise ParameterError(f"`t_eval` must lie within [t_start, t_end] = [{t0:g}, {t1:g}], "
                             f"got [{times[0]:g}, {times[-1]:g}]")
    return times


def _continue_from(system: OdeSystem, previous: TimeCourse) -> NDArray[np.float64]:
    if previous.state_names != system.state_names:
        raise ParameterError("`initial` is a TimeCourse of a different model: its states "
                             f"{previous.state_names} differ from {system.state_names}")
    return system.initial_vector(previous.final_state())


def _callbacks(system: OdeSystem, p: NDArray[np.float64], use_numba: bool, method: str
               ) -> tuple[Callable[..., Any], Callable[..., Any]]:
    n = system.n_states
    sparse = n >= SPARSE_FROM and method != "LSODA"
    rows, cols = system.rows, system.cols
    if use_numba:
        kernels = system.numba()
        k_rhs, k_jac = kernels["rhs"], kernels["jac"]

        def fun(t: float, y: NDArray[np.float64]) -> NDArray[np.float64]:
            return k_rhs(t, y, p, np.empty(n))  # type: ignore[no-any-return]

        def raw_values(t: float, y: NDArray[np.float64]) -> NDArray[np.float64]:
            return k_jac(t, y, p, np.empty(len(rows)))  # type: ignore[no-any-return]
    else:
        def fun(t: float, y: NDArray[np.float64]) -> NDArray[np.float64]:
            with np.errstate(divide="ignore", invalid="ignore"):
                return system.rhs(t, y, p)

        def raw_values(t: float, y: NDArray[np.float64]) -> NDArray[np.float64]:
            with np.errstate(divide="ignore", invalid="ignore"):
                return system.jac(t, y, p)

    def values(t: float, y: NDArray[np.float64]) -> NDArray[np.float64]:
        # A Hill exponent below 1 has an infinite slope at 0. The Jacobian only drives the
        # Newton iteration (the error estimate uses rhs values), so such entries are replaced
        # by 0: convergence may slow down near 0, accuracy does not change.
        jac_values = raw_values(t, y)
        if not np.all(np.isfinite(jac_values)):
            jac_values = np.where(np.isfinite(jac_values), jac_values, 0.0)
        return jac_values

    if sparse:
        import scipy.sparse as sp

        indptr = np.searchsorted(cols, np.arange(n + 1))

        def jac(t: float, y: NDArray[np.float64]) -> Any:
            return sp.csc_matrix((values(t, y), rows, indptr), shape=(n, n))
    else:
        def jac(t: float, y: NDArray[np.float64]) -> Any:
            dense = np.zeros((n, n))
            dense[rows, cols] = values(t, y)
            return dense

    return fun, jac


def _offending_states(system: OdeSystem, t: float, y: NDArray[np.float64],
                      p: NDArray[np.float64], limit: int = 3) -> dict[str, float]:
    """The states that are non-finite, or whose derivative is largest relative to them."""
    names = system.state_names
    bad = [i for i in range(len(y)) if not np.isfinite(y[i])]
    if not bad:
        with np.errstate(all="ignore"):
            dy = np.abs(system.rhs(t, y, p)) / (np.abs(y) + 1e-12)
        dy = np.where(np.isfinite(dy), dy, np.inf)
        bad = list(np.argsort(-dy)[:limit])
    return {names[i]: float(y[i]) for i in bad[:limit]}
