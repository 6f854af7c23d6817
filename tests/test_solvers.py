"""Tests of cytosim.solvers: the compiled DOPRI5 ensemble integrator.

References: exact solutions (tests/solver_problems.py), scipy's DOP853 at rtol 1e-12 (an
independent 8th-order method) and scipy's RK45 (an independent implementation of the same
Dormand-Prince pair and controller, run in lockstep). Two model structures are compiled
for the whole file; every problem is a parameter set of one of them.
"""

from __future__ import annotations

import dataclasses
import math
import re

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy.integrate import RK45

import cytosim as cs
from cytosim._emit import build_functions
from cytosim.solvers import (
    MESSAGES,
    STATUS,
    EnsembleResult,
    _common,
    _loader,
    integrate_ensemble,
)
from cytosim.solvers import _dopri5_kernel as kernel
from cytosim.solvers import _shared_kernel as shared

from . import solver_problems as sp

# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def systems() -> dict[str, cs.OdeSystem]:
    return {"scalar": cs.compile_network(sp.scalar_network()),
            "planar": cs.compile_network(sp.planar_network())}


def run(systems: dict[str, cs.OdeSystem], problems: list[sp.Problem] | tuple[sp.Problem, ...],
        t_out: np.ndarray, t_span: tuple[float, float] | None = None,
        **options: float) -> EnsembleResult:
    """Integrate *problems* (one model structure) as one ensemble."""
    (model,) = {problem.model for problem in problems}
    system = systems[model]
    t0, t1 = t_span or problems[0].t_span
    y0 = np.array([problem.y0 for problem in problems])
    p = np.array([problem.p(system) for problem in problems])
    return integrate_ensemble(system, t0, t1, y0, p, t_out, **options)


def assert_same(a: EnsembleResult, b: EnsembleResult, rows: slice | np.ndarray = slice(None)
                ) -> None:
    """Bit-identical results (exactness is the point: members are independent)."""
    for name in ("y", "status", "n_steps", "n_rejected", "n_rhs", "t_reached"):
        assert_array_equal(getattr(a, name)[rows], getattr(b, name), err_msg=name, strict=True)


def lotka_volterra_ensemble(m: int, seed: int = 0) -> list[sp.Problem]:
    """*m* Lotka-Volterra members with rates drawn log-uniformly within a factor 2."""
    rng = np.random.default_rng(seed)
    factors = np.exp(rng.uniform(-math.log(2), math.log(2), size=(m, 3)))
    base = sp.LOTKA_VOLTERRA
    return [sp.Problem(f"lv{j}", "planar",
                       {**base.params, "x.a1": 1.5 * f[0], "y.b2": -3.0 * f[1],
                        "y.b3": f[2]}, base.y0, base.t_span) for j, f in enumerate(factors)]


# ----------------------------------------------------------------------------- tableau


def order_conditions(b: np.ndarray, a: np.ndarray, c: np.ndarray) -> list[tuple[float, float]]:
    """(value, required) for the 17 order conditions up to order 5 (Butcher's rooted trees;
    Hairer, Norsett & Wanner, Solving ODEs I, table II.2.2), in order of tree size."""
    ac, ac2, ac3 = a @ c, a @ c**2, a @ c**3
    return [(b.sum(), 1), (b @ c, 1 / 2),
            (b @ c**2, 1 / 3), (b @ ac, 1 / 6),
            (b @ c**3, 1 / 4), (b @ (c * ac), 1 / 8), (b @ ac2, 1 / 12), (b @ (a @ ac), 1 / 24),
            (b @ c**4, 1 / 5), (b @ (c**2 * ac), 1 / 10), (b @ (c * ac2), 1 / 15),
            (b @ (c * (a @ ac)), 1 / 30), (b @ ac**2, 1 / 20), (b @ ac3, 1 / 20),
            (b @ (a @ (c * ac)), 1 / 40), (b @ (a @ ac2), 1 / 60), (b @ (a @ (a @ ac)), 1 / 120)]


