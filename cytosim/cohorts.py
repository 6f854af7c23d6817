"""Virtual cohorts: one regimen over N virtual patients, on the sweep engine.

Each patient's parameters follow the usual population-PK model (NONMEM/nlmixr2 style)::

    theta_i = theta_pop * prod_c (cov_ic / ref_c) ** beta_pc * exp(eta_i),
    eta_i ~ N(0, Omega)

- *theta_pop* is the network's value (after the interventions' graph transformations, so a
  therapy's PK parameters such as ``infliximab_central.volume`` can vary);
- *Omega* is the covariance matrix of the log-scale random effects (inter-individual
  variability), given as a matrix, a ``{name: variance}`` mapping (diagonal), or a
  ``{name: CV%}`` mapping through *cv*. For a log-normal parameter the coefficient of
  variation is ``CV = sqrt(exp(omega**2) - 1)``, so ``omega**2 = ln(1 + CV**2)``
  (:func:`omega_from_cv`; S. Beal, NONMEM users list, 26 Sep 1997; J. H. Proost, Clin
  Pharmacokinet 2019;58:1101, doi:10.1007/s40262-019-00760-6). The common shortcut
  ``CV ~ omega`` holds only for small values (30% CV is ``omega**2 = 0.0862``,
  ``omega = 0.294``; Beal's example: ``omega**2 = 0.15`` is a CV of 40.2%, not 38.7%);
- covariates enter as power models with a reference value, e.g. body weight on volumes
  ``V = V_pop (WT / 70) ** 1`` (:func:`body_weight`). In a rate-constant parametrisation
  (cytosim's ``<drug>.rate = CL / V``), allometric ``CL ~ WT**0.75`` and ``V ~ WT**1`` make
  ``k ~ WT**-0.25``; give the exponents of the parameters the network actually has.

Doses given per body weight (``"3 mg/kg"``) follow each patient's weight when the weight
covariate has ``scales_doses=True`` (the default of :func:`body_weight`): the weights go into
the sweep as its ``body_weight`` column. The whole cohort is one sweep over a user DataFrame
design (one row per patient), so it runs on any method and backend and can be stored and
resumed (``store=``).

Results (:class:`Cohort`) hold one row per patient (random effects, covariates, parameter
values, metrics, status) and the trajectories, summarised by :meth:`Cohort.bands` (median and
5-95% bands over time) and :meth:`Cohort.responder_fraction`.

Examples
--------
>>> import cytosim as cs
>>> from cytosim.cohorts import virtual_cohort
>>> net = cs.pk_compartments(cs.Network(), "mAb", volume=3.0, clearance=0.3)
>>> cohort = virtual_cohort(net, [cs.Dose("mAb", 100.0)], n=20, cv={"mAb.rate": 30.0},
...                         seed=1, t_end=24.0, n_points=25, metrics=["final:mAb_conc"],
...                         method="LSODA")
>>> cohort.patients.shape[0], cohort.n_failed
(20, 0)
>>> band = cohort.bands(["mAb_conc"])
>>> bool((band["p05"] <= band["median"]).all() and (band["median"] <= band["p95"]).all())
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from ._names import suggest
from .compiler import compile_network
from .exceptions import ParameterError
from .interventions import prepare, weight_scaled_doses
from .network import Network
from .result import TimeCourse

__all__ = ["Cohort", "Covariate", "body_weight", "cv_from_omega", "omega_from_cv",
           "sample_etas", "virtual_cohort"]

OK = "ok"
WEIGHT = "body_weight"  # the sweep's name for the body weight that per-kg doses follow (kg)
# the sweep's per-point variables that are not metrics
_BOOKKEEPING = ("trajectory", "status", "message", "n_rhs", "solver", "t_switch",
                "n_skipped_doses")


# --------------------------------------------------------------------------- variability
def omega_from_cv(cv_percent: float) -> float:
    """The log-scale variance ``omega**2 = ln(1 + CV**2)`` of a log-normal parameter.

    >>> round(omega_from_cv(30.0), 4)
    0.0862
    """
    if isinstance(cv_percent, bool) or not isinstance(cv_percent, int | float) or not (
            math.isfinite(cv_percent) and cv_percent >= 0):
        raise ParameterError(f"a CV must be a finite percentage >= 0, got {cv_percent!r}")
    return math.log1p((cv_percent / 100.0) ** 2)


def cv_from_omega(variance: float) -> float:
    """The CV in percent, ``100 sqrt(exp(omega**2) - 1)``, of a log-normal parameter.

    >>> round(cv_from_omega(0.0862), 1)
    30.0
    """
    if isinstance(variance, bool) or not isinstance(variance, int | float) or not (
            math.isfinite(variance) and variance >= 0):
        raise ParameterError(f"a variance must be a finite number >= 0, got {variance!r}")
    return 100.0 * math.sqrt(math.expm1(variance))


def sample_etas(omega: ArrayLike, n: int, seed: int | np.random.Generator | None = 0
                ) -> NDArray[np.float64]:
    """*n* draws of ``eta ~ N(0, omega)``, shape ``(n, d)``.

    ``eta = z @ L.T`` with ``z`` standard normal and ``L L.T = omega`` from the symmetric
    eigendecomposition, so a positive semi-definite omega (zero variances, perfectly
    correlated effects) works as well as a positive definite one.

    Raises
    ------
    ParameterError
        If *omega* is not a symmetric positive semi-definite square matrix, or *n* < 1.

    >>> sample_etas([[0.0]], 3).tolist()
    [[0.0], [0.0], [0.0]]
    """
    matrix = np.asarray(omega, dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or not np.all(
            np.isfinite(matrix)):
        raise ParameterError(f"`omega` must be a finite square matrix, got shape "
                             f"{matrix.shape}")
    if not np.allclose(matrix, matrix.T, rtol=1e-12, atol=1e-15):
        raise ParameterError("`omega` must be symmetric (a covariance matrix)")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ParameterError(f"`n` must be a positive integer, got {n!r}")
    w, v = np.linalg.eigh(matrix)
    scale = max(1.0, float(np.max(np.abs(w)))) if w.size else 1.0
    if w.size and float(np.min(w)) < -1e-12 * scale:
        raise ParameterError(f"`omega` must be positive semi-definite; its smallest eigenvalue "
                             f"is {float(np.min(w)):.3g}")
    root = v * np.sqrt(np.clip(w, 0.0, None))
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    z = rng.standard_normal((n, matrix.shape[0]))
    return np.asarray(z @ root.T, dtype=float)


@dataclass(frozen=True)
class Covariate:
    """A patient covariate with power-model effects on parameters.

    Parameters
    ----------
    name : str
        Column name in the patient table (``"WT"``).
    values : float, sequence of float or frozen scipy.stats distribution
        One value for everyone, one per patient, or a distribution drawn from (seeded).
        Values must be positive.
    reference : float
        The value at which parameters equal their population value.
    effects : mapping of str to float
        ``{parameter: exponent}``: ``theta = theta_pop (value / reference) ** exponent``.
    unit : str
        Unit of the values (``"kg"``).
    scales_doses : bool
        True for body weight: per-kg doses follow each patient's value.
    """

    name: str
    values: Any
    reference: float
    effects: Mapping[str, float] = field(default_factory=dict)
    unit: str = ""
    scales_doses: bool = False

    def __post_init__(self) -> None:
        if not (isinstance(self.reference, int | float) and math.isfinite(self.reference)
                and self.reference > 0):
            raise ParameterError(f"covariate {self.name!r}: `reference` must be a positive "
                                 f"number, got {self.reference!r}")
        for parameter, exponent in self.effects.items():
            if isinstance(exponent, bool) or not isinstance(exponent, int | float) or not (
                    math.isfinite(exponent)):
                raise ParameterError(f"covariate {self.name!r}: the exponent on {parameter!r} "
                                     f"must be a finite number, got {exponent!r}")

    def draw(self, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
        """The *n* patients' values (drawn from *rng* for a distribution)."""
        if hasattr(self.values, "rvs"):
            out = np.asarray(self.values.rvs(size=n, random_state=rng), dtype=float)
        elif isinstance(self.values, int | float) and not isinstance(self.values, bool):
            out = np.full(n, float(self.values))
        else:
            out = np.asarray(self.values, dtype=float)
            if out.shape != (n,):
                raise ParameterError(f"covariate {self.name!r}: give one value per patient "
                                     f"({n}), got shape {out.shape}")
        bad = ~(np.isfinite(out) & (out > 0))
        if bad.any():
            raise ParameterError(f"covariate {self.name!r}: values must be positive and "
                                 f"finite; patient {int(np.argmax(bad))} has "
                                 f"{out[bad][0]!r} (use a positive distribution such as a "
                                 "log-normal or truncated normal)")
        return out


