"""Automatic stiffness switching (cytosim.solvers.auto and ``cs.sweep(method="auto")``).

Every member starts with DOPRI5; the ones DOPRI5 finds stiff go on with Rodas5P. Checked:
stiff members switch and easy ones do not; a member that does not switch gets DOPRI5's
result bit for bit; every member is within a few tolerances of an exact solution, a
published value (Test Set for IVP Solvers, Mazzia & Magherini; Hairer & Wanner II, sec.
IV.1) or scipy's Radau at rtol 1e-11; results do not depend on the ensemble, the order of
its members, threads, chunks or backend. The models are structures already compiled by
tests/test_solvers.py, tests/test_stiff_solvers.py and tests/test_sweeps.py (one kernel per
model holds every method), so this file compiles nothing new in a full run.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest
import xarray as xr
from numpy.testing import assert_array_equal

import cytosim as cs
from cytosim.solvers import _common, auto, dopri5

from . import solver_problems as sp
from .test_stiff_solvers import EASY_LINEAR, VERY_STIFF_LINEAR, linear_problem, scaled_error


@pytest.fixture(scope="module")
def systems() -> dict[str, cs.OdeSystem]:
    return {"scalar": cs.compile_network(sp.scalar_network()),
            "planar": cs.compile_network(sp.planar_network()),
            "quadratic3": cs.compile_network(sp.quadratic3_network())}


def run(systems: dict[str, cs.OdeSystem], problems: list[sp.Problem], t_out: np.ndarray,
        t_span: tuple[float, float] | None = None, method=auto,  # type: ignore[no-untyped-def]
        **options: float) -> _common.EnsembleResult:
    (model,) = {problem.model for problem in problems}
    system = systems[model]
    t0, t1 = t_span or problems[0].t_span
    y0 = np.array([problem.y0 for problem in problems])
    p = np.array([problem.p(system) for problem in problems])
    return method.integrate_ensemble(system, t0, t1, y0, p, t_out, **options)


FIELDS = ("y", "status", "n_steps", "n_rejected", "n_rhs", "t_reached", "t_switch")


def assert_same(a: _common.EnsembleResult, b: _common.EnsembleResult,
                rows: slice | np.ndarray = slice(None), fields: tuple[str, ...] = FIELDS
                ) -> None:
    """Bit-identical results (members are independent, so exactness is the point)."""
    for name in fields:
        assert_array_equal(getattr(a, name)[rows], getattr(b, name), err_msg=name, strict=True)


def test_method_codes_match_the_kernel():
    from cytosim.solvers import _ensemble_kernel as kernel

    assert _common.METHODS == {"dopri5": kernel.METHOD_DOPRI5,
                               "rodas5p": kernel.METHOD_RODAS5P, "auto": kernel.METHOD_AUTO}


@pytest.mark.parametrize("rtol", [1e-3, 1e-6, 1e-9])
def test_non_stiff_problems_never_switch_and_equal_dopri5(systems, rtol):
    """Logistic growth, decay, the harmonic oscillator, Lotka-Volterra and Van der Pol with
    mu = 1: DOPRI5's steps are limited by accuracy, never found stiff, so the automatic
    method returns DOPRI5's result bit for bit (the checks only read values)."""
    for problem in sp.SMOOTH_PROBLEMS:
        t_out = np.linspace(*problem.t_span, 21)
        result = run(systems, [problem], t_out, rtol=rtol, atol=1e-3 * rtol)
        assert not result.switched[0], problem.name
        assert_same(result, run(systems, [problem], t_out, method=dopri5, rtol=rtol,
                                atol=1e-3 * rtol))


MIXED = [EASY_LINEAR, sp.ROBERTSON, VERY_STIFF_LINEAR,
         linear_problem("slow", (-0.01, -0.02, -0.05))]
STIFF = [False, True, True, False]


