"""Tests of cytosim.solvers.rodas: the compiled Rodas5P (Rosenbrock) ensemble integrator.

References: exact solutions (linear systems, the Prothero-Robinson equation), the published
values of the Test Set for IVP Solvers (Mazzia & Magherini: ROBER, OREGO, HIRES, VDPOL) and
of Hairer & Wanner II, sec. IV.1 (Robertson at t = 40), scipy's Radau at rtol 1e-12 with the
analytic Jacobian (the Van der Pol trajectory), scipy's DOP853 (one-step references for the
orders) and numpy's dense LU solver. Three model structures are compiled with the stiff
kernel (``quadratic3``, ``planar``, ``hires``; tests/solver_problems.py) and two with DOPRI5
(``quadratic3``, and ``planar``, shared with tests/test_solvers.py); every problem is a
parameter set of one of them.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy.integrate import solve_ivp

import cytosim as cs
from cytosim.solvers import _common, _loader, dopri5, rodas
from cytosim.solvers import _rodas_kernel as kernel
from cytosim.solvers import _shared_kernel as shared_kernel

from . import solver_problems as sp

# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def systems() -> dict[str, cs.OdeSystem]:
    return {"quadratic3": cs.compile_network(sp.quadratic3_network()),
            "planar": cs.compile_network(sp.planar_network()),
            "hires": cs.compile_network(sp.hires_network())}


def run(systems: dict[str, cs.OdeSystem], problems: list[sp.Problem] | tuple[sp.Problem, ...],
        t_out: np.ndarray | list[float], t_span: tuple[float, float] | None = None,
        method=rodas, **options: float) -> _common.EnsembleResult:  # type: ignore[no-untyped-def]
    """Integrate *problems* (one model structure) as one ensemble with *method*."""
    (model,) = {problem.model for problem in problems}
    system = systems[model]
    t0, t1 = t_span or problems[0].t_span
    y0 = np.array([problem.y0 for problem in problems])
    p = np.array([problem.p(system) for problem in problems])
    return method.integrate_ensemble(system, t0, t1, y0, p, t_out, **options)


def assert_same(a: _common.EnsembleResult, b: _common.EnsembleResult,
                rows: slice | np.ndarray = slice(None)) -> None:
    """Bit-identical results (exactness is the point: members are independent)."""
    for name in ("y", "status", "n_steps", "n_rejected", "n_rhs", "t_reached"):
        assert_array_equal(getattr(a, name)[rows], getattr(b, name), err_msg=name, strict=True)


def scaled_error(y: np.ndarray, reference: np.ndarray, rtol: float, atol: float) -> float:
    """Largest ``|y - ref| / (atol + rtol * |ref|)``: 1 is the size of one local tolerance."""
    return float(np.max(np.abs(y - reference) / (atol + rtol * np.abs(reference))))


def linear_problem(name: str, eigenvalues: tuple[float, float, float], y0=(1.0, 2.0, 3.0),
                   t_span: tuple[float, float] = (0.0, 40.0)) -> sp.Problem:
    """``dy/dt = M y`` with *eigenvalues* and the (non-normal) eigenvectors of STIFF_MATRIX."""
    vectors = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 2.0]])
    matrix = vectors @ np.diag(eigenvalues) @ np.linalg.inv(vectors)
    params = {f"y{i + 1}.a{j + 1}": matrix[i, j] for i in range(3) for j in range(3)}
    return sp.Problem(name, "quadratic3", params, y0, t_span, sp.linear_exact(matrix, y0))


EASY_LINEAR = linear_problem("easy_linear", (-0.05, -0.1, -0.2))
VERY_STIFF_LINEAR = linear_problem("very_stiff_linear", (-0.05, -1e3, -1e6))


# ----------------------------------------------------------------------------- coefficients


def standard_form(b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(alpha, Gamma, weights) of the method from its implementation form (Hairer & Wanner
    II, sec. IV.7: Gamma^-1 = diag(1/gamma) - C, alpha = A Gamma, b = m Gamma)."""
    diagonal = np.diag(np.full(kernel.RODAS_N_STAGES, 1 / kernel.RODAS_GAMMA))
    gamma = np.linalg.inv(diagonal - kernel.RODAS_COUPLING)
    return kernel.RODAS_A @ gamma, gamma, b @ gamma