def body_weight(values: Any = 70.0, *, reference: float = 70.0,
                effects: Mapping[str, float] | None = None) -> Covariate:
    """Body weight ``WT`` in kg: per-kg doses follow it, and *effects* scale parameters.

    >>> from scipy import stats
    >>> wt = body_weight(stats.lognorm(s=0.2, scale=70.0),
    ...                  effects={"mAb_central.volume": 1.0, "mAb.rate": -0.25})
    >>> wt.name, wt.unit, wt.scales_doses
    ('WT', 'kg', True)
    """
    return Covariate("WT", values, reference, dict(effects or {}), unit="kg",
                     scales_doses=True)


# --------------------------------------------------------------------------- result
@dataclass(frozen=True)
class Cohort:
    """A simulated virtual cohort.

    Attributes
    ----------
    patients : pandas.DataFrame
        One row per patient (index ``patient``): covariates, ``eta_<parameter>``, each
        varied parameter's value, every metric, ``status``, ``message`` and ``solver`` (the
        method that finished it); with conditional doses, ``n_skipped_doses``.
    trajectories : xarray.DataArray
        ``(patient, time, variable)``: every state and observable on the output grid (NaN
        for a failed patient), with ``units`` in ``attrs``.
    parameters : tuple of str
        The parameters with random effects (the order of *omega*).
    omega : ndarray
        The covariance matrix of the random effects.
    metrics : tuple of str
        Metric names (columns of *patients*).
    units : mapping of str to str
        Unit of each variable.
    time_unit : str
        Unit of the time axis.
    seed : int or None
        The seed the cohort was drawn with.
    """

    patients: pd.DataFrame
    trajectories: xr.DataArray
    parameters: tuple[str, ...]
    omega: NDArray[np.float64]
    metrics: tuple[str, ...]
    units: Mapping[str, str]
    time_unit: str
    seed: int | None

    @property
    def n_failed(self) -> int:
        """Patients whose simulation failed or whose parameters were invalid."""
        return int(np.sum(self.patients["status"].to_numpy() != OK))

    def bands(self, variables: Sequence[str] | None = None, *, low: float = 0.05,
              high: float = 0.95) -> pd.DataFrame:
        """Median and a prediction band of each variable over time, across patients.

        Failed patients are left out (their count is in column ``n``).

        Returns
        -------
        pandas.DataFrame
            Tidy: ``time``, ``variable``, ``unit``, ``p05``, ``median``, ``p95`` (named after
            *low* and *high*), ``n`` (patients used).
        """
        if not 0.0 <= low < 0.5 < high <= 1.0:
            raise ParameterError(f"need 0 <= `low` < 0.5 < `high` <= 1, got {low!r}, {high!r}")
        names = list(self.trajectories["variable"].values) if variables is None else list(
            variables)
        known = set(self.trajectories["variable"].values.tolist())
        for name in names:
            if name not in known:
                raise ParameterError(f"no variable {name!r} in this cohort. "
                                     f"{suggest(name, known)}")
        ok = self.patients["status"].to_numpy() == OK
        data = self.trajectories.sel(variable=names).values[ok]  # (patients, time, var)
        lo_name, hi_name = _percent(low), _percent(high)
        time = self.trajectories["time"].values
        frames = []
        for j, name in enumerate(names):
            x = data[:, :, j]
            if x.shape[0]:
                q = np.quantile(x, [low, 0.5, high], axis=0)
            else:
                q = np.full((3, len(time)), np.nan)
            frames.append(pd.DataFrame({"time": time, "variable": name,
                                        "unit": self.units.get(name, ""), lo_name: q[0],
                                        "median": q[1], hi_name: q[2], "n": x.shape[0]}))
        return pd.concat(frames, ignore_index=True)

    def responder_fraction(self, criterion: Callable[[pd.DataFrame], Any] | None = None, *,
                           metric: str | None = None, below: float | None = None,
                           above: float | None = None) -> float:
        """The fraction of (successfully simulated) patients who respond.

        Give a *metric* and a threshold (``below``: responders have metric < below;
        ``above``: metric > above), or a *criterion* taking the patient table and returning
        one boolean per patient. Failed patients are left out of numerator and denominator.

        Raises
        ------
        ParameterError
            For an unknown metric, a missing or doubled threshold, or a criterion that does
            not return one boolean per patient.
        """
        ok = self.patients["status"].to_numpy() == OK
        if criterion is not None:
            if metric is not None or below is not None or above is not None:
                raise ParameterError("give a `criterion` or a `metric` with a threshold, not "
                                     "both")
            flags = np.asarray(criterion(self.patients))
            if flags.shape != (len(self.patients),) or flags.dtype != bool:
                raise ParameterError(f"`criterion` must return one boolean per patient "
                                     f"({len(self.patients)}), got {flags.dtype} of shape "
                                     f"{flags.shape}")
        else:
            if metric not in self.metrics:
                raise ParameterError(f"no metric {metric!r} in this cohort. "
                                     f"{suggest(str(metric), self.metrics)}")
            if (below is None) == (above is None):
                raise ParameterError("give exactly one of `below` and `above`")
            values = self.patients[metric].to_numpy(dtype=float)
            flags = values < below if below is not None else values > float(above or 0.0)
        if not ok.any():
            return math.nan
        return float(np.mean(flags[ok]))

    def timecourse(self, patient: int) -> TimeCourse:
        """One patient's trajectories as a :class:`~cytosim.result.TimeCourse` (for
        :func:`cytosim.exposure` or plots)."""
        if not 0 <= patient < len(self.patients):
            raise ParameterError(f"`patient` must be within 0..{len(self.patients) - 1}, got "
                                 f"{patient!r}")
        names = tuple(str(v) for v in self.trajectories["variable"].values)
        status = str(self.patients["status"].iloc[patient])
        values = np.array(self.trajectories.values[patient], dtype=float)
        return TimeCourse(t=np.array(self.trajectories["time"].values, dtype=float),
                          values=values, names=names,
                          units=tuple(self.units.get(n, "") for n in names),
                          n_states=int(self.trajectories.attrs["n_states"]),
                          time_unit=self.time_unit, status=0 if status == OK else -1,
                          message=str(self.patients["message"].iloc[patient]) or status,
                          provenance={"model": self.trajectories.attrs.get("model", ""),
                                      "patient": patient, "seed": self.seed})