def test_tableau_is_consistent_as_data():
    A, B, C, E, P = (kernel.DOPRI5_A, kernel.DOPRI5_B, kernel.DOPRI5_C, kernel.DOPRI5_E,
                     kernel.DOPRI5_P)
    # exact rationals rounded once each: sums agree to a few ulps
    assert B.sum() == pytest.approx(1.0, abs=1e-15)
    assert_allclose(A.sum(axis=1), C, rtol=0, atol=4e-15)
    assert_array_equal(A[-1], B)  # first same as last
    assert np.all(np.triu(A) == 0)  # explicit
    b_hat = B - E
    assert E.sum() == pytest.approx(0.0, abs=1e-15)
    for value, required in order_conditions(B, A, C):  # order 5
        assert value == pytest.approx(required, abs=1e-14)
    for value, required in order_conditions(b_hat, A, C)[:8]:  # embedded order 4
        assert value == pytest.approx(required, abs=1e-14)
    assert b_hat[-1] == 1 / 40  # the estimate uses the FSAL stage
    # the continuous extension ends on the step's solution and starts with slope K[0]
    assert_allclose(P.sum(axis=1), B, rtol=0, atol=1e-14)
    assert_array_equal(P[:, 0], [1, 0, 0, 0, 0, 0, 0])
    assert_array_equal(P[1], 0)  # the kernel leaves these terms out


def test_tableau_matches_scipy_rk45():
    """scipy's RK45 is an independent transcription of the same published coefficients."""
    assert_allclose(kernel.DOPRI5_C[:6], RK45.C, rtol=1e-15)
    assert_allclose(kernel.DOPRI5_A[:6, :5], RK45.A, rtol=1e-15)
    assert_allclose(kernel.DOPRI5_B[:6], RK45.B, rtol=1e-15)
    assert_allclose(kernel.DOPRI5_E, -RK45.E, rtol=1e-15)  # scipy stores B_hat - B
    assert_allclose(kernel.DOPRI5_P, RK45.P, rtol=1e-15)
    assert (kernel.DOPRI5_SAFETY, kernel.DOPRI5_MIN_FACTOR,
            kernel.DOPRI5_MAX_FACTOR) == (0.9, 0.2, 10.0)


def test_status_codes_match_the_kernel():
    assert STATUS == {shared.SUCCESS: "success", shared.MAX_STEPS_REACHED: "max_steps",
                      shared.STEP_SIZE_TOO_SMALL: "step_size_too_small",
                      shared.NON_FINITE: "non_finite"}
    assert set(MESSAGES) == set(STATUS)
    assert "`max_steps`" in MESSAGES[shared.MAX_STEPS_REACHED]


# ----------------------------------------------------------------------------- accuracy

RTOLS = 10.0 ** -np.arange(4, 10)


@pytest.mark.parametrize("problem", sp.EXACT_PROBLEMS, ids=lambda p: p.name)
def test_error_is_proportional_to_tolerance(systems, problem):
    """Tolerance proportionality of local extrapolation: global error ~ rtol (slope 1),
    within 10 * rtol * max|y| (atol = 1e-3 * rtol, so the relative part controls)."""
    t_out = np.linspace(*problem.t_span, 201)
    exact = problem.exact(t_out)
    errors = []
    for rtol in RTOLS:
        result = run(systems, [problem], t_out, rtol=rtol, atol=1e-3 * rtol)
        assert result.status[0] == 0
        errors.append(np.max(np.abs(result.y[0] - exact)))
    errors = np.array(errors)
    assert np.all(errors <= 10 * RTOLS * np.max(np.abs(exact))), errors / RTOLS
    slope = np.polyfit(np.log(RTOLS), np.log(errors), 1)[0]
    assert 0.8 < slope < 1.2, slope


@pytest.mark.parametrize("problem", sp.REFERENCE_PROBLEMS, ids=lambda p: p.name)
@pytest.mark.parametrize("rtol", [1e-6, 1e-8, 1e-10])
def test_agrees_with_dop853_reference(systems, problem, rtol):
    """Within 10 * rtol of the solution's size (a pointwise relative bound would fail where a
    component crosses zero; the reference's own error is below 1e-11)."""
    t_out = np.linspace(*problem.t_span, 201)
    reference = sp.reference_solution(systems[problem.model], problem, t_out)
    result = run(systems, [problem], t_out, rtol=rtol, atol=1e-3 * rtol)
    assert result.status[0] == 0
    assert np.max(np.abs(result.y[0] - reference)) <= 10 * rtol * np.max(np.abs(reference))


@pytest.mark.parametrize("problem", [*sp.SMOOTH_PROBLEMS, sp.STIFF_LOGISTIC],
                         ids=lambda p: p.name)
