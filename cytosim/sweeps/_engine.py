"""Run one chunk of sweep points: validate, integrate the ensemble, compute metrics.

Doses are shared by every point as one event list, but applied member by member
(:class:`_Dosing`): doses per body weight use each point's ``body_weight``, and conditional
doses are decided for each point by the rule :func:`~cytosim.interventions.decide_doses`
states (the rule ``simulate`` follows), so a point of a sweep gets the doses that
``simulate`` would give it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ..compiler import OdeSystem
from ..exceptions import UntestableCondition
from ..interventions import Event, InfusionKey, decide_doses
from ..simulation import (
    METHODS,
    _integrate_with_events,
    _Skipped,
    condition_values,
    parameters_in_force,
)
from .metrics import Metric, evaluate

if TYPE_CHECKING:
    from ..solvers._common import MetricSpec

OK = "ok"
UNTESTABLE = "untestable_condition"  # a conditional dose's condition read NaN or inf
WEIGHT = "body_weight"  # the swept name of the body weight that per-kg doses follow (kg)


@dataclass(frozen=True)
class Plan:
    """Everything a chunk needs besides its points (picklable, no compiled code)."""

    names: tuple[str, ...]  # swept names as the user wrote them
    targets: tuple[tuple[str, int], ...]  # ("param" | "initial" | "weight", index) per name
    transforms: tuple[Any, ...]  # value -> canonical value (derived names), or None
    base_params: NDArray[np.float64]
    base_initial: NDArray[np.float64]
    t0: float
    t1: float
    t_out: NDArray[np.float64]
    method: str
    rtol: float
    atol: float
    max_steps: int
    metrics: tuple[Metric, ...]
    columns: tuple[str, ...]
    trajectory_index: NDArray[np.int64] | None  # output rows kept as trajectories
    events: tuple[Event, ...] = ()  # doses and parameter steps, the same for every point
    # parameter indices of each linked name (a pattern: one value for all its matches); the
    # target ("params", k) reads groups[k]
    groups: tuple[tuple[int, ...], ...] = ()

    @property
    def conditional(self) -> bool:
        """Whether some dose is conditional (then skipped doses are counted per point)."""
        return any(event.conditions for event in self.events)


@dataclass(frozen=True)
class ChunkResult:
    """Per-point outputs of one chunk."""

    start: int
    metrics: dict[str, NDArray[np.float64]]
    status: NDArray[np.object_]
    message: NDArray[np.object_]
    trajectories: NDArray[np.float64] | None
    n_rhs: NDArray[np.int64]  # right-hand-side evaluations per point
    solver: NDArray[np.object_]  # the method that finished each point ("" if not run)
    t_switch: NDArray[np.float64]  # when method "auto" went over to Rodas5P; NaN if not
    n_skipped: NDArray[np.int64] | None = None  # conditional doses not given (None: zeros)

    def skipped_doses(self) -> NDArray[np.int64]:
        """Conditional doses not given, per point (zeros when none was counted)."""
        if self.n_skipped is None:
            return np.zeros(len(self.status), dtype=np.int64)
        return np.asarray(self.n_skipped, dtype=np.int64)


def member_inputs(system: OdeSystem, plan: Plan, points: NDArray[np.float64]
                  ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64] | None,
                             NDArray[np.object_], NDArray[np.object_]]:
    """Parameter and initial-value arrays per member, each member's body weight (None when
    it is not swept), and which members are invalid."""
    m = points.shape[0]
    p = np.repeat(plan.base_params[None, :], m, axis=0)
    y0 = np.repeat(plan.base_initial[None, :], m, axis=0)
    weight = None
    status = np.full(m, OK, dtype=object)
    message = np.full(m, "", dtype=object)
    for j, ((kind, index), transform, name) in enumerate(zip(plan.targets, plan.transforms,
                                                             plan.names, strict=True)):
        values = points[:, j].astype(float)
        bad = ~np.isfinite(values)
        if transform is not None:  # a derived name such as a half-life: must be > 0
            bad |= values <= 0
            with np.errstate(divide="ignore", invalid="ignore"):
                values = np.where(bad, np.nan, transform(np.where(bad, 1.0, values)))
        if kind in ("param", "params"):
            columns = list(plan.groups[index]) if kind == "params" else [index]
            p[:, columns] = values[:, None]
            kind, index = "param", columns[0]  # linked parameters share one spec (checked)
            spec = system.param_specs[index]
            bad |= (values <= spec.lower) if spec.positive else (values < spec.lower)
            bad |= values > spec.upper
            label = "invalid_parameter"
        elif kind == "weight":
            weight = values
            bad |= values <= 0
            label = "invalid_parameter"
        else:
            y0[:, index] = values
            bad |= values < 0
            label = "invalid_initial"
        newly = bad & (status == OK)
        status[newly] = label
        message[newly] = [f"{name} = {v:.6g} {_rule(system, kind, index, transform, v)}"
                          for v in points[newly, j]]
    return p, y0, weight, status, message


def _rule(system: OdeSystem, kind: str, index: int, transform: Any, value: float) -> str:
    """Why one swept value is invalid, in the words of the parameter's own check."""
    if not math.isfinite(value):
        return "must be finite"
    if kind == "weight":
        return "must be > 0 (a body weight in kg)"
    if transform is not None and value <= 0:
        return "must be > 0"
    if kind == "initial":
        return "must be >= 0 (an initial value)"
    canonical = transform(value) if transform is not None else value
    return system.param_specs[index].check(canonical) or "is out of range"