def _percent(q: float) -> str:
    return f"p{100 * q:02.0f}" if abs(100 * q - round(100 * q)) < 1e-9 else f"p{100 * q:g}"


# --------------------------------------------------------------------------- the cohort
@dataclass(frozen=True)
class _Timed:
    """Already-prepared schedules and events, as one intervention."""

    items: tuple[Any, ...]

    def prepare(self, network: Network) -> tuple[Network, list[Any]]:
        return network, list(self.items)


def virtual_cohort(network: Network, interventions: Sequence[Any] = (), *, n: int,
                   omega: Mapping[str, float] | ArrayLike | pd.DataFrame | None = None,
                   cv: Mapping[str, float] | None = None,
                   parameters: Sequence[str] | None = None,
                   covariates: Sequence[Covariate] = (), seed: int | None = 0, t_end: Any,
                   t_start: Any = 0.0, n_points: int = 201,
                   metrics: Sequence[str | Callable[..., Any]] = (), method: str = "dopri5",
                   rtol: float = 1e-6, atol: float = 1e-9, **sweep_options: Any) -> Cohort:
    """Simulate one regimen over *n* virtual patients with inter-individual variability.

    Parameters
    ----------
    network : Network
        The model.
    interventions : sequence
        The regimen: doses, schedules, therapy presets, graph transformations (as in
        :func:`~cytosim.simulate`); applied first, so their parameters can vary.
    n : int
        Number of patients.
    omega : mapping, square array or DataFrame, optional
        Covariance of the log-scale random effects: ``{parameter: variance}`` (diagonal), a
        matrix with *parameters* naming its rows, or a DataFrame indexed and labelled by
        parameter names.
    cv : mapping, optional
        ``{parameter: CV in percent}`` instead of *omega* (diagonal; ``omega**2 =
        ln(1 + CV**2)``).
    parameters : sequence of str, optional
        Row names of an array *omega*.
    covariates : sequence of Covariate
        Patient covariates (:func:`body_weight`...), drawn after the random effects from
        independent seeded streams.
    seed : int or None
        Seeds the random effects and covariate draws: the same seed gives the same cohort.
    t_end, t_start, n_points, metrics, method, rtol, atol
        As in :func:`~cytosim.sweep` (metrics such as ``"final:X"``, ``"auc:X"``).
    **sweep_options
        Passed to :func:`~cytosim.sweep` (``backend``, ``workers``, ``chunk_size``,
        ``store``, ``max_steps``, ``progress``...).

    Returns
    -------
    Cohort

    Raises
    ------
    ParameterError
        For neither or both of *omega* and *cv*, an unknown or derived parameter name, or
        an invalid omega, covariate or option (including a per-kg infusion given a fixed
        ``rate`` when the weight varies: give its ``duration``).
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ParameterError(f"`n` must be a positive integer, got {n!r}")
    for reserved in ("design", "trajectories", "interventions", "space", "n"):
        if reserved in sweep_options:
            raise ParameterError(f"`{reserved}` is set by virtual_cohort; it cannot be passed "
                                 "to the sweep")
    names, matrix = _omega(omega, cv, parameters)
    prepared, timed = prepare(list(interventions), network)
    pop = _population_values(prepared, [*names, *(p for c in covariates for p in c.effects)])
    cov_names = [c.name for c in covariates]
    if len(set(cov_names)) != len(cov_names):
        raise ParameterError(f"covariate names must be unique, got {cov_names}")
    streams = np.random.SeedSequence(seed).spawn(1 + len(covariates))
    eta = sample_etas(matrix, n, np.random.default_rng(streams[0])) if names else np.empty(
        (n, 0))
    drawn = {c.name: c.draw(n, np.random.default_rng(s))
             for c, s in zip(covariates, streams[1:], strict=True)}
    varied = list(dict.fromkeys([*names, *(p for c in covariates for p in c.effects)]))
    if not varied:
        raise ParameterError("nothing varies between patients: give `omega` or `cv`, or "
                             "covariates with `effects`")
    # products rather than exp(sum of logs): a patient without variability gets the
    # population value exactly (exp(0) = 1 and 1 ** beta = 1)
    theta = {p: np.full(n, pop[p]) for p in varied}
    for j, p in enumerate(names):
        theta[p] = theta[p] * np.exp(eta[:, j])
    for c in covariates:
        for p, exponent in c.effects.items():
            theta[p] = theta[p] * (drawn[c.name] / c.reference) ** exponent
    design = pd.DataFrame(theta)
    clash = sorted(set(sweep_options.get("params") or {}) & set(varied))
    if clash:
        raise ParameterError(f"`params` fixes {clash}, which vary between patients; change "
                             "the population value on the network instead")
    table = pd.DataFrame({**drawn, **{f"eta_{p}": eta[:, j] for j, p in enumerate(names)}})
    table = pd.concat([table, design], axis=1)
    table.index.name = "patient"

    weight = next((c for c in covariates if c.scales_doses), None)
    if weight is not None and weight_scaled_doses(timed):  # per-kg doses follow the weight
        design[WEIGHT] = drawn[weight.name]
    from .sweeps import Values, sweep

    space = {p: Values([pop[p]]) for p in varied}
    if weight is not None and WEIGHT in design:
        space[WEIGHT] = Values([weight.reference])  # the points are the design's rows
    ds = sweep(prepared, space, design=design, seed=seed, t_end=t_end, t_start=t_start,
               n_points=n_points, metrics=metrics, trajectories=True, method=method,
               rtol=rtol, atol=atol, interventions=[_Timed(tuple(timed))], **sweep_options)
    time = ds["time"].values
    variables = [str(v) for v in ds["variable"].values]
    trajectory = np.asarray(ds["trajectory"].values, dtype=float)
    metric_values = {str(name): ds[name].values for name in ds.data_vars
                     if name not in _BOOKKEEPING}
    status, message, solver = ds["status"].values, ds["message"].values, ds["solver"].values
    attrs = dict(ds.attrs)
    for name, values in metric_values.items():
        table[name] = values
    table["status"] = status.astype(str)
    table["message"] = message.astype(str)
    table["solver"] = solver.astype(str)
    if "n_skipped_doses" in ds:
        table["n_skipped_doses"] = ds["n_skipped_doses"].values
    system = compile_network(prepared)
    units = dict(zip(system.state_names + system.observable_names,
                     system.state_units + system.observable_units, strict=True))
    array = xr.DataArray(trajectory, dims=("patient", "time", "variable"),
                         coords={"patient": np.arange(n), "time": time, "variable": variables},
                         attrs={"units": repr(units), "time_unit": system.time_unit,
                                "n_states": system.n_states, "model": attrs.get("model", ""),
                                "seed": -1 if seed is None else seed})
    return Cohort(patients=table, trajectories=array, parameters=tuple(names), omega=matrix,
                  metrics=tuple(metric_values), units=units, time_unit=system.time_unit,
                  seed=seed)


# --------------------------------------------------------------------------- helpers
def _omega(omega: Any, cv: Mapping[str, float] | None, parameters: Sequence[str] | None
           ) -> tuple[list[str], NDArray[np.float64]]:
    """Parameter names and the omega matrix from the accepted forms."""
    if omega is not None and cv is not None:
        raise ParameterError("give `omega` (variances) or `cv` (percent), not both")
    if cv is not None:
        if not isinstance(cv, Mapping):
            raise ParameterError(f"`cv` must map parameter names to CV%, got "
                                 f"{type(cv).__name__}")
        names = [str(k) for k in cv]
        return names, np.diag([omega_from_cv(v) for v in cv.values()]).reshape(
            len(names), len(names))
    if omega is None:
        return [], np.zeros((0, 0))
    if isinstance(omega, pd.DataFrame):
        if parameters is not None:
            raise ParameterError("a DataFrame `omega` names its parameters; do not also give "
                                 "`parameters`")
        if list(omega.index) != list(omega.columns):
            raise ParameterError("a DataFrame `omega` needs the same parameter names, in the "
                                 "same order, as index and columns")
        return [str(c) for c in omega.columns], omega.to_numpy(dtype=float)
    if isinstance(omega, Mapping):
        if parameters is not None:
            raise ParameterError("a mapping `omega` names its parameters; do not also give "
                                 "`parameters`")
        for name, value in omega.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or not (
                    math.isfinite(value) and value >= 0):
                raise ParameterError(f"the variance of {name!r} in `omega` must be a finite "
                                     f"number >= 0, got {value!r}")
        names = [str(k) for k in omega]
        return names, np.diag([float(v) for v in omega.values()]).reshape(len(names),
                                                                         len(names))
    matrix = np.atleast_2d(np.asarray(omega, dtype=float))
    if parameters is None or len(parameters) != matrix.shape[0]:
        raise ParameterError(f"an array `omega` of shape {matrix.shape} needs `parameters` "
                             "naming its rows, one name per row")
    sample_etas(matrix, 1, 0)  # validates shape, symmetry and semi-definiteness
    return [str(p) for p in parameters], matrix


def _population_values(network: Network, names: Sequence[str]) -> dict[str, float]:
    values = network.parameter_values()
    aliases = network.parameter_aliases()
    out: dict[str, float] = {}
    for name in names:
        canonical = aliases.get(name, name)
        if canonical in values:
            value = float(values[canonical])
            if not value > 0:
                raise ParameterError(f"{name!r} = {value:g}: a log-normal parameter needs a "
                                     "positive population value")
            out[name] = value
            continue
        derived = compile_network(network).derived_params
        if canonical in derived:
            raise ParameterError(f"{name!r} is a derived name; give variability on "
                                 f"{derived[canonical][0]!r} (a log-normal half-life is a "
                                 "log-normal rate with the same variance)")

        raise ParameterError(f"unknown parameter {name!r} (after the interventions). "
                             f"{suggest(name, [*values, *aliases])}")
    return out
