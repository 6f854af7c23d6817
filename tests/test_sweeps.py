"""Sweeps: designs, metrics against analytic values, equality with simulate(), failures,
backends and chunking."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import stats
from scipy.stats import qmc

import cytosim as cs
from cytosim.sweeps.spaces import design_points, resolve_space


def decay_network() -> cs.Network:
    net = cs.Network("decay")
    net.add_cytokine("X", initial=2.0, decay_rate=0.5, use_catalogue=False)
    net.add_observable("double", "2 * X")
    return net


# --------------------------------------------------------------------------- designs
def test_sobol_takes_the_first_n_points_of_the_seeded_scrambled_sequence() -> None:
    space = resolve_space({"a": cs.Range(0.0, 1.0), "b": cs.Range(1.0, 100.0, "log")}, {})
    points = design_points(space, 10, "sobol", seed=3)
    u = qmc.Sobol(2, scramble=True, seed=3).random_base2(4)[:10]
    np.testing.assert_array_equal(points["a"], u[:, 0])
    np.testing.assert_allclose(points["b"], 10 ** (2 * u[:, 1]), rtol=1e-12)
    assert design_points(space, 10, "sobol", seed=3).equals(points)  # seeded: reproducible


def test_grid_values_relative_and_distributions() -> None:
    space = resolve_space({"a": cs.Values([1, 2, 3]), "b": cs.Range(0.0, 1.0),
                           "c": cs.Relative(0.5)}, {"c": 4.0})
    grid = design_points(space, 3, "grid", seed=None)
    assert len(grid) == 27 and sorted(set(grid["a"])) == [1, 2, 3]
    assert sorted(set(grid["c"])) == [2.0, 4.0, 6.0]
    lhs = design_points(resolve_space({"d": stats.lognorm(s=0.5, scale=2.0)}, {}), 200, "lhs",
                        seed=1)
    # Latin hypercube: exactly one point per 1/200 probability stratum
    strata = np.floor(stats.lognorm(s=0.5, scale=2.0).cdf(lhs["d"]) * 200).astype(int)
    assert sorted(strata) == list(range(200))
    frame = pd.DataFrame({"a": [1.0, 5.0]})
    assert design_points(resolve_space({"a": cs.Range(0, 1)}, {}), None, frame, None)[
        "a"].tolist() == [1.0, 5.0]


@pytest.mark.parametrize(("call", "match"), [
    (lambda: cs.Range(1.0, 0.0), r"a Range needs finite lo < hi"),
    (lambda: cs.Range(0.0, 1.0, "log"), r"log-scale Range needs lo > 0"),
    (lambda: cs.Range(0.0, 1.0, "cubic"), r"`scale` must be 'linear' or 'log'"),
    (lambda: cs.Relative(1.5), r"linear Relative needs fraction < 1"),
    (lambda: cs.Values([]), r"`Values` needs at least one value"),
])
def test_bad_dimensions(call, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(cs.ParameterError, match=match):
        call()


# --------------------------------------------------------------------------- metrics
def test_metrics_on_exponential_decay() -> None:
    net = decay_network()
    ds = cs.sweep(net, {"X.rate": cs.Values([0.5, 1.0])}, design="grid", t_end=4.0,
                  n_points=4001, method="RK45", rtol=1e-10, atol=1e-12,
                  metrics=["peak:X", "time_of_peak:X", "auc:X", "final:X", "value_at:X@1.5",
                           "below:X<1", "above:X>5", "trough:double"])
    k = np.array([0.5, 1.0])
    np.testing.assert_allclose(ds["peak:X"], 2.0)
    np.testing.assert_allclose(ds["time_of_peak:X"], 0.0)
    # trapezoidal AUC on a 1 ms grid: relative error ~ (k h)^2 / 12 < 1e-7
    np.testing.assert_allclose(ds["auc:X"], 2.0 * (1 - np.exp(-4 * k)) / k, rtol=1e-6)
    np.testing.assert_allclose(ds["final:X"], 2.0 * np.exp(-4 * k), rtol=1e-8)
    np.testing.assert_allclose(ds["value_at:X@1.5"], 2.0 * np.exp(-1.5 * k), rtol=1e-8)
    # linear interpolation of a crossing on a 1 ms grid: error ~ k h^2 / 8 < 1e-6 h
    np.testing.assert_allclose(ds["below:X<1"], np.log(2) / k, atol=1e-6)
    assert np.all(np.isnan(ds["above:X>5"]))  # never happens
    np.testing.assert_allclose(ds["trough:double"], 4.0 * np.exp(-4 * k), rtol=1e-8)


def test_custom_metric_and_trajectories() -> None:
    def half_life_estimate(t: np.ndarray, values: np.ndarray) -> np.ndarray:
        return np.log(2) * t[-1] / np.log(values[:, 0, 0] / values[:, -1, 0])

    ds = cs.sweep(decay_network(), {"X.rate": cs.Values([0.25, 0.5])}, design="grid",
                  t_end=2.0, method="RK45", rtol=1e-10, atol=1e-12,
                  metrics=[half_life_estimate], trajectories=[0.0, 1.0, 2.0])
    np.testing.assert_allclose(ds["half_life_estimate"], np.log(2) / np.array([0.25, 0.5]),
                               rtol=1e-7)
    assert ds["trajectory"].dims == ("point", "time", "variable")
    np.testing.assert_allclose(ds["trajectory"].sel(variable="X", time=1.0),
                               2.0 * np.exp(-np.array([0.25, 0.5])), rtol=1e-8)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"metrics": ["peak:Y"]}, r"metric 'peak:Y': no state or observable named 'Y'"),
    ({"metrics": ["max:X"]}, r"metric 'max:X': unknown kind 'max'"),
    ({"metrics": ["below:X"]}, r"metric 'below:X' must be written 'below:X<<number>'"),
    ({"metrics": ["value_at:X@9"]}, r"output times \[9\.0\] lie outside"),
    ({"space": {"X.rat": cs.Range(0.1, 1.0)}}, r"cannot sweep 'X.rat'.*'X.rate'"),
    ({"space": {}}, r"the sweep space is empty"),
    ({"design": "latin"}, r"`design` must be one of"),
    ({"backend": "gpu"}, r"`backend` must be one of"),
    ({"method": "euler"}, r"`method` must be one of"),
    ({"n": 0}, r"`n` must be a positive integer"),
])
def test_bad_sweep_arguments(kwargs, match) -> None:  # type: ignore[no-untyped-def]
    args = {"space": {"X.rate": cs.Range(0.1, 1.0)}, "n": 4, "t_end": 2.0,
            "metrics": ["final:X"], "method": "RK45", **kwargs}
    with pytest.raises(cs.ParameterError, match=match):
        cs.sweep(decay_network(), args.pop("space"), **args)


# --------------------------------------------------------------------------- semantics
def test_sweep_equals_individual_simulations() -> None:
    net = cs.load_model("acute_inflammation")
    ds = cs.sweep(net, {"k_pg": cs.Range(0.3, 0.6), "P": cs.Range(0.2, 2.0)}, n=6, seed=11,
                  t_end=100.0, n_points=101, metrics=["peak:P", "final:D", "auc:Nstar"],
                  method="LSODA", rtol=1e-8, atol=1e-10)
    for i in range(6):
        tc = cs.simulate(net, t_end=100.0, n_points=101, method="LSODA", rtol=1e-8, atol=1e-10,
                         engine="numpy", params={"k_pg": float(ds["k_pg"][i])},
                         initial={"P": float(ds["P"][i])})
        # the same solver on the same inputs: equal to rounding
        assert float(ds["peak:P"][i]) == pytest.approx(tc["P"].max(), rel=1e-12)
        assert float(ds["final:D"][i]) == pytest.approx(tc["D"][-1], rel=1e-12)
        assert float(ds["auc:Nstar"][i]) == pytest.approx(np.trapezoid(tc["Nstar"], tc.t),
                                                          rel=1e-12)


def test_invalid_points_get_a_status_and_the_sweep_goes_on() -> None:
    ds = cs.sweep(decay_network(), {"X.rate": cs.Values([-1.0, 0.5, math.nan]),
                                    "X": cs.Values([1.0, -2.0])},
                  design="grid", t_end=1.0, metrics=["final:X"], method="RK45")
    pairs = zip(ds["X.rate"].values.tolist(), ds["X"].values.tolist(), strict=True)
    status = dict(zip(pairs,
                      ds["status"].values.tolist(), strict=True))
    assert status[(0.5, 1.0)] == "ok"
    assert status[(-1.0, 1.0)] == "invalid_parameter"
    assert status[(0.5, -2.0)] == "invalid_initial"
    messages = ds["message"].values.tolist()
    assert "X.rate = -1 must be >= 0" in messages
    assert "X = -2 must be >= 0 (an initial value)" in messages
    assert np.isnan(ds["final:X"].values[ds["status"].values != "ok"]).all()
    assert ds.attrs["n_failed"] == 5


def test_derived_names_and_aliases_can_be_swept() -> None:
    ds = cs.sweep(decay_network(), {"X.half_life": cs.Values([1.0, 2.0])}, design="grid",
                  t_end=2.0, metrics=["final:X"], method="RK45", rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ds["final:X"], 2.0 * np.array([0.25, 0.5]), rtol=1e-8)


def test_results_do_not_depend_on_backend_or_chunk_size() -> None:
    net = cs.load_model("acute_inflammation")
    args = {"n": 12, "seed": 5, "t_end": 50.0, "metrics": ["peak:P", "final:D"],
            "method": "LSODA"}
    space = {"k_pg": cs.Range(0.3, 0.6), "P": cs.Range(0.2, 2.0)}
    reference = cs.sweep(net, space, chunk_size=1000, **args)
    for options in ({"chunk_size": 5}, {"backend": "processes", "workers": 2, "chunk_size": 4}):
        other = cs.sweep(net, space, **options, **args)
        xr.testing.assert_identical(reference.drop_attrs(), other.drop_attrs())


def test_to_dataframe_is_tidy() -> None:
    ds = cs.sweep(decay_network(), {"X.rate": cs.Values([0.5, 1.0])}, design="grid",
                  t_end=1.0, metrics=["final:X"], method="RK45")
    frame = cs.sweeps.to_dataframe(ds)
    assert list(frame.columns) == ["X.rate", "final:X", "status", "message", "n_rhs", "solver",
                                   "t_switch"]
    assert len(frame) == 2


# --------------------------------------------------------------------------- compiled engine
def test_compiled_sweep_matches_tight_simulations_of_the_reference_model() -> None:
    """Each point of a compiled sweep (the default method, "auto") agrees with an individual
    tight-tolerance simulate()."""
    net = cs.load_model("acute_inflammation")
    ds = cs.sweep(net, {"k_pg": cs.Range(0.3, 0.6), "P": cs.Range(0.2, 2.0)}, n=8, seed=2,
                  t_end=100.0, n_points=201, metrics=["peak:P", "final:D", "final:CA"],
                  rtol=1e-8, atol=1e-10)
    assert ds.attrs["method"] == "auto" and (ds["status"] == "ok").all()
    for i in range(8):
        tc = cs.simulate(net, t_end=100.0, n_points=201, method="Radau", rtol=1e-11,
                         atol=1e-13, engine="numpy", params={"k_pg": float(ds["k_pg"][i])},
                         initial={"P": float(ds["P"][i])})
        # per-member control at rtol 1e-8: global error a few times rtol*scale
        for metric, value in (("peak:P", tc["P"].max()), ("final:D", tc["D"][-1]),
                              ("final:CA", tc["CA"][-1])):
            assert float(ds[metric][i]) == pytest.approx(value, rel=1e-5, abs=1e-7), metric


def test_compiled_sweep_is_bit_identical_across_chunks_and_backends() -> None:
    net = cs.load_model("acute_inflammation")
    args = {"n": 20, "seed": 9, "t_end": 60.0, "metrics": ["peak:P", "auc:Nstar"],
            "trajectories": [30.0, 60.0]}
    # mu_c up to 1000 times the published 0.1: the fast points switch to Rodas5P (method auto)
    space = {"k_pg": cs.Range(0.3, 0.6), "mu_c": cs.Range(0.1, 100.0, scale="log")}
    reference = cs.sweep(net, space, **args)
    assert set(reference["solver"].values) == {"dopri5", "rodas5p"}
    for options in ({"chunk_size": 3}, {"backend": "processes", "workers": 2, "chunk_size": 7}):
        xr.testing.assert_identical(reference.drop_attrs(),
                                    cs.sweep(net, space, **options, **args).drop_attrs())


def test_compiled_sweep_records_failures_per_point() -> None:
    net = cs.Network("blowup")
    net.add_cytokine("X", initial=1.0, use_catalogue=False)
    net.add_term("X", "k * X^2", params={"k": 1.0})  # X = 1/(1 - k t): finite-time blow-up
    ds = cs.sweep(net, {"X.k": cs.Values([0.1, 2.0])}, design="grid", t_end=1.0,
                  metrics=["final:X"], max_steps=2000)
    assert ds["status"].values[0] == "ok"
    assert ds["status"].values[1] in ("step_size_too_small", "max_steps", "non_finite")
    assert float(ds["final:X"][0]) == pytest.approx(1 / 0.9, rel=1e-5)
    assert np.isnan(float(ds["final:X"][1])) and ds["message"].values[1]


@pytest.mark.parametrize("method", ["auto", "dopri5", "rodas5p", "LSODA"])
def test_sweeps_honour_dosing_discontinuities(method: str) -> None:
    """Every point gets the same repeated bolus; the ensemble restarts at each dose."""
    net = cs.pk_compartments(cs.Network("pk"), "drug", volume=3.0, clearance=0.3)
    schedule = cs.Dose("drug", amount=100.0, time=2.0, ii=24.0, addl=3)
    ds = cs.sweep(net, {"drug.rate": cs.Values([0.05, 0.1])}, design="grid", t_end=96.0,
                  n_points=97, metrics=["value_at:drug@26", "final:drug", "peak:drug"],
                  interventions=[schedule], method=method, rtol=1e-9, atol=1e-11)
    for i, k in enumerate((0.05, 0.1)):
        def exact(t: float, k: float = k) -> float:
            return sum(100.0 * math.exp(-k * (t - td)) for td in (2.0, 26.0, 50.0, 74.0)
                       if t >= td)

        # right-continuous: the row at a dose time includes that dose
        assert float(ds["value_at:drug@26"][i]) == pytest.approx(exact(26.0), rel=1e-6)
        assert float(ds["final:drug"][i]) == pytest.approx(exact(96.0), rel=1e-6)
        assert float(ds["peak:drug"][i]) == pytest.approx(exact(74.0), rel=1e-6)


def test_a_stored_sweep_with_doses_resumes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The store's fingerprint holds the doses as data: a new but equal Dose object (a new
    run, a new process) matches it, and the second call computes nothing again."""
    pytest.importorskip("zarr")
    net = cs.pk_compartments(cs.Network("pk"), "drug", volume=3.0, clearance=0.3)

    def run() -> xr.Dataset:
        dose = cs.Dose("drug", amount=100.0, time=2.0, ii=24.0, addl=1, duration=1.0)
        return cs.sweep(net, {"drug.rate": cs.Values([0.05, 0.1])}, design="grid",
                        t_end=48.0, metrics=["final:drug"], interventions=[dose],
                        method="LSODA", store=str(tmp_path / "s.zarr"))

    first, again = run(), run()
    np.testing.assert_array_equal(first["final:drug"].values, again["final:drug"].values)