@pytest.mark.parametrize(("rtol", "atol"), [(1e-3, 1e-6), (1e-6, 1e-9)])
def test_lockstep_with_scipy_rk45(systems, problem, rtol, atol):
    """Same pair, controller and first step as scipy's RK45: the same steps.

    Outputs are requested at scipy's step times; they equal our own step ends only when
    the step sequences coincide (otherwise they are interpolated, off by a good fraction
    of the tolerance), so agreement to 1e-5 of the tolerance checks each step. What is
    left is rounding drift between two implementations (at most 1e-6 of it here).
    """
    system = systems[problem.model]
    p = problem.p(system)
    solver = RK45(lambda t, y: system.rhs(t, y, p), problem.t_span[0],
                  np.array(problem.y0), problem.t_span[1], rtol=rtol, atol=atol)
    times, states = [solver.t], [solver.y.copy()]
    while solver.status == "running":
        solver.step()
        times.append(solver.t)
        states.append(solver.y.copy())
    assert solver.status == "finished"
    result = run(systems, [problem], np.array(times), rtol=rtol, atol=atol)
    n_scipy = len(times) - 1
    assert abs(result.n_steps[0] - n_scipy) <= 0.01 * n_scipy + 1
    assert abs(result.n_rhs[0] - solver.nfev) <= 0.01 * solver.nfev + 7
    for i, t in enumerate(times):
        assert_allclose(result.y[0, i], states[i], rtol=1e-5 * rtol, atol=1e-5 * atol,
                        err_msg=f"Step: {i}, Time: {t}")


def test_dense_output_between_steps(systems):
    """Output times never shorten a step: 1001 outputs cost the same steps as 2, and the
    4th-order interpolant keeps the solution's accuracy between steps."""
    problem = sp.OSCILLATOR
    t0, t1 = problem.t_span
    t_out = np.linspace(t0, t1, 1001)
    dense = run(systems, [problem], t_out)
    ends = run(systems, [problem], np.array([t0, t1]))
    inner = run(systems, [problem], t_out[[250, 750]])
    assert dense.status[0] == 0
    assert_array_equal(dense.y[0, 0], problem.y0)  # y0 exactly
    assert_array_equal(dense.y[0, [0, -1]], ends.y[0])  # the end state
    assert_array_equal(dense.y[0, [250, 750]], inner.y[0])
    for name in ("n_steps", "n_rejected", "n_rhs"):
        assert getattr(dense, name)[0] == getattr(ends, name)[0]
    assert dense.t_reached[0] == t1
    assert np.max(np.abs(dense.y[0] - problem.exact(t_out))) <= 10 * 1e-6 * 1.2


def test_h_max_limits_the_step(systems):
    t_out = np.linspace(0.0, 5.0, 11)
    free = run(systems, [sp.DECAY], t_out)
    capped = run(systems, [sp.DECAY], t_out, h_max=0.05)
    assert free.n_steps[0] < 50 <= 100 <= capped.n_steps[0]
    assert_allclose(capped.y[0], sp.DECAY.exact(t_out), rtol=1e-5)


# ----------------------------------------------------------------------------- ensembles

MIXED = [sp.LOGISTIC, sp.DECAY, sp.BLOW_UP, sp.STIFF_LOGISTIC]


def test_mixed_ensemble_records_each_members_fate(systems):
    """Members keep their own step sizes and status; a failure does not touch the others."""
    t_out = np.linspace(0.0, 2.0, 41)
    result = run(systems, MIXED, t_out, t_span=(0.0, 2.0))
    assert result.status[[0, 1, 3]].tolist() == [0, 0, 0]
    assert result.status[2] in (shared.STEP_SIZE_TOO_SMALL, shared.NON_FINITE)
    assert len(set(result.n_steps.tolist())) == 4
    assert result.n_steps[3] > 10 * result.n_steps[0]  # stiff: stability-limited steps
    # the blow-up member stops at its singularity, t = 1; later rows are NaN
    assert abs(result.t_reached[2] - 1.0) < 1e-3
    after = t_out > result.t_reached[2]
    assert np.all(np.isnan(result.y[2, after])) and np.all(np.isfinite(result.y[2, ~after]))
    before = t_out <= 0.9
    assert_allclose(result.y[2, before], sp.BLOW_UP.exact(t_out[before]), rtol=1e-4)
    for j in (0, 1, 3):
        exact = MIXED[j].exact(t_out)
        assert np.max(np.abs(result.y[j] - exact)) <= 10 * 1e-6 * np.max(np.abs(exact))
    for j, problem in enumerate(MIXED):
        alone = run(systems, [problem], t_out, t_span=(0.0, 2.0))
        assert_same(result, alone, rows=slice(j, j + 1))