def order_conditions(b: np.ndarray, alpha: np.ndarray, gamma: np.ndarray
                     ) -> list[tuple[float, float]]:
    """(value, required) for the 8 order conditions of Rosenbrock methods up to order 4
    (Hairer & Wanner II, table IV.7.1); beta = alpha + Gamma without its diagonal."""
    g = kernel.RODAS_GAMMA
    beta = alpha + gamma - np.diag(np.diag(gamma))
    a1, b1 = alpha.sum(axis=1), beta.sum(axis=1)
    return [(b.sum(), 1.0), (b @ b1, 1 / 2 - g),
            (b @ a1**2, 1 / 3), (b @ beta @ b1, 1 / 6 - g + g**2),
            (b @ a1**3, 1 / 4), (b @ (a1 * (alpha @ b1)), 1 / 8 - g / 3),
            (b @ beta @ a1**2, 1 / 12 - g / 3),
            (b @ beta @ beta @ b1, 1 / 24 - g / 2 + 3 * g**2 / 2 - g**3)]


def test_coefficients_are_consistent_as_data():
    A, COUPLING, B, E = kernel.RODAS_A, kernel.RODAS_COUPLING, kernel.RODAS_B, kernel.RODAS_E
    s = kernel.RODAS_N_STAGES
    assert A.shape == COUPLING.shape == (s, s)
    assert kernel.RODAS_DENSE.shape == (kernel.RODAS_N_DENSE, s)
    assert np.all(np.triu(A) == 0) and np.all(np.triu(COUPLING) == 0)  # linearly implicit
    alpha, gamma, _ = standard_form(B)
    # the published 16-17 digit decimals satisfy the relations to a few ulps of ~100 (the
    # size of the coupling coefficients; an ulp of 100 is 1.4e-14): 3 ulps, as the inverse
    # above differs in its last bits between linear-algebra builds (numpy 2.4: 1.2e-14)
    atol = 3 * np.spacing(100.0)
    assert_allclose(alpha.sum(axis=1), kernel.RODAS_C, rtol=0, atol=atol)  # stage times
    assert_allclose(gamma.sum(axis=1), kernel.RODAS_D, rtol=0, atol=atol)  # df/dt weights
    assert_allclose(np.diag(gamma), kernel.RODAS_GAMMA, rtol=1e-14)
    # stiffly accurate: the last stage's input is the embedded solution, the solution is
    # that plus the last solve, and the error estimate is the last solve alone
    assert_array_equal(B, A[-1] + np.eye(s)[-1])
    assert_array_equal(E, np.eye(s)[-1])  # the kernel reads the last solve as the estimate
    assert_array_equal(kernel.RODAS_C[-3:], 1.0)
    assert_array_equal(kernel.RODAS_D[-3:], 0.0)


@pytest.mark.parametrize("weights", ["solution", "embedded"])
def test_coefficients_satisfy_the_order_conditions_up_to_order_4(weights):
    """Both the solution (order 5) and the embedded solution (order 4) satisfy the eight
    conditions up to order 4; order 5 is checked by the step's convergence below."""
    m = kernel.RODAS_B if weights == "solution" else kernel.RODAS_B - kernel.RODAS_E
    alpha, gamma, b = standard_form(m)
    for i, (value, required) in enumerate(order_conditions(b, alpha, gamma)):
        assert value == pytest.approx(required, abs=1e-13), f"condition {i}"


def test_the_method_is_l_stable():
    """R(z) = 1 + z b (I - z B)^-1 1 with B = alpha + Gamma (Hairer & Wanner II, IV.7): |R| <= 1
    on the imaginary axis (A-stability: the poles 1/gamma lie in the right half-plane) and
    R(z) -> 0 as z -> -inf (stiff accuracy), here like 12.5 / |z|."""
    alpha, gamma, b = standard_form(kernel.RODAS_B)
    full = alpha + gamma
    ones = np.ones(kernel.RODAS_N_STAGES)

    def stability(z: complex) -> complex:
        return complex(1 + z * b @ np.linalg.solve(np.eye(kernel.RODAS_N_STAGES) - z * full, ones))

    for omega in np.logspace(-3, 8, 221):
        assert abs(stability(1j * omega)) <= 1 + 1e-12, omega
    for z in (-1e4, -1e8, -1e12):  # |R(z)| ~ 12.5 / |z|
        assert abs(stability(z)) < 20 / abs(z)