class _Dosing:
    """A plan's events applied member by member over one chunk of *m* points.

    Doses per body weight use each member's *weight* (``amount_per_kg * weight``, the
    formula of :meth:`~cytosim.interventions.Dose.events`); conditional doses are decided
    per member by :func:`~cytosim.interventions.decide_doses`, whose skipped infusions
    (*pending*) and skipped-dose counts (*n_skipped*) are kept here per member.
    """

    def __init__(self, system: OdeSystem, events: tuple[Event, ...],
                 weight: NDArray[np.float64] | None, m: int):
        self.system = system
        self.events = events
        self.weight = weight if any(event.per_kg for event in events) else None
        self.conditional = any(event.conditions for event in events)
        self.state, self.param = system.state_index, system.param_index
        self.pending: dict[InfusionKey, NDArray[np.int64]] = {}
        self.n_skipped = np.zeros(m, dtype=np.int64)

    def apply(self, time: float, rows: NDArray[np.int64], y: NDArray[np.float64],
              p: NDArray[np.float64]) -> NDArray[np.object_]:
        """Apply the events at *time* to the members *rows* of the chunk, whose states and
        parameters are the rows of *y* and *p* (changed in place). Returns, per member,
        ``""`` or why its doses could not be decided (then none was applied)."""
        now = [event for event in self.events if event.time == time]
        error = np.full(len(rows), "", dtype=object)
        if not now:
            return error
        given = np.ones((len(now), len(rows)), dtype=bool)
        if self.conditional:
            pending = {key: count[rows] for key, count in self.pending.items()}
            given, skipped, error = decide_doses(
                now, time, condition_values(self.system, now, time, y, p), pending, len(rows))
            for key, count in pending.items():
                self.pending.setdefault(key, np.zeros(len(self.n_skipped), np.int64))[
                    rows] = count
            self.n_skipped[rows] += skipped.sum(axis=0)
        weight = None if self.weight is None else self.weight[rows]
        for event, members in zip(now, given, strict=True):
            if event.parameter:
                p[members, self.param[event.parameter]] = event.value
                continue
            amount: Any = event.amount
            rate: Any = event.rate_change
            if weight is not None and event.amount_per_kg:
                amount = (event.amount_per_kg * weight)[members]
            if weight is not None and event.rate_per_kg:
                rate = (event.rate_per_kg * weight)[members]
            y[members, self.state[event.target]] += amount
            if event.rate_change:
                p[members, self.param[f"{event.target}.infusion_rate"]] += rate
        return error

