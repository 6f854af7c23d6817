"""Run one chunk of sweep points: validate, integrate the ensemble, compute metrics."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..compiler import OdeSystem
from ..simulation import METHODS, _callbacks, _integrate
from .metrics import Metric, evaluate

OK = "ok"


@dataclass(frozen=True)
class Plan:
    """Everything a chunk needs besides its points (picklable, no compiled code)."""

    names: tuple[str, ...]  # swept names as the user wrote them
    targets: tuple[tuple[str, int], ...]  # ("param" | "initial", index) per swept name
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


@dataclass(frozen=True)
class ChunkResult:
    """Per-point outputs of one chunk."""

    start: int
    metrics: dict[str, NDArray[np.float64]]
    status: NDArray[np.object_]
    message: NDArray[np.object_]
    trajectories: NDArray[np.float64] | None
    n_rhs: NDArray[np.int64]  # right-hand-side evaluations per point


def member_inputs(system: OdeSystem, plan: Plan, points: NDArray[np.float64]
                  ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.object_],
                             NDArray[np.object_]]:
    """Parameter and initial-value arrays per member, and which members are invalid."""
    m = points.shape[0]
    p = np.repeat(plan.base_params[None, :], m, axis=0)
    y0 = np.repeat(plan.base_initial[None, :], m, axis=0)
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
        if kind == "param":
            p[:, index] = values
            spec = system.param_specs[index]
            bad |= (values <= spec.lower) if spec.positive else (values < spec.lower)
            bad |= values > spec.upper
            label = "invalid_parameter"
        else:
            y0[:, index] = values
            bad |= values < 0
            label = "invalid_initial"
        newly = bad & (status == OK)
        status[newly] = label
        message[newly] = [f"{name} = {v:.6g} {_rule(system, kind, index, transform, v)}"
                          for v in points[newly, j]]
    return p, y0, status, message


def _rule(system: OdeSystem, kind: str, index: int, transform: Any, value: float) -> str:
    """Why one swept value is invalid, in the words of the parameter's own check."""
    if not math.isfinite(value):
        return "must be finite"
    if transform is not None and value <= 0:
        return "must be > 0"
    if kind == "initial":
        return "must be >= 0 (an initial value)"
    canonical = transform(value) if transform is not None else value
    return system.param_specs[index].check(canonical) or "is out of range"


def run_chunk(system: OdeSystem, plan: Plan, start: int, points: NDArray[np.float64]
              ) -> ChunkResult:
    """Integrate every valid point of the chunk and evaluate the metrics."""
    p, y0, status, message = member_inputs(system, plan, points)
    m, k = points.shape[0], len(plan.t_out)
    y = np.full((m, k, system.n_states), np.nan)
    steps = np.zeros(m, dtype=np.int64)
    valid = np.nonzero(status == OK)[0]
    if valid.size:
        if plan.method == "dopri5":
            from ..solvers.dopri5 import MESSAGES, STATUS, integrate_ensemble

            result = integrate_ensemble(system, plan.t0, plan.t1, y0[valid], p[valid],
                                        plan.t_out, rtol=plan.rtol, atol=plan.atol,
                                        max_steps=plan.max_steps)
            y[valid] = result.y
            steps[valid] = result.n_rhs
            for code in np.unique(result.status):
                if code == 0:
                    continue
                rows = valid[result.status == code]
                status[rows] = STATUS[int(code)]
                message[rows] = MESSAGES[int(code)]
        else:
            for j in valid:
                y[j], steps[j], status[j], message[j] = _scipy_member(system, plan, y0[j], p[j])
    observed = _observables(system, plan, y, p)
    values = np.concatenate([y, observed], axis=2)
    metrics = evaluate(plan.metrics, plan.t_out, values, plan.columns)
    trajectories = values[:, plan.trajectory_index, :] if plan.trajectory_index is not None \
        else None
    return ChunkResult(start, metrics, status, message, trajectories, steps)


def _scipy_member(system: OdeSystem, plan: Plan, y0: NDArray[np.float64],
                  p: NDArray[np.float64]) -> tuple[NDArray[np.float64], int, str, str]:
    fun, jac = _callbacks(system, p, use_numba=False, method=plan.method)
    options: dict[str, Any] = {"rtol": plan.rtol, "atol": plan.atol}
    if plan.method in ("BDF", "Radau", "LSODA"):
        options["jac"] = jac
    t, y, code, text, stats, *_ = _integrate(fun, plan.method, plan.t0, plan.t1, y0,
                                             plan.t_out, options)
    out = np.full((len(plan.t_out), system.n_states), np.nan)
    out[: len(t)] = y.T
    return out, stats["nfev"], (OK if code >= 0 else "solver_failed"), ("" if code >= 0
                                                                         else text)


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
        observed = system.observe(plan.t_out, y.transpose(2, 0, 1), p.T[:, :, None])
    return observed.transpose(1, 2, 0)


SCIPY_METHODS = tuple(METHODS)