# ----------------------------------------------------------------------------- one step


def rodas_step(f, jac, dfdt, t: float, y: np.ndarray, h: float  # type: ignore[no-untyped-def]
               ) -> tuple[np.ndarray, np.ndarray]:
    """One step in numpy from the kernel's coefficients (not its code): (y_new, solves)."""
    M = np.eye(len(y)) / (kernel.RODAS_GAMMA * h) - jac(t, y)
    u = np.zeros((kernel.RODAS_N_STAGES, len(y)))
    for s in range(kernel.RODAS_N_STAGES):
        stage = y + kernel.RODAS_A[s, :s] @ u[:s]
        right = (f(t + kernel.RODAS_C[s] * h, stage) + kernel.RODAS_COUPLING[s, :s] @ u[:s] / h
                 + kernel.RODAS_D[s] * h * dfdt(t, y))
        u[s] = np.linalg.solve(M, right)
    return y + kernel.RODAS_B @ u, u


def interpolant(y: np.ndarray, y_new: np.ndarray, u: np.ndarray, theta: float) -> np.ndarray:
    q = kernel.RODAS_DENSE @ u
    return (1 - theta) * y + theta * (y_new + (1 - theta) * (q[0] + theta * (q[1] + theta * q[2])))


def slope(hs: np.ndarray, errors: list[float]) -> float:
    return float(np.polyfit(np.log(hs), np.log(errors), 1)[0])


# a smooth non-autonomous, nonlinear test problem with its derivatives
def _f(t, y):  # type: ignore[no-untyped-def]
    return np.array([-y[1] + 0.5 * y[0] * math.cos(t), y[0] - 0.3 * y[1] ** 2 + math.sin(t)])


def _jac(t, y):  # type: ignore[no-untyped-def]
    return np.array([[0.5 * math.cos(t), -1.0], [1.0, -0.6 * y[1]]])


def _dfdt(t, y):  # type: ignore[no-untyped-def]
    return np.array([-0.5 * y[0] * math.sin(t), math.cos(t)])


def test_local_errors_have_the_published_orders():
    """Local errors of one step shrink like h^(p+1): p = 5 for the solution, 4 for the
    embedded solution and 4 for the continuous extension (Steinebach 2023). Reference:
    DOP853 at rtol 1e-13 over the same step; slopes within 0.4 of the orders."""
    t, y = 0.3, np.array([1.0, 0.5])
    hs = np.array([0.4, 0.2, 0.1, 0.05])
    solution, embedded, dense = [], [], []
    for h in hs:
        exact = solve_ivp(_f, (t, t + h), y, method="DOP853", rtol=1e-13, atol=1e-15,
                          dense_output=True).sol
        y_new, u = rodas_step(_f, _jac, _dfdt, t, y, h)
        solution.append(np.max(np.abs(y_new - exact(t + h))))
        embedded.append(np.max(np.abs(y_new - u[-1] - exact(t + h))))
        dense.append(max(np.max(np.abs(interpolant(y, y_new, u, theta) - exact(t + theta * h)))
                         for theta in (0.25, 0.5, 0.75)))
    assert slope(hs, solution) == pytest.approx(6.0, abs=0.4), solution
    assert slope(hs, embedded) == pytest.approx(5.0, abs=0.4), embedded
    assert slope(hs, dense) == pytest.approx(5.0, abs=0.4), dense