def test_mixed_ensemble_switches_only_its_stiff_members(systems):
    """Robertson and a linear system with eigenvalues to -1e6 among easy linear systems:
    the stiff members switch early (Robertson's eigenvalue reaches -1e4 within 0.1) and
    finish within 3 tolerances of their exact solution or of Robertson's published value at
    t = 40 (Hairer & Wanner: 10 digits), in a few hundred steps where DOPRI5 alone needs
    tens of thousands; the easy ones stay with DOPRI5, bit for bit, within 3 tolerances of
    their exact solutions."""
    rtol, atol = 1e-6, 1e-10
    t_out = np.linspace(0.0, 40.0, 81)
    result = run(systems, MIXED, t_out, t_span=(0.0, 40.0), rtol=rtol, atol=atol)
    explicit = run(systems, MIXED, t_out, t_span=(0.0, 40.0), method=dopri5, rtol=rtol,
                   atol=atol, max_steps=10**6)
    assert np.all(result.status == 0)
    assert result.switched.tolist() == STIFF
    assert np.all(result.t_switch[STIFF] < 0.1)
    for j, problem in enumerate(MIXED):
        if problem.exact is not None:
            assert scaled_error(result.y[j], problem.exact(t_out), rtol, atol) <= 3, j
        if not STIFF[j]:
            assert_same(result, run(systems, [problem], t_out, t_span=(0.0, 40.0),
                                    method=dopri5, rtol=rtol, atol=atol), rows=slice(j, j + 1))
    assert scaled_error(result.y[1, -1], np.array(sp.PUBLISHED["robertson"][1]), rtol,
                        atol) <= 3
    assert np.all(result.n_steps[STIFF] < 500)
    assert np.all(explicit.n_steps[STIFF] > 20 * result.n_steps[STIFF])


@pytest.mark.parametrize("rtol", [1e-4, 1e-6, 1e-8])
def test_stiff_van_der_pol_switches_and_meets_the_published_value(systems, rtol):
    """Van der Pol with mu = 1000 over [0, 2000] (Test Set for IVP Solvers, VDPOL): the
    member switches within the first relaxation and its value at t = 2000 is within 3
    tolerances of the published one (exact to 1e-15), as Rodas5P's alone is."""
    problem = sp.STIFF_VAN_DER_POL
    t_ref, y_ref = sp.PUBLISHED[problem.name]
    result = run(systems, [problem], np.array([t_ref]), rtol=rtol, atol=rtol)
    assert result.status[0] == 0 and result.switched[0] and result.t_switch[0] < 1.0
    assert scaled_error(result.y[0, 0], np.array(y_ref), rtol, rtol) <= 3


def random_members(m: int, seed: int) -> list[sp.Problem]:
    """Robertson members with rates drawn within a factor 10, and easy linear systems."""
    rng = np.random.default_rng(seed)
    members = []
    for j, (f1, f2, f3) in enumerate(np.exp(rng.uniform(-math.log(10), math.log(10),
                                                         size=(m, 3)))):
        if j % 3 == 0:
            members.append(linear_problem(f"easy{j}", (-0.05 * f1, -0.1 * f2, -0.2 * f3)))
            continue
        k1, k2, k3 = 0.04 * f1, 3e7 * f2, 1e4 * f3
        params = sp._quadratic(y1={"a1": -k1, "b23": k3}, y2={"a1": k1, "b22": -k2, "b23": -k3},
                               y3={"b22": k2})
        members.append(sp.Problem(f"robertson{j}", "quadratic3", params, sp.ROBERTSON.y0,
                                  (0.0, 40.0)))
    return members


def test_results_do_not_depend_on_ensemble_order_or_threads(systems):
    """Each member decides alone when to switch: the same result, bit for bit, in any
    ensemble, in any order and on one thread or two (ranges of members run concurrently)."""
    members = random_members(30, seed=4)
    t_out = np.linspace(0.0, 40.0, 21)
    full = run(systems, members, t_out)
    assert np.all(full.status == 0)
    assert full.switched.tolist() == [j % 3 != 0 for j in range(30)]
    for j in (0, 1, 29):
        assert_same(full, run(systems, members[j:j + 1], t_out), rows=slice(j, j + 1))
    order = np.random.default_rng(0).permutation(len(members))
    assert_same(full, run(systems, [members[j] for j in order], t_out), rows=order)
    before = numba.get_num_threads()
    try:
        for threads in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):  # type: ignore[attr-defined]
            numba.set_num_threads(threads)
            assert_same(full, run(systems, members, t_out))
    finally:
        numba.set_num_threads(before)


def test_max_steps_counts_both_methods(systems):
    """The step limit applies to the member's steps with both methods together."""
    t_out = np.array([40.0])
    free = run(systems, [sp.ROBERTSON], t_out, t_span=(0.0, 40.0))
    assert free.switched[0] and free.status[0] == 0
    limit = int(free.n_steps[0] + free.n_rejected[0]) - 1
    capped = run(systems, [sp.ROBERTSON], t_out, t_span=(0.0, 40.0), max_steps=limit)
    assert capped.status[0] == _common.MAX_STEPS_REACHED
    assert capped.n_steps[0] + capped.n_rejected[0] == limit
    assert np.isnan(capped.y[0, 0, 0])


