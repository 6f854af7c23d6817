"""Sweeps with per-point doses: body weight for per-kg doses, conditional doses.

The reference for every point is ``simulate`` of that point alone (the same rule in one
run: ``Dose(weight=w)`` for a per-kg dose, the same ``only_if`` condition). A sweep with a
scipy method runs each point through simulate's own integration loop with the same event
amounts, and a compiled sweep runs the same kernel as ``simulate(method=...)`` on the same
output grid, so both are compared bit for bit; a closed form checks the numbers themselves.

Compiled tests use the one-compartment network of the sweep dosing tests (test_sweeps.py,
test_simulation.py), whose kernel other tests compile anyway; everything needing an infusion
input or a NaN-prone observable runs with scipy methods (no new kernel), and the member-by-
member dosing of the compiled path is tested directly on those cases.
"""

from __future__ import annotations

import math
import pickle
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import cytosim as cs
from cytosim.sweeps._engine import _Dosing

K = 0.1  # 1/h: clearance 0.3 L/h over 3 L


def pk() -> cs.Network:
    """The one-compartment network of the compiled sweep dosing tests (same kernel)."""
    return cs.pk_compartments(cs.Network("pk"), "drug", volume=3.0, clearance=0.3)


def half_life_24h() -> cs.Network:
    """The network of the conditional-dosing tests in test_interventions.py."""
    from tests.test_interventions import conditional_network

    return conditional_network()


# --------------------------------------------------------------------------- body weight
def test_per_kg_doses_follow_each_points_weight_as_in_simulate() -> None:
    """Per-kg bolus (with bioavailability) and per-kg infusion follow body_weight; a fixed
    dose in mg does not. Each point equals simulate with Dose(weight=w), bit for bit."""
    weights = [50.0, 70.0, 93.7]

    def regimen(weight: float = 70.0) -> list[cs.Dose]:
        return [cs.Dose("drug", "2 mg/kg", bioavailability=0.7, weight=weight),
                cs.Dose("drug", "1 mg/kg", time=4.0, duration=2.0, weight=weight),
                cs.Dose("drug", 10.0, time=8.0)]

    ds = cs.sweep(pk(), {"body_weight": cs.Values(weights)}, design="grid", t_end=12.0,
                  n_points=25, metrics=["value_at:drug@0"], trajectories=True,
                  interventions=regimen(), method="LSODA", rtol=1e-10, atol=1e-12)
    assert (ds["status"] == "ok").all() and "n_skipped_doses" not in ds
    for i, w in enumerate(weights):
        tc = cs.simulate(pk(), t_end=12.0, n_points=25, interventions=regimen(w),
                         method="LSODA", rtol=1e-10, atol=1e-12, engine="numpy")
        np.testing.assert_array_equal(ds["trajectory"].values[i], tc.values)
        # closed form: 1.4 w mg at 0, then w mg infused over [4, 6] h, then 10 mg at 8 h
        rate = w / 2.0
        at_12 = (1.4 * w * math.exp(-12 * K)
                 + rate / K * (1 - math.exp(-2 * K)) * math.exp(-6 * K)
                 + 10.0 * math.exp(-4 * K))
        assert tc["drug"][-1] == pytest.approx(at_12, rel=1e-7)
        assert float(ds["value_at:drug@0"][i]) == pytest.approx(1.4 * w, rel=1e-15)


@pytest.mark.parametrize("first", [0.0, 2.0])
def test_compiled_per_kg_sweep_is_bit_identical_to_simulate(first: float) -> None:
    """Doses only at the start (one kernel call, metrics in the kernel) or later (the
    ensemble restarts at each dose): the same kernel as simulate(method="auto")."""
    weights = [50.0, 70.0, 93.7]

    def regimen(weight: float = 70.0) -> list[cs.Dose]:
        return [cs.Dose("drug", "2 mg/kg", time=first, bioavailability=0.7, weight=weight),
                cs.Dose("drug", 10.0, time=first)]

    ds = cs.sweep(pk(), {"body_weight": cs.Values(weights)}, design="grid", t_end=24.0,
                  n_points=25, metrics=["final:drug", "peak:drug"], trajectories=True,
                  interventions=regimen(), method="auto")
    for i, w in enumerate(weights):
        tc = cs.simulate(pk(), t_end=24.0, n_points=25, interventions=regimen(w),
                         method="auto")
        np.testing.assert_array_equal(ds["trajectory"].values[i], tc.values)
        assert float(ds["final:drug"][i]) == tc["drug"][-1]
        assert float(ds["peak:drug"][i]) == pytest.approx(1.4 * w + 10.0, rel=1e-15)