def test_continuous_extension_keeps_its_order_on_a_stiff_problem():
    """Prothero-Robinson, y' = lambda (y - phi) + phi' with lambda = -1e6 and phi = e^-t: the
    step ends stay exact to 1e-9 and the interpolant's local error shrinks like h^4 (the
    RODAS coefficients of Hairer & Wanner drop to h^3 here, which is why Rodas5P is used)."""
    lam = -1e6

    def f(t, y):  # type: ignore[no-untyped-def]
        return lam * (y - math.exp(-t)) - math.exp(-t)

    hs = np.array([0.4, 0.2, 0.1, 0.05])
    ends, dense = [], []
    for h in hs:
        t = 1.0
        y = np.array([math.exp(-t)])
        y_new, u = rodas_step(f, lambda t, y: np.array([[lam]]),
                              lambda t, y: np.array([(lam + 1) * math.exp(-t)]), t, y, h)
        ends.append(abs(y_new[0] - math.exp(-t - h)))
        dense.append(max(abs(interpolant(y, y_new, u, theta)[0] - math.exp(-t - theta * h))
                         for theta in (0.25, 0.5, 0.75)))
    assert max(ends) < 1e-9
    assert slope(hs, dense) == pytest.approx(4.0, abs=0.3), dense
    assert dense[0] < 5e-6


# ----------------------------------------------------------------------------- linear algebra


@settings(max_examples=50, deadline=None)
@given(n=st.integers(1, 9), seed=st.integers(0, 2**32 - 1), diagonal=st.floats(1e-3, 1e6))
def test_lu_solves_like_numpy(n, seed, diagonal):
    """The kernel's LU with partial pivoting (run as plain Python) solves (d I - J) x = b
    like LAPACK, for a random sparse pattern J; relative residual-level agreement."""
    rng = np.random.default_rng(seed)
    dense = rng.normal(size=(n, n)) * (rng.random((n, n)) < 0.5) * rng.choice([1e-2, 1, 1e3])
    rows, cols = np.nonzero(dense.T)[::-1]  # column-major, like OdeSystem.rows / cols
    values = dense[rows, cols]
    lu = np.empty((n, n))
    pivot = np.empty(n, dtype=np.int64)
    matrix = diagonal * np.eye(n) - dense
    assert kernel.rodas_factor(values, rows, cols, diagonal, lu, pivot)
    b = rng.normal(size=n)
    x = b.copy()
    kernel.rodas_solve(lu, pivot, x)
    expected = np.linalg.solve(matrix, b)
    condition = np.linalg.cond(matrix)
    assert np.max(np.abs(x - expected)) <= 1e-13 * condition * np.max(np.abs(expected)) + 1e-300


def test_lu_reports_a_singular_matrix():
    # J = [[1, 1], [1, 1]] has the eigenvalue 2: 2 I - J is singular
    rows, cols = np.array([0, 1, 0, 1]), np.array([0, 0, 1, 1])
    assert not kernel.rodas_factor(np.ones(4), rows, cols, 2.0, np.empty((2, 2)),
                                   np.empty(2, dtype=np.int64))


# ----------------------------------------------------------------------------- accuracy

ATOL_PER_RTOL = {"robertson": 1e-8, "oregonator": 1.0, "hires": 1e-4, "stiff_van_der_pol": 1.0}
STIFF_PROBLEMS = [sp.ROBERTSON, sp.OREGONATOR, sp.HIRES, sp.STIFF_VAN_DER_POL]


@pytest.mark.parametrize("problem", STIFF_PROBLEMS, ids=lambda p: p.name)
def test_published_values_within_the_tolerance(systems, problem):
    """The global error at the published time stays within 3 local tolerances at rtol 1e-4
    ... 1e-10 (a global error may exceed the local tolerance a little; the published values
    are exact to 1e-15, Robertson's at t = 40 to 10 digits), and shrinks with rtol."""
    t_ref, y_ref = sp.PUBLISHED[problem.name]
    y_ref = np.array(y_ref)
    errors = []
    for rtol in (1e-4, 1e-6, 1e-8, 1e-10):
        atol = ATOL_PER_RTOL[problem.name] * rtol
        result = run(systems, [problem], [t_ref], t_span=(0.0, t_ref), rtol=rtol, atol=atol)
        assert result.status[0] == 0
        errors.append(scaled_error(result.y[0, 0], y_ref, rtol, atol) * rtol)
        assert errors[-1] <= 3 * rtol, (rtol, errors[-1] / rtol)
    assert errors[-1] < 1e-4 * errors[0]