def run_chunk(system: OdeSystem, plan: Plan, start: int, points: NDArray[np.float64]
              ) -> ChunkResult:
    """Integrate every valid point of the chunk and evaluate the metrics.

    With a compiled method and no event after the start, the kernel computes the standard
    metrics itself from each member's trajectory while it is in cache, and stores
    trajectories only when they are kept or a custom metric needs them; otherwise the
    trajectories are assembled here and the metrics evaluated on them with numpy.
    """
    p, y0, weight, status, message = member_inputs(system, plan, points)
    m, k = points.shape[0], len(plan.t_out)
    steps = np.zeros(m, dtype=np.int64)
    solver = np.full(m, "", dtype=object)
    t_switch = np.full(m, np.nan)
    valid = np.nonzero(status == OK)[0]
    custom = [metric for metric in plan.metrics if metric.function is not None]
    keep = plan.trajectory_index is not None or bool(custom)
    metrics: dict[str, NDArray[np.float64]] = {}
    y: NDArray[np.float64] | None = None
    dosing = _Dosing(system, plan.events, weight, m)
    if plan.method in ENSEMBLE_METHODS:
        from ..solvers._common import MESSAGES, STATUS

        if all(event.time <= plan.t0 for event in plan.events):
            y_start, p_start = y0[valid], p[valid]
            errors = dosing.apply(plan.t0, valid, y_start, p_start)
            decided = errors == ""
            status[valid[~decided]] = UNTESTABLE
            message[valid[~decided]] = errors[~decided]
            valid, y_start, p_start = valid[decided], y_start[decided], p_start[decided]
            y, metrics, codes, rhs_counts, switch = _ensemble_at_once(
                system, plan, y_start, p_start, valid, m, keep)
        else:
            y = np.full((m, k, system.n_states), np.nan)
            codes, rhs_counts, switch, errors = _ensemble(system, plan, y0[valid], p[valid],
                                                          y, valid, dosing)
            status[valid[errors != ""]] = UNTESTABLE
            message[valid[errors != ""]] = errors[errors != ""]
        steps[valid] = rhs_counts
        t_switch[valid] = switch
        solver[valid] = "rodas5p" if plan.method == "rodas5p" else "dopri5"
        solver[valid[~np.isnan(switch)]] = "rodas5p"
        for code in np.unique(codes):
            if code == 0:
                continue
            rows = valid[codes == code]
            status[rows] = STATUS[int(code)]
            message[rows] = MESSAGES[int(code)]
    else:
        y = np.full((m, k, system.n_states), np.nan)
        solver[valid] = plan.method
        for j in valid:
            events = plan.events if dosing.weight is None else tuple(
                event.at_weight(float(dosing.weight[j])) for event in plan.events)
            y[j], steps[j], status[j], message[j], dosing.n_skipped[j] = _scipy_member(
                system, plan, y0[j], p[j], events)
    trajectories = None
    if y is not None:  # metrics not computed in the kernel, custom metrics, trajectories
        values = np.concatenate([y, _observables(system, plan, y, p)], axis=2)
        missing = [metric for metric in plan.metrics if metric.name not in metrics]
        metrics.update(evaluate(missing, plan.t_out, values, plan.columns))
        if plan.trajectory_index is not None:
            trajectories = values[:, plan.trajectory_index, :]
    metrics = {metric.name: metrics[metric.name] for metric in plan.metrics}
    return ChunkResult(start, metrics, status, message, trajectories, steps, solver, t_switch,
                       dosing.n_skipped)


