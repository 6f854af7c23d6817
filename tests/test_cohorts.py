"""Virtual cohorts: sampled random effects, covariates, per-kg doses, bands, responders.

Every cohort here is tiny and uses the scipy LSODA method of the sweep engine (point by
point, no compiled kernel), on a one-compartment PK model whose concentration is known in
closed form: C(t) = D / V exp(-k t) after a bolus D.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import cytosim as cs
from cytosim.cohorts import (
    Covariate,
    body_weight,
    cv_from_omega,
    omega_from_cv,
    sample_etas,
    virtual_cohort,
)

V, CL = 3.0, 0.3  # L, L/h: k = 0.1 / h
RUN = {"method": "LSODA", "rtol": 1e-8, "atol": 1e-10}


def one_compartment() -> cs.Network:
    return cs.pk_compartments(cs.Network("pk"), "mAb", volume=V, clearance=CL)


# --------------------------------------------------------------------------- sampling
def test_sampled_random_effects_have_the_requested_covariance() -> None:
    omega = np.array([[0.09, 0.03, 0.0],
                      [0.03, 0.04, -0.01],
                      [0.0, -0.01, 0.16]])
    n = 20_000
    eta = sample_etas(omega, n, seed=7)
    assert eta.shape == (n, 3)
    sample = np.cov(eta, rowvar=False)
    # the standard error of a sample covariance of normal data is
    # sqrt((omega_ij**2 + omega_ii omega_jj) / n) (Wishart); 4 standard errors leave a
    # 6e-5 chance per element of a false failure for an arbitrary seed (this one is fixed)
    d = np.sqrt(np.diag(omega))
    se = np.sqrt((omega**2 + np.outer(d**2, d**2)) / n)
    assert np.all(np.abs(sample - omega) < 4 * se), (sample - omega) / se
    assert np.all(np.abs(eta.mean(axis=0)) < 4 * d / math.sqrt(n))
    # a seed gives the same draws; a zero variance gives exact zeros
    np.testing.assert_array_equal(eta, sample_etas(omega, n, seed=7))
    assert not np.array_equal(eta[:5], sample_etas(omega, 5, seed=8))
    flat = sample_etas(np.diag([0.1, 0.0]), 10, seed=1)
    assert np.all(flat[:, 1] == 0.0)


def test_cv_and_omega_conversion_is_the_log_normal_one() -> None:
    # CV of a log-normal = sqrt(exp(omega**2) - 1): 30% -> omega**2 = ln(1.09) = 0.0862
    assert omega_from_cv(30.0) == pytest.approx(math.log(1.09), rel=1e-15)
    assert cv_from_omega(omega_from_cv(45.0)) == pytest.approx(45.0, rel=1e-12)
    # S. Beal (NONMEM users list, 26 Sep 1997): "when omega=0.15, CV=.402, while
    # sqrt(omega)=.387" (omega there is the variance), quoted to three digits
    assert cv_from_omega(0.15) == pytest.approx(40.2, abs=0.05)
    theta = np.exp(sample_etas([[omega_from_cv(30.0)]], 40_000, seed=3)[:, 0])
    # the sample CV of 40000 log-normal values has a standard error of about 0.13 points
    assert 100 * theta.std() / theta.mean() == pytest.approx(30.0, abs=0.6)


@pytest.mark.parametrize("omega, match", [
    ([[1.0, 2.0], [2.0, 1.0]], "positive semi-definite"),
    ([[1.0, 0.5], [0.0, 1.0]], "symmetric"),
    ([1.0, 2.0], "square matrix"),
])
def test_bad_omega_is_refused(omega: list[list[float]], match: str) -> None:
    with pytest.raises(cs.ParameterError, match=match):
        sample_etas(omega, 3)


# --------------------------------------------------------------------------- cohorts
def test_a_cohort_without_variability_equals_one_simulation() -> None:
    dose = cs.Dose("mAb", amount=100.0, ii=12.0, addl=1)
    cohort = virtual_cohort(one_compartment(), [dose], n=3, omega={"mAb.rate": 0.0}, seed=1,
                            t_end=24.0, n_points=25, metrics=["final:mAb_conc"], **RUN)
    tc = cs.simulate(one_compartment(), t_end=24.0, n_points=25, interventions=[dose],
                     engine="numpy", **RUN)
    assert cohort.n_failed == 0
    for i in range(3):
        # the same solver on the same inputs (the population value exactly): equal to
        # rounding
        np.testing.assert_allclose(cohort.trajectories.sel(variable="mAb_conc").values[i],
                                   tc["mAb_conc"], rtol=1e-12)
    assert cohort.patients["final:mAb_conc"].iloc[0] == pytest.approx(tc["mAb_conc"][-1],
                                                                      rel=1e-12)
    one = cohort.timecourse(0)
    assert one.names == tc.names and one.unit_of("mAb_conc") == "mg/L"
    band = cohort.bands(["mAb_conc"])
    np.testing.assert_allclose(band["p05"], band["p95"], rtol=1e-12)


def test_random_effects_reach_the_parameters_and_the_concentrations() -> None:
    cohort = virtual_cohort(one_compartment(), [cs.Dose("mAb", 100.0)], n=12,
                            cv={"mAb.rate": 40.0, "mAb_central.volume": 20.0}, seed=5,
                            t_end=24.0, n_points=13, metrics=["final:mAb_conc"], **RUN)
    p = cohort.patients
    k = p["mAb.rate"].to_numpy()
    v = p["mAb_central.volume"].to_numpy()
    np.testing.assert_allclose(np.log(k / K_POP), p["eta_mAb.rate"], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.log(v / V), p["eta_mAb_central.volume"], atol=1e-14)
    # C(24) = D / V_i exp(-k_i 24) for each patient, to the solver's tolerance
    np.testing.assert_allclose(p["final:mAb_conc"], 100.0 / v * np.exp(-k * 24.0), rtol=1e-6)
    assert cohort.parameters == ("mAb.rate", "mAb_central.volume")
    assert cohort.omega[0, 0] == pytest.approx(omega_from_cv(40.0))


K_POP = CL / V


def test_bands_bracket_the_median_and_responders_are_counted() -> None:
    cohort = virtual_cohort(one_compartment(), [cs.Dose("mAb", 100.0)], n=15,
                            cv={"mAb.rate": 50.0}, seed=2, t_end=24.0, n_points=13,
                            metrics=["final:mAb_conc"], **RUN)
    band = cohort.bands()
    assert set(band["variable"]) == {"mAb", "mAb_conc"}
    assert (band["p05"] <= band["median"]).all() and (band["median"] <= band["p95"]).all()
    conc = band[band["variable"] == "mAb_conc"]
    assert (conc["unit"] == "mg/L").all() and (conc["n"] == 15).all()
    # the median at 24 h is the median of the patients' closed-form concentrations
    k = cohort.patients["mAb.rate"].to_numpy()
    exact = 100.0 / V * np.exp(-k * 24.0)
    assert conc["median"].iloc[-1] == pytest.approx(float(np.median(exact)), rel=1e-6)
    # responders: final concentration below a level chosen between two patients' values
    ordered = np.sort(exact)
    level = 0.5 * (ordered[5] + ordered[6])  # exactly 6 of 15 lie below
    assert cohort.responder_fraction(metric="final:mAb_conc", below=level) == 6 / 15
    assert cohort.responder_fraction(metric="final:mAb_conc", above=level) == 9 / 15
    by_rule = cohort.responder_fraction(lambda t: (t["final:mAb_conc"] < level).to_numpy())
    assert by_rule == 6 / 15
    wide = cohort.bands(["mAb_conc"], low=0.25, high=0.75)
    assert {"p25", "p75"} <= set(wide.columns)


def test_a_seed_gives_the_same_cohort() -> None:
    kwargs = {"n": 4, "cv": {"mAb.rate": 30.0}, "t_end": 12.0, "n_points": 5,
              "covariates": [body_weight(stats.lognorm(s=0.2, scale=70.0),
                                         effects={"mAb_central.volume": 1.0})], **RUN}
    a = virtual_cohort(one_compartment(), [cs.Dose("mAb", 100.0)], seed=11, **kwargs)
    b = virtual_cohort(one_compartment(), [cs.Dose("mAb", 100.0)], seed=11, **kwargs)
    c = virtual_cohort(one_compartment(), [cs.Dose("mAb", 100.0)], seed=12, **kwargs)
    pd.testing.assert_frame_equal(a.patients, b.patients)
    np.testing.assert_array_equal(a.trajectories.values, b.trajectories.values)
    assert not np.allclose(a.patients["WT"], c.patients["WT"])
    # random effects and covariates come from independent streams: adding a covariate does
    # not change the random effects of the same seed
    plain = virtual_cohort(one_compartment(), [cs.Dose("mAb", 100.0)], seed=11,
                           **{**kwargs, "covariates": []})
    np.testing.assert_array_equal(plain.patients["eta_mAb.rate"], a.patients["eta_mAb.rate"])


def test_per_kg_doses_follow_each_patients_weight() -> None:
    weights = [50.0, 70.0, 100.0, 70.0]
    wt = body_weight(weights, effects={"mAb_central.volume": 1.0})
    per_kg = cs.Dose("mAb", "2 mg/kg")
    cohort = virtual_cohort(one_compartment(), [per_kg], n=4, covariates=[wt], t_end=10.0,
                            n_points=11, metrics=["value_at:mAb@0"], **RUN)
    p = cohort.patients
    np.testing.assert_array_equal(p["WT"], weights)
    # amounts follow the weight: 2 mg/kg x WT
    np.testing.assert_allclose(p["value_at:mAb@0"], 2.0 * np.array(weights), rtol=1e-12)
    # V proportional to WT and k fixed: every patient has the same concentration profile
    conc = cohort.trajectories.sel(variable="mAb_conc").values
    exact = 2.0 * 70.0 / V * np.exp(-K_POP * np.linspace(0.0, 10.0, 11))
    np.testing.assert_allclose(conc, np.broadcast_to(exact, conc.shape), rtol=1e-6)
    # a fixed dose in mg does not follow the weight: concentrations fall as 1 / WT
    fixed = virtual_cohort(one_compartment(), [cs.Dose("mAb", 140.0)], n=4, covariates=[wt],
                           t_end=10.0, n_points=11, metrics=["value_at:mAb_conc@0"], **RUN)
    np.testing.assert_allclose(fixed.patients["value_at:mAb_conc@0"],
                               140.0 / (V * np.array(weights) / 70.0), rtol=1e-12)


def test_a_therapy_preset_can_vary_its_own_parameters() -> None:
    from cytosim.therapies import infliximab

    net = cs.Network(time_unit="day")
    cohort = virtual_cohort(net, [infliximab(n_maintenance=0)], n=3,
                            cv={"infliximab_central.volume": 25.0}, seed=0, t_end=14.0,
                            n_points=15, metrics=["final:infliximab_conc"], **RUN)
    assert cohort.n_failed == 0 and cohort.time_unit == "day"
    assert cohort.units["infliximab_conc"] == "mg/L"
    # induction infusions are per kg at the default 70 kg: the amount is 210 mg for everyone
    assert cohort.patients["final:infliximab_conc"].nunique() == 3


@pytest.mark.parametrize("kwargs, match", [
    ({"omega": {"mAb.rate": 0.1}, "cv": {"mAb.rate": 10.0}}, "not both"),
    ({"cv": {"mAb.rat": 10.0}}, "unknown parameter 'mAb.rat'"),
    ({"cv": {"mAb.half_life": 10.0}}, "derived name; give variability on 'mAb.rate'"),
    ({}, "nothing varies"),
    ({"omega": [[0.1]]}, "needs `parameters`"),
    ({"cv": {"mAb.rate": -5.0}}, "CV must be"),
    ({"cv": {"mAb.rate": 10.0}, "covariates": [Covariate("AGE", [30.0, -1.0], 40.0)]},
     "covariate 'AGE': values must be positive"),
    ({"cv": {"mAb.rate": 10.0}, "design": "sobol"}, "`design` is set by virtual_cohort"),
])
def test_bad_cohort_input(kwargs: dict, match: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(cs.ParameterError, match=match):
        virtual_cohort(one_compartment(), [cs.Dose("mAb", 1.0)], n=2, t_end=1.0, **kwargs)


def test_bad_summary_requests() -> None:
    cohort = virtual_cohort(one_compartment(), [cs.Dose("mAb", 1.0)], n=2,
                            cv={"mAb.rate": 10.0}, t_end=1.0, n_points=3,
                            metrics=["final:mAb"], **RUN)
    with pytest.raises(cs.ParameterError, match="no variable 'mAb_con'"):
        cohort.bands(["mAb_con"])
    with pytest.raises(cs.ParameterError, match="exactly one of `below` and `above`"):
        cohort.responder_fraction(metric="final:mAb")
    with pytest.raises(cs.ParameterError, match="no metric 'final:X'"):
        cohort.responder_fraction(metric="final:X", below=1.0)
    with pytest.raises(cs.ParameterError, match="one boolean per patient"):
        cohort.responder_fraction(lambda t: [True])


def test_a_cohort_with_log_normal_weights_is_one_sweep_and_resumes(
        tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Continuous weights and a per-kg dose: one sweep for the whole cohort (the weights are
    its body_weight column), stored and resumed without computing a chunk again."""
    pytest.importorskip("zarr")
    import cytosim.sweeps
    import cytosim.sweeps._backends as backends

    sweeps, chunks = [], []
    real_sweep, real_chunk = cytosim.sweeps.sweep, backends.run_chunk
    monkeypatch.setattr(cytosim.sweeps, "sweep",
                        lambda *a, **k: sweeps.append(1) or real_sweep(*a, **k))
    monkeypatch.setattr(backends, "run_chunk",
                        lambda *a, **k: chunks.append(1) or real_chunk(*a, **k))
    wt = body_weight(stats.lognorm(s=0.25, scale=70.0), effects={"mAb_central.volume": 1.0})

    def run() -> cs.cohorts.Cohort:
        return virtual_cohort(one_compartment(), [cs.Dose("mAb", "2 mg/kg")], n=6,
                              covariates=[wt], cv={"mAb.rate": 20.0}, seed=4, t_end=12.0,
                              n_points=13, metrics=["value_at:mAb@0", "final:mAb_conc"],
                              store=str(tmp_path / "cohort.zarr"), chunk_size=3, **RUN)

    cohort = run()
    assert len(sweeps) == 1 and len(chunks) == 2  # one sweep of two chunks
    w = cohort.patients["WT"].to_numpy()
    assert len(np.unique(w)) == 6
    np.testing.assert_allclose(cohort.patients["value_at:mAb@0"], 2.0 * w, rtol=1e-12)
    # V = 3 L x WT / 70 and a dose of 2 mg/kg x WT: C(t) = 140 / 3 exp(-k_i t) for everyone
    k = cohort.patients["mAb.rate"].to_numpy()
    np.testing.assert_allclose(cohort.patients["final:mAb_conc"],
                               140.0 / V * np.exp(-k * 12.0), rtol=1e-6)
    again = run()
    assert len(sweeps) == 2 and len(chunks) == 2  # resumed: nothing computed again
    pd.testing.assert_frame_equal(cohort.patients, again.patients)