def test_robertson_over_eleven_decades(systems):
    """Robertson from 0 to 1e11 (the test set's interval) in a few hundred steps: the values
    at t = 40 (Hairer & Wanner) and 1e11 (test set) within 3 tolerances, and the linear
    invariant y1 + y2 + y3 = 1 kept to rounding (Rosenbrock methods preserve it exactly in
    exact arithmetic; each step's rounding may move it by about an ulp of 1: 280 steps,
    measured drift 4e-15 to 1.1e-14 depending on how the solves round)."""
    rtol, atol = 1e-6, 1e-14
    t_out = np.array([0.0, 0.4, 40.0, 4e3, 4e5, 4e7, 4e9, 1e11])
    result = run(systems, [sp.ROBERTSON], t_out, t_span=(0.0, 1e11), rtol=rtol, atol=atol)
    assert result.status[0] == 0 and result.n_steps[0] < 400
    assert scaled_error(result.y[0, 2], np.array(sp.PUBLISHED["robertson"][1]), rtol,
                        atol) <= 3
    at_end = np.array([0.2083340149701255e-7, 0.8333360770334713e-13, 0.9999999791665050])
    assert scaled_error(result.y[0, -1], at_end, rtol, atol) <= 3
    assert_allclose(result.y[0].sum(axis=1), 1.0, rtol=0,
                    atol=result.n_steps[0] * np.spacing(1.0))


def test_van_der_pol_trajectory_against_radau(systems):
    """mu = 1000 over [0, 1000] (one relaxation jump, near t = 807): every output time
    within 5 local tolerances of scipy's Radau at rtol 1e-12 (its own error is below 1e-9
    here: it meets the test set's value at t = 2000 to 4e-10)."""
    problem = sp.STIFF_VAN_DER_POL
    system = systems[problem.model]
    t_out = np.linspace(0.0, 1000.0, 101)
    p = problem.p(system)
    reference = solve_ivp(lambda t, y: system.rhs(t, y, p), (0.0, 1000.0), problem.y0,
                          method="Radau", t_eval=t_out, rtol=1e-12, atol=1e-10,
                          jac=lambda t, y: system.jac_dense(t, y, p)).y.T
    for rtol in (1e-5, 1e-7):
        result = run(systems, [problem], t_out, t_span=(0.0, 1000.0), rtol=rtol, atol=rtol)
        assert result.status[0] == 0
        assert scaled_error(result.y[0], reference, rtol, rtol) <= 5


@pytest.mark.parametrize("problem", [sp.STIFF_LINEAR, VERY_STIFF_LINEAR], ids=lambda p: p.name)
def test_error_is_proportional_to_tolerance_on_stiff_linear_systems(systems, problem):
    """Exact solution (matrix exponential), 201 output times (interpolated): error <= rtol *
    max|y| and slope ~1 in rtol (atol = 1e-3 rtol: the relative part controls), for rtol
    from 1e-4 to 1e-9. Below, rounding sets the error: with eigenvalues up to 1e6, both
    the exact solution (numpy's inverse of the eigenvector matrix) and the solver's
    linear solves carry about 1e6 * 2.2e-16 = 2e-10 (measured at rtol 1e-10: 1.2e-10 of
    max|y| with numpy 2.4, more than rtol)."""
    t_out = np.linspace(*problem.t_span, 201)
    exact = problem.exact(t_out)
    rtols = 10.0 ** -np.arange(4, 10)
    errors = []
    for rtol in rtols:
        result = run(systems, [problem], t_out, rtol=rtol, atol=1e-3 * rtol)
        assert result.status[0] == 0
        errors.append(np.max(np.abs(result.y[0] - exact)))
    assert np.all(np.array(errors) <= rtols * np.max(np.abs(exact))), np.array(errors) / rtols
    assert 0.75 < slope(rtols, errors) < 1.2