def _ensemble_at_once(system: OdeSystem, plan: Plan, y_start: NDArray[np.float64],
                      p_start: NDArray[np.float64], valid: NDArray[np.int64], m: int,
                      keep: bool
                      ) -> tuple[NDArray[np.float64] | None, dict[str, NDArray[np.float64]],
                                 NDArray[np.int8], NDArray[np.int64], NDArray[np.float64]]:
    """Integrate the valid members (rows *valid* of the chunk's *m*, starting from
    *y_start* and *p_start*, the events at the start applied) over the whole interval in
    one kernel call.

    The kernel computes the standard metrics; the trajectories ``(m, k, n_states)`` (NaN
    for invalid points) are returned only with *keep*, else None. Returns them, the metrics
    (NaN for invalid points), and each valid member's status code, rhs count and switching
    time.
    """
    from ..solvers._common import METHODS, run_members, validate_ensemble

    standard = [metric for metric in plan.metrics if metric.function is None]
    if not valid.size:  # nothing to integrate: do not load the kernel
        nan = {metric.name: np.full(m, np.nan) for metric in standard}
        y = np.full((m, len(plan.t_out), system.n_states), np.nan) if keep else None
        return y, nan, np.zeros(0, np.int8), np.zeros(0, np.int64), np.zeros(0)
    inputs = validate_ensemble(system, plan.t0, plan.t1, y_start, p_start, plan.t_out,
                               plan.rtol, plan.atol, plan.max_steps, np.inf)
    methods = np.full(len(valid), METHODS[plan.method], dtype=np.int8)
    result, computed = run_members(system, inputs, methods, keep=keep,
                                   metrics=_metric_spec(standard, plan))
    metrics = {}
    for i, metric in enumerate(standard):
        values = np.full(m, np.nan)
        values[valid] = computed[:, i]
        metrics[metric.name] = values
    y = None
    if keep:
        y = result.y if len(valid) == m else np.full((m, *result.y.shape[1:]), np.nan)
        if len(valid) < m:
            y[valid] = result.y
    return y, metrics, result.status, result.n_rhs, result.t_switch


def _metric_spec(metrics: list[Metric], plan: Plan) -> MetricSpec:
    """The kernel's description of the standard *metrics* (columns in ``plan.columns``)."""
    from ..solvers._common import METRIC_KINDS, MetricSpec

    column = {name: i for i, name in enumerate(plan.columns)}
    rows = [int(np.searchsorted(plan.t_out, metric.number)) if metric.kind == "value_at"
            else 0 for metric in metrics]
    return MetricSpec(np.array([METRIC_KINDS[metric.kind] for metric in metrics], np.int64),
                      np.array([column[metric.target] for metric in metrics], np.int64),
                      np.array([metric.number for metric in metrics], np.float64),
                      np.array(rows, np.int64))