def test_invalid_weights_fail_their_points_only() -> None:
    ds = cs.sweep(pk(), {"body_weight": cs.Values([-5.0, math.nan, 0.0, 70.0])},
                  design="grid", t_end=1.0, metrics=["value_at:drug@0"], method="RK45",
                  interventions=[cs.Dose("drug", "2 mg/kg")])
    assert ds["status"].values.tolist() == ["invalid_parameter"] * 3 + ["ok"]
    assert ds["message"].values[0] == "body_weight = -5 must be > 0 (a body weight in kg)"
    assert ds["message"].values[1] == "body_weight = nan must be finite"
    assert float(ds["value_at:drug@0"][3]) == 140.0
    assert np.isnan(ds["value_at:drug@0"].values[:3]).all()


def test_body_weight_relative_centres_on_the_doses_weight() -> None:
    ds = cs.sweep(pk(), {"body_weight": cs.Relative(0.5)}, n=3, design="grid", t_end=1.0,
                  metrics=["value_at:drug@0"], method="RK45",
                  interventions=[cs.Dose("drug", "2 mg/kg", weight=80.0)])
    np.testing.assert_allclose(ds["body_weight"], [40.0, 80.0, 120.0])
    np.testing.assert_allclose(ds["value_at:drug@0"], [80.0, 160.0, 240.0], rtol=1e-15)
    with pytest.raises(cs.ParameterError, match="per-kg doses give different weights"):
        cs.sweep(pk(), {"body_weight": cs.Relative(0.5)}, n=3, design="grid", t_end=1.0,
                 metrics=["value_at:drug@0"], method="RK45",
                 interventions=[cs.Dose("drug", "2 mg/kg", weight=80.0),
                                cs.Dose("drug", "1 mg/kg", weight=60.0, time=0.5)])


@pytest.mark.parametrize(("doses", "match"), [
    ([], r"`body_weight` is swept but no dose is given per body weight"),
    ([cs.Dose("drug", 100.0)], r"`body_weight` is swept but no dose is given per body"),
    ([cs.Dose("drug", "2 mg/kg", rate=50.0)],
     r"infusion into 'drug' at t = 0 has a per-kg amount \(2 mg/kg\) and a fixed `rate`"),
])
def test_body_weight_needs_doses_that_follow_it(doses: list[cs.Dose], match: str) -> None:
    with pytest.raises(cs.ParameterError, match=match):
        cs.sweep(pk(), {"body_weight": cs.Values([50.0, 70.0])}, design="grid", t_end=1.0,
                 metrics=["final:drug"], method="RK45", interventions=doses)


def test_a_node_named_body_weight_is_refused() -> None:
    net = pk()
    net.add_cytokine("body_weight", initial=1.0, half_life=1.0, use_catalogue=False)
    with pytest.raises(cs.ParameterError, match="reserve for the body weight"):
        cs.sweep(net, {"body_weight": cs.Values([50.0])}, design="grid", t_end=1.0,
                 method="RK45", interventions=[cs.Dose("drug", "2 mg/kg")])


def test_the_store_fingerprint_holds_the_weights_and_per_kg_doses(tmp_path: Path) -> None:
    pytest.importorskip("zarr")
    store = str(tmp_path / "s.zarr")

    def run(weights: list[float], amount: str) -> xr.Dataset:
        return cs.sweep(pk(), {"body_weight": cs.Values(weights)}, design="grid",
                        t_end=2.0, metrics=["final:drug"], method="RK45", store=store,
                        interventions=[cs.Dose("drug", amount)])

    first = run([50.0, 70.0], "2 mg/kg")
    np.testing.assert_array_equal(first["body_weight"], [50.0, 70.0])
    np.testing.assert_array_equal(first["final:drug"], run([50.0, 70.0], "2 mg/kg")[
        "final:drug"])
    with pytest.raises(cs.StorageError, match="space .*points"):
        run([60.0, 70.0], "2 mg/kg")
    # a slightly different per-kg amount: the events' amounts differ
    with pytest.raises(cs.StorageError, match="interventions"):
        run([50.0, 70.0], "2.0000001 mg/kg")