def test_time_dependent_model_prothero_robinson(systems):
    """y' = lambda (y - e^-t) - e^-t, lambda = -1e6 (df/dt enters every stage): the step ends
    are exact to the tolerance. Between steps the interpolant's error is O(h^4) with steps
    of order 1 (the step ends alone set the step size), so `h_max` bounds it."""
    problem = sp.PROTHERO_ROBINSON
    system = systems[problem.model]
    assert not _common.is_autonomous(system)
    coarse = np.linspace(0.0, 5.0, 6)
    for rtol in (1e-4, 1e-6, 1e-8):
        result = run(systems, [problem], [5.0], rtol=rtol, atol=1e-3 * rtol)
        assert abs(result.y[0, 0, 0] - math.exp(-5.0)) <= rtol * math.exp(-5.0)
    fine = np.linspace(0.0, 5.0, 101)
    free = run(systems, [problem], fine, rtol=1e-6, atol=1e-9)
    capped = run(systems, [problem], fine, rtol=1e-6, atol=1e-9, h_max=0.05)
    error = np.abs(free.y[0, :, 0] - np.exp(-fine))
    assert free.n_steps[0] < 20 and np.max(error) < 1e-2
    assert np.max(np.abs(capped.y[0, :, 0] - np.exp(-fine))) <= 1e-6
    assert run(systems, [problem], coarse, h_max=0.05).n_steps[0] >= 100


def test_autonomy_is_detected(systems):
    assert _common.is_autonomous(systems["planar"]) and _common.is_autonomous(systems["hires"])
    assert not _common.is_autonomous(systems["quadratic3"])  # its forcing term uses t


# ----------------------------------------------------------------------------- against DOPRI5


def test_far_fewer_steps_than_dopri5_on_stiff_problems(systems):
    """Accepted steps at rtol 1e-6: DOPRI5's are limited by stability (a step below
    3.3 / |lambda_max|), Rodas5P's by accuracy only. Printed with ``pytest -s``."""
    cases = [(sp.ROBERTSON, (0.0, 40.0), 1e-12, 100),
             (sp.STIFF_VAN_DER_POL, (0.0, 300.0), 1e-6, 1000),
             (sp.OREGONATOR, (0.0, 360.0), 1e-6, 100)]
    for problem, t_span, atol, least_ratio in cases:
        stiff = run(systems, [problem], [t_span[1]], t_span=t_span, rtol=1e-6, atol=atol)
        explicit = run(systems, [problem], [t_span[1]], t_span=t_span, method=dopri5,
                       rtol=1e-6, atol=atol, max_steps=400_000)
        assert stiff.status[0] == 0
        ratio = (explicit.n_steps[0] + explicit.n_rejected[0]) / (stiff.n_steps[0]
                                                                   + stiff.n_rejected[0])
        print(f"\n{problem.name} on {t_span}: DOPRI5 {explicit.n_steps[0]} steps + "
              f"{explicit.n_rejected[0]} rejected ({_common.STATUS[explicit.status[0]]} at "
              f"t = {explicit.t_reached[0]:.4g}), Rodas5P {stiff.n_steps[0]} + "
              f"{stiff.n_rejected[0]}: ratio {ratio:.0f}")
        assert ratio >= least_ratio
    # the Oregonator is too stiff for DOPRI5 to finish within 400,000 steps
    assert explicit.status[0] == shared_kernel.MAX_STEPS_REACHED


# ----------------------------------------------------------------------------- ensembles

MIXED = [EASY_LINEAR, sp.ROBERTSON, VERY_STIFF_LINEAR, linear_problem("mild", (-0.1, -1, -10))]


def test_mixed_ensemble_controls_each_members_error(systems):
    """A very stiff member (eigenvalues to -1e6; Robertson) among easy ones: each keeps its
    own step size (the easy ones take few steps) and its own error, within 3 tolerances of
    its exact solution (Robertson: of the published value at t = 40)."""
    rtol, atol = 1e-6, 1e-10
    t_out = np.linspace(0.0, 40.0, 81)
    result = run(systems, MIXED, t_out, t_span=(0.0, 40.0), rtol=rtol, atol=atol)
    assert np.all(result.status == 0)
    for j, problem in enumerate(MIXED):
        if problem.exact is not None:
            assert scaled_error(result.y[j], problem.exact(t_out), rtol, atol) <= 3, j
    assert scaled_error(result.y[1, -1], np.array(sp.PUBLISHED["robertson"][1]), rtol,
                        atol) <= 3
    assert result.n_steps[0] < result.n_steps[3] < result.n_steps[2]
    for j, problem in enumerate(MIXED):
        assert_same(result, run(systems, [problem], t_out, t_span=(0.0, 40.0), rtol=rtol,
                                atol=atol), rows=slice(j, j + 1))