def test_max_steps_reached(systems):
    t_out = np.linspace(0.0, 2.0, 5)
    result = run(systems, [sp.LOGISTIC, sp.STIFF_LOGISTIC], t_out, t_span=(0.0, 2.0),
                 max_steps=200)
    assert result.status.tolist() == [0, shared.MAX_STEPS_REACHED]
    assert result.n_steps[1] + result.n_rejected[1] == 200
    assert result.t_reached[1] < 2.0
    assert np.all(np.isnan(result.y[1, t_out > result.t_reached[1]]))
    assert_array_equal(result.success, [True, False])


def test_non_finite_member(systems):
    system = systems["scalar"]
    p = np.array([sp.LOGISTIC.p(system)] * 3)
    p[1, system.param_names.index("y.a")] = np.nan
    y0 = np.array([[0.5], [0.5], [np.inf]])
    t_out = np.array([0.0, 1.0, 2.0])
    result = integrate_ensemble(system, 0.0, 2.0, y0, p, t_out)
    assert result.status.tolist() == [0, shared.NON_FINITE, shared.NON_FINITE]
    assert_array_equal(result.y[1:, 0], y0[1:])  # the row at t0 is y0 itself
    assert np.all(np.isnan(result.y[1:, 1:]))
    assert result.n_steps[1:].tolist() == [0, 0]
    assert result.t_reached[1:].tolist() == [0.0, 0.0]


def test_lanes_that_end_early_take_the_next_member(systems):
    """DOPRI5 runs several members side by side, each lane taking the next member when its
    own ends. Members that end at once (not finite at t0), fail on the way (step limit,
    blow-up) or run with another method (Rodas5P, automatic switching) leave their lane
    to the next member; every member's result is the one it gets alone, bit for bit (a
    member alone has one lane), trajectories kept or not. One thread, so that the four
    lanes take all eleven members."""
    system = systems["scalar"]
    problems = [sp.LOGISTIC, sp.STIFF_LOGISTIC, sp.DECAY, sp.BLOW_UP, sp.LOGISTIC,
                sp.DECAY, sp.STIFF_LOGISTIC, sp.LOGISTIC, sp.BLOW_UP, sp.DECAY, sp.LOGISTIC]
    y0 = np.array([problem.y0 for problem in problems])
    y0[4] = np.inf
    p = np.array([problem.p(system) for problem in problems])
    methods = np.array([0, 0, 1, 0, 0, 2, 2, 0, 0, 1, 0], dtype=np.int8)
    assert sorted(_common.METHODS.values()) == [0, 1, 2]
    t_out = np.linspace(0.0, 2.0, 9)

    metrics = _common.MetricSpec(np.array([0, 3, 4]), np.zeros(3, np.int64), np.full(3, np.nan),
                                 np.zeros(3, np.int64))  # peak, AUC and final value of y

    def integrate(rows: slice, keep: bool = True) -> tuple[EnsembleResult, np.ndarray]:
        inputs = _common.validate_ensemble(system, 0.0, 2.0, y0[rows], p[rows], t_out, 1e-6,
                                           1e-9, 300, np.inf)
        return _common.run_members(system, inputs, methods[rows], keep=keep, metrics=metrics)

    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        together, values = integrate(slice(None))
        unkept, unkept_values = integrate(slice(None), keep=False)
    finally:
        numba.set_num_threads(before)
    assert unkept.y.shape[1] == 0
    assert_array_equal(unkept_values, values, strict=True)
    assert_array_equal(unkept.t_switch, together.t_switch)
    limit = shared.MAX_STEPS_REACHED  # stiff logistic by DOPRI5; y' = y^2 near t = 1
    assert together.status.tolist() == [0, limit, 0, limit, shared.NON_FINITE, 0, 0, 0, limit,
                                        0, 0]
    assert together.t_reached[[3, 4]].tolist() == [pytest.approx(1.0, abs=1e-6), 0.0]
    assert together.switched.tolist() == [False] * 6 + [True] + [False] * 4
    for j in range(len(problems)):
        alone, alone_values = integrate(slice(j, j + 1))
        assert_same(together, alone, rows=slice(j, j + 1))
        assert_array_equal(together.t_switch[j:j + 1], alone.t_switch)
        assert_array_equal(values[j:j + 1], alone_values)