def _ensemble(system: OdeSystem, plan: Plan, y0: NDArray[np.float64], p: NDArray[np.float64],
              y: NDArray[np.float64], rows_out: NDArray[np.int64], dosing: _Dosing
              ) -> tuple[NDArray[np.int8], NDArray[np.int64], NDArray[np.float64],
                         NDArray[np.object_]]:
    """Integrate members with a compiled ensemble method, piecewise between events.

    Every point shares the event times, so the ensemble restarts at each one with the
    jumps applied member by member (*dosing*: each point's weight and conditional
    decisions); a member that fails stops there, and a member that the automatic method
    switched to Rodas5P goes on with Rodas5P after the event. Writes rows of *y* (indexed
    by *rows_out*, the members' rows in the chunk) and returns each member's status code,
    rhs count, switching time (NaN if it did not switch) and ``""`` or why a conditional
    dose could not be decided (the member stopped there).
    """
    from ..solvers._common import METHODS, run_ensemble, validate_ensemble

    m = y0.shape[0]
    y_now, p_now = y0.copy(), p.copy()
    methods = np.full(m, METHODS[plan.method], dtype=np.int8)
    codes = np.zeros(m, dtype=np.int8)
    n_rhs = np.zeros(m, dtype=np.int64)
    t_switch = np.full(m, np.nan)
    errors = np.full(m, "", dtype=object)
    alive = np.ones(m, dtype=bool)

    def dose(time: float) -> NDArray[np.int64]:
        """Apply the events at *time* to the living members; those left alive."""
        members = np.nonzero(alive)[0]
        y_members, p_members = y_now[members], p_now[members]
        why = dosing.apply(time, rows_out[members], y_members, p_members)
        y_now[members], p_now[members] = y_members, p_members
        undecided = why != ""
        errors[members[undecided]] = why[undecided]
        alive[members[undecided]] = False
        return members[~undecided]

    boundaries = sorted({e.time for e in plan.events if plan.t0 < e.time < plan.t1} | {plan.t1})
    start = plan.t0
    for stop in boundaries:
        members = dose(start)
        if not members.size:
            break
        last = stop == plan.t1
        mask = (plan.t_out >= start) & ((plan.t_out <= stop) if last else (plan.t_out < stop))
        wanted = plan.t_out[mask]
        seg_t = wanted if (wanted.size and wanted[-1] == stop) else np.append(wanted, stop)
        inputs = validate_ensemble(system, start, stop, y_now[members], p_now[members], seg_t,
                                   plan.rtol, plan.atol, plan.max_steps, np.inf)
        result = run_ensemble(system, inputs, methods[members])
        k = int(mask.sum())
        block = y[rows_out[members]]
        block[:, mask] = result.y[:, :k]
        y[rows_out[members]] = block
        y_now[members] = result.y[:, -1]
        n_rhs[members] += result.n_rhs
        switched = members[result.switched]
        t_switch[switched] = result.t_switch[result.switched]
        methods[switched] = METHODS["rodas5p"]  # stiff once: Rodas5P after the event too
        failed = result.status != 0
        codes[members[failed]] = result.status[failed]
        alive[members[failed]] = False
        start = stop
    else:
        if any(e.time == plan.t1 for e in plan.events):  # doses at t_end show in the last
            before = alive.copy()                         # row, once
            members = dose(plan.t1)
            y[rows_out[members], -1] = y_now[members]
            y[rows_out[before & ~alive], -1] = np.nan  # undecided: no result, as simulate
    return codes, n_rhs, t_switch, errors


def _scipy_member(system: OdeSystem, plan: Plan, y0: NDArray[np.float64],
                  p: NDArray[np.float64], events: tuple[Event, ...]
                  ) -> tuple[NDArray[np.float64], int, str, str, int]:
    """One point with a scipy method, exactly as ``simulate`` integrates it; returns its
    states on the output grid, rhs count, status, message and number of skipped doses."""
    out = np.full((len(plan.t_out), system.n_states), np.nan)
    skipped = _Skipped()
    try:
        t, y, code, text, stats, *_ = _integrate_with_events(
            system, p, y0, plan.t0, plan.t1, plan.t_out, events, False, plan.method,
            {"rtol": plan.rtol, "atol": plan.atol}, skipped)
    except UntestableCondition as err:  # a conditional dose's condition reads NaN or inf
        return out, 0, UNTESTABLE, str(err), len(skipped.doses)
    out[: len(t)] = y.T
    return out, stats["nfev"], (OK if code >= 0 else "solver_failed"), ("" if code >= 0
                                                                         else text), len(
        skipped.doses)


def _observables(system: OdeSystem, plan: Plan, y: NDArray[np.float64],
                 p: NDArray[np.float64]) -> NDArray[np.float64]:
    """Observables of every member at every output time, shape ``(m, k, n_observables)``;
    NaN (not computed) when no metric or trajectory asks for them."""
    m, k, _ = y.shape
    n_obs = len(system.observable_names)
    wanted = plan.trajectory_index is not None or any(
        metric.function is not None or metric.target in system.observable_names
        for metric in plan.metrics)
    if not n_obs or not wanted:
        return np.full((m, k, n_obs), np.nan)
    with np.errstate(all="ignore"):  # ratios over zero are inf, which metrics report
        observed = system.observe(plan.t_out, y.transpose(2, 0, 1),
                                  parameters_in_force(system, plan.events, plan.t_out, p))
    return observed.transpose(1, 2, 0)


SCIPY_METHODS = tuple(METHODS)
ENSEMBLE_METHODS = ("auto", "dopri5", "rodas5p")