# ----------------------------------------------------------------------------- sweeps
STIFF_SPACE = {"mu_c": cs.Values([0.1, 100.0]), "k_pg": cs.Values([0.3, 0.6])}
SWEEP = {"design": "grid", "t_end": 100.0, "n_points": 201,
         "metrics": ["peak:P", "time_of_peak:Nstar", "final:D", "final:CA"]}


def test_sweep_switches_the_stiff_points_and_agrees_with_simulate():
    """acute_inflammation with the anti-inflammatory mediator's decay mu_c as published
    (0.1 per hour) and 1000 times faster (a stiff variant: CA relaxes in 36 s): the
    automatic sweep finishes the fast points with Rodas5P, the others with DOPRI5 and equal
    to a DOPRI5 sweep, every point's metrics within 1e-5 (relative) of simulate() with
    Radau at rtol 1e-11 (per-member control at rtol 1e-8: global errors of a few rtol)."""
    net = cs.load_model("acute_inflammation")
    ds = cs.sweep(net, STIFF_SPACE, rtol=1e-8, atol=1e-10, **SWEEP)
    assert ds.attrs["method"] == "auto" and (ds["status"] == "ok").all()
    fast = ds["mu_c"].values == 100.0
    assert ds["solver"].values.tolist() == ["rodas5p" if f else "dopri5" for f in fast]
    assert np.all(np.isnan(ds["t_switch"].values[~fast]))
    assert np.all((ds["t_switch"].values[fast] > 0) & (ds["t_switch"].values[fast] < 100))
    explicit = cs.sweep(net, STIFF_SPACE, rtol=1e-8, atol=1e-10, method="dopri5", **SWEEP)
    for name in SWEEP["metrics"]:
        assert_array_equal(ds[name].values[~fast], explicit[name].values[~fast])
    assert np.all(ds["n_rhs"].values[fast] * 4 < explicit["n_rhs"].values[fast])
    for i in range(len(ds["point"])):
        tc = cs.simulate(net, t_end=100.0, n_points=201, method="Radau", rtol=1e-11,
                         atol=1e-13, engine="numpy",
                         params={"mu_c": float(ds["mu_c"][i]), "k_pg": float(ds["k_pg"][i])})
        expected = {"peak:P": tc["P"].max(), "final:D": tc["D"][-1], "final:CA": tc["CA"][-1],
                    "time_of_peak:Nstar": tc.t[int(np.argmax(tc["Nstar"]))]}
        for name, value in expected.items():
            assert float(ds[name][i]) == pytest.approx(value, rel=1e-5, abs=1e-9), (i, name)


def test_auto_sweep_is_bit_identical_across_chunk_sizes():
    """(Backends: tests/test_sweeps.py runs a sweep with switched points on processes.)"""
    net = cs.load_model("acute_inflammation")
    args = {**SWEEP, "trajectories": [50.0, 100.0]}
    reference = cs.sweep(net, STIFF_SPACE, chunk_size=4, **args)
    assert set(reference["solver"].values) == {"dopri5", "rodas5p"}
    for chunk_size in (1, 3):
        xr.testing.assert_identical(reference.drop_attrs(), cs.sweep(
            net, STIFF_SPACE, chunk_size=chunk_size, **args).drop_attrs())


def test_a_member_switched_before_a_dose_stays_with_rodas5p_after_it():
    """A drug eliminated at 1e4 per hour (stiff after each bolus) and one at 0.1 per hour,
    four boluses: the fast member switches after the first dose (at 2 h) and goes on with
    Rodas5P after the next ones; both match the exact sum of exponentials."""
    net = cs.pk_compartments(cs.Network("pk"), "drug", volume=3.0, clearance=0.3)
    schedule = cs.Dose("drug", amount=100.0, time=2.0, ii=24.0, addl=3)
    ds = cs.sweep(net, {"drug.rate": cs.Values([0.1, 1e4])}, design="grid", t_end=96.0,
                  n_points=97, metrics=["value_at:drug@26", "value_at:drug@27", "final:drug"],
                  interventions=[schedule], rtol=1e-9, atol=1e-11)
    assert ds["solver"].values.tolist() == ["dopri5", "rodas5p"]
    assert 2.0 < float(ds["t_switch"][1]) < 26.0
    for i, k in enumerate((0.1, 1e4)):
        def exact(t: float, k: float = k) -> float:
            return sum(100.0 * math.exp(-k * (t - td)) for td in (2.0, 26.0, 50.0, 74.0)
                       if t >= td)

        for name, t in (("value_at:drug@26", 26.0), ("value_at:drug@27", 27.0),
                        ("final:drug", 96.0)):
            assert float(ds[name][i]) == pytest.approx(exact(t), rel=1e-6, abs=1e-9), (i, name)