def test_results_do_not_depend_on_ensemble_size(systems):
    members = lotka_volterra_ensemble(64)
    t_out = np.linspace(0.0, 5.0, 51)
    full = run(systems, members, t_out)
    assert np.all(full.status == 0)
    assert len(set(full.n_steps.tolist())) > 1
    assert_same(full, run(systems, members[:7], t_out), rows=slice(0, 7))
    for j in (0, 13, 63):
        assert_same(full, run(systems, members[j:j + 1], t_out), rows=slice(j, j + 1))


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_results_do_not_depend_on_member_order(systems, seed):
    members = lotka_volterra_ensemble(16)
    order = np.random.default_rng(seed).permutation(len(members))
    t_out = np.linspace(0.0, 5.0, 11)
    full = run(systems, members, t_out)
    permuted = run(systems, [members[j] for j in order], t_out)
    assert_same(full, permuted, rows=order)


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two threads")
def test_results_do_not_depend_on_threads(systems):
    members = lotka_volterra_ensemble(64, seed=1) + [sp.OSCILLATOR]
    t_out = np.linspace(0.0, 5.0, 21)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = run(systems, members, t_out)
        numba.set_num_threads(2)
        two = run(systems, members, t_out)
    finally:
        numba.set_num_threads(before)
    assert_same(one, two)


def test_result_is_read_only(systems):
    result = run(systems, [sp.DECAY], np.array([0.0, 5.0]))
    assert isinstance(result, EnsembleResult)
    with pytest.raises(ValueError, match="read-only"):
        result.y[0, 0, 0] = 1.0
    assert result.y.dtype == np.float64 and result.status.dtype == np.int8


def test_runs_uncompiled_when_numba_is_disabled(systems, monkeypatch):
    """The same kernel text runs as plain Python (CYTOSIM_DISABLE_NUMBA=1)."""
    t_out = np.linspace(0.0, 5.0, 6)
    compiled = run(systems, [sp.DECAY, sp.LOGISTIC], t_out, t_span=(0.0, 5.0))
    monkeypatch.setenv("CYTOSIM_DISABLE_NUMBA", "1")
    python = run(systems, [sp.DECAY, sp.LOGISTIC], t_out, t_span=(0.0, 5.0))
    for name in ("status", "n_steps", "n_rejected", "n_rhs", "t_reached"):
        assert_array_equal(getattr(python, name), getattr(compiled, name), err_msg=name)
    assert_allclose(python.y, compiled.y, rtol=1e-13, atol=0)


# ----------------------------------------------------------------------------- validation

GOOD = {"t0": 0.0, "t1": 1.0, "y0": [[1.0], [2.0]], "p": None, "t_out": [0.0, 0.5, 1.0]}


