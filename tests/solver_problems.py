"""Initial-value problems for the ensemble solvers, each with its exact or reference solution.

Two model structures cover every problem, so the solver tests compile only two kernels
(each costs seconds of numba compilation); the problems differ in parameter values only:

- ``scalar``: ``dy/dt = a*y + b*y**2``, a Bernoulli equation with the exact solution in
  :func:`bernoulli_exact`. ``a > 0, b < 0`` is logistic growth to ``-a/b``; ``a < 0,
  b = 0`` is exponential decay; ``a = 0, b > 0`` blows up at ``t = 1/(b*y0)``; logistic
  growth with a large ``a`` is stiff near its plateau.
- ``planar``: ``dx/dt = a1*x + a2*y + a3*x*y`` and ``dy/dt = b1*x + b2*y + b3*x*y +
  b4*x**2*y``: the harmonic oscillator (exact solution :func:`oscillator_exact`),
  Lotka-Volterra and Van der Pol (no closed form: reference from scipy's DOP853 at
  rtol 1e-12, :func:`reference_solution`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.integrate import solve_ivp

import cytosim as cs

FloatArray = NDArray[np.float64]
FREE = -math.inf  # lower bound of a coefficient that may take any sign


def scalar_network() -> cs.Network:
    """``dy/dt = a*y + b*y**2`` with parameters ``y.a`` and ``y.b``."""
    net = cs.Network("scalar_quadratic", time_unit="h")
    net.add_cell("y", initial=1.0)
    net.add_term("y", "a * y + b * y^2", params={"a": 1.0, "b": -0.1},
                 lower_bounds={"a": FREE, "b": FREE})
    return net


def planar_network() -> cs.Network:
    """Planar polynomial system with parameters ``x.a1..x.a3`` and ``y.b1..y.b4``."""
    net = cs.Network("planar_polynomial", time_unit="h")
    net.add_cell("x", initial=1.0)
    net.add_cell("y", initial=0.0)
    net.add_term("x", "a1 * x + a2 * y + a3 * x * y",
                 params={"a1": 0.0, "a2": 1.0, "a3": 0.0},
                 lower_bounds={"a1": FREE, "a2": FREE, "a3": FREE})
    net.add_term("y", "b1 * x + b2 * y + b3 * x * y + b4 * x^2 * y",
                 params={"b1": -1.0, "b2": 0.0, "b3": 0.0, "b4": 0.0},
                 lower_bounds={"b1": FREE, "b2": FREE, "b3": FREE, "b4": FREE})
    return net


def bernoulli_exact(t: FloatArray, y0: float, a: float, b: float) -> FloatArray:
    """Solution of ``dy/dt = a*y + b*y**2``, ``y(0) = y0``, shape ``(len(t), 1)``.

    With ``u = 1/y`` the equation is linear, ``du/dt = -a*u - b``, hence
    ``y = a*y0*e^(a t) / (a - b*y0*(e^(a t) - 1))`` (written with ``e^(-a t)`` for
    ``a > 0`` so it does not overflow) and ``y = y0 / (1 - b*y0*t)`` for ``a = 0``.
    """
    t = np.asarray(t, dtype=np.float64)
    if a == 0.0:
        y = y0 / (1.0 - b * y0 * t)
    elif a > 0.0:
        y = a * y0 / (a * np.exp(-a * t) + b * y0 * np.expm1(-a * t))
    else:
        y = a * y0 * np.exp(a * t) / (a - b * y0 * np.expm1(a * t))
    return y[:, None]


def oscillator_exact(t: FloatArray, y0: tuple[float, float], w: float) -> FloatArray:
    """Solution of ``dx/dt = w*y, dy/dt = -w*x``, shape ``(len(t), 2)``."""
    t = np.asarray(t, dtype=np.float64)
    c, s = np.cos(w * t), np.sin(w * t)
    return np.column_stack([y0[0] * c + y0[1] * s, -y0[0] * s + y0[1] * c])


@dataclass(frozen=True)
class Problem:
    """One member: a model structure, parameter values by stable name, y0 and a span."""

    name: str
    model: str  # "scalar" or "planar"
    params: Mapping[str, float]
    y0: tuple[float, ...]
    t_span: tuple[float, float]
    exact: Callable[[FloatArray], FloatArray] | None = field(default=None, repr=False)

    def p(self, system: cs.OdeSystem) -> FloatArray:
        return system.param_vector(self.params)


def _logistic(name: str, rate: float, capacity: float, y0: float, t1: float) -> Problem:
    a, b = rate, -rate / capacity
    return Problem(name, "scalar", {"y.a": a, "y.b": b}, (y0,), (0.0, t1),
                   lambda t: bernoulli_exact(t, y0, a, b))


LOGISTIC = _logistic("logistic", rate=1.0, capacity=10.0, y0=0.5, t1=10.0)
DECAY = Problem("decay", "scalar", {"y.a": -2.0, "y.b": 0.0}, (3.0,), (0.0, 5.0),
                lambda t: bernoulli_exact(t, 3.0, -2.0, 0.0))
BLOW_UP = Problem("blow_up", "scalar", {"y.a": 0.0, "y.b": 1.0}, (1.0,), (0.0, 2.0),
                  lambda t: bernoulli_exact(t, 1.0, 0.0, 1.0))  # singular at t = 1
STIFF_LOGISTIC = _logistic("stiff_logistic", rate=1000.0, capacity=1.0, y0=0.5, t1=2.0)
OSCILLATOR = Problem("oscillator", "planar", {"x.a2": 2.0, "y.b1": -2.0}, (1.0, 0.5),
                     (0.0, 10.0), lambda t: oscillator_exact(t, (1.0, 0.5), 2.0))
LOTKA_VOLTERRA = Problem(  # prey x, predator y: dx = 1.5x - xy, dy = xy - 3y
    "lotka_volterra", "planar",
    {"x.a1": 1.5, "x.a2": 0.0, "x.a3": -1.0, "y.b1": 0.0, "y.b2": -3.0, "y.b3": 1.0},
    (10.0, 5.0), (0.0, 5.0))
VAN_DER_POL = Problem(  # mu = 1: dx = y, dy = mu*(1 - x^2)*y - x
    "van_der_pol", "planar", {"x.a2": 1.0, "y.b1": -1.0, "y.b2": 1.0, "y.b4": -1.0},
    (2.0, 0.0), (0.0, 10.0))

EXACT_PROBLEMS = (LOGISTIC, DECAY, OSCILLATOR)
REFERENCE_PROBLEMS = (LOTKA_VOLTERRA, VAN_DER_POL)
SMOOTH_PROBLEMS = (LOGISTIC, DECAY, OSCILLATOR, LOTKA_VOLTERRA, VAN_DER_POL)


def reference_solution(system: cs.OdeSystem, problem: Problem, t_out: FloatArray
                       ) -> FloatArray:
    """The exact solution, or scipy's DOP853 at rtol 1e-12, atol 1e-14 (an independent
    8th-order implementation; its error is orders below the tolerances tested here)."""
    if problem.exact is not None:
        return problem.exact(t_out)
    p = problem.p(system)
    sol = solve_ivp(lambda t, y: system.rhs(t, y, p), problem.t_span, problem.y0,
                    method="DOP853", t_eval=t_out, rtol=1e-12, atol=1e-14)
    assert sol.success, sol.message
    return np.asarray(sol.y.T)
