"""Metrics computed per point from trajectories on the output grid, without keeping them.

A metric is written ``kind:target`` and evaluated on the sweep's output times:

=================== ========================================================================
``peak:X``          maximum of X over the output times
``time_of_peak:X``  first output time at which X is maximal
``trough:X``        minimum of X
``auc:X``           area under X (trapezoidal rule over the output times)
``final:X``         X at the last output time
``value_at:X@t``    X at time t (t is added to the output times)
``below:X<c``       first time X falls below c (linear interpolation between output
                    times; NaN if it never does)
``above:X>c``       first time X rises above c (likewise)
=================== ========================================================================

``X`` is a state or an observable. Extremes and crossing times are resolved to the output
grid (``n_points``); use a finer grid when they matter. A callable ``f(t, values) -> array``
taking ``t`` of shape ``(k,)`` and ``values`` of shape ``(m, k, n_columns)`` (columns in
``names`` order) is accepted as a custom vectorised metric, named by its ``__name__``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._names import suggest
from ..exceptions import ParameterError

KINDS = ("peak", "time_of_peak", "trough", "auc", "final", "value_at", "below", "above")
_SPEC = re.compile(r"(?P<kind>\w+):(?P<target>[A-Za-z][A-Za-z0-9_-]*)"
                   r"(?:(?P<op>[<>@])(?P<number>[-+0-9.eE]+))?\Z")


@dataclass(frozen=True)
class Metric:
    """One parsed metric: its name, kind, target column and optional number."""

    name: str
    kind: str
    target: str = ""
    number: float = float("nan")
    function: Callable[..., Any] | None = None


def parse_metrics(specs: Sequence[str | Callable[..., Any]], columns: Sequence[str]
                  ) -> list[Metric]:
    """Parse metric specifications, checking kinds and targets.

    Raises
    ------
    ParameterError
        For a malformed spec, an unknown kind or an unknown state/observable.
    """
    out = []
    for spec in specs:
        if callable(spec):
            out.append(Metric(getattr(spec, "__name__", "custom"), "custom", function=spec))
            continue
        match = _SPEC.match(str(spec))
        if match is None:
            raise ParameterError(f"metric {spec!r} is not of the form 'kind:target' "
                                 "(e.g. 'peak:TNF', 'value_at:TNF@5', 'below:TNF<20')")
        kind, target, op, number = match.group("kind", "target", "op", "number")
        if kind not in KINDS:
            raise ParameterError(f"metric {spec!r}: unknown kind {kind!r}. {suggest(kind, KINDS)}")
        if target not in columns:
            raise ParameterError(f"metric {spec!r}: no state or observable named {target!r}. "
                                 f"{suggest(target, columns)}")
        needs = {"value_at": "@", "below": "<", "above": ">"}.get(kind)
        if needs != op:
            form = f"'{kind}:{target}{needs}<number>'" if needs else f"'{kind}:{target}'"
            raise ParameterError(f"metric {spec!r} must be written {form}")
        try:
            value = float(number) if number is not None else float("nan")
        except ValueError:
            raise ParameterError(f"metric {spec!r}: {number!r} is not a number") from None
        out.append(Metric(str(spec), kind, target, value))
    names = [m.name for m in out]
    if len(set(names)) != len(names):
        raise ParameterError(f"metrics must be unique, got {names}")
    return out


def extra_times(metrics: Sequence[Metric]) -> list[float]:
    """Output times the metrics need (``value_at`` times)."""
    return [m.number for m in metrics if m.kind == "value_at"]


def evaluate(metrics: Sequence[Metric], t: NDArray[np.float64], values: NDArray[np.float64],
             columns: Sequence[str]) -> dict[str, NDArray[np.float64]]:
    """Every metric for every member: ``values`` has shape ``(m, k, n_columns)``."""
    index = {c: i for i, c in enumerate(columns)}
    out: dict[str, NDArray[np.float64]] = {}
    with np.errstate(invalid="ignore"):
        for metric in metrics:
            if metric.function is not None:
                result = np.asarray(metric.function(t, values), dtype=float)
                if result.shape != (values.shape[0],):
                    raise ParameterError(f"custom metric {metric.name!r} must return shape "
                                         f"({values.shape[0]},), got {result.shape}")
                out[metric.name] = result
                continue
            x = values[:, :, index[metric.target]]
            out[metric.name] = _one(metric, t, x)
    return out


def _one(metric: Metric, t: NDArray[np.float64], x: NDArray[np.float64]
         ) -> NDArray[np.float64]:
    failed = ~np.all(np.isfinite(x), axis=1)
    kind = metric.kind
    if kind == "peak":
        result = np.max(x, axis=1)
    elif kind == "trough":
        result = np.min(x, axis=1)
    elif kind == "time_of_peak":
        result = t[np.argmax(np.where(np.isfinite(x), x, -np.inf), axis=1)]
    elif kind == "auc":
        result = np.trapezoid(x, t, axis=1)
    elif kind == "final":
        result = x[:, -1]
    elif kind == "value_at":
        result = x[:, int(np.searchsorted(t, metric.number))]
    else:
        result = _crossing(t, x, metric.number, below=kind == "below")
    return np.where(failed, np.nan, result).astype(float)


def _crossing(t: NDArray[np.float64], x: NDArray[np.float64], level: float, *, below: bool
              ) -> NDArray[np.float64]:
    """First time x crosses *level* downward (below) or upward, linearly interpolated."""
    inside = x < level if below else x > level
    first = np.argmax(inside, axis=1)
    found = inside[np.arange(x.shape[0]), first]
    result = np.full(x.shape[0], np.nan)
    at_start = found & (first == 0)
    result[at_start] = t[0]
    rows = np.nonzero(found & (first > 0))[0]
    if rows.size:
        j = first[rows]
        x0, x1 = x[rows, j - 1], x[rows, j]
        fraction = (level - x0) / (x1 - x0)
        result[rows] = t[j - 1] + fraction * (t[j] - t[j - 1])
    return result