@pytest.mark.parametrize(("change", "match"), [
    ({"y0": [1.0, 2.0, 3.0]}, r"`y0` is expected to have shape \(m, 1\), but has shape \(3,\)"),
    ({"y0": [[1.0, 2.0]]}, r"`y0` is expected to have shape \(m, 1\), but has shape \(1, 2\)"),
    ({"p": np.ones((3, 3))}, r"`p` is expected to have shape \(2, 3\), but has shape \(3, 3\)"),
    ({"t1": 0.0}, r"`t1` \(0\) must be greater than `t0` \(0\)"),
    ({"t0": np.nan}, r"`t0` must be a finite number, got nan"),
    ({"t1": "2"}, r"`t1` must be a finite number, got '2'"),
    ({"t_out": []}, r"`t_out` is expected to have shape \(k,\) with k >= 1"),
    ({"t_out": [[0.0, 1.0]]}, r"`t_out` is expected to have shape \(k,\)"),
    ({"t_out": [0.0, np.nan]}, r"`t_out` must be finite, but t_out\[1\] = nan"),
    ({"t_out": [0.0, 0.5, 0.5]}, r"strictly increasing, but t_out\[2\] = 0.5 follows"),
    ({"t_out": [-0.5, 0.5]}, r"`t_out` must lie within \[t0, t1\] = \[0, 1\], but t_out\[0\]"),
    ({"t_out": [0.5, 1.5]}, r"`t_out` must lie within .* but t_out\[1\] = 1.5"),
    ({"rtol": 0.0}, r"`rtol` must be a finite number, at least 2.2e-14"),
    ({"rtol": 1e-16}, r"`rtol` must be a finite number, at least"),
    ({"atol": -1.0}, r"`atol` must be a finite number, positive, got -1.0"),
    ({"atol": np.inf}, r"`atol` must be a finite number"),
    ({"max_steps": 0}, r"`max_steps` must be a positive integer, got 0"),
    ({"max_steps": 10.5}, r"`max_steps` must be a positive integer, got 10.5"),
    ({"max_steps": True}, r"`max_steps` must be a positive integer, got True"),
    ({"h_max": 0.0}, r"`h_max` must be a positive number \(np.inf for no limit\)"),
    ({"h_max": np.nan}, r"`h_max` must be a positive number"),
])
def test_invalid_inputs(systems, change, match):
    system = systems["scalar"]
    args = {**GOOD, "p": np.tile(system.default_params, (2, 1)), **change}
    options = {k: args.pop(k) for k in ("rtol", "atol", "max_steps", "h_max") if k in args}
    with pytest.raises(cs.ParameterError, match=match) as info:
        integrate_ensemble(system, args["t0"], args["t1"], args["y0"], args["p"],
                           args["t_out"], **options)
    assert isinstance(info.value, ValueError)


def test_empty_ensemble(systems):
    system = systems["scalar"]
    result = integrate_ensemble(system, 0.0, 1.0, np.empty((0, 1)),
                                np.empty((0, system.n_params)), [1.0])
    assert result.y.shape == (0, 1, 1) and result.status.shape == (0,)


def test_system_must_be_compiled():
    with pytest.raises(TypeError, match=r"pass cs.compile_network\(network\), got Network"):
        integrate_ensemble(sp.scalar_network(), 0.0, 1.0, [[1.0]], [[1.0, 1.0, -0.1]], [1.0])


# ----------------------------------------------------------------------------- loader


def test_loader_writes_one_module_of_model_and_kernel(systems, tmp_path, monkeypatch):
    """One module per model in the cache directory: index-only model functions, then the
    kernel text of every method, every function jitted with the cache on and the GIL
    released (threads run ranges of members). (Loading is cheap: numba compiles on the
    first call.)"""
    system = systems["scalar"]
    names = (_loader.ENTRY, "dopri5_stages", "rodas_run", "rhs")
    monkeypatch.setenv("CYTOSIM_CACHE_DIR", str(tmp_path))
    source, _ = _loader.model_source(system)
    functions = _loader.load_solver(source, names)
    assert _loader.load_solver(source, names) == functions
    (path,) = tmp_path.glob("s_*.py")
    text = path.read_text()
    assert text.index("def pre(") < text.index("def rhs(") < text.index(_loader.KERNEL_MARKER)
    assert "NotImplementedError" not in text  # the kernel files' stand-ins stay behind
    assert text.count('@njit(cache=True, error_model="numpy", fastmath=False, nogil=True)\n'
                      "def ") == text.count("\ndef ")
    assert "parallel" not in text and "prange" not in text
    positions = [text.index(f"def {name}(") for name in ("dopri5_stages", "rodas_run",
                                                          _loader.ENTRY)]
    assert positions == sorted(positions)
    for user_name in (system.name, *system.param_names):
        assert user_name not in text
    monkeypatch.setenv("CYTOSIM_CACHE_DIR", "off")
    _loader.load_solver(source, names)
    assert len(list(tmp_path.glob("s_*.py"))) == 1


HILL_CONSTANT = re.compile(r"p\[\d+\] \*\* p\[\d+\]")  # K ** n, both parameters