def test_a_stored_conditional_sweep_resumes_with_its_counts(tmp_path: Path) -> None:
    """The conditions are part of the stored events (their repr); the counts of skipped
    doses are stored and read back."""
    pytest.importorskip("zarr")
    store = str(tmp_path / "c.zarr")

    def run(condition: str) -> xr.Dataset:
        return cs.sweep(pk(), {"drug": cs.Values([0.0, 50.0])}, design="grid", t_end=2.0,
                        metrics=["final:drug"], method="RK45", store=store, chunk_size=1,
                        interventions=[cs.Dose("drug", 100.0, ii=1.0, addl=1,
                                               only_if=condition)])

    first = run("drug < 10")
    assert first["n_skipped_doses"].values.tolist() == [1, 2]
    xr.testing.assert_identical(first, run("drug < 10"))
    with pytest.raises(cs.StorageError, match="interventions"):
        run("drug < 20")


# --------------------------------------------------------------------------- conditions
def test_conditional_sweep_equals_simulate_point_by_point() -> None:
    """X has a half-life of 24 h. Daily 1 mg boluses only while X < 0.6 mg, and a 2 mg
    infusion over [10, 12] h only if X_ug > 1500 at 10 h. By hand, before each dose:

    - X(0) = 0: bolus at 0 given; X(10) = 2**(-10/24) = 0.749 mg, the infusion is skipped
      whole; then 0.5 (given), 0.75 (skipped) at 24 and 48 h: 2 doses skipped;
    - X(0) = 2: bolus at 0 skipped; X(10) = 1.50 mg > 1.5 mg, the infusion is given; X(24)
      = 1.0 + 2 * 2**(-13/24) ... > 0.6 (skipped), X(48) > 0.6 (skipped): 3 skipped.
    """
    daily = cs.Dose("X", 1.0, ii=24.0, addl=2, only_if="X < 0.6")
    infusion = cs.Dose("X", 2.0, time=10.0, duration=2.0, only_if="X_ug > 1499")
    ds = cs.sweep(half_life_24h(), {"X": cs.Values([0.0, 2.0])}, design="grid",
                  t_end=60.0, n_points=61, metrics=["final:X"], trajectories=True,
                  interventions=[daily, infusion], method="LSODA", rtol=1e-10, atol=1e-12)
    assert ds["n_skipped_doses"].values.tolist() == [2, 3]
    # each point decides for itself whatever the chunks; the events reach worker processes
    # and Dask workers pickled (a process pool costs seconds: the pickling is checked here,
    # the backends themselves in test_sweeps.py)
    alone = cs.sweep(half_life_24h(), {"X": cs.Values([0.0, 2.0])}, design="grid",
                     t_end=60.0, n_points=61, metrics=["final:X"], trajectories=True,
                     interventions=[daily, infusion], method="LSODA", rtol=1e-10,
                     atol=1e-12, chunk_size=1)
    xr.testing.assert_identical(ds.drop_attrs(), alone.drop_attrs())
    events = (daily + infusion).events(60.0)
    copied = pickle.loads(pickle.dumps(events))  # noqa: S301 - our own data
    assert [(repr(e), e.key) for e in copied] == [(repr(e), e.key) for e in events]
    for i, x0 in enumerate((0.0, 2.0)):
        tc = cs.simulate(half_life_24h(), t_end=60.0, n_points=61, initial={"X": x0},
                         interventions=[daily, infusion], method="LSODA", rtol=1e-10,
                         atol=1e-12, engine="numpy")
        np.testing.assert_array_equal(ds["trajectory"].values[i], tc.values)
        assert int(ds["n_skipped_doses"][i]) == len(tc.provenance["skipped_doses"])
    # the skipped infusion leaves nothing behind: one bolus at 0 and one at 24 h
    assert float(ds["final:X"][0]) == pytest.approx(2 ** (-60 / 24) + 2 ** (-36 / 24),
                                                    rel=1e-8)


