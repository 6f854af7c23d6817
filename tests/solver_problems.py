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


# ----------------------------------------------------------------------------- stiff problems
# Two more structures for the stiff solver's tests (tests/test_stiff_solvers.py); the stiff
# Van der Pol oscillator is a parameter set of ``planar``.

QUADRATIC_TERMS = ("a1", "a2", "a3", "b11", "b12", "b13", "b22", "b23", "b33")


def quadratic3_network() -> cs.Network:
    """Three states with quadratic right-hand sides and a decaying forcing:

    ``dy_i/dt = c + g*exp(-w*t) + sum_j a_j*y_j + sum_{j<=k} b_jk*y_j*y_k`` with parameters
    ``y<i>.c``, ``y<i>.g``, ``y<i>.w``, ``y<i>.a1``... ``y<i>.b33`` (all zero by default).
    Chemical kinetics of up to bimolecular reactions (Robertson, the Oregonator), linear
    systems and the Prothero-Robinson equation are parameter sets of it. The forcing makes
    the right-hand side depend on ``t`` (the stiff solver then takes ``df/dt``); it is
    exactly zero when ``g = 0``.
    """
    net = cs.Network("quadratic3", time_unit="s")
    for i in (1, 2, 3):
        net.add_cell(f"y{i}", initial=0.0)
    monomials = " + ".join(f"{name} * " + ("*".join(f"y{k}" for k in name[1:])
                                           if name[0] == "b" else f"y{name[1]}")
                           for name in QUADRATIC_TERMS)
    for i in (1, 2, 3):
        net.add_term(f"y{i}", f"c + g * exp(-w * t) + {monomials}",
                     params={name: 0.0 for name in ("c", "g", "w", *QUADRATIC_TERMS)},
                     lower_bounds={name: FREE for name in ("c", "g", *QUADRATIC_TERMS)})
    return net


def hires_network() -> cs.Network:
    """HIRES, "high irradiance responses" of photomorphogenesis (Schaefer 1975), 8 states.

    Equations and initial values as in Hairer & Wanner, Solving ODEs II (1996), sec. IV.10,
    and the Test Set for IVP Solvers (Mazzia & Magherini), problem HIRES.
    """
    net = cs.Network("hires", time_unit="s")
    for i in range(1, 9):
        net.add_cell(f"y{i}", initial=0.0057 if i == 8 else float(i == 1))
    rates = {
        "y1": "-1.71 * y1 + 0.43 * y2 + 8.32 * y3 + 0.0007",
        "y2": "1.71 * y1 - 8.75 * y2",
        "y3": "-10.03 * y3 + 0.43 * y4 + 0.035 * y5",
        "y4": "8.32 * y2 + 1.71 * y3 - 1.12 * y4",
        "y5": "-1.745 * y5 + 0.43 * y6 + 0.43 * y7",
        "y6": "-280 * y6 * y8 + 0.69 * y4 + 1.71 * y5 - 0.43 * y6 + 0.69 * y7",
        "y7": "280 * y6 * y8 - 1.81 * y7",
        "y8": "-280 * y6 * y8 + 1.81 * y7",
    }
    for node, formula in rates.items():
        net.add_term(node, formula)
    return net


def _quadratic(**rates: Mapping[str, float]) -> dict[str, float]:
    """Parameter values by stable name from ``y1={"a1": ...}``-style keyword arguments."""
    return {f"{node}.{name}": value for node, terms in rates.items()
            for name, value in terms.items()}


def linear_exact(matrix: FloatArray, y0: tuple[float, ...]) -> Callable[[FloatArray], FloatArray]:
    """Solution ``expm(t*matrix) @ y0`` of ``dy/dt = matrix @ y``, shape ``(len(t), n)``."""
    values, vectors = np.linalg.eig(matrix)
    weights = np.linalg.solve(vectors, np.asarray(y0))
    return lambda t: np.real((vectors * weights) @ np.exp(np.outer(values, t))).T


