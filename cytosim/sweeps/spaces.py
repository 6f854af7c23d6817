"""Parameter spaces and designs: what a sweep varies and which points it visits.

A *space* maps names (stable parameter names, aliases, derived names such as
``TNF.half_life``, or node names for initial values) to a dimension:

- :class:`Range` ``(lo, hi, scale="linear"|"log")``: a continuous interval;
- :class:`Values` ``([...])``: an explicit list (a grid dimension, or sampled uniformly);
- :class:`Relative` ``(fraction, scale=...)``: ``value * (1 +- fraction)`` around the model's
  value (log scale: ``value / (1+f)`` to ``value * (1+f)``);
- a frozen ``scipy.stats`` distribution: sampled through its inverse CDF.

A *design* turns a space into points: ``"grid"`` (full factorial; ``n`` points per continuous
dimension), ``"lhs"`` (Latin hypercube), ``"sobol"`` (the first ``n`` points of a seeded,
scrambled Sobol sequence), ``"halton"``, ``"random"`` (seeded uniform), or a user DataFrame.
Quasi-random designs come from :mod:`scipy.stats.qmc`; a seeded design gives the same points on
every machine.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.stats import qmc

from ..exceptions import ParameterError

DESIGNS = ("grid", "lhs", "sobol", "halton", "random")


@dataclass(frozen=True)
class Range:
    """A continuous interval ``[lo, hi]``, uniform in value or in log(value).

    >>> Range(0.3, 2.0, scale="log").transform(np.array([0.0, 1.0])).round(3).tolist()
    [0.3, 2.0]
    """

    lo: float
    hi: float
    scale: str = "linear"

    def __post_init__(self) -> None:
        if self.scale not in ("linear", "log"):
            raise ParameterError(f"`scale` must be 'linear' or 'log', got {self.scale!r}")
        if not (math.isfinite(self.lo) and math.isfinite(self.hi)) or not self.lo < self.hi:
            raise ParameterError(f"a Range needs finite lo < hi, got ({self.lo!r}, {self.hi!r})")
        if self.scale == "log" and self.lo <= 0:
            raise ParameterError(f"a log-scale Range needs lo > 0, got {self.lo!r}")

    def transform(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        """Map unit-interval samples to the range."""
        if self.scale == "log":
            return np.exp(np.log(self.lo) + u * (np.log(self.hi) - np.log(self.lo)))
        return self.lo + u * (self.hi - self.lo)

    def grid(self, n: int) -> NDArray[np.float64]:
        return self.transform(np.linspace(0.0, 1.0, n))


@dataclass(frozen=True)
class Values:
    """An explicit list of values."""

    values: tuple[float, ...]

    def __init__(self, values: Sequence[float]):
        object.__setattr__(self, "values", tuple(float(v) for v in values))
        if not self.values:
            raise ParameterError("`Values` needs at least one value")

    def transform(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        index = np.minimum((u * len(self.values)).astype(int), len(self.values) - 1)
        return np.asarray(self.values)[index]

    def grid(self, n: int) -> NDArray[np.float64]:
        return np.asarray(self.values)


@dataclass(frozen=True)
class Relative:
    """``value * (1 - fraction)`` to ``value * (1 + fraction)`` around the model's value."""

    fraction: float
    scale: str = "linear"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.fraction) and self.fraction > 0):
            raise ParameterError(f"`fraction` must be > 0, got {self.fraction!r}")
        if self.scale == "linear" and self.fraction >= 1:
            raise ParameterError("a linear Relative needs fraction < 1 (values stay positive); "
                                 "use scale='log' for wider spans")

    def around(self, value: float) -> Range:
        if self.scale == "log":
            return Range(value / (1 + self.fraction), value * (1 + self.fraction), "log")
        return Range(value * (1 - self.fraction), value * (1 + self.fraction), "linear")


class _Distribution:
    """A frozen scipy.stats distribution, sampled by its inverse CDF."""

    def __init__(self, dist: Any):
        self.dist = dist

    def transform(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        # keep u strictly inside (0, 1) so unbounded distributions give finite values
        eps = np.finfo(float).eps
        return np.asarray(self.dist.ppf(np.clip(u, eps, 1 - eps)), dtype=float)

    def grid(self, n: int) -> NDArray[np.float64]:
        return self.transform((np.arange(n) + 0.5) / n)


def resolve_space(space: Mapping[str, Any], baseline: Mapping[str, float]
                  ) -> dict[str, Any]:
    """Normalise every dimension to an object with ``transform(u)`` and ``grid(n)``.

    *baseline* gives each name's model value (for :class:`Relative`).
    """
    if not space:
        raise ParameterError("the sweep space is empty: give at least one name -> dimension")
    out: dict[str, Any] = {}
    for name, dim in space.items():
        if isinstance(dim, Relative):
            value = baseline.get(name)
            if value is None or value <= 0:
                raise ParameterError(f"`Relative` for {name!r} needs a positive model value, "
                                     f"got {value!r}")
            out[name] = dim.around(value)
        elif isinstance(dim, Range | Values):
            out[name] = dim
        elif hasattr(dim, "ppf") and hasattr(dim, "rvs"):
            out[name] = _Distribution(dim)
        elif isinstance(dim, list | tuple | np.ndarray):
            out[name] = Values(list(dim))
        else:
            raise ParameterError(f"sweep dimension {name!r} must be a Range, Values, Relative, "
                                 f"a list of values or a frozen scipy.stats distribution, got "
                                 f"{type(dim).__name__}")
    return out


def design_points(space: Mapping[str, Any], n: int | None, design: str | pd.DataFrame,
                  seed: int | None) -> pd.DataFrame:
    """The points of a design, one row per point, one column per swept name."""
    names = list(space)
    if isinstance(design, pd.DataFrame):
        missing = [c for c in names if c not in design.columns]
        if missing:
            raise ParameterError(f"the design DataFrame lacks columns {missing}")
        return design[names].astype(float).reset_index(drop=True)
    if design not in DESIGNS:
        raise ParameterError(f"`design` must be one of {DESIGNS} or a DataFrame, got {design!r}")
    if design == "grid":
        axes = []
        for name in names:
            dim = space[name]
            if not isinstance(dim, Values) and (n is None or n < 2):
                raise ParameterError(f"a grid over the continuous dimension {name!r} needs "
                                     "`n` >= 2 points per dimension")
            axes.append(dim.grid(n or 0))
        rows = list(itertools.product(*axes))
        return pd.DataFrame(rows, columns=names, dtype=float)
    if n is None or isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ParameterError(f"`n` must be a positive integer, got {n!r}")
    d = len(names)
    if design == "sobol":
        # the first n points of a seeded scrambled sequence (n need not be a power of 2)
        sampler = qmc.Sobol(d, scramble=True, seed=seed)
        u = sampler.random_base2(math.ceil(math.log2(max(n, 1))))[:n]
    elif design == "halton":
        u = qmc.Halton(d, scramble=True, seed=seed).random(n)
    elif design == "lhs":
        u = qmc.LatinHypercube(d, seed=seed).random(n)
    else:
        u = np.random.default_rng(seed).random((n, d))
    columns = {name: space[name].transform(u[:, j]) for j, name in enumerate(names)}
    return pd.DataFrame(columns)