def test_compiled_conditional_sweep_is_bit_identical_to_simulate() -> None:
    """100 mg every 24 h only while the concentration is below 3.5 mg/L (an observable),
    V = 3 L. With k = 0.1/h the levels before the doses at 24, 48 and 72 h are 3.02, 3.30
    and 3.32 mg/L (all given); with k = 0.05/h they are 10.04 (skipped), 3.02 (given) and
    10.95 mg/L (skipped)."""
    dose = cs.Dose("drug", 100.0, ii=24.0, addl=3, only_if="drug_conc < 3.5")
    ds = cs.sweep(pk(), {"drug.rate": cs.Values([0.1, 0.05])}, design="grid", t_end=96.0,
                  n_points=97, metrics=["final:drug"], trajectories=True,
                  interventions=[dose], method="auto")
    for i, k in enumerate((0.1, 0.05)):
        tc = cs.simulate(pk(), t_end=96.0, n_points=97, params={"drug.rate": k},
                         interventions=[dose], method="auto")
        np.testing.assert_array_equal(ds["trajectory"].values[i], tc.values)
        assert int(ds["n_skipped_doses"][i]) == len(tc.provenance["skipped_doses"])
    assert ds["n_skipped_doses"].values.tolist() == [0, 2]
    given = {0.1: (0.0, 24.0, 48.0, 72.0), 0.05: (0.0, 48.0)}
    for i, k in enumerate((0.1, 0.05)):
        exact = sum(100.0 * math.exp(-k * (96.0 - t)) for t in given[k])
        # auto at rtol 1e-6: a global error of a few rtol
        assert float(ds["final:drug"][i]) == pytest.approx(exact, rel=1e-5)
    # a condition at the start only: one kernel call for the whole interval
    start = cs.Dose("drug", 100.0, only_if="drug < 10")
    once = cs.sweep(pk(), {"drug": cs.Values([0.0, 50.0])}, design="grid", t_end=10.0,
                    metrics=["final:drug"], interventions=[start], method="auto")
    np.testing.assert_allclose(once["final:drug"], [100.0 * math.exp(-1.0),
                                                    50.0 * math.exp(-1.0)], rtol=1e-5)
    assert once["n_skipped_doses"].values.tolist() == [0, 1]


def test_an_untestable_condition_fails_only_its_point() -> None:
    """X_per_cell = X / C is 0/0 = NaN when both are 0: that point fails, the others run."""
    net = half_life_24h()
    net.add_cell("C", initial=1.0)
    net.add_observable("X_per_cell", "X / C")
    dose = cs.Dose("X", 1.0, time=5.0, only_if="X_per_cell < 1")
    ds = cs.sweep(net, {"C": cs.Values([1.0, 0.0])}, design="grid", t_end=10.0,
                  metrics=["final:X"], interventions=[dose], method="LSODA")
    assert ds["status"].values.tolist() == ["ok", "untestable_condition"]
    assert ds["message"].values[1] == ("the condition 'X_per_cell < 1' of the dose into 'X' "
                                       "at t = 5 reads X_per_cell = nan: it cannot be tested")
    assert float(ds["final:X"][0]) == pytest.approx(2 ** (-5 / 24), rel=1e-5)
    assert np.isnan(float(ds["final:X"][1])) and ds.attrs["n_failed"] == 1
    with pytest.raises(cs.ModelError, match="reads X_per_cell = nan"):  # simulate: the same
        cs.simulate(net, t_end=10.0, initial={"C": 0.0}, interventions=[dose])


def test_compiled_dosing_decides_member_by_member() -> None:
    """The compiled path's dosing step on three members: condition false (the infusion
    and its stop skipped), true (given, then stopped), NaN (fails; nothing applied)."""
    net = cs.interventions.with_infusion_inputs(half_life_24h(), ["X"])
    system = cs.compile_network(net)
    events = tuple(cs.Dose("X", 2.0, duration=2.0, only_if="X > 1", weight=80.0).events(9.0))
    dosing = _Dosing(system, events, np.array([50.0, 100.0, 70.0]), 3)
    rate = system.param_names.index("X.infusion_rate")
    y = np.array([[0.5], [2.0], [math.nan]])
    p = np.repeat(system.default_params[None, :], 3, axis=0)
    rows = np.arange(3)
    errors = dosing.apply(0.0, rows, y, p)
    assert errors.tolist()[:2] == ["", ""] and "reads X = nan" in errors[2]
    # the given infusion: 2 mg over 2 h is 1 mg/h (a fixed amount: the weights play no part)
    np.testing.assert_array_equal(p[:, rate], [0.0, 1.0, 0.0])
    assert dosing.n_skipped.tolist() == [1, 0, 0]
    dosing.apply(2.0, rows[:2], y[:2], p[:2])  # the stops: member 0's is skipped too
    np.testing.assert_array_equal(p[:, rate], [0.0, 0.0, 0.0])
    # per-kg infusion rates follow each member's weight: 0.1 mg/kg over 2 h
    per_kg = tuple(cs.Dose("X", "0.1 mg/kg", duration=2.0).events(9.0))
    dosing = _Dosing(system, per_kg, np.array([50.0, 100.0]), 2)
    p2 = np.repeat(system.default_params[None, :], 2, axis=0)
    dosing.apply(0.0, np.arange(2), np.zeros((2, 1)), p2)
    np.testing.assert_allclose(p2[:, rate], [2.5, 5.0], rtol=1e-15)