# dy/dt = M y with eigenvalues -1, -1e2, -1e4 (stiffness ratio 1e4) and a non-normal M
_EIGENVECTORS = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 2.0]])
STIFF_MATRIX = _EIGENVECTORS @ np.diag([-1.0, -1e2, -1e4]) @ np.linalg.inv(_EIGENVECTORS)
STIFF_LINEAR = Problem(
    "stiff_linear", "quadratic3",
    _quadratic(**{f"y{i + 1}": {f"a{j + 1}": STIFF_MATRIX[i, j] for j in range(3)}
                  for i in range(3)}),
    (1.0, 2.0, 3.0), (0.0, 5.0), linear_exact(STIFF_MATRIX, (1.0, 2.0, 3.0)))
PR_LAMBDA = -1e6
PROTHERO_ROBINSON = Problem(  # dy/dt = lambda (y - e^-t) - e^-t, exact y = e^-t
    "prothero_robinson", "quadratic3",
    _quadratic(y1={"a1": PR_LAMBDA, "g": -PR_LAMBDA - 1.0, "w": 1.0}),
    (1.0, 0.0, 0.0), (0.0, 5.0),
    lambda t: np.column_stack([np.exp(-np.asarray(t)), 0 * t, 0 * t]))
ROBERTSON = Problem(  # Robertson (1966): y1 -> y2, 2 y2 -> y2 + y3, y2 + y3 -> y1 + y3
    "robertson", "quadratic3",
    _quadratic(y1={"a1": -0.04, "b23": 1e4}, y2={"a1": 0.04, "b22": -3e7, "b23": -1e4},
               y3={"b22": 3e7}),
    (1.0, 0.0, 0.0), (0.0, 1e5))
OREGONATOR = Problem(  # Field & Noyes (1974), Hairer & Wanner II, sec. IV.1
    "oregonator", "quadratic3",
    _quadratic(y1={"a1": 77.27, "a2": 77.27, "b11": -77.27 * 8.375e-6, "b12": -77.27},
               y2={"a2": -1 / 77.27, "a3": 1 / 77.27, "b12": -1 / 77.27},
               y3={"a1": 0.161, "a3": -0.161}),
    (1.0, 2.0, 3.0), (0.0, 360.0))
STIFF_VAN_DER_POL = Problem(  # mu = 1000: dx = y, dy = mu*(1 - x^2)*y - x
    "stiff_van_der_pol", "planar", {"x.a2": 1.0, "y.b1": -1.0, "y.b2": 1e3, "y.b4": -1e3},
    (2.0, 0.0), (0.0, 2000.0))
HIRES = Problem("hires", "hires", {}, (1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0057),
                (0.0, 321.8122))

# Published values (time, state) of the Test Set for IVP Solvers (Mazzia & Magherini,
# release 2.4: problems ROBER, OREGO, HIRES and VDPOL, computed with RADAU5 at tolerances
# near 1e-18 in extended precision) and of Hairer & Wanner II, sec. IV.1 (Robertson at
# t = 40, 10 digits).
PUBLISHED = {
    "robertson": (40.0, (0.7158270687, 9.185534764e-6, 0.2841637457)),
    "oregonator": (360.0, (0.1000814870318523e1, 0.1228178521549917e4,
                           0.1320554942846706e3)),
    "hires": (321.8122, (0.7371312573325668e-3, 0.1442485726316185e-3,
                         0.5888729740967575e-4, 0.1175651343283149e-2,
                         0.2386356198831331e-2, 0.6238968252742796e-2,
                         0.2849998395185769e-2, 0.2850001604814231e-2)),
    "stiff_van_der_pol": (2000.0, (0.1706167732170469e1, -0.8928097010248125e-3)),
}


def radau_reference(system: cs.OdeSystem, problem: Problem, t_out: FloatArray,
                    rtol: float = 1e-12) -> FloatArray:
    """scipy's Radau (an independent implicit method of order 5) at *rtol* with the
    analytic Jacobian and an absolute tolerance 1e-6 * rtol of each state's scale."""
    p = problem.p(system)
    scale = np.array(PUBLISHED[problem.name][1]) if problem.name in PUBLISHED else 1.0
    atol = 1e-6 * rtol * np.maximum(np.abs(scale), 1e-12)
    sol = solve_ivp(lambda t, y: system.rhs(t, y, p), problem.t_span, problem.y0,
                    method="Radau", t_eval=t_out, rtol=rtol, atol=atol,
                    jac=lambda t, y: system.jac_dense(t, y, p))
    assert sol.success, sol.message
    return np.asarray(sol.y.T)