def robertson_ensemble(m: int, seed: int = 0) -> list[sp.Problem]:
    """*m* Robertson members with the three rates drawn log-uniformly within a factor 10."""
    rng = np.random.default_rng(seed)
    factors = np.exp(rng.uniform(-math.log(10), math.log(10), size=(m, 3)))
    members = []
    for j, (f1, f2, f3) in enumerate(factors):
        k1, k2, k3 = 0.04 * f1, 3e7 * f2, 1e4 * f3
        params = sp._quadratic(y1={"a1": -k1, "b23": k3}, y2={"a1": k1, "b22": -k2, "b23": -k3},
                               y3={"b22": k2})
        members.append(sp.Problem(f"robertson{j}", "quadratic3", params, sp.ROBERTSON.y0,
                                  (0.0, 40.0)))
    return members


def test_results_do_not_depend_on_ensemble_size(systems):
    members = robertson_ensemble(48)
    t_out = np.linspace(0.0, 40.0, 21)
    full = run(systems, members, t_out)
    assert np.all(full.status == 0) and len(set(full.n_steps.tolist())) > 10
    assert_same(full, run(systems, members[:5], t_out), rows=slice(0, 5))
    for j in (0, 17, 47):
        assert_same(full, run(systems, members[j:j + 1], t_out), rows=slice(j, j + 1))


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_results_do_not_depend_on_member_order(systems, seed):
    members = robertson_ensemble(16, seed=3)
    order = np.random.default_rng(seed).permutation(len(members))
    t_out = np.linspace(0.0, 40.0, 11)
    full = run(systems, members, t_out)
    assert_same(full, run(systems, [members[j] for j in order], t_out), rows=order)


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2,  # type: ignore[attr-defined]
                    reason="needs two threads")
def test_results_do_not_depend_on_threads(systems):
    members = robertson_ensemble(40, seed=1) + [VERY_STIFF_LINEAR]
    t_out = np.linspace(0.0, 40.0, 21)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = run(systems, members, t_out)
        numba.set_num_threads(2)
        two = run(systems, members, t_out)
    finally:
        numba.set_num_threads(before)
    assert_same(one, two)


# ----------------------------------------------------------------------------- failures

BLOW_UP = sp.Problem("blow_up", "quadratic3", sp._quadratic(y1={"b11": 1.0}), (1.0, 0.0, 0.0),
                     (0.0, 2.0))  # y1' = y1^2: y1 = 1 / (1 - t), singular at t = 1


def test_failures_are_recorded_per_member(systems):
    """A blow-up, a NaN parameter and an infinite initial value fail with their own status;
    the other members are untouched (bit-identical to running alone)."""
    system = systems["quadratic3"]
    members = [sp.ROBERTSON, BLOW_UP, sp.ROBERTSON, sp.ROBERTSON, EASY_LINEAR]
    y0 = np.array([m.y0 for m in members])
    p = np.array([m.p(system) for m in members])
    p[2, system.param_names.index("y1.a1")] = np.nan
    y0[3, 0] = np.inf
    t_out = np.linspace(0.0, 2.0, 41)
    result = rodas.integrate_ensemble(system, 0.0, 2.0, y0, p, t_out)
    assert result.status[[0, 4]].tolist() == [0, 0]
    assert result.status[1] in (kernel.STEP_SIZE_TOO_SMALL, kernel.NON_FINITE)
    assert abs(result.t_reached[1] - 1.0) < 1e-3
    after = t_out > result.t_reached[1]
    assert np.all(np.isnan(result.y[1, after])) and np.all(np.isfinite(result.y[1, ~after]))
    before = t_out <= 0.9
    assert_allclose(result.y[1, before, 0], 1 / (1 - t_out[before]), rtol=1e-4)
    assert result.status[2:4].tolist() == [kernel.NON_FINITE, kernel.NON_FINITE]
    assert_array_equal(result.y[2:4, 0], y0[2:4])  # the row at t0 is y0 itself
    assert np.all(np.isnan(result.y[2:4, 1:]))
    assert result.n_steps[2:4].tolist() == [0, 0] and result.t_reached[2:4].tolist() == [0, 0]
    for j in (0, 4):
        alone = rodas.integrate_ensemble(system, 0.0, 2.0, y0[j:j + 1], p[j:j + 1], t_out)
        assert_same(result, alone, rows=slice(j, j + 1))


