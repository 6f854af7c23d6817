"""Exposure metrics of a dosing regimen: Cmax, Ctrough, AUC, time above a level, occupancy.

:func:`exposure` reads a :class:`~cytosim.result.TimeCourse` and the regimen's dose times and
returns an :class:`Exposure`: the summary numbers a pharmacometrician reports for a regimen
and a table with one row per dosing interval, every number with its unit (taken from the time
course's column units and time unit).

Conventions (non-compartmental analysis of the simulated profile):

- **Intervals** run from one dose to the next; the last from the last dose to ``t_end``, or to
  ``last dose + interval`` when *interval* (tau) is given and that lies within the run. An
  interval is *complete* when it ends at a dose or after a full tau. Steady-state numbers
  (``Cmax_ss``, ``Ctrough_ss``, ``AUC_tau``) come from the last complete interval, which is at
  steady state only if the regimen has reached it by then.
- **Ctrough** of an interval is the concentration at its end, *before* the next dose: the last
  output row strictly before the dose (rows are right-continuous, so a row at a dose time
  shows the state after it). Simulate with ``t_eval=sampling_times(schedule, t_end)``, which
  puts a row a relative ``1e-9`` of the run before each dose, to make it the pre-dose limit;
  on another grid it is a trough sample taken at that row's time (``t_trough`` in the table).
- **AUC** is the trapezoidal rule on the output rows, or, exactly, the difference of an
  accumulator state ``auc_<column>`` added by :class:`AreaUnderCurve` (``d auc/dt = column``,
  integrated by the solver to its tolerance); ``auc_method`` in the summary says which.
- **Time above** a threshold counts the time the concentration exceeds it, with crossings
  placed by linear interpolation between rows.
- **Occupancy** is ``complex / (free target + complex)`` (both in the same unit), from the
  first dose to the end: its time average (trapezoidal), minimum and value at the steady-state
  trough. The free target's AUC over the whole run is compared with a *reference* run
  (usually untreated): ``target_reduction = 1 - AUC_target / AUC_target_reference``.

Examples
--------
>>> import cytosim as cs
>>> from cytosim import AreaUnderCurve, exposure, sampling_times
>>> net = cs.pk_compartments(cs.Network(), "mAb", volume=3.0, clearance=0.3)  # k = 0.1/h
>>> regimen = cs.Dose("mAb", amount=30.0, ii=12.0, addl=9)
>>> t = sampling_times(regimen, t_end=120.0, n_points=601)
>>> tc = cs.simulate(net, t_end=120.0, t_eval=t, engine="numpy", rtol=1e-10, atol=1e-12,
...                  interventions=[regimen, AreaUnderCurve("mAb_conc")])
>>> ex = exposure(tc, "mAb_conc", dose_times=regimen, interval=12.0, threshold=5.0)
>>> r = 0.301194  # exp(-k tau): ten doses of D/V = 10 mg/L, r**10 = 6e-6 (steady state)
>>> round(ex["AUC_tau"], 3), ex.unit("AUC_tau")  # D / CL (1 - r**10)
(99.999, 'mg/L*h')
>>> round(ex["Ctrough_ss"], 3), round(ex["Cmax_ss"], 3)  # (D/V) r / (1 - r), (D/V) / (1 - r)
(4.31, 14.31)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ._names import suggest
from .exceptions import ModelError, ParameterError
from .network import Network
from .result import TimeCourse

__all__ = ["AreaUnderCurve", "Exposure", "exposure", "sampling_times"]

PRE_DOSE = 1e-9  # pre-dose rows lie this fraction of the run before each dose
AUC_PREFIX = "auc_"


# --------------------------------------------------------------------------- result
@dataclass(frozen=True)
class Exposure:
    """Exposure metrics of one simulated regimen.

    Attributes
    ----------
    values : mapping of str to float
        Summary metrics: ``Cmax``, ``t_Cmax`` (absolute time of the maximum), ``Cmin``
        (minimum from the first dose on), ``AUC`` (whole run), ``Cmax_ss``, ``Ctrough_ss``,
        ``AUC_tau``, ``Cavg_ss`` (``AUC_tau / tau``), ``tau``; with *threshold*
        ``time_above`` and ``fraction_above``; with *target* ``AUC_target`` (and, with a
        reference run, ``AUC_target_reference`` and ``target_reduction``); with *target* and
        *complex* ``occupancy_mean``, ``occupancy_min``, ``occupancy_trough``. NaN when not
        defined (no complete interval, for instance).
    units : mapping of str to str
        Unit of each summary metric and of each interval column (``"1"`` when dimensionless).
    intervals : pandas.DataFrame
        One row per dosing interval: ``start``, ``end``, ``tau``, ``complete``, ``Cmax``,
        ``Tmax`` (time after the interval's dose), ``Ctrough``, ``t_trough``, ``AUC_tau``, and
        ``occupancy_trough`` with *complex*; units in ``intervals.attrs["units"]``.
    drug : str
        The column analysed.
    time_unit : str
        Unit of every time.
    auc_method : {"state", "trapezoid"}
        How areas were computed.
    """

    values: Mapping[str, float]
    units: Mapping[str, str]
    intervals: pd.DataFrame
    drug: str
    time_unit: str
    auc_method: str
    threshold: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __getitem__(self, name: str) -> float:
        try:
            return self.values[name]
        except KeyError:
            raise ParameterError(f"no exposure metric {name!r}. "
                                 f"{suggest(name, self.values)}") from None

    def unit(self, name: str) -> str:
        """The unit of a summary metric or interval column."""
        try:
            return self.units[name]
        except KeyError:
            raise ParameterError(f"no exposure metric {name!r}. "
                                 f"{suggest(name, self.units)}") from None

    def to_pandas(self) -> pd.DataFrame:
        """The summary as a tidy table: one row per metric, columns ``value`` and ``unit``."""
        frame = pd.DataFrame({"value": pd.Series(dict(self.values), dtype=float),
                              "unit": pd.Series({k: self.units[k] for k in self.values})})
        frame.index.name = "metric"
        return frame


# --------------------------------------------------------------------------- accumulator
@dataclass(frozen=True)
class AreaUnderCurve:
    """A graph transformation adding exact AUC accumulators, for use as an intervention.

    For each column ``X`` (a state or observable) adds a node ``auc_X`` with
    ``d auc_X / dt = X`` and initial value 0, so that ``auc_X(t)`` is the integral of ``X``
    from ``t_start`` to ``t``, computed by the solver to its tolerance;
    :func:`exposure` then uses it instead of the trapezoidal rule. The accumulator acts on
    nothing (it only reads ``X``). List it after the interventions that create ``X``
    (a therapy adds ``<drug>_conc``).

    Parameters
    ----------
    columns : str or sequence of str
        The states or observables to integrate.

    Examples
    --------
    >>> import cytosim as cs
    >>> net = cs.pk_compartments(cs.Network(), "mAb", volume=2.0, clearance=0.2)
    >>> tc = cs.simulate(net, t_end=20.0, engine="numpy", rtol=1e-10, atol=1e-12,
    ...                  interventions=[cs.Dose("mAb", 10.0), AreaUnderCurve("mAb_conc")])
    >>> round(float(tc["auc_mAb_conc"][-1]), 4)  # D / CL (1 - exp(-k t)), k = 0.1/h, t = 20 h
    43.2332
    """

    columns: tuple[str, ...]

    def __init__(self, columns: str | Sequence[str]):
        names = (columns,) if isinstance(columns, str) else tuple(columns)
        if not names:
            raise ParameterError("`columns` must name at least one state or observable")
        object.__setattr__(self, "columns", names)

    def prepare(self, network: Network) -> tuple[Network, list[Any]]:
        """A copy of *network* with one accumulator node per column; no timed events."""
        new = network.copy()
        observables = network.observables
        for column in self.columns:
            if column in network.nodes:
                unit = str(network.node(column).get("unit", ""))
            elif column in observables:
                unit = str(observables[column].get("unit", ""))
            else:
                raise ModelError(f"cannot accumulate the AUC of unknown column {column!r}. "
                                 f"{suggest(column, [*network.nodes, *observables])}")
            name = f"{AUC_PREFIX}{column}"
            new.add_node(name, "drug", unit=_product_unit(unit, network.time_unit),
                         description=f"area under {column} since t_start (exposure "
                                     "accumulator; acts on nothing)")
            new.add_term(name, column, name="accumulate")
        return new, []


# --------------------------------------------------------------------------- sampling grid
def sampling_times(doses: Any, t_end: float, *, t_start: float = 0.0,
                   n_points: int = 201) -> NDArray[np.float64]:
    """Output times for exposure metrics: an even grid, every dosing event, and a pre-dose row.

    Parameters
    ----------
    doses : Dose, DosingSchedule or sequence of them or of dose times
        The regimen (times in the model's time unit: use ``therapy.schedule(net.time_unit)``
        for a preset).
    t_end, t_start : float
        The run, in the model's time unit.
    n_points : int
        Points of the even grid (ends included).

    Returns
    -------
    ndarray
        Increasing times within ``[t_start, t_end]``: the grid, each dose and infusion start or
        stop, and ``t_dose - 1e-9 (t_end - t_start)`` before each dose after ``t_start`` (the
        pre-dose limit, to solver accuracy: the concentration moves by a relative ``k 1e-9``
        of the run in that time).

    Examples
    --------
    >>> import cytosim as cs
    >>> sampling_times(cs.Dose("D", 1.0, time=5.0), t_end=10.0, n_points=3).tolist()
    [0.0, 4.99999999, 5.0, 10.0]
    """
    t0, t1 = float(t_start), float(t_end)
    if not (math.isfinite(t0) and math.isfinite(t1) and t1 > t0):
        raise ParameterError(f"`t_end` ({t_end!r}) must be a number greater than `t_start` "
                             f"({t_start!r})")
    if isinstance(n_points, bool) or not isinstance(n_points, int) or n_points < 2:
        raise ParameterError(f"`n_points` must be an integer >= 2, got {n_points!r}")
    times = _dose_times(doses)
    events = [t for t in _event_times(doses, t1)] + times
    gap = PRE_DOSE * (t1 - t0)
    pre = [t - gap for t in times if t0 < t - gap and t <= t1]
    grid = np.concatenate([np.linspace(t0, t1, n_points), np.asarray(events, dtype=float),
                           np.asarray(pre, dtype=float)])
    grid = grid[(grid >= t0) & (grid <= t1)]
    return np.unique(grid)


# --------------------------------------------------------------------------- metrics
def exposure(timecourse: TimeCourse, drug: str, *, dose_times: Any = None,
             interval: float | None = None, threshold: float | None = None,
             target: str | None = None, complex: str | None = None,
             reference: TimeCourse | None = None) -> Exposure:
    """Exposure metrics of a regimen from its simulated time course.

    Parameters
    ----------
    timecourse : TimeCourse
        A successful simulation of the regimen.
    drug : str
        The concentration column to analyse (``"<drug>_conc"`` for a therapy preset).
    dose_times : Dose, DosingSchedule, sequence of them or of times, optional
        The regimen's dose times in the time course's time unit (those within the run are
        used). Without doses the whole run is one interval starting at its first row.
    interval : float, optional
        The dosing interval tau after the last dose (default: the last interval ends at
        ``t_end`` and is incomplete).
    threshold : float, optional
        A concentration (the column's unit) for ``time_above`` and ``fraction_above``.
    target : str, optional
        The free target column (for example a cytokine node ``"TNF"``): its AUC, and, with
        *reference*, its reduction.
    complex : str, optional
        The drug-target complex column (``"<drug>_<target>_complex"``): occupancy
        ``complex / (target + complex)``; needs *target*.
    reference : TimeCourse, optional
        A run without the drug over the same time span, for ``target_reduction``.

    Returns
    -------
    Exposure

    Raises
    ------
    ParameterError
        For a failed time course, a column that does not exist, mismatched target and complex
        units, a non-positive *interval*, or a reference that does not cover the run.

    Examples
    --------
    >>> import cytosim as cs
    >>> net = cs.Network()
    >>> net.add_drug("D", initial=4.0, decay_rate=0.5)
    >>> tc = cs.simulate(net, t_end=10.0, n_points=2001, engine="numpy", rtol=1e-10,
    ...                  atol=1e-12)
    >>> ex = exposure(tc, "D", threshold=1.0)
    >>> round(ex["time_above"], 4)  # ln(4) / 0.5
    2.7726
    """
    tc = _check_timecourse(timecourse, "timecourse")
    t = np.asarray(tc.t, dtype=float)
    c = tc[drug]
    unit = tc.unit_of(drug)
    tu = tc.time_unit
    doses = [d for d in _dose_times(dose_times) if t[0] <= d <= t[-1]]
    if interval is not None:
        if isinstance(interval, bool) or not isinstance(interval, int | float) or not (
                math.isfinite(interval) and interval > 0):
            raise ParameterError(f"`interval` must be a positive number, got {interval!r}")
        interval = float(interval)
    if threshold is not None and (isinstance(threshold, bool) or not isinstance(
            threshold, int | float) or not math.isfinite(threshold)):
        raise ParameterError(f"`threshold` must be a finite number, got {threshold!r}")
    if complex is not None and target is None:
        raise ParameterError("occupancy needs the free `target` column as well as `complex`")
    auc_column = f"{AUC_PREFIX}{drug}"
    area = _Area(t, c, tc[auc_column] if auc_column in tc.names else None)
    occupancy = None
    if complex is not None and target is not None:
        if tc.unit_of(target) != tc.unit_of(complex):
            raise ParameterError(f"occupancy needs `target` and `complex` in the same unit; "
                                 f"{target!r} is in {tc.unit_of(target)!r}, {complex!r} in "
                                 f"{tc.unit_of(complex)!r}")
        bound, free = tc[complex], tc[target]
        total = bound + free
        with np.errstate(divide="ignore", invalid="ignore"):
            occupancy = np.where(total > 0, bound / np.where(total > 0, total, 1.0), 0.0)

    starts = doses if doses else [float(t[0])]
    rows = []
    for i, start in enumerate(starts):
        if i + 1 < len(starts):
            end, complete = starts[i + 1], True
        elif interval is not None and start + interval <= t[-1] * (1 + 1e-12):
            end, complete = min(start + interval, float(t[-1])), True
        else:
            end, complete = float(t[-1]), False
        if end <= start:
            continue  # a dose at t_end opens no interval
        ends_at_dose = i + 1 < len(starts)  # the row at a dose shows the state after it
        inside = (t >= start) & ((t < end) if ends_at_dose else (t <= end))
        j_trough = _trough_row(t, end, is_dose=ends_at_dose)
        seg = np.nonzero(inside)[0]
        j_max = int(seg[np.argmax(c[seg])]) if seg.size else j_trough
        row = {"start": start, "end": end, "tau": end - start, "complete": complete,
               "Cmax": float(c[j_max]), "Tmax": float(t[j_max] - start),
               "Ctrough": float(c[j_trough]), "t_trough": float(t[j_trough]),
               "AUC_tau": area.between(start, end)}
        if occupancy is not None:
            row["occupancy_trough"] = float(occupancy[j_trough])
        rows.append(row)
    table = pd.DataFrame(rows, columns=["start", "end", "tau", "complete", "Cmax", "Tmax",
                                        "Ctrough", "t_trough", "AUC_tau",
                                        *(["occupancy_trough"] if occupancy is not None
                                          else [])])
    auc_unit = _product_unit(unit, tu)
    units: dict[str, str] = {"start": tu, "end": tu, "tau": tu, "complete": "1", "Cmax": unit,
                             "Tmax": tu, "Ctrough": unit, "t_trough": tu, "AUC_tau": auc_unit,
                             "occupancy_trough": "1"}
    table.attrs["units"] = {k: units[k] for k in table.columns}

    first = starts[0]
    after = t >= first
    values: dict[str, float] = {}
    j_peak = int(np.argmax(c))
    values["Cmax"], values["t_Cmax"] = float(c[j_peak]), float(t[j_peak])
    values["Cmin"] = float(np.min(c[after]))
    values["AUC"] = area.between(float(t[0]), float(t[-1]))
    done = table[table["complete"]]
    last = done.iloc[-1] if len(done) else None
    values["tau"] = float(last["tau"]) if last is not None else math.nan
    values["Cmax_ss"] = float(last["Cmax"]) if last is not None else math.nan
    values["Ctrough_ss"] = float(last["Ctrough"]) if last is not None else math.nan
    values["AUC_tau"] = float(last["AUC_tau"]) if last is not None else math.nan
    values["Cavg_ss"] = values["AUC_tau"] / values["tau"] if last is not None else math.nan
    units.update(t_Cmax=tu, Cmin=unit, AUC=auc_unit, Cmax_ss=unit, Ctrough_ss=unit,
                 Cavg_ss=unit)
    if threshold is not None:
        above = _time_above(t, c, float(threshold))
        values["time_above"] = above
        values["fraction_above"] = above / float(t[-1] - t[0])
        units.update(time_above=tu, fraction_above="1")
    if target is not None:
        values["AUC_target"] = _trapezoid(t, tc[target])
        units["AUC_target"] = _product_unit(tc.unit_of(target), tu)
        if reference is not None:
            ref = _check_timecourse(reference, "reference")
            if ref.t[0] > t[0] * (1 + 1e-12) or ref.t[-1] < t[-1] * (1 - 1e-12):
                raise ParameterError(f"the `reference` run ({ref.t[0]:g}-{ref.t[-1]:g} "
                                     f"{ref.time_unit}) does not cover this run "
                                     f"({t[0]:g}-{t[-1]:g} {tu})")
            if ref.time_unit != tu or ref.unit_of(target) != tc.unit_of(target):
                raise ParameterError("the `reference` run must use the same time unit and "
                                     f"{target!r} unit as this run")
            keep = (ref.t >= t[0]) & (ref.t <= t[-1])
            reference_auc = _trapezoid(ref.t[keep], ref[target][keep])
            values["AUC_target_reference"] = reference_auc
            values["target_reduction"] = (1.0 - values["AUC_target"] / reference_auc
                                          if reference_auc > 0 else math.nan)
            units.update(AUC_target_reference=units["AUC_target"], target_reduction="1")
    if occupancy is not None:
        span = float(t[-1] - first)
        values["occupancy_mean"] = (_trapezoid(t[after], occupancy[after]) / span
                                    if span > 0 else float(occupancy[-1]))
        values["occupancy_min"] = float(np.min(occupancy[after]))
        values["occupancy_trough"] = (float(last["occupancy_trough"]) if last is not None
                                      else math.nan)
        units.update(occupancy_mean="1", occupancy_min="1", occupancy_trough="1")
    return Exposure(values=values, units=units, intervals=table, drug=drug, time_unit=tu,
                    auc_method=area.method, threshold=threshold)


# --------------------------------------------------------------------------- helpers
class _Area:
    """Integrals of a column between two times: the accumulator state when there is one,
    else the trapezoidal rule on the rows (linear interpolation inside a row gap)."""

    def __init__(self, t: NDArray[np.float64], c: NDArray[np.float64],
                 state: NDArray[np.float64] | None):
        self.t = t
        if state is not None:
            self.cumulative, self.method = np.asarray(state, dtype=float), "state"
        else:
            steps = np.diff(t) * 0.5 * (c[1:] + c[:-1])
            self.cumulative = np.concatenate([[0.0], np.cumsum(steps)])
            self.method = "trapezoid"
        self.c = c

    def at(self, time: float) -> float:
        t = self.t
        j = int(np.searchsorted(t, time, side="right")) - 1
        j = min(max(j, 0), len(t) - 2) if len(t) > 1 else 0
        if len(t) == 1 or time == t[j]:
            return float(self.cumulative[j])
        h = t[j + 1] - t[j]
        s = (time - t[j]) / h
        if self.method == "state":  # between rows the accumulator is smooth: interpolate
            return float(self.cumulative[j] + s * (self.cumulative[j + 1] - self.cumulative[j]))
        c0, c1 = self.c[j], self.c[j + 1]
        return float(self.cumulative[j] + h * s * (c0 + 0.5 * s * (c1 - c0)))

    def between(self, a: float, b: float) -> float:
        return self.at(b) - self.at(a)


def _trough_row(t: NDArray[np.float64], end: float, *, is_dose: bool) -> int:
    """The row of an interval's trough: the last row before the next dose, or at its end."""
    if is_dose:
        j = int(np.searchsorted(t, end, side="left")) - 1
    else:
        j = int(np.searchsorted(t, end, side="right")) - 1
    return max(j, 0)


def _time_above(t: NDArray[np.float64], c: NDArray[np.float64], level: float) -> float:
    """Time with c > level, crossings placed by linear interpolation between rows."""
    c0, c1, h = c[:-1], c[1:], np.diff(t)
    both = (c0 > level) & (c1 > level)
    total = float(np.sum(h[both]))
    mixed = (c0 > level) != (c1 > level)
    if np.any(mixed):
        a, b, dt = c0[mixed], c1[mixed], h[mixed]
        fraction = (level - a) / (b - a)  # where the line crosses the level, in [0, 1]
        total += float(np.sum(np.where(a > level, fraction, 1.0 - fraction) * dt))
    return total


def _trapezoid(t: NDArray[np.float64], x: NDArray[np.float64]) -> float:
    return float(np.sum(np.diff(t) * 0.5 * (x[1:] + x[:-1]))) if len(t) > 1 else 0.0


def _product_unit(unit: str, time_unit: str) -> str:
    return f"{unit}*{time_unit}" if unit else time_unit


def _check_timecourse(tc: Any, what: str) -> TimeCourse:
    if not isinstance(tc, TimeCourse):
        raise ParameterError(f"`{what}` must be a cs.TimeCourse, got {type(tc).__name__}")
    if not tc.success:
        raise ParameterError(f"`{what}` did not reach t_end (status {tc.status}: "
                             f"{tc.message}); its exposure would be truncated")
    if len(tc.t) < 2:
        raise ParameterError(f"`{what}` needs at least two rows, got {len(tc.t)}")
    return tc


def _dose_times(doses: Any) -> list[float]:
    """Sorted unique dose times from doses, schedules, or numbers (or a mix)."""
    if doses is None:
        return []
    items: Iterable[Any] = doses if isinstance(doses, list | tuple | np.ndarray) else [doses]
    out: list[float] = []
    for item in items:
        if hasattr(item, "dose_times"):
            out.extend(item.dose_times())
        elif hasattr(item, "times") and callable(item.times):
            out.extend(item.times())
        elif isinstance(item, int | float | np.floating | np.integer) and not isinstance(
                item, bool) and math.isfinite(float(item)):
            out.append(float(item))
        else:
            raise ParameterError("`dose_times` must be doses, schedules or finite times, got "
                                 f"{item!r}")
    return sorted(set(out))


def _event_times(doses: Any, t_end: float) -> list[float]:
    """Dose and infusion start/stop times of doses and schedules (numbers have none)."""
    items: Iterable[Any] = doses if isinstance(doses, list | tuple) else [doses]
    return [e.time for item in items if hasattr(item, "events")
            for e in item.events(t_end)]