def test_parameter_only_values_are_computed_once_per_member_to_the_last_bit():
    """The kernel's model functions read what depends on the parameters only (endotoxemia's
    Hill constants K ** n, whose exponents are parameters) from ``q``, filled once per
    member by ``pre``, and give the same values as the functions that compute everything
    at every call, bit for bit (the same operations in the same order; run here as plain
    Python, which rounds as the compiled code does without fastmath)."""
    system = cs.compile_network(cs.load_model("endotoxemia"))
    source, n_q = _loader.model_source(system)
    pre_text = source[:source.index("def rhs(")]
    rhs_text = source[source.index("def rhs("):source.index("def jac(")]
    plain = system.sources["numba"]
    assert HILL_CONSTANT.search(plain[:plain.index("def jac(")])
    assert HILL_CONSTANT.search(pre_text) and not HILL_CONSTANT.search(rhs_text)
    assert n_q > system.n_params
    hoisted = build_functions(source, ["pre", "rhs", "jac", "obs"])
    reference = build_functions(plain, ["rhs", "jac", "obs"])
    sizes = {"rhs": system.n_states, "jac": len(system.rows),
             "obs": len(system.observable_names)}
    rng = np.random.default_rng(6)
    for _ in range(25):
        p = system.default_params * rng.uniform(0.5, 2.0, system.n_params)
        y = system.default_initial + rng.uniform(0.0, 50.0, system.n_states)
        t = rng.uniform(0.0, 12.0)
        q = hoisted["pre"](p, np.full(n_q, np.nan))
        assert_array_equal(q[:system.n_params], p)
        for name, size in sizes.items():
            expected = reference[name](t, y, p, np.empty(size))
            assert hoisted[name](t, y, q, np.empty(size)).tobytes() == expected.tobytes(), name


def test_a_system_without_expression_trees_keeps_its_own_functions(systems):
    """A system compiled without expression trees (a tissue compiled by its structure)
    keeps its generated source; ``pre`` only copies the parameters. The number of states
    comes first, as a constant for the kernel's loops."""
    system = dataclasses.replace(systems["planar"], derivatives=())
    source, n_q = _loader.model_source(system)
    constant = f"N_STATES = {system.n_states}\n\n\n"
    assert source.startswith(constant + system.sources["numba"]) and n_q == system.n_params
    pre = build_functions(source, ["pre"])["pre"]
    assert_array_equal(pre(np.arange(n_q, dtype=float), np.empty(n_q)), np.arange(n_q))


def test_the_number_of_states_as_a_constant_changes_no_result(systems, monkeypatch):
    """Small systems compile their kernel with the number of states as a constant (loops
    unrolled); larger ones with 0 (loops over the arrays' length): the same arithmetic, so
    the same results bit for bit, with every method."""
    members = lotka_volterra_ensemble(9, seed=2) + [sp.OSCILLATOR, sp.VAN_DER_POL]
    methods = np.array([0, 1, 2] * 3 + [0, 2], dtype=np.int8)
    t_out = np.linspace(0.0, 5.0, 11)

    def integrate(system: cs.OdeSystem) -> EnsembleResult:
        y0 = np.array([problem.y0 for problem in members])
        p = np.array([problem.p(system) for problem in members])
        inputs = _common.validate_ensemble(system, 0.0, 5.0, y0, p, t_out, 1e-6, 1e-9, 10**5,
                                           np.inf)
        return _common.run_ensemble(system, inputs, methods)

    unrolled = integrate(systems["planar"])
    assert _loader.model_source(systems["planar"])[0].startswith("N_STATES = 2\n")
    monkeypatch.setattr(_loader, "UNROLL_MAX_STATES", 1)
    general = dataclasses.replace(systems["planar"])  # no cached source
    assert _loader.model_source(general)[0].startswith("N_STATES = 0\n")
    assert_same(unrolled, integrate(general))


def test_threads_share_the_ranges_and_raise_an_error_of_the_kernel():
    """Every member is run exactly once whatever the threads; an error in one range
    reaches the caller."""
    ranges = _common._ranges(1000, 3)
    assert ranges[0][0] == 0 and ranges[-1][1] == 1000
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
    runs = np.zeros(1000)

    def entry(start: int, stop: int, out: np.ndarray) -> None:
        out[start:stop] += 1.0

    _common._on_threads(entry, (runs,), ranges, 3)
    assert_array_equal(runs, 1.0)

    def failing(start: int, stop: int) -> None:
        if start <= 500 < stop:
            raise RuntimeError("member 500 failed")

    with pytest.raises(RuntimeError, match="member 500 failed"):
        _common._on_threads(failing, (), _common._ranges(1000, 2), 2)