def test_max_steps_reached(systems):
    t_out = np.linspace(0.0, 1e5, 5)
    result = run(systems, [EASY_LINEAR, sp.ROBERTSON], t_out, t_span=(0.0, 1e5),
                 max_steps=60)
    assert result.status.tolist() == [0, kernel.MAX_STEPS_REACHED]
    assert result.n_steps[1] + result.n_rejected[1] == 60
    assert np.all(np.isnan(result.y[1, t_out > result.t_reached[1]]))
    assert_array_equal(result.success, [True, False])


# ----------------------------------------------------------------------------- interface


def test_status_codes_and_result_type_are_shared():
    for name in ("SUCCESS", "MAX_STEPS_REACHED", "STEP_SIZE_TOO_SMALL", "NON_FINITE"):
        assert getattr(kernel, name) == getattr(_common, name) == getattr(shared_kernel, name)
    assert rodas.STATUS is dopri5.STATUS and rodas.MESSAGES is dopri5.MESSAGES
    assert rodas.EnsembleResult is dopri5.EnsembleResult is cs.solvers.EnsembleResult
    assert kernel.EPS == _common.EPS == shared_kernel.EPS
    assert "_rodas_kernel" in _loader.PARTS


def test_result_is_read_only_and_inputs_are_validated(systems):
    result = run(systems, [EASY_LINEAR], [0.0, 40.0])
    with pytest.raises(ValueError, match="read-only"):
        result.y[0, 0, 0] = 1.0
    system = systems["quadratic3"]
    p = system.default_params[None]
    with pytest.raises(cs.ParameterError, match=r"`y0` is expected to have shape \(m, 3\)"):
        rodas.integrate_ensemble(system, 0.0, 1.0, [1.0, 2.0, 3.0], p, [1.0])
    with pytest.raises(cs.ParameterError, match=r"`t_out` must lie within \[t0, t1\]"):
        rodas.integrate_ensemble(system, 0.0, 1.0, [[1.0, 2.0, 3.0]], p, [2.0])
    with pytest.raises(TypeError, match=r"pass cs.compile_network\(network\)"):
        rodas.integrate_ensemble(sp.quadratic3_network(), 0.0, 1.0, [[1.0, 2.0, 3.0]], p, [1.0])
    empty = rodas.integrate_ensemble(system, 0.0, 1.0, np.empty((0, 3)),
                                     np.empty((0, system.n_params)), [1.0])
    assert empty.y.shape == (0, 1, 3)


def test_runs_uncompiled_when_numba_is_disabled(systems, monkeypatch):
    """The same kernel text runs as plain Python (CYTOSIM_DISABLE_NUMBA=1)."""
    members = [sp.ROBERTSON, sp.PROTHERO_ROBINSON]
    t_out = np.linspace(0.0, 5.0, 6)
    compiled = run(systems, members, t_out, t_span=(0.0, 5.0))
    monkeypatch.setenv("CYTOSIM_DISABLE_NUMBA", "1")
    python = run(systems, members, t_out, t_span=(0.0, 5.0))
    for name in ("status", "n_steps", "n_rejected", "n_rhs", "t_reached"):
        assert_array_equal(getattr(python, name), getattr(compiled, name), err_msg=name)
    assert_allclose(python.y, compiled.y, rtol=1e-12, atol=1e-20)
